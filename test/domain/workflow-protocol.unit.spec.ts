// The cross-aggregate invariant "never overspend", with the protocol the workflow follows: reserve
// in the funder's envelope before recording its commitment (dry-running the application's decide
// first), then bring every envelope in line with expectedReservations after each step.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  decideApplication,
  envelopeDecider,
  evolveEnvelope,
  expectedReservations,
  initialEnvelopeState,
  type EnvelopeCommand,
  type EnvelopeState,
} from '../../domain';
import { actors, APPLICATION_ID, MAUBEUGE, meta } from './support/fixtures';
import { runWalk, walkArb } from './support/walk';

const funders = ['ETAT', 'REGION', MAUBEUGE] as const;

describe('envelope reservations driven by an application', () => {
  it('never reserve beyond the envelope, and follow the application to its end', () => {
    fc.assert(
      fc.property(walkArb, fc.array(fc.nat(6_000_000), { minLength: 3, maxLength: 3 }), (walk, amounts) => {
        const envelopes = new Map<string, EnvelopeState>(
          funders.map((funder, i) => [
            funder,
            evolveEnvelope(initialEnvelopeState, {
              type: 'EnvelopeOpened',
              data: { campaignId: '2027', funder, amountCents: (amounts[i] ?? 0) + 1 },
            }),
          ]),
        );
        const send = (funder: string, command: EnvelopeCommand, at: string): boolean => {
          const state = envelopes.get(funder) ?? initialEnvelopeState;
          const result = envelopeDecider.decide(command, state, meta(actors.system, at));
          if (result.ok) envelopes.set(funder, result.events.reduce(evolveEnvelope, state));
          return result.ok;
        };
        const check = () => {
          for (const [funder, e] of envelopes) {
            if (e.status !== 'open' || e.reservedCents > e.amountCents)
              throw new Error(`${funder} : réservé au-delà de l'enveloppe`);
          }
        };
        let lastSynced = '[]';
        runWalk(
          walk,
          (d, story) => {
            if (!d.result.ok) return;
            // Sync: what the application holds should be exactly what the envelopes hold.
            const expected = expectedReservations(story.state);
            const signature = JSON.stringify(expected);
            if (signature === lastSynced) return;
            lastSynced = signature;
            for (const funder of funders) {
              const wanted = expected.find((r) => r.funder === funder);
              const ok = wanted
                ? send(
                    funder,
                    {
                      type: 'ReserveFunds',
                      funder,
                      applicationId: APPLICATION_ID,
                      amountsByYear: wanted.amountsByYear,
                    },
                    d.at,
                  )
                : send(
                    funder,
                    { type: 'ReleaseFunds', applicationId: APPLICATION_ID, reason: story.state.status },
                    d.at,
                  );
              if (!ok)
                throw new Error(`synchronisation refusée pour ${funder} au statut ${story.state.status}`);
            }
            check();
          },
          {
            beforeSend: (sample, story) => {
              const c = sample.command;
              if (c.type !== 'RecordFunderPosition' || c.position.decision !== 'committed') return true;
              // Dry run first: only a commitment decide accepts is worth reserving for.
              if (!decideApplication(c, story.state, meta(sample.actor, sample.at)).ok) return true;
              return send(
                c.funder,
                {
                  type: 'ReserveFunds',
                  funder: c.funder,
                  applicationId: APPLICATION_ID,
                  amountsByYear: c.position.amountsByYear,
                },
                sample.at,
              );
            },
          },
        );
        check();
      }),
      { numRuns: 1000 },
    );
  });
});
