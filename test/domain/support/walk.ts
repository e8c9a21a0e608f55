// Random lives of an application for property tests: each step lets time pass (firing the timers
// that fall due, as the workflow would) and sends one command — usually one allowedCommands
// offers, with random amounts (some beyond what the rules accept), sometimes any command from any
// role. Decisions are recorded so properties can check what decide assumed and produced.
import fc from 'fast-check';
import {
  allowedApplicationCommands,
  compareInstants,
  fromEpochMs,
  roles,
  toEpochMs,
  applicationCommandTypes,
  type Actor,
  type ApplicationCommand,
  type ApplicationEvent,
  type ApplicationState,
  type Result,
} from '../../../domain';
import { actors, APPLICATION_ID, campaign2027, dossier, MAUBEUGE } from './fixtures';
import { actorOfRole, sampleCommand, type Sample } from './samples';
import { Story } from './story';

export interface Step {
  pick: number;
  /** 0–120: a percentage for amounts (above 100 asks for more than allowed). */
  share: number;
  flags: number;
  days: number;
}

export interface Walk {
  years: number;
  requested: { ETAT: number; REGION: number; COMMUNE: number };
  steps: Step[];
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  pick: fc.nat(1000),
  share: fc.oneof({ weight: 4, arbitrary: fc.constant(100) }, { weight: 6, arbitrary: fc.nat(120) }),
  flags: fc.nat(99),
  // Mostly a few days, sometimes months: long waits let deadlines pass, but end lives early.
  days: fc.oneof({ weight: 8, arbitrary: fc.nat(3) }, { weight: 2, arbitrary: fc.nat(90) }),
});

export const walkArb: fc.Arbitrary<Walk> = fc.record({
  years: fc.integer({ min: 1, max: 4 }),
  requested: fc.record({
    ETAT: fc.integer({ min: 0, max: 30_000 }).map((e) => e * 100),
    REGION: fc.integer({ min: 0, max: 20_000 }).map((e) => e * 100),
    COMMUNE: fc.integer({ min: 1, max: 10_000 }).map((e) => e * 100),
  }),
  steps: fc.array(stepArb, { minLength: 10, maxLength: 60 }),
});

export interface Decision {
  command: ApplicationCommand;
  actor: Actor;
  at: string;
  before: ApplicationState;
  result: Result<ApplicationEvent>;
}

const destructive = new Set([
  'WithdrawApplication',
  'DeclareIneligible',
  'RecordCommitteeRejection',
  'TerminateConvention',
]);

const percentOf = (amount: number, share: number) => Math.floor((amount * share) / 100);

/** Like sampleCommand, with random amounts where amounts matter. */
function randomized(sample: Sample, story: Story, step: Step): Sample {
  const s = story.state;
  const c = sample.command;
  if (c.type === 'RecordFunderPosition') {
    if (s.status !== 'co_decision') return sample;
    const funder = s.coDecision.solicitedFunders[step.pick % s.coDecision.solicitedFunders.length] ?? 'ETAT';
    const actor = actors.funder(funder);
    if (step.flags < 15)
      return {
        ...sample,
        actor,
        command: { ...c, funder, position: { decision: 'declined', reason: 'Non prioritaire' } },
      };
    const amountsByYear = s.dossier.budget.map((b) => ({
      year: b.year,
      amountCents: percentOf(b.requested.find((r) => r.funder === funder)?.amountCents ?? 0, step.share),
    }));
    return {
      ...sample,
      actor,
      command: { ...c, funder, position: { decision: 'committed', amountsByYear } },
    };
  }
  if (c.type === 'RecordCommitteeApproval') {
    const plan = c.plan
      .map((p) => ({ ...p, amountCents: percentOf(p.amountCents, step.share) }))
      .filter((p) => p.amountCents > 0);
    return { ...sample, command: { ...c, plan: plan.length > 0 ? plan : c.plan } };
  }
  if (c.type === 'SubmitYearlyReport') {
    const spentByFunder = c.spentByFunder.map((x) => ({
      ...x,
      amountCents: percentOf(x.amountCents, step.share),
    }));
    return { ...sample, command: { ...c, spentByFunder } };
  }
  if (c.type === 'DraftConvention') {
    const startDate = `${story.today.slice(0, 7)}-01`;
    return { ...sample, command: { ...c, startDate, signatureDueDate: story.inDays(5 + (step.pick % 40)) } };
  }
  if (c.type === 'TerminateConvention' && step.flags % 2 === 1 && s.status === 'in_force') {
    const justified = s.award.plan.map((p) => ({
      funder: p.funder,
      year: p.year,
      amountCents: percentOf(p.amountCents, step.share),
    }));
    return { ...sample, command: { ...c, justified } };
  }
  return sample;
}

