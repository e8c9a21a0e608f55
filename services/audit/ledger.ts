// The funding ledger: every event that moves or commits money — envelopes voted and adjusted, funds
// reserved and released, funders' commitments, the committee's awards, payments, recoveries, and
// their cancellations — as flat entries in the global order of the log, with who did it and when on
// both clocks. Read straight from the event store (not from a projection), so it is exactly what the
// hash chain protects.
//
// An entry is a movement: its amount is what its event changed, so the entries add up.
// - For an application, the movements are the differences its event makes to the domain's
//   fundingSummary (per funder and convention year: committed, awarded, ordered payments, ordered
//   recoveries), as in the read-model ledger. The entries of one kind for an application and a funder
//   therefore always sum to its fundingSummary: a withdrawal, a rejection or a lapsed convention
//   shows as the cancellation (a negative amount) of what was committed or awarded.
// - For an envelope, a FundsReserved event carries the application's NEW reservation (it replaces
//   the previous one): the entry is the difference from what the application held there, year by
//   year; a release gives back what was held, year by year (negative). Their sum for an envelope is
//   its reservedCents.
// - An envelope's amount is written once, by its own stream: its opening (`envelope_opened`, the
//   amount opened) and each adjustment (`envelope_adjusted`, the new amount minus the old, negative
//   when lowered), both read from the folded envelope. Their sum for an envelope (campaign, funder)
//   is its amountCents. The envelope stream is the authority for that amount: it is the one
//   reservations are checked against (remainingCents), the envelope refuses an adjustment below what
//   is reserved, and the campaign workflow asks it first and records the campaign's
//   FunderEnvelopeAdjusted only once it agreed (a vote, conversely, is recorded before the envelope
//   is opened, and nothing can be reserved until then). Amount, reservations and what remains are
//   then reconciled within one stream and one hash chain. The campaign's vote (CampaignCreated) and
//   adjustment decisions (FunderEnvelopeAdjusted) are the same money seen from the decision: they
//   are kept for information (`envelope_voted`, `envelope_adjustment_decided`) with a null amount,
//   the amount decided spelled out in their reference, so that summing amounts never counts a vote
//   or an adjustment twice.
// - The budget year (`year`) of an entry about convention year k of an application (a commitment,
//   an award, a reservation, a release, a payment, a recovery, a cancelled installment) is the
//   campaign's year + k − 1: fixed at submission (the application's terms, or the envelope's
//   campaign), never re-dated when the convention is drafted. An entry and its cancellation
//   therefore always fall in the same budget year: summed per funder and year, each kind of money
//   (commitments, awards, reservations with releases, payments, recoveries) is never negative. (The
//   read models' per-year campaign figures follow the calendar year the convention year starts in
//   once the convention is drafted; the two differ only for a convention starting in another year
//   than its campaign's.)
// Each entry depends only on the events recorded before it (and its own): every stream is folded with
// the domain's evolve up to that event, so an exported period reads the same whenever it is exported.
import {
  fundingSummary,
  recoveryReasonLabels,
  type ApplicationEvent,
  type ApplicationState,
  type FundingRow,
} from '../../domain/application';
import type { CampaignEvent } from '../../domain/campaign';
import type { EnvelopeEvent, EnvelopeState } from '../../domain/envelope';
import { z } from 'zod';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/port';
import {
  applicationReplay,
  campaignReplay,
  envelopeReplay,
  eventTimeMs,
  ForeignEventError,
  type Replayable,
  type TimeAxis,
} from './asOf';
import { formatFrenchDate, toEpochMs } from '../../domain/calendar';
import { formatEuros } from '../../domain/shared/money';

/** What an entry records; `movementLabels` says it in French. */
export const movements = [
  'envelope_voted',
  'envelope_adjustment_decided',
  'envelope_opened',
  'envelope_adjusted',
  'funds_reserved',
  'funds_released',
  'position_committed',
  'position_declined',
  'position_lapsed',
  'award',
  'payment_ordered',
  'installment_cancelled',
  'recovery_ordered',
] as const;
export type Movement = (typeof movements)[number];

