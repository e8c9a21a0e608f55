// A large, realistic grants history for the benchmarks, written by the real deciders into a real
// SQLite event store: yearly campaigns (their funders' envelopes opened and drawn on), and
// applications driven step by step through decideApplication by the domain's Story builder, the
// envelope reservations kept in step the way workflows/application/workflow.ts keeps them
// (reserve before the application's events, release after). Nothing is written by hand: every
// payload comes out of a decider and is validated again by the store's registry on append.
//
// Time passes as it does for real campaigns: the steps of every campaign are merged into one
// timeline (all submissions of a campaign, then all eligibility rulings…), so events of many
// applications and campaigns interleave in the global order. Past campaigns run to their end (or to
// the bench's "today"); in the current one each application stops at some step, giving the mix of
// statuses a live campaign has (under review, co-decision, approved, in signature, in force…).
import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import {
  campaignDeadlines,
  campaignStreamName,
  decideCampaign,
  evolveCampaign,
  initialCampaignState,
  toCampaignSnapshot,
  type CampaignCommand,
  type CampaignState,
} from '../../domain/campaign';
import {
  decideEnvelope,
  envelopeStreamName,
  evolveEnvelope,
  initialEnvelopeState,
  type EnvelopeCommand,
  type EnvelopeState,
} from '../../domain/envelope';
import {
  applicationStreamName,
  expectedReservations,
  isTerminal,
  type ApplicationCommand,
  type ApplicationEvent,
  type ApplicationState,
  type Dossier,
  type YearAmount,
} from '../../domain/application';
import { compareInstants, parisInstant } from '../../domain/calendar';
import type { Actor, FunderId } from '../../domain/shared';
import type { EventStore, NewEvent } from '../../infra/eventstore/port';
import { actors, campaign2027, dossier, MAUBEUGE, meta, QPV } from '../../test/domain/support/fixtures';
import { Story } from '../../test/domain/support/story';

export interface GenerateOptions {
  /** An empty store (opened with a clock reading `recordClock`, see below). */
  store: EventStore;
  applications: number;
  campaigns: number;
  /** The bench's "today" (Paris date): nothing after it is played. */
  today: string;
  /** Set by the generator before each flush: the record time the store should stamp. */
  recordClock: { now: Date };
  onProgress?: (progress: { step: string; events: number }) => void;
}

export interface CampaignInfo {
  campaignId: string;
  year: number;
  applications: number;
}

export interface GeneratedHistory {
  events: number;
  appendCalls: number;
  campaigns: CampaignInfo[];
  /** The campaign still in progress (mixed statuses). */
  currentCampaignId: string;
  /** Applications per final status, for the report. */
  statuses: Record<string, number>;
}

const system: Actor = actors.system;

/** The funders of every campaign (five institutions and one commune). */
const FUNDERS: FunderId[] = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI', MAUBEUGE];
const THEMES = ['1.1', '1.3', '1.4', '1.5a', '2.1', '3.2'] as const;

type Outcome =
  | 'cpo'
  | 'annual'
  | 'late-report'
  | 'withdrawn'
  | 'ineligible'
  | 'partial'
  | 'rejected'
  | 'lapsed'
  | 'terminated';

/** One in twenty of each rare outcome; most files end in a convention. */
const OUTCOMES: readonly Outcome[] = [
  'cpo',
  'annual',
  'cpo',
  'late-report',
  'cpo',
  'withdrawn',
  'annual',
  'ineligible',
  'cpo',
  'partial',
  'cpo',
  'rejected',
  'annual',
  'lapsed',
  'cpo',
  'ineligible',
  'annual',
  'partial',
  'late-report',
  'terminated',
];

/**
 * Where an application of the current campaign stops (index of its last step), in percent of files:
 * under review 8, co-decision just opened 20, with positions 17, with the council's opinion 10,
 * approved 10, in signature 10, then to the end (in force, or its terminal outcome) 25.
 */
const CURRENT_STOPS: readonly { lastStep: number; percent: number }[] = [
  { lastStep: 0, percent: 8 },
  { lastStep: 1, percent: 20 },
  { lastStep: 3, percent: 17 },
  { lastStep: 4, percent: 10 },
  { lastStep: 5, percent: 10 },
  { lastStep: 6, percent: 10 },
  { lastStep: Number.POSITIVE_INFINITY, percent: 25 },
];

