// A campaign's worth of applications played in waves, the way time passes for a real campaign: all
// submissions, then all eligibility rulings, then co-decision… so the events of many applications
// interleave in the global order, as they do in a real store.
import type { FunderId } from '../../../domain/shared';
import { dossier, MAUBEUGE, QPV } from '../../domain/support/fixtures';
import type { ApplicationStory, GrantsWorld } from './world';

export type Outcome = 'cpo' | 'annual' | 'late-report' | 'withdrawn' | 'ineligible' | 'rejected' | 'partial';

const OUTCOMES: readonly Outcome[] = [
  'cpo',
  'cpo',
  'annual',
  'late-report',
  'cpo',
  'withdrawn',
  'ineligible',
  'partial',
  'rejected',
  'annual',
];

const THEMES = ['1.1', '1.3', '1.4', '1.5a', '2.1', '3.2'] as const;

interface Planned {
  story: ApplicationStory;
  outcome: Outcome;
  /** False once the story has reached its end. */
  alive: boolean;
}

/** Steps per phase; a step returns false when the story ends there. */
type Phase = { on: string; time?: string; step: (p: Planned) => boolean };

function requestedFor(i: number): Partial<Record<FunderId, number>> {
  const base = 200_000 + (i % 7) * 50_000;
  return i % 3 === 0 ? { ETAT: base, REGION: base / 2 } : { ETAT: base, [MAUBEUGE]: base / 2, CAF: 100_000 };
}

export interface PlayOptions {
  /** Porteurs the applications are spread over (default: one for three applications). */
  porteurs?: number;
  /** How many phases application i goes through (default: all, to its end): a campaign in progress. */
  phases?: (i: number) => number;
}

export function playCampaign(world: GrantsWorld, count: number, options: PlayOptions = {}): Planned[] {
  const porteurs = options.porteurs ?? Math.max(1, Math.floor(count / 3));
  const planned: Planned[] = Array.from({ length: count }, (_, i) => {
    const outcome = OUTCOMES[i % OUTCOMES.length] ?? 'cpo';
    const story = world.application({ porteurId: `porteur-${i % porteurs}` });
    const d = dossier(outcome === 'annual' ? 1 : 2, requestedFor(i));
    d.action.title = `Action ${i} — ${d.action.title}`;
    d.action.theme = THEMES[i % THEMES.length] ?? '1.1';
    d.action.qpvCodes = [QPV[i % QPV.length] ?? '', QPV[(i + 3) % QPV.length] ?? ''].filter(
      (c, k, all) => c !== '' && all.indexOf(c) === k,
    );
    story.pendingDossier = d;
    return { story, outcome, alive: true };
  });

  const phases: Phase[] = [
    { on: '2027-02-10', step: (p) => (p.story.submit(p.story.pendingDossier), true) },
    {
      on: '2027-02-20',
      step: (p) => {
        if (p.outcome === 'ineligible') return (p.story.declareIneligible(), false);
        if (p.outcome === 'partial') p.story.requestComplements();
        else p.story.declareEligible('2027-04-10');
        return true;
      },
    },
    {
      on: '2027-03-01',
      step: (p) => {
        if (p.outcome === 'partial') p.story.provideComplements().declareEligible('2027-04-10');
        return true;
      },
    },
    {
      on: '2027-03-15',
      step: (p) => {
        if (p.outcome === 'rejected') {
          const first = p.story.as('co_decision').coDecision.solicitedFunders[0];
          if (first) p.story.decline(first);
          return true;
        }
        if (p.outcome === 'partial') {
          const [first, ...others] = p.story.as('co_decision').coDecision.solicitedFunders;
          if (first) p.story.commit(first, 60);
          for (const f of others) p.story.decline(f);
        } else p.story.commitAll();
        return true;
      },
    },
    {
      on: '2027-03-20',
      step: (p) => {
        if (p.outcome === 'withdrawn') return (p.story.withdraw(), false);
        p.story.opinion(p.outcome === 'rejected' ? 'unfavourable' : 'favourable');
        return true;
      },
    },
    {
      // After the co-decision due date: silent funders (the rejected ones) have lapsed.
      on: '2027-04-15',
      step: (p) => {
        if (p.outcome === 'rejected') return (p.story.reject(), false);
        p.story.approve();
        return true;
      },
    },
    { on: '2027-04-20', step: (p) => (p.story.draft('2027-01-01', '2027-05-31'), true) },
    { on: '2027-05-02', step: (p) => (p.story.signAll(), true) },
    // Year 1 ends on 31 December: the report is requested by the timer, then filed.
    {
      on: '2028-02-01',
      step: (p) => {
        if (p.outcome !== 'late-report') p.story.submitReport(1);
        return true;
      },
    },
    {
      on: '2028-07-15',
      step: (p) => {
        if (p.outcome === 'late-report') p.story.submitReport(1, quarterSpent(p.story));
        return true;
      },
    },
    {
      on: '2028-07-20',
      step: (p) => {
        p.story.acceptReport(1);
        if (p.outcome === 'annual') return (p.story.close(), false);
        return true;
      },
    },
    { on: '2029-02-01', step: (p) => (p.story.submitReport(2), true) },
    { on: '2029-02-20', step: (p) => (p.story.acceptReport(2).close(), false) },
  ];

  const reach = planned.map((_, i) => options.phases?.(i) ?? phases.length);
  for (const [index, phase] of phases.entries()) {
    for (const [i, p] of planned.entries()) {
      if (!p.alive || index >= (reach[i] ?? 0)) continue;
      p.story.on(phase.on, phase.time);
      p.alive = phase.step(p);
    }
  }
  return planned;
}

/** Spent per funder: a quarter of what year 1 awarded, less than its advance: a recovery follows. */
function quarterSpent(story: ApplicationStory): Partial<Record<FunderId, number>> {
  const plan = story.as('in_force').award.plan.filter((l) => l.year === 1);
  return Object.fromEntries(plan.map((l) => [l.funder, Math.floor(l.amountCents / 4)]));
}