export const movementLabels: Record<Movement, string> = {
  envelope_voted: 'enveloppe votée par la campagne (pour information, sans montant)',
  envelope_adjustment_decided:
    'ajustement d’enveloppe décidé par la campagne (pour information, sans montant)',
  envelope_opened: 'ouverture de l’enveloppe (montant ouvert)',
  envelope_adjusted: 'ajustement de l’enveloppe (variation)',
  funds_reserved: 'réservation sur l’enveloppe (variation)',
  funds_released: 'libération de la réservation',
  position_committed: 'engagement du financeur',
  position_declined: 'refus du financeur',
  position_lapsed: 'silence du financeur (vaut refus)',
  award: 'attribution (comité de pilotage)',
  payment_ordered: 'versement ordonné',
  installment_cancelled: 'échéance annulée (non versée)',
  recovery_ordered: 'reversement ordonné (titre de recette)',
};

export interface LedgerEntry {
  eventId: string;
  position: bigint;
  /** 0-based rank of the entry within its event (an award has one entry per funder and year). */
  line: number;
  stream: string;
  revision: bigint;
  type: string;
  movement: Movement;
  funder: string | null;
  campaign: string | null;
  application: string | null;
  /** Convention year (1–4) the amount belongs to, for amounts given per year. */
  conventionYear: number | null;
  /**
   * Budget year (exercice): the campaign's year for envelope amounts; for convention year k, the
   * campaign's year + k − 1, fixed at submission (never re-dated by the convention's drafting), so
   * that an entry and its cancellation fall in the same year. Null for a refusal or a silence.
   */
  year: number | null;
  /**
   * Euro cents; null for a position without an amount (refusal, silence) and for the campaign's
   * envelope decisions, shown for information (the envelope stream carries their amounts). For an
   * envelope's opening and adjustments, reservations, releases, commitments, awards, payments and
   * recoveries, the signed change the event made (negative: an envelope lowered, a reservation
   * reduced or released, a commitment or an award cancelled), so that their sums are the envelope's
   * amount and what is held, committed, awarded, paid and recovered. A cancelled installment's is
   * what had been scheduled (never paid: it moves nothing).
   */
  amountCents: number | null;
  /** Decision reference, installment id, recovery or release reason: what identifies the movement. */
  reference: string | null;
  occurredAt: string;
  recordedAt: string;
  actorId: string;
  actorRole: string;
  actorInstitution: string | null;
}

/**
 * The event types the ledger reads (the store filters on them, so the rest is never read): every
 * application and envelope event, since their streams are folded to know what each one changed, and
 * the campaign's envelope decisions (shown for information).
 */
export const ledgerEventTypes = [
  ...applicationReplay.eventTypes,
  ...envelopeReplay.eventTypes,
  'CampaignCreated',
  'FunderEnvelopeAdjusted',
] as readonly string[];

const APPLICATION_PREFIX = 'application-';
const CAMPAIGN_PREFIX = 'campaign-';

/** Whether the log holds the campaign's stream: a ledger filter naming another one is a typo. */
export async function campaignInLog(store: EventStore, campaignId: string): Promise<boolean> {
  return (await store.readStream(`${CAMPAIGN_PREFIX}${campaignId}`, { maxCount: 1 })).length > 0;
}

/** What the API (404) and `grants export ledger` (exit 2) say of such a filter. */
export const campaignNotInLog = (campaignId: string): string =>
  `La campagne « ${campaignId} » n’est pas dans le journal (aucun événement).`;
const envelopeStreamPattern =
  /^envelope-(.+)-(ETAT|REGION|DEPARTEMENT|CAF|EPCI|COMMUNE-(?:\d{5}|2[AB]\d{3}))$/;

const applicationIdOf = (stream: string): string | null =>
  stream.startsWith(APPLICATION_PREFIX) ? stream.slice(APPLICATION_PREFIX.length) : null;
const campaignIdOf = (stream: string): string | null =>
  stream.startsWith(CAMPAIGN_PREFIX) ? stream.slice(CAMPAIGN_PREFIX.length) : null;

/** Campaign and funder of an envelope stream (`envelope-<campaign>-<funder>`; funder ids are unambiguous). */
export function envelopeOf(stream: string): { campaign: string; funder: string } | null {
  const match = envelopeStreamPattern.exec(stream);
  return match?.[1] !== undefined && match[2] !== undefined ? { campaign: match[1], funder: match[2] } : null;
}