function lastStepFor(i: number): number {
  // A spread of the index that does not follow the outcome cycle (i mod 20).
  let draw = (i * 37 + 11) % 100;
  for (const stop of CURRENT_STOPS) {
    if (draw < stop.percent) return stop.lastStep;
    draw -= stop.percent;
  }
  return Number.POSITIVE_INFINITY;
}

function requestedFor(i: number): Partial<Record<FunderId, number>> {
  const base = 200_000 + (i % 7) * 50_000;
  switch (i % 4) {
    case 0:
      return { ETAT: base, REGION: base / 2 };
    case 1:
      return { ETAT: base, [MAUBEUGE]: base / 2, CAF: 100_000 };
    case 2:
      return { ETAT: base, DEPARTEMENT: base / 2 };
    default:
      return { EPCI: base, CAF: 100_000 };
  }
}

interface PendingEvent {
  stream: string;
  event: NewEvent;
}

/** Who writes: the workflow (its id is its stream) and the step (correlation = causation = command). */
interface Writer {
  workflowId: string;
  runId: string;
  commandId: string;
}

const portActor = (actor: Actor): NewEvent['metadata']['actor'] => ({
  id: actor.id,
  role: actor.role,
  ...(actor.institution === undefined ? {} : { institution: actor.institution }),
});

class History {
  readonly campaigns = new Map<string, CampaignState>();
  private readonly campaignRuns = new Map<string, string>();
  private readonly envelopes = new Map<string, EnvelopeState>();
  private readonly revisions = new Map<string, bigint>();
  private pending: PendingEvent[] = [];
  events = 0;
  appendCalls = 0;

  record(stream: string, type: string, data: unknown, actor: Actor, at: string, writer: Writer): void {
    this.pending.push({
      stream,
      event: {
        id: randomUUID(),
        type,
        data,
        metadata: {
          correlationId: writer.commandId,
          causationId: writer.commandId,
          actor: portActor(actor),
          occurredAt: at,
          workflowId: writer.workflowId,
          runId: writer.runId,
        },
      },
    });
  }

  campaignCommand(campaignId: string, command: CampaignCommand, actor: Actor, at: string): void {
    const stream = campaignStreamName(campaignId);
    const runId = this.campaignRuns.get(campaignId) ?? randomUUID();
    this.campaignRuns.set(campaignId, runId);
    const writer: Writer = { workflowId: stream, runId, commandId: randomUUID() };
    const state = this.campaigns.get(campaignId) ?? initialCampaignState;
    const result = decideCampaign(command, state, meta(actor, at));
    if (!result.ok) throw new Error(`${command.type} refusée : ${result.error.message}`);
    let next = state;
    for (const e of result.events) {
      this.record(stream, e.type, e.data, actor, at, writer);
      next = evolveCampaign(next, e);
    }
    this.campaigns.set(campaignId, next);
    // The campaign workflow opens each funder's envelope once the campaign is recorded.
    for (const e of result.events) {
      if (e.type !== 'CampaignCreated') continue;
      for (const f of e.data.funders)
        this.envelopeCommand(
          campaignId,
          f.funder,
          { type: 'OpenEnvelope', campaignId, funder: f.funder, amountCents: f.envelopeCents },
          system,
          at,
          writer,
        );
    }
  }

  /** Fires the campaign's timers (window opening and closing) due by `instant`, in order. */
  advanceCampaign(campaignId: string, instant: string): void {
    for (;;) {
      const state = this.campaigns.get(campaignId) ?? initialCampaignState;
      const next = campaignDeadlines(state)[0];
      if (next === undefined || compareInstants(next.dueAt, instant) > 0) return;
      this.campaignCommand(campaignId, next.command, system, next.dueAt);
    }
  }

  envelopeCommand(
    campaignId: string,
    funder: FunderId,
    command: EnvelopeCommand,
    actor: Actor,
    at: string,
    writer: Writer,
  ): void {
    const stream = envelopeStreamName(campaignId, funder);
    const state = this.envelopes.get(stream) ?? initialEnvelopeState;
    const result = decideEnvelope(command, state, meta(actor, at));
    if (!result.ok) throw new Error(`${command.type} refusée sur ${stream} : ${result.error.message}`);
    let next = state;
    for (const e of result.events) {
      this.record(stream, e.type, e.data, actor, at, writer);
      next = evolveEnvelope(next, e);
    }
    this.envelopes.set(stream, next);
  }

