// The funding ledger: every event that moves or commits money — envelopes voted and adjusted, funds
// reserved and released, funders' positions, the committee's awards, payments, cancelled
// installments, recoveries — as flat entries in the global order of the log, with who did it and
// when on both clocks. Read straight from the event store (not from a projection), so it is exactly
// what the hash chain protects.
import {
  applicationEventDefinitions,
  conventionYearSchema,
  type ApplicationEvent,
  type ConventionYear,
} from '../../domain/application';
import { campaignEventDefinitions, type CampaignEvent } from '../../domain/campaign';
import { envelopeEventDefinitions, type EnvelopeEvent } from '../../domain/envelope';
import { z } from 'zod';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/port';
import { eventTimeMs, type TimeAxis } from './asOf';
import { toEpochMs } from '../../domain/calendar';

/** What an entry records; `movementLabels` says it in French. */
export const movements = [
  'envelope_voted',
  'envelope_adjusted',
  'envelope_opened',
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
  envelope_voted: 'enveloppe votée (campagne)',
  envelope_adjusted: 'enveloppe ajustée',
  envelope_opened: 'enveloppe ouverte (suivi des réservations)',
  funds_reserved: 'réservation sur l’enveloppe',
  funds_released: 'libération de la réservation',
  position_committed: 'engagement du financeur',
  position_declined: 'refus du financeur',
  position_lapsed: 'silence du financeur (vaut refus)',
  award: 'attribution (comité de pilotage)',
  payment_ordered: 'versement ordonné',
  installment_cancelled: 'échéance annulée',
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
   * Budget year: the campaign's year for envelope amounts; for a convention year, the calendar year
   * in which it starts, once the convention is drafted (null before).
   */
  year: number | null;
  /** Euro cents; null for a position without an amount (refusal, silence). */
  amountCents: number | null;
  /** Decision reference, installment id, recovery or release reason: what identifies the movement. */
  reference: string | null;
  occurredAt: string;
  recordedAt: string;
  actorId: string;
  actorRole: string;
  actorInstitution: string | null;
}

type DomainEvent = ApplicationEvent | CampaignEvent | EnvelopeEvent;

const domainEventTypes: ReadonlySet<string> = new Set(
  [...applicationEventDefinitions, ...campaignEventDefinitions, ...envelopeEventDefinitions].map(
    (d) => d.type,
  ),
);

/** The event types that can yield entries: the store filters on them, so the rest is never read. */
export const ledgerEventTypes = [
  'CampaignCreated',
  'FunderEnvelopeAdjusted',
  'EnvelopeOpened',
  'EnvelopeAdjusted',
  'FundsReserved',
  'FundsReleased',
  'FunderPositionRecorded',
  'SilentFundersLapsed',
  'CommitteeApprovalRecorded',
  'PaymentOrdered',
  'InstallmentCancelled',
  'RecoveryOrdered',
] as const satisfies readonly DomainEvent['type'][];

const APPLICATION_PREFIX = 'application-';
const CAMPAIGN_PREFIX = 'campaign-';
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

interface ApplicationContext {
  campaign: string | null;
  years: ConventionYear[] | null;
}

const submittedPart = z.object({ campaignId: z.string() });
const draftedPart = z.object({ years: z.array(conventionYearSchema) });
const createdPart = z.object({ year: z.number().int() });

/**
 * What entries need beyond their own event: an application's campaign and convention years, a
 * campaign's year. Looked up in the stream the first time (so a page read from the middle of the log
 * is as complete as a full scan) and kept, up to `limit` streams — memory grows with the number of
 * applications, never with the number of events.
 */
export class LedgerContext {
  private readonly applications = new Map<string, ApplicationContext>();
  private readonly campaignYears = new Map<string, number | null>();

  constructor(
    private readonly store: EventStore,
    private readonly limit = 20_000,
  ) {}

  private remember<V>(map: Map<string, V>, key: string, value: V): V {
    if (map.size >= this.limit) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
    map.set(key, value);
    return value;
  }