/** One stream folded up to an event: its state and the revision expected next. */
interface Fold {
  state: unknown;
  next: bigint;
}

const createdPart = z.object({ year: z.number().int() });

/** Events read per request when a fold catches up with its stream (an envelope's may be long). */
const CATCH_UP_PAGE = 1000;

/** Narrows a stored event to the aggregate's union; its data was validated by the store's registry. */
function typed<S, E extends { type: string; data: unknown }>(
  replay: Replayable<S, E>,
  event: RecordedEvent,
): E {
  if (!replay.eventTypes.has(event.type))
    throw new ForeignEventError(event.stream, event.revision, event.type, replay.label);
  return { type: event.type, data: event.data } as E;
}

/** The replay of a stream the ledger folds, by its name. */
function replayOf(stream: string): Replayable<unknown, { type: string; data: unknown }> | undefined {
  if (applicationIdOf(stream) !== null)
    return applicationReplay as Replayable<unknown, { type: string; data: unknown }>;
  if (envelopeOf(stream) !== null)
    return envelopeReplay as Replayable<unknown, { type: string; data: unknown }>;
  return undefined;
}

/**
 * The application and envelope streams folded with the domain's evolve as the log is read, so that
 * each event's entries are computed from the state just before it — never from a later state. Meant
 * to be given every event of `ledgerEventTypes` in global order (entriesOf for those whose entries
 * are wanted, `pass` for the others): a stream met for the first time in the middle of the log (a
 * page read after a position) is read from its start once, then followed. Keeps up to `limit`
 * streams (the least recently used is dropped, and read again if needed): memory grows with the
 * number of applications, never with the number of events.
 */
export class LedgerContext {
  private readonly folds = new Map<string, Fold>();
  private readonly campaignYears = new Map<string, number | null>();

  constructor(
    private readonly store: EventStore,
    private readonly limit = 20_000,
  ) {}

  private remember<V>(map: Map<string, V>, key: string, value: V): V {
    map.delete(key);
    if (map.size >= this.limit) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
    map.set(key, value);
    return value;
  }

  /** The fold of `event`'s stream just before it. */
  async before<S, E extends { type: string; data: unknown }>(
    replay: Replayable<S, E>,
    event: RecordedEvent,
  ): Promise<S> {
    const known = this.folds.get(event.stream);
    if (known?.next === event.revision) return known.state as S;
    // Not followed yet (or out of step): read what is missing, from the fold or from the start.
    const resume = known !== undefined && known.next < event.revision;
    let state = resume ? (known.state as S) : replay.initialState;
    let from = resume ? known.next : 0n;
    while (from < event.revision) {
      const page = await this.store.readStream(event.stream, {
        from,
        maxCount: Number(event.revision - from < CATCH_UP_PAGE ? event.revision - from : CATCH_UP_PAGE),
      });
      const last = page[page.length - 1];
      if (last === undefined) break;
      for (const e of page) if (e.revision < event.revision) state = replay.evolve(state, typed(replay, e));
      from = last.revision + 1n;
    }
    return state;
  }

  /** Follows `event`'s stream from the state after it. */
  keep(event: RecordedEvent, state: unknown): void {
    this.remember(this.folds, event.stream, { state, next: event.revision + 1n });
  }

  /**
   * An event whose entries are not wanted (out of the window, another funder's envelope): folded
   * when its stream is followed or starts there, which costs no read; otherwise left to a later
   * catch-up.
   */
  pass(event: RecordedEvent): void {
    const replay = replayOf(event.stream);
    if (replay === undefined) return;
    const known = this.folds.get(event.stream);
    if (known?.next === event.revision) {
      this.keep(event, replay.evolve(known.state, typed(replay, event)));
    } else if (known === undefined && event.revision === 0n) {
      this.keep(event, replay.evolve(replay.initialState, typed(replay, event)));
    } else if (known !== undefined) {
      this.folds.delete(event.stream);
    }
  }