  /** An application's events with the envelope steps its workflow takes around them. */
  applicationEvents(
    app: PlayedApplication,
    before: ApplicationState,
    events: ApplicationEvent[],
    actor: Actor,
    after: ApplicationState,
  ): void {
    const writer: Writer = { workflowId: app.stream, runId: app.runId, commandId: randomUUID() };
    const held = reservationsByFunder(before);
    for (const { funder, amountsByYear } of expectedReservations(after)) {
      if (sameAmounts(held.get(funder), amountsByYear)) continue;
      this.envelopeCommand(
        app.campaignId,
        funder,
        { type: 'ReserveFunds', funder, applicationId: app.applicationId, amountsByYear },
        actor,
        app.now,
        writer,
      );
    }
    for (const e of events) this.record(app.stream, e.type, e.data, actor, app.now, writer);
    const kept = reservationsByFunder(after);
    for (const funder of held.keys()) {
      if (kept.has(funder)) continue;
      this.envelopeCommand(
        app.campaignId,
        funder,
        { type: 'ReleaseFunds', applicationId: app.applicationId, reason: `Candidature ${after.status}` },
        system,
        app.now,
        writer,
      );
    }
  }

  /** Appends what is pending, one append per run of events of the same stream, at exact revisions. */
  async flush(store: EventStore): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    let i = 0;
    while (i < pending.length) {
      const stream = pending[i]!.stream;
      const batch: NewEvent[] = [];
      while (i < pending.length && pending[i]!.stream === stream) batch.push(pending[i++]!.event);
      const result = await store.append(stream, batch, {
        expectedRevision: this.revisions.get(stream) ?? 'no_stream',
      });
      this.revisions.set(stream, result.nextExpectedRevision);
      this.events += batch.length;
      this.appendCalls += 1;
    }
  }
}

function reservationsByFunder(state: ApplicationState): Map<string, YearAmount[]> {
  return new Map(expectedReservations(state).map((r) => [r.funder, r.amountsByYear]));
}

