// Invariants over random lives of an application: 1 000 random command sequences per invariant.
// Checks inside the walks throw plain errors (cheaper than expect in hot loops); fast-check then
// shrinks to a minimal counterexample.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  applicationCommandTypes,
  applicationEventDefinitions,
  applicationStatuses,
  decideApplication,
  evolveApplication,
  fundingSummary,
  initialApplicationState,
  concernedFunders,
  isTerminal,
  roles,
  type ApplicationEvent,
  type ApplicationState,
} from '../../domain';
import { meta } from './support/fixtures';
import { actorOfRole, sampleCommand } from './support/samples';
import { runWalk, walkArb } from './support/walk';

const numRuns = 1000;
const definitions = new Map(applicationEventDefinitions.map((d) => [d.type as string, d.schema]));

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

describe('random lives of an application', () => {
  it('reach every status (the walks are not vacuous)', () => {
    const reached = new Set<string>();
    for (const walk of fc.sample(walkArb, { numRuns: 400, seed: 2027 })) {
      runWalk(walk, (d, story) => {
        reached.add(d.before.status);
        reached.add(story.state.status);
      });
    }
    expect(applicationStatuses.filter((s) => !reached.has(s))).toEqual([]);
  });
});

describe('application invariants over random command sequences', () => {
  it('awarded ≤ committed ≤ requested, per funder and year', () => {
    fc.assert(
      fc.property(walkArb, (walk) => {
        runWalk(walk, (_d, story) => {
          for (const r of fundingSummary(story.state)) {
            check(
              r.awardedCents === 0 || r.awardedCents <= r.committedCents,
              () => `awarded > committed: ${JSON.stringify(r)}`,
            );
            check(r.committedCents <= r.requestedCents, () => `committed > requested: ${JSON.stringify(r)}`);
          }
        });
      }),
      { numRuns },
    );
  });

  it('paid ≤ awarded and recovered ≤ paid, per funder and year', () => {
    fc.assert(
      fc.property(walkArb, (walk) => {
        runWalk(walk, (_d, story) => {
          for (const r of fundingSummary(story.state)) {
            check(r.paidCents <= r.awardedCents, () => `paid > awarded: ${JSON.stringify(r)}`);
            check(r.recoveredCents <= r.paidCents, () => `recovered > paid: ${JSON.stringify(r)}`);
          }
        });
      }),
      { numRuns },
    );
  });

  it('nothing leaves a terminal state', () => {
    fc.assert(
      fc.property(walkArb, (walk) => {
        const story = runWalk(walk, (d, s) => {
          if (isTerminal(d.before.status)) {
            check(!d.result.ok, () => `${d.command.type} accepted in ${d.before.status}`);
            check(s.state === d.before, () => 'state changed after a refusal');
          }
        });
        const final = story.state;
        if (final.status === 'not_submitted' || !isTerminal(final.status)) return;
        const parties = concernedFunders(final);
        for (const type of applicationCommandTypes) {
          const sample = sampleCommand(type, story);
          for (const role of roles) {
            const actor = role === sample.actor.role ? sample.actor : actorOfRole(role);
            const result = decideApplication(sample.command, story.state, meta(actor, sample.at));
            const code = result.ok ? 'accepted' : result.error.code;
            // A funder the application does not concern is turned away before its state is said.
            const stranger = actor.role === 'funder' && !parties.includes(actor.institution ?? '');
            check(
              code === 'TERMINAL_STATE' ||
                code === 'FORBIDDEN_ROLE' ||
                (stranger && code === 'WRONG_INSTITUTION'),
              () => `${type} by ${role}: ${code}`,
            );
          }
        }
      }),
      { numRuns },
    );
  });

  it('evolve folded over the stored events gives the state decide assumed', () => {
    fc.assert(
      fc.property(walkArb, (walk) => {
        const produced: ApplicationEvent[] = [];
        let folded: ApplicationState = initialApplicationState;
        const story = runWalk(walk, (d) => {
          check(
            isDeepStrictEqual(d.before, folded),
            () => `decide saw another state than the fold, before ${d.command.type}`,
          );
          if (d.result.ok) {
            produced.push(...d.result.events);
            folded = d.result.events.reduce(evolveApplication, folded);
          }
        });
        // Through the store: JSON, each event's own schema, then a fold from the start.
        const stored = JSON.parse(JSON.stringify(produced)) as { type: string; data: unknown }[];
        const reread = stored.map(
          (e) => ({ type: e.type, data: definitions.get(e.type)?.parse(e.data) }) as ApplicationEvent,
        );
        check(
          isDeepStrictEqual(reread.reduce(evolveApplication, initialApplicationState), story.state),
          () => 'replay differs',
        );
      }),
      { numRuns },
    );
  });
});