  async campaignYear(campaignId: string): Promise<number | null> {
    if (this.campaignYears.has(campaignId)) return this.campaignYears.get(campaignId) ?? null;
    const [first] = await this.store.readStream(CAMPAIGN_PREFIX + campaignId, { maxCount: 1, raw: true });
    const parsed = first?.type === 'CampaignCreated' ? createdPart.safeParse(first.data) : undefined;
    return this.remember(this.campaignYears, campaignId, parsed?.success ? parsed.data.year : null);
  }
}

/**
 * The budget year of convention year k: the campaign's year + k − 1, fixed at submission. A
 * convention year's entries and their cancellations thus always fall in the same budget year.
 */
const budgetYearOf = (campaignYear: number | null, conventionYear: number): number | null =>
  campaignYear === null ? null : campaignYear + conventionYear - 1;

type Draft = Pick<
  LedgerEntry,
  'movement' | 'funder' | 'conventionYear' | 'year' | 'amountCents' | 'reference'
> &
  Partial<Pick<LedgerEntry, 'campaign' | 'application'>>;

/** The money measures of fundingSummary and the movement each one's changes are written as, in this order. */
const measures: readonly (readonly [Movement, (row: FundingRow) => number])[] = [
  ['position_committed', (r) => r.committedCents],
  ['award', (r) => r.awardedCents],
  ['payment_ordered', (r) => r.paidCents],
  ['recovery_ordered', (r) => r.recoveredCents],
];

const rowKey = (r: FundingRow): string => `${r.funder}|${r.year}`;

/** The changes an event made to the domain's fundingSummary: kind by kind, funders and years in its order. */
function fundingMovements(
  before: ApplicationState,
  after: ApplicationState,
): { movement: Movement; funder: string; conventionYear: number; amountCents: number }[] {
  const was = new Map(fundingSummary(before).map((r) => [rowKey(r), r]));
  const rows = fundingSummary(after);
  const is = new Map(rows.map((r) => [rowKey(r), r]));
  // Rows the event removed (a funder no longer concerned) count as zero after it.
  const lines = [...rows, ...[...was.values()].filter((r) => !is.has(rowKey(r)))];
  const moves = [];
  for (const [movement, amount] of measures) {
    for (const line of lines) {
      const now = is.get(rowKey(line));
      const then = was.get(rowKey(line));
      const delta = (now === undefined ? 0 : amount(now)) - (then === undefined ? 0 : amount(then));
      if (delta !== 0)
        moves.push({ movement, funder: line.funder, conventionYear: line.year, amountCents: delta });
    }
  }
  return moves;
}

/**
 * What an application event says besides the money it moves: the entries without a movement
 * (a refusal, a silence, a cancelled installment) and the reference its movements carry.
 */
function applicationNotes(event: ApplicationEvent): {
  notes: Omit<Draft, 'year'>[];
  reference: string | null;
} {
  switch (event.type) {
    case 'FunderPositionRecorded': {
      const { funder, position } = event.data;
      // A commitment is identified by the funder's own decision when its position named it.
      return position.decision === 'committed'
        ? { notes: [], reference: position.decisionReference ?? null }
        : {
            notes: [
              {
                movement: 'position_declined',
                funder,
                conventionYear: null,
                amountCents: null,
                reference: position.reason,
              },
            ],
            reference: position.reason,
          };
    }
    case 'SilentFundersLapsed': {
      const reference = `échéance du ${formatFrenchDate(event.data.dueDate)}`;
      return {
        notes: event.data.funders.map((funder) => ({
          movement: 'position_lapsed',
          funder,
          conventionYear: null,
          amountCents: null,
          reference,
        })),
        reference,
      };
    }
    case 'CommitteeApprovalRecorded':
    case 'CommitteeRejectionRecorded':
      return { notes: [], reference: event.data.decisionReference };
    case 'PaymentOrdered':
      return { notes: [], reference: event.data.installmentId };
    case 'InstallmentCancelled':
      return {
        notes: [
          {
            movement: 'installment_cancelled',
            funder: event.data.funder,
            conventionYear: event.data.year,
            amountCents: event.data.scheduledCents,
            reference: event.data.installmentId,
          },
        ],
        reference: event.data.installmentId,
      };
    case 'RecoveryOrdered':
      return { notes: [], reference: `reversement : ${recoveryReasonLabels[event.data.reason]}` };
    case 'ConventionLapsed':
      return {
        notes: [],
        reference: `convention caduque : signatures attendues jusqu’au ${formatFrenchDate(event.data.signatureDueDate)}`,
      };
    case 'ApplicationWithdrawn':
      return {
        notes: [],
        reference:
          event.data.reason === undefined
            ? 'candidature retirée'
            : `candidature retirée : ${event.data.reason}`,
      };
    case 'ConventionTerminated':
      return { notes: [], reference: `convention résiliée : ${event.data.comment}` };
    // Listed one by one rather than under a default, so that a new event type is a decision here.
    case 'ApplicationSubmitted':
    case 'ApplicationDeclaredEligible':
    case 'ApplicationDeclaredIneligible':
    case 'ComplementsRequested':
    case 'ComplementsProvided':
    case 'ComplementsDeadlineMissed':
    case 'CitizenOpinionGiven':
    case 'ConventionDrafted':
    case 'ConventionSigned':
    case 'ConventionEnteredIntoForce':
    case 'YearlyReportRequested':
    case 'YearlyReportReminderSent':
    case 'YearlyReportMarkedOverdue':
    case 'YearlyReportSubmitted':
    case 'YearlyReportChangesRequested':
    case 'YearlyReportAccepted':
    case 'ApplicationClosed':
      return { notes: [], reference: null };
    default: {
      const never: never = event;
      return never;
    }
  }
}