function sameAmounts(a: YearAmount[] | undefined, b: YearAmount[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  const key = (list: YearAmount[]) =>
    [...list]
      .sort((x, y) => x.year - y.year)
      .map((l) => `${l.year}:${l.amountCents}`)
      .join(',');
  return key(a) === key(b);
}

/** The domain's Story, recording into the history, for any application, porteur and campaign. */
class PlayedApplication extends Story {
  readonly applicationId = ulid();
  readonly stream = applicationStreamName(this.applicationId);
  readonly runId = randomUUID();
  private actor: Actor = system;

  constructor(
    private readonly history: History,
    readonly campaignId: string,
    readonly porteur: Actor,
    readonly outcome: Outcome,
    readonly dossier: Dossier,
    /** Index of the last step played; Infinity: every step up to today. */
    readonly lastStep: number,
    /** Business time before the first step (the campaign's creation). */
    start: string,
  ) {
    super(start);
  }

  override do(command: ApplicationCommand, actor: Actor): ApplicationEvent[] {
    // The Story's steps act as the fixtures' porteur: here the application's own porteur acts.
    this.actor = actor.role === 'porteur' ? this.porteur : actor;
    return super.do(command, this.actor);
  }

  override apply(events: ApplicationEvent[]): void {
    const before = this.state;
    super.apply(events);
    this.history.applicationEvents(this, before, events, this.actor, this.state);
    // The history is in the store once flushed: keeping every event in memory would cost gigabytes.
    this.events.length = 0;
  }

  submitTo(campaign: CampaignState): this {
    const snapshot = toCampaignSnapshot(campaign);
    if (snapshot === undefined) throw new Error(`campagne ${this.campaignId} inconnue`);
    this.do(
      {
        type: 'SubmitApplication',
        applicationId: this.applicationId,
        campaign: snapshot,
        dossier: this.dossier,
      },
      this.porteur,
    );
    return this;
  }
}

/** One step of every application of a campaign; false when the file ends there. */
interface Step {
  /** Years after the campaign's and Paris month-day: [0, '02-10'] is 10 February of the campaign year. */
  on: readonly [number, string];
  step: (app: PlayedApplication, year: number, history: History) => boolean;
}

/** Spent per funder: a quarter of what year 1 awarded, less than its advance: a recovery follows. */
function quarterSpent(app: PlayedApplication): Partial<Record<FunderId, number>> {
  const plan = app.as('in_force').award.plan.filter((l) => l.year === 1);
  return Object.fromEntries(plan.map((l) => [l.funder, Math.floor(l.amountCents / 4)]));
}

const STEPS: readonly Step[] = [
  {
    on: [0, '02-10'],
    step: (app, _year, history) => {
      const campaign = history.campaigns.get(app.campaignId);
      if (campaign === undefined) throw new Error(`campagne ${app.campaignId} non créée`);
      app.submitTo(campaign);
      return true;
    },
  },
  {
    on: [0, '02-20'],
    step: (app, year) => {
      if (app.outcome === 'ineligible') return (app.declareIneligible(), false);
      if (app.outcome === 'partial') app.requestComplements();
      else app.declareEligible(`${year}-04-10`);
      return true;
    },
  },
  {
    on: [0, '03-01'],
    step: (app, year) => {
      if (app.outcome === 'partial') app.provideComplements().declareEligible(`${year}-04-10`);
      return true;
    },
  },
  {
    on: [0, '03-15'],
    step: (app) => {
      const [first, ...others] = app.as('co_decision').coDecision.solicitedFunders;
      if (app.outcome === 'rejected') {
        if (first) app.decline(first);
        return true;
      }
      if (app.outcome === 'partial') {
        if (first) app.commit(first, 60);
        for (const f of others) app.decline(f);
      } else app.commitAll();
      return true;
    },
  },
  {
    on: [0, '03-20'],
    step: (app) => {
      if (app.outcome === 'withdrawn') return (app.withdraw(), false);
      app.opinion(app.outcome === 'rejected' ? 'unfavourable' : 'favourable');
      return true;
    },
  },
  {
    // After the co-decision due date: silent funders (the rejected ones') have lapsed.
    on: [0, '04-15'],
    step: (app) => {
      if (app.outcome === 'rejected') return (app.reject(), false);
      app.approve();
      return true;
    },
  },
  { on: [0, '04-20'], step: (app, year) => (app.draft(`${year}-01-01`, `${year}-05-31`), true) },
  {
    on: [0, '05-02'],
    step: (app) => {
      // Left unsigned, the convention lapses at its due date (a timer, fired on the next step).
      if (app.outcome !== 'lapsed') app.signAll();
      return true;
    },
  },
  // Year 1 ends on 31 December: the report is requested by the timer, then filed.
  {
    on: [1, '02-01'],
    step: (app) => {
      if (app.outcome !== 'late-report') app.submitReport(1);
      return true;
    },
  },
  {
    on: [1, '07-15'],
    step: (app) => {
      if (app.outcome === 'late-report') app.submitReport(1, quarterSpent(app));
      return true;
    },
  },
  {
    on: [1, '07-20'],
    step: (app) => {
      app.acceptReport(1);
      if (app.outcome === 'terminated') return (app.terminate(), false);
      if (app.state.status === 'in_force' && app.state.dossier.durationYears === 1)
        return (app.close(), false);
      return true;
    },
  },
  { on: [2, '02-01'], step: (app) => (app.submitReport(2), true) },
  { on: [2, '02-20'], step: (app) => (app.acceptReport(2).close(), false) },
];

interface Slot {
  at: string;
  date: string;
  campaign: number;
  step: number;
}

/**
 * Plays the history into the store. The store should stamp record times from `recordClock` (the
 * business time of the step being flushed), so record time follows business time as in production.
 */
export async function generateGrantsHistory(options: GenerateOptions): Promise<GeneratedHistory> {
  const { store, today, recordClock } = options;
  const history = new History();
  const todayYear = Number(today.slice(0, 4));
  const campaignCount = Math.max(1, options.campaigns);
  const campaigns: CampaignInfo[] = Array.from({ length: campaignCount }, (_, c) => {
    const year = todayYear - campaignCount + 1 + c;
    const share = Math.floor(options.applications / campaignCount);
    const applications = c === campaignCount - 1 ? options.applications - share * (campaignCount - 1) : share;
    return { campaignId: `CDV-CAMVS-${year}`, year, applications };
  });
  const current = campaigns[campaigns.length - 1]!;
  const porteurs = Math.max(1, Math.floor(options.applications / 4));

  const flush = async (at: string, step: string) => {
    recordClock.now = new Date(at);
    await history.flush(store);
    options.onProgress?.({ step, events: history.events });
  };

  // Campaigns are created early in their year; their windows open and close by timer.
  const played: (PlayedApplication | undefined)[][] = [];
  let n = 0;
  for (const campaign of campaigns) {
    const { campaignId, year } = campaign;
    const createdAt = parisInstant(`${year}-01-05`, '09:00');
    history.campaignCommand(
      campaignId,
      {
        type: 'CreateCampaign',
        campaignId,
        year,
        name: `AMI Contrat de ville CAMVS ${year}`,
        submissionWindow: {
          opensAt: parisInstant(`${year}-01-15`, '09:00'),
          closesAt: parisInstant(`${year}-03-31`, '23:59'),
        },
        themes: campaign2027.themes,
        // Generous envelopes: the bench is about volume, not about files refused for want of credits.
        funders: FUNDERS.map((funder) => ({ funder, envelopeCents: campaign.applications * 2_000_000 })),
        maxDurationYears: 4,
        publicShareCapPercent: 80,
        multiYearTargetPercent: 50,
        territory: { name: 'CA Maubeuge Val de Sambre', qpvCodes: QPV, qpvReferenceVersion: 'sample' },
      },
      actors.grantManager,
      createdAt,
    );
    await flush(createdAt, `campagne ${campaignId} créée`);
    played.push(
      Array.from({ length: campaign.applications }, () => {
        const i = n++;
        const outcome = OUTCOMES[i % OUTCOMES.length] ?? 'cpo';
        const d = dossier(outcome === 'annual' ? 1 : 2, requestedFor(i));
        d.action.title = `Action ${i} — ${d.action.title}`;
        d.action.theme = THEMES[i % THEMES.length] ?? '1.1';
        d.action.qpvCodes = [QPV[i % QPV.length] ?? '', QPV[(i + 3) % QPV.length] ?? ''].filter(
          (code, k, all) => code !== '' && all.indexOf(code) === k,
        );
        const porteurId = `porteur-${i % porteurs}`;
        return new PlayedApplication(
          history,
          campaignId,
          { id: `user-${porteurId}`, role: 'porteur', porteurId },
          outcome,
          d,
          campaign === current ? lastStepFor(i) : Number.POSITIVE_INFINITY,
          createdAt,
        );
      }),
    );
  }

  const slots: Slot[] = campaigns
    .flatMap((campaign, c) =>
      STEPS.map((s, step) => {
        const date = `${campaign.year + s.on[0]}-${s.on[1]}`;
        return { at: parisInstant(date, '10:00'), date, campaign: c, step };
      }),
    )
    .filter((slot) => slot.date <= today)
    .sort((a, b) => compareInstants(a.at, b.at) || a.campaign - b.campaign);

  // A file that has ended (or, in the current campaign, stopped at its step) is counted and dropped:
  // keeping 100,000 folded states to the end would cost gigabytes.
  const statuses: Record<string, number> = {};
  const retire = (apps: (PlayedApplication | undefined)[], k: number, app: PlayedApplication) => {
    statuses[app.state.status] = (statuses[app.state.status] ?? 0) + 1;
    apps[k] = undefined;
  };
  for (const slot of slots) {
    const campaign = campaigns[slot.campaign]!;
    for (const c of campaigns) history.advanceCampaign(c.campaignId, slot.at);
    const apps = played[slot.campaign]!;
    const step = STEPS[slot.step]!;
    for (const [k, app] of apps.entries()) {
      if (app === undefined) continue;
      if (slot.step > app.lastStep) {
        retire(apps, k, app);
        continue;
      }
      app.on(slot.date);
      // A timer (lapse of an unsigned convention…) may have ended the file on the way.
      if (app.state.status !== 'not_submitted' && isTerminal(app.state.status)) {
        retire(apps, k, app);
        continue;
      }
      if (!step.step(app, campaign.year, history)) retire(apps, k, app);
    }
    await flush(slot.at, `${campaign.campaignId} étape ${slot.step + 1}/${STEPS.length} (${slot.date})`);
  }

  // Up to today, the timers of the files still running fire (payments ordered, reports requested…);
  // the current campaign's files stopped at a step stay as they are, waiting on someone.
  const end = parisInstant(today, '18:00');
  for (const c of campaigns) history.advanceCampaign(c.campaignId, end);
  for (const apps of played)
    for (const [k, app] of apps.entries()) {
      if (app === undefined) continue;
      if (app.lastStep === Number.POSITIVE_INFINITY) app.on(today, '18:00');
      retire(apps, k, app);
    }
  await flush(end, "jusqu'à aujourd'hui");

  return {
    events: history.events,
    appendCalls: history.appendCalls,
    campaigns,
    currentCampaignId: current.campaignId,
    statuses,
  };
}