  async application(applicationId: string): Promise<ApplicationContext> {
    const known = this.applications.get(applicationId);
    if (known) return known;
    const context: ApplicationContext = { campaign: null, years: null };
    // Raw: the two fields read here are the same in every schema version, and an old event that no
    // longer decodes elsewhere in the stream must not stop the ledger.
    for (const event of await this.store.readStream(APPLICATION_PREFIX + applicationId, { raw: true })) {
      if (event.type === 'ApplicationSubmitted') {
        const parsed = submittedPart.safeParse(event.data);
        if (parsed.success) context.campaign = parsed.data.campaignId;
      } else if (event.type === 'ConventionDrafted') {
        const parsed = draftedPart.safeParse(event.data);
        if (parsed.success) context.years = parsed.data.years;
      }
    }
    return this.remember(this.applications, applicationId, context);
  }

  async campaignYear(campaignId: string): Promise<number | null> {
    if (this.campaignYears.has(campaignId)) return this.campaignYears.get(campaignId) ?? null;
    const [first] = await this.store.readStream(CAMPAIGN_PREFIX + campaignId, { maxCount: 1, raw: true });
    const parsed = first?.type === 'CampaignCreated' ? createdPart.safeParse(first.data) : undefined;
    return this.remember(this.campaignYears, campaignId, parsed?.success ? parsed.data.year : null);
  }
}

const calendarYearOf = (years: ConventionYear[] | null, conventionYear: number): number | null => {
  const start = years?.find((y) => y.year === conventionYear)?.startDate;
  return start === undefined ? null : Number(start.slice(0, 4));
};

type Draft = Pick<
  LedgerEntry,
  'movement' | 'funder' | 'conventionYear' | 'year' | 'amountCents' | 'reference'
> &
  Partial<Pick<LedgerEntry, 'campaign' | 'application'>>;