async function applicationDrafts(
  recorded: RecordedEvent,
  context: LedgerContext,
): Promise<{ campaign: string | null; drafts: Draft[] }> {
  const event = typed(applicationReplay, recorded);
  const before = await context.before(applicationReplay, recorded);
  const after = applicationReplay.evolve(before, event);
  context.keep(recorded, after);
  // The campaign's year, in the terms frozen at submission: every later event of the stream has it.
  const campaignYear = after.status === 'not_submitted' ? null : after.terms.campaignYear;
  const { notes, reference } = applicationNotes(event);
  const drafts: Draft[] = [
    ...notes.map((n) => ({
      ...n,
      year: n.conventionYear === null ? null : budgetYearOf(campaignYear, n.conventionYear),
    })),
    ...fundingMovements(before, after).map((m) => ({
      ...m,
      year: budgetYearOf(campaignYear, m.conventionYear),
      reference,
    })),
  ];
  return { campaign: after.status === 'not_submitted' ? null : after.campaignId, drafts };
}

/** An envelope's amount in a folded state (none before it is opened). */
const envelopeAmountOf = (state: EnvelopeState): number => (state.status === 'open' ? state.amountCents : 0);

async function envelopeDrafts(
  recorded: RecordedEvent,
  context: LedgerContext,
  envelope: { campaign: string; funder: string },
): Promise<Draft[]> {
  const event: EnvelopeEvent = typed(envelopeReplay, recorded);
  const before: EnvelopeState = await context.before(envelopeReplay, recorded);
  const after = envelopeReplay.evolve(before, event);
  context.keep(recorded, after);
  const { funder } = envelope;
  switch (event.type) {
    // The envelope's amount as it changed, from the fold (not from the event's previousCents): what
    // the envelope held before and after, so that the entries sum to its amountCents.
    case 'EnvelopeOpened':
      return [
        {
          movement: 'envelope_opened',
          funder: event.data.funder,
          campaign: event.data.campaignId,
          conventionYear: null,
          year: await context.campaignYear(event.data.campaignId),
          amountCents: envelopeAmountOf(after) - envelopeAmountOf(before),
          reference: null,
        },
      ];
    case 'EnvelopeAdjusted':
      return [
        {
          movement: 'envelope_adjusted',
          funder,
          conventionYear: null,
          year: await context.campaignYear(envelope.campaign),
          amountCents: envelopeAmountOf(after) - envelopeAmountOf(before),
          reference: event.data.reason,
        },
      ];
    case 'FundsReserved':
    case 'FundsReleased': {
      const { applicationId } = event.data;
      const held = new Map(
        (before.status === 'open' ? (before.reservations.get(applicationId)?.amountsByYear ?? []) : []).map(
          (a) => [a.year, a.amountCents],
        ),
      );
      // A reservation replaces what the application held, year by year; a release gives it all back.
      const wanted = new Map(
        event.type === 'FundsReserved' ? event.data.amountsByYear.map((a) => [a.year, a.amountCents]) : [],
      );
      const movement: Movement = event.type === 'FundsReserved' ? 'funds_reserved' : 'funds_released';
      const reference = event.type === 'FundsReleased' ? event.data.reason : null;
      const conventionYears = [...new Set([...held.keys(), ...wanted.keys()])].sort((a, b) => a - b);
      const changes = conventionYears
        .map((year) => ({ year, delta: (wanted.get(year) ?? 0) - (held.get(year) ?? 0) }))
        .filter((c) => c.delta !== 0);
      if (changes.length === 0) return [];
      // The envelope's campaign is the application's: the same budget years as its commitments.
      const campaignYear = await context.campaignYear(envelope.campaign);
      return changes.map((c) => ({
        movement,
        funder,
        application: applicationId,
        conventionYear: c.year,
        year: budgetYearOf(campaignYear, c.year),
        amountCents: c.delta,
        reference,
      }));
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * The campaign's envelope decisions, for information: the envelope stream carries their amounts
 * (envelope_opened, envelope_adjusted), so these carry none — the amount decided is in the reference.
 */
async function campaignDrafts(recorded: RecordedEvent, context: LedgerContext): Promise<Draft[]> {
  const event: CampaignEvent = typed(campaignReplay, recorded);
  switch (event.type) {
    case 'CampaignCreated':
      return event.data.funders.map((f) => ({
        movement: 'envelope_voted',
        funder: f.funder,
        campaign: event.data.campaignId,
        conventionYear: null,
        year: event.data.year,
        amountCents: null,
        reference: `montant voté : ${formatEuros(f.envelopeCents)}`,
      }));
    case 'FunderEnvelopeAdjusted': {
      const campaign = campaignIdOf(recorded.stream);
      const { amountCents, previousCents, reason } = event.data;
      return [
        {
          movement: 'envelope_adjustment_decided',
          funder: event.data.funder,
          conventionYear: null,
          year: campaign === null ? null : await context.campaignYear(campaign),
          amountCents: null,
          reference: `${reason} (montant décidé : ${formatEuros(amountCents)}, auparavant ${formatEuros(previousCents)})`,
        },
      ];
    }
    // The window's opening and closing move no money.
    case 'CampaignOpened':
    case 'CampaignClosed':
      return [];
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * The entries of one event (none for events that move no money). The context must have been given
 * the log's earlier events (see LedgerContext): the entries are computed from the state before this
 * one.
 */
export async function entriesOf(recorded: RecordedEvent, context: LedgerContext): Promise<LedgerEntry[]> {
  const applicationId = applicationIdOf(recorded.stream);
  const envelope = envelopeOf(recorded.stream);
  let campaign: string | null;
  let drafts: Draft[];
  if (applicationId !== null) {
    ({ campaign, drafts } = await applicationDrafts(recorded, context));
  } else if (envelope !== null) {
    campaign = envelope.campaign;
    drafts = await envelopeDrafts(recorded, context, envelope);
  } else if (campaignIdOf(recorded.stream) !== null) {
    campaign = campaignIdOf(recorded.stream);
    drafts = await campaignDrafts(recorded, context);
  } else {
    return [];
  }
  const { actor } = recorded.metadata;
  return drafts.map((draft, line) => ({
    eventId: recorded.id,
    position: recorded.position,
    line,
    stream: recorded.stream,
    revision: recorded.revision,
    type: recorded.type,
    movement: draft.movement,
    funder: draft.funder,
    campaign: draft.campaign ?? campaign,
    application: draft.application ?? applicationId,
    conventionYear: draft.conventionYear,
    year: draft.year,
    amountCents: draft.amountCents,
    reference: draft.reference,
    occurredAt: recorded.metadata.occurredAt,
    recordedAt: recorded.metadata.recordedAt,
    actorId: actor.id,
    actorRole: actor.role,
    actorInstitution: actor.institution ?? null,
  }));
}

export interface LedgerFilter {
  /** Inclusive bounds, ISO instants, on the `time` clock. */
  from?: string;
  to?: string;
  /** Default 'business'. */
  time?: TimeAxis;
  funder?: string;
  campaign?: string;
}

export interface LedgerQuery extends LedgerFilter {
  /** Read events strictly after this global position. */
  after?: bigint;
}

interface CompiledFilter {
  fromMs: number;
  toMs: number;
  time: TimeAxis;
  funder: string | undefined;
  campaign: string | undefined;
}

const compile = (filter: LedgerFilter): CompiledFilter => ({
  fromMs: filter.from === undefined ? Number.NEGATIVE_INFINITY : toEpochMs(filter.from),
  toMs: filter.to === undefined ? Number.POSITIVE_INFINITY : toEpochMs(filter.to),
  time: filter.time ?? 'business',
  funder: filter.funder,
  campaign: filter.campaign,
});

/** An envelope or campaign stream whose name already says it is out of the filter. */
function cannotMatch(stream: string, f: CompiledFilter): boolean {
  const envelope = envelopeOf(stream);
  if (envelope !== null)
    return (
      (f.funder !== undefined && envelope.funder !== f.funder) ||
      (f.campaign !== undefined && envelope.campaign !== f.campaign)
    );
  const campaign = campaignIdOf(stream);
  return campaign !== null && f.campaign !== undefined && campaign !== f.campaign;
}

async function matching(
  event: RecordedEvent,
  context: LedgerContext,
  f: CompiledFilter,
): Promise<LedgerEntry[]> {
  // The clock and the stream's name first: an event whose entries cannot match is only folded when
  // that costs no read (its stream is followed), never looked up.
  const t = eventTimeMs(event, f.time);
  if (t < f.fromMs || t > f.toMs || cannotMatch(event.stream, f)) {
    context.pass(event);
    return [];
  }
  const entries = await entriesOf(event, context);
  return entries.filter(
    (e) =>
      (f.funder === undefined || e.funder === f.funder) &&
      (f.campaign === undefined || e.campaign === f.campaign),
  );
}

const readLedgerEvents = (store: EventStore, after: bigint | undefined) =>
  store.readAll({ after: after ?? 'start', filter: { eventTypes: [...ledgerEventTypes] } });

/** Every matching entry, in global order, streamed page by page from the store. */
export async function* ledgerEntries(
  store: EventStore,
  query: LedgerQuery = {},
): AsyncGenerator<LedgerEntry> {
  const context = new LedgerContext(store);
  const filter = compile(query);
  for await (const event of readLedgerEvents(store, query.after)) {
    yield* await matching(event, context, filter);
  }
}

export interface LedgerPage {
  entries: LedgerEntry[];
  /** Pass as `after` for the next page; null once the head of the log was reached. */
  next: bigint | null;
  /**
   * The position of the last ledger event read (the other events are not read, so not necessarily
   * the head); none read: `after` as given. Where to resume for later entries.
   */
  lastPosition: bigint | null;
  /** Events read for this page. */
  scanned: number;
}

export interface LedgerPageOptions {
  /** Entries wanted (default 200). A page ends on an event boundary, so it may hold a few more. */
  limit?: number;
  /** Events read at most per page (default 10 000), so a narrow filter cannot make one request scan the whole log. */
  maxScan?: number;
}

/** One page of entries after a global position. */
export async function ledgerPage(
  store: EventStore,
  query: LedgerQuery,
  options: LedgerPageOptions = {},
): Promise<LedgerPage> {
  const limit = options.limit ?? 200;
  const maxScan = options.maxScan ?? 10_000;
  const context = new LedgerContext(store);
  const filter = compile(query);
  const entries: LedgerEntry[] = [];
  let scanned = 0;
  let lastPosition: bigint | null = query.after ?? null;
  for await (const event of readLedgerEvents(store, query.after)) {
    scanned += 1;
    lastPosition = event.position;
    entries.push(...(await matching(event, context, filter)));
    if (entries.length >= limit || scanned >= maxScan)
      return { entries, next: event.position, lastPosition, scanned };
  }
  return { entries, next: null, lastPosition, scanned };
}