export interface WalkHooks {
  /** Called before a command is sent; returning false drops it (e.g. the envelope refused). */
  beforeSend?: (sample: Sample, story: Story) => boolean;
}

export function runWalk(
  walk: Walk,
  onDecision: (d: Decision, story: Story) => void = () => undefined,
  hooks: WalkHooks = {},
): Story {
  const story = new Story();
  const send = (sample: Sample) => {
    if (hooks.beforeSend && !hooks.beforeSend(sample, story)) return;
    const before = story.state;
    const result = story.try(sample.command, sample.actor, sample.at);
    if (compareInstants(sample.at, story.now) > 0) story.now = sample.at;
    if (result.ok) story.apply(result.events);
    onDecision({ command: sample.command, actor: sample.actor, at: sample.at, before, result }, story);
  };
  const fireNext = (): boolean => {
    const next = story.deadlines()[0];
    if (!next) return false;
    send({
      command: next.command,
      actor: actors.system,
      at: compareInstants(next.dueAt, story.now) > 0 ? next.dueAt : story.now,
    });
    return true;
  };

  const requested = {
    ETAT: walk.requested.ETAT,
    REGION: walk.requested.REGION,
    [MAUBEUGE]: walk.requested.COMMUNE,
  };
  send({
    command: {
      type: 'SubmitApplication',
      applicationId: APPLICATION_ID,
      campaign: campaign2027,
      dossier: dossier(walk.years, requested),
    },
    actor: actors.porteur,
    at: story.now,
  });

  for (const step of walk.steps) {
    // Time passes; timers that fall due fire first, in order.
    const target = fromEpochMs(toEpochMs(story.now) + step.days * 86_400_000);
    for (
      let next = story.deadlines()[0];
      next && compareInstants(next.dueAt, target) <= 0;
      next = story.deadlines()[0]
    ) {
      if (!fireNext()) break;
    }
    if (compareInstants(target, story.now) > 0) story.now = target;

    if (step.flags >= 90) {
      // Noise: any command from any role — but destructive ones never from their own role, so
      // noise probes refusals without ending most lives early.
      const type = applicationCommandTypes[step.pick % applicationCommandTypes.length] ?? 'SubmitApplication';
      const sample = randomized(sampleCommand(type, story), story, step);
      const candidates = roles.filter((r) => !destructive.has(type) || r !== sample.actor.role);
      const role = candidates[step.share % candidates.length] ?? 'auditor';
      send({ ...sample, actor: role === sample.actor.role ? sample.actor : actorOfRole(role) });
      continue;
    }
    const offered = allowedApplicationCommands(story.state).filter(
      (a) => !a.roles.every((r) => r === 'system'),
    );
    const constructive = offered.filter((a) => !destructive.has(a.type));
    const pool = constructive.length > 0 && step.flags % 40 !== 0 ? constructive : offered;
    const chosen = pool[step.pick % Math.max(pool.length, 1)];
    if (!chosen || (constructive.length === 0 && step.flags % 40 !== 0)) {
      fireNext();
      continue;
    }
    send(randomized(sampleCommand(chosen.type, story), story, step));
  }
  return story;
}