/** The entries of one event (none for events that move no money). */
export async function entriesOf(recorded: RecordedEvent, context: LedgerContext): Promise<LedgerEntry[]> {
  if (!domainEventTypes.has(recorded.type)) return [];
  // The store's registry validated the data against this type's schema on read.
  const event = { type: recorded.type, data: recorded.data } as DomainEvent;
  const applicationId = applicationIdOf(recorded.stream);
  const envelope = envelopeOf(recorded.stream);
  const application = applicationId === null ? null : await context.application(applicationId);
  const campaign = application?.campaign ?? envelope?.campaign ?? campaignIdOf(recorded.stream);
  const years = application?.years ?? null;
  const perYear = (conventionYear: number) => ({
    conventionYear,
    year: calendarYearOf(years, conventionYear),
  });
  const campaignYear = async (id: string | null) => (id === null ? null : context.campaignYear(id));

  let drafts: Draft[];
  switch (event.type) {
    case 'CampaignCreated':
      drafts = event.data.funders.map((f) => ({
        movement: 'envelope_voted',
        funder: f.funder,
        campaign: event.data.campaignId,
        conventionYear: null,
        year: event.data.year,
        amountCents: f.envelopeCents,
        reference: null,
      }));
      break;
    case 'FunderEnvelopeAdjusted':
      drafts = [
        {
          movement: 'envelope_adjusted',
          funder: event.data.funder,
          conventionYear: null,
          year: await campaignYear(campaign),
          amountCents: event.data.amountCents,
          reference: event.data.reason,
        },
      ];
      break;
    case 'EnvelopeOpened':
      drafts = [
        {
          movement: 'envelope_opened',
          funder: event.data.funder,
          campaign: event.data.campaignId,
          conventionYear: null,
          year: await campaignYear(event.data.campaignId),
          amountCents: event.data.amountCents,
          reference: null,
        },
      ];
      break;
    case 'EnvelopeAdjusted':
      drafts = [
        {
          movement: 'envelope_adjusted',
          funder: envelope?.funder ?? null,
          conventionYear: null,
          year: await campaignYear(campaign),
          amountCents: event.data.amountCents,
          reference: event.data.reason,
        },
      ];
      break;
    case 'FundsReserved': {
      const reserved = await context.application(event.data.applicationId);
      drafts = event.data.amountsByYear.map((a) => ({
        movement: 'funds_reserved',
        funder: envelope?.funder ?? null,
        application: event.data.applicationId,
        conventionYear: a.year,
        year: calendarYearOf(reserved.years, a.year),
        amountCents: a.amountCents,
        reference: null,
      }));
      break;
    }
    case 'FundsReleased':
      drafts = [
        {
          movement: 'funds_released',
          funder: envelope?.funder ?? null,
          application: event.data.applicationId,
          conventionYear: null,
          year: null,
          amountCents: event.data.amountCents,
          reference: event.data.reason,
        },
      ];
      break;
    case 'FunderPositionRecorded': {
      const { funder, position } = event.data;
      drafts =
        position.decision === 'committed'
          ? position.amountsByYear.map((a) => ({
              movement: 'position_committed',
              funder,
              ...perYear(a.year),
              amountCents: a.amountCents,
              reference: null,
            }))
          : [
              {
                movement: 'position_declined',
                funder,
                conventionYear: null,
                year: null,
                amountCents: null,
                reference: position.reason,
              },
            ];
      break;
    }
    case 'SilentFundersLapsed':
      drafts = event.data.funders.map((funder) => ({
        movement: 'position_lapsed',
        funder,
        conventionYear: null,
        year: null,
        amountCents: null,
        reference: `échéance du ${event.data.dueDate}`,
      }));
      break;
    case 'CommitteeApprovalRecorded':
      drafts = event.data.plan.map((line) => ({
        movement: 'award',
        funder: line.funder,
        ...perYear(line.year),
        amountCents: line.amountCents,
        reference: event.data.decisionReference,
      }));
      break;
    case 'PaymentOrdered':
      drafts = [
        {
          movement: 'payment_ordered',
          funder: event.data.funder,
          ...perYear(event.data.year),
          amountCents: event.data.amountCents,
          reference: event.data.installmentId,
        },
      ];
      break;
    case 'InstallmentCancelled':
      drafts = [
        {
          movement: 'installment_cancelled',
          funder: event.data.funder,
          ...perYear(event.data.year),
          amountCents: event.data.scheduledCents,
          reference: event.data.installmentId,
        },
      ];
      break;
    case 'RecoveryOrdered':
      drafts = [
        {
          movement: 'recovery_ordered',
          funder: event.data.funder,
          ...perYear(event.data.year),
          amountCents: event.data.amountCents,
          reference: event.data.reason,
        },
      ];
      break;
    // Listed one by one rather than under a default, so that a new event type is a decision here.
    case 'CampaignOpened':
    case 'CampaignClosed':
    case 'ApplicationSubmitted':
    case 'ApplicationDeclaredEligible':
    case 'ApplicationDeclaredIneligible':
    case 'ComplementsRequested':
    case 'ComplementsProvided':
    case 'ComplementsDeadlineMissed':
    case 'CitizenOpinionGiven':
    case 'CommitteeRejectionRecorded':
    case 'ConventionDrafted':
    case 'ConventionSigned':
    case 'ConventionEnteredIntoForce':
    case 'ConventionLapsed':
    case 'YearlyReportRequested':
    case 'YearlyReportReminderSent':
    case 'YearlyReportMarkedOverdue':
    case 'YearlyReportSubmitted':
    case 'YearlyReportChangesRequested':
    case 'YearlyReportAccepted':
    case 'ApplicationClosed':
    case 'ConventionTerminated':
    case 'ApplicationWithdrawn':
      drafts = [];
      break;
    default: {
      const never: never = event;
      return never;
    }
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

async function matching(
  event: RecordedEvent,
  context: LedgerContext,
  f: CompiledFilter,
): Promise<LedgerEntry[]> {
  // The clock first: an event out of the window costs no stream look-up.
  const t = eventTimeMs(event, f.time);
  if (t < f.fromMs || t > f.toMs) return [];
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
  /** The last position read (the head when `next` is null): where to resume for later events. */
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
