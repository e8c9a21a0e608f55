// The `campaign-summary` projection: campaigns folded with evolveCampaign, envelopes as their
// events leave them (evolveEnvelope's arithmetic, without holding every reservation in one
// document), and running totals moved by the difference each application event makes to the
// application's figures (from the applications projection's fold). The totals' moves are summed in
// memory and each row written once per batch (flush).
import type { Database } from 'better-sqlite3';
import { evolveCampaign, initialCampaignState, type CampaignState } from '../../../domain/campaign';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import type { Projection } from '../../../infra/projections/projection';
import type { SubmittedState } from '../../../domain/application';
import {
  reachedBeneficiaries,
  retainedKind,
  type ApplicationFacts,
  type FundingLine,
} from '../applications/facts';
import { applicationChangeFor, type FoldedApplication } from '../shared/applicationChange';
import { perDatabase, storedInstant } from '../shared/db';
import {
  applicationEventTypes,
  asApplicationEvent,
  asCampaignEvent,
  asEnvelopeEvent,
  campaignEventTypes,
  envelopeEventTypes,
} from '../shared/events';
import { campaignSummarySchema } from './schema';

const PROJECTION = 'campaign-summary';
/** campaignStreamName: `campaign-<id>`. */
const CAMPAIGN_STREAM_PREFIX = 'campaign-';

const statements = perDatabase((db: Database) => ({
  campaignState: db.prepare<[string], { state: string; revision: number }>(
    'SELECT state, revision FROM campaigns WHERE campaign_id = ?',
  ),
  upsertCampaign: db.prepare(
    `INSERT INTO campaigns (campaign_id, name, year, status, multi_year_target_percent, opens_at, closes_at,
       opened_at, closed_at, state, revision, last_position, updated_at)
     VALUES (@campaignId, @name, @year, @status, @multiYearTargetPercent, @opensAt, @closesAt, @openedAt,
       @closedAt, @state, @revision, @lastPosition, @updatedAt)
     ON CONFLICT (campaign_id) DO UPDATE SET name = excluded.name, year = excluded.year, status = excluded.status,
       multi_year_target_percent = excluded.multi_year_target_percent, opens_at = excluded.opens_at,
       closes_at = excluded.closes_at, opened_at = excluded.opened_at, closed_at = excluded.closed_at,
       state = excluded.state, revision = excluded.revision, last_position = excluded.last_position,
       updated_at = excluded.updated_at`,
  ),
  envelope: db.prepare<[string], { reserved_cents: number; revision: number }>(
    'SELECT reserved_cents, revision FROM campaign_envelopes WHERE stream = ?',
  ),
  openEnvelope: db.prepare(
    `INSERT INTO campaign_envelopes (stream, campaign_id, funder, amount_cents, reserved_cents, revision, last_position)
     VALUES (?, ?, ?, ?, 0, ?, ?)`,
  ),
  adjustEnvelope: db.prepare(
    'UPDATE campaign_envelopes SET amount_cents = ?, revision = ?, last_position = ? WHERE stream = ?',
  ),
  reserveEnvelope: db.prepare(
    'UPDATE campaign_envelopes SET reserved_cents = reserved_cents + ?, revision = ?, last_position = ? WHERE stream = ?',
  ),
  holding: db.prepare<[string, string], { total_cents: number }>(
    'SELECT total_cents FROM campaign_envelope_holdings WHERE stream = ? AND application_id = ?',
  ),
  upsertHolding: db.prepare(
    `INSERT INTO campaign_envelope_holdings (stream, application_id, total_cents) VALUES (?, ?, ?)
     ON CONFLICT (stream, application_id) DO UPDATE SET total_cents = excluded.total_cents`,
  ),
  deleteHolding: db.prepare('DELETE FROM campaign_envelope_holdings WHERE stream = ? AND application_id = ?'),
  addAmounts: db.prepare(
    `INSERT INTO campaign_amounts (campaign_id, dimension, key, year, requested_cents, committed_cents,
       awarded_cents, paid_cents, recovered_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (campaign_id, dimension, key, year) DO UPDATE SET
       requested_cents = requested_cents + excluded.requested_cents,
       committed_cents = committed_cents + excluded.committed_cents,
       awarded_cents = awarded_cents + excluded.awarded_cents,
       paid_cents = paid_cents + excluded.paid_cents,
       recovered_cents = recovered_cents + excluded.recovered_cents`,
  ),
  addCounts: db.prepare(
    `INSERT INTO campaign_counts (campaign_id, dimension, key, applications, expected_beneficiaries,
       reached_beneficiaries) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (campaign_id, dimension, key) DO UPDATE SET
       applications = applications + excluded.applications,
       expected_beneficiaries = expected_beneficiaries + excluded.expected_beneficiaries,
       reached_beneficiaries = reached_beneficiaries + excluded.reached_beneficiaries`,
  ),
}));

// ---- campaigns ----

function applyCampaignEvent(db: Database, event: RecordedEvent): void {
  const campaignEvent = asCampaignEvent(event);
  if (campaignEvent === undefined) return;
  const s = statements(db);
  if (!event.stream.startsWith(CAMPAIGN_STREAM_PREFIX))
    throw new Error(
      `Événement de campagne ${event.type} (${event.id}) hors d'un flux de campagne : ${event.stream}`,
    );
  const campaignId = event.stream.slice(CAMPAIGN_STREAM_PREFIX.length);
  const row = s.campaignState.get(campaignId);
  const before = row === undefined ? initialCampaignState : (JSON.parse(row.state) as CampaignState);
  const state = evolveCampaign(before, campaignEvent);
  if (state.status === 'not_created')
    throw new Error(`Campagne ${campaignId} : ${event.type} la laisse non créée (flux ${event.stream}).`);
  s.upsertCampaign.run({
    campaignId: state.campaignId,
    name: state.name,
    year: state.year,
    status: state.status,
    multiYearTargetPercent: state.multiYearTargetPercent,
    opensAt: storedInstant(state.submissionWindow.opensAt),
    closesAt: storedInstant(state.submissionWindow.closesAt),
    openedAt: state.status === 'draft' || state.openedAt === null ? null : storedInstant(state.openedAt),
    closedAt: state.status === 'closed' ? storedInstant(state.closedAt) : null,
    state: JSON.stringify(state),
    revision: event.revision,
    lastPosition: event.position,
    updatedAt: storedInstant(event.metadata.occurredAt),
  });
}

// ---- envelopes ----

function applyEnvelopeEvent(db: Database, event: RecordedEvent): void {
  const envelopeEvent = asEnvelopeEvent(event);
  if (envelopeEvent === undefined) return;
  const s = statements(db);
  const stream = event.stream;
  if (envelopeEvent.type === 'EnvelopeOpened') {
    const d = envelopeEvent.data;
    s.openEnvelope.run(stream, d.campaignId, d.funder, d.amountCents, event.revision, event.position);
    return;
  }
  if (s.envelope.get(stream) === undefined)
    throw new Error(`Enveloppe ${stream} : ${event.type} (${event.id}) avant son ouverture.`);
  switch (envelopeEvent.type) {
    case 'EnvelopeAdjusted':
      s.adjustEnvelope.run(envelopeEvent.data.amountCents, event.revision, event.position, stream);
      return;
    case 'FundsReserved': {
      // A reservation replaces what the application held (evolveEnvelope).
      const { applicationId, totalCents } = envelopeEvent.data;
      const previous = s.holding.get(stream, applicationId)?.total_cents ?? 0;
      s.upsertHolding.run(stream, applicationId, totalCents);
      s.reserveEnvelope.run(totalCents - previous, event.revision, event.position, stream);
      return;
    }
    case 'FundsReleased': {
      const { applicationId } = envelopeEvent.data;
      const previous = s.holding.get(stream, applicationId)?.total_cents ?? 0;
      s.deleteHolding.run(stream, applicationId);
      s.reserveEnvelope.run(-previous, event.revision, event.position, stream);
      return;
    }
    default: {
      const never: never = envelopeEvent;
      return never;
    }
  }
}

// ---- running totals from application facts ----

type AmountTuple = [number, number, number, number, number];
type CountTuple = [number, number, number];

/** What the running totals read of an application's facts. */
type SummaryFacts = Pick<
  ApplicationFacts,
  | 'campaignId'
  | 'status'
  | 'theme'
  | 'qpvCodes'
  | 'expectedBeneficiaries'
  | 'reachedBeneficiaries'
  | 'funding'
  | 'retainedKind'
>;

/** The same figures as applicationFacts gives, from the fold alone (no queue, no deadline). */
function summaryFactsOf({ state, funding }: FoldedApplication): SummaryFacts {
  const action = state.dossier.action;
  return {
    campaignId: state.campaignId,
    status: state.status,
    theme: action.theme,
    qpvCodes: action.qpvCodes,
    expectedBeneficiaries: action.expectedBeneficiaries,
    reachedBeneficiaries: reachedBeneficiaries(state),
    funding,
    retainedKind: retainedKind(state),
  };
}

/** The parts of the state the counts read besides the funding lines (evolve keeps untouched parts). */
const countsMayDiffer = (a: SubmittedState, b: SubmittedState): boolean =>
  a.status !== b.status ||
  a.dossier !== b.dossier ||
  ('reports' in a ? a.reports : undefined) !== ('reports' in b ? b.reports : undefined) ||
  ('convention' in a ? a.convention : undefined) !== ('convention' in b ? b.convention : undefined);

/**
 * An application's share of the running totals: `dimension \0 key \0 year` → amounts. No 'all'
 * dimension: a campaign's totals are the sum over its funders (each line has one funder).
 */
export function amountContributions(
  f: SummaryFacts,
  lines: readonly FundingLine[] = f.funding,
): Map<string, AmountTuple> {
  const out = new Map<string, AmountTuple>();
  const add = (dimension: string, key: string, year: number, a: AmountTuple) => {
    const k = `${dimension}\0${key}\0${year}`;
    const current = out.get(k);
    if (current === undefined) out.set(k, [...a]);
    else for (let i = 0; i < 5; i++) current[i] = (current[i] ?? 0) + (a[i] ?? 0);
  };
  for (const line of lines) {
    const a: AmountTuple = [
      line.requestedCents,
      line.committedCents,
      line.awardedCents,
      line.paidCents,
      line.recoveredCents,
    ];
    add('funder', line.funder, line.calendarYear, a);
    add('theme', f.theme, line.calendarYear, a);
    for (const qpv of f.qpvCodes) add('qpv', qpv, line.calendarYear, a);
  }
  return out;
}

/**
 * `dimension \0 key` → applications, expected and reached beneficiaries. No 'all' dimension: an
 * application has one status and one theme, so the campaign's counts are sums over either.
 */
export function countContributions(f: SummaryFacts): Map<string, CountTuple> {
  const out = new Map<string, CountTuple>();
  out.set(`status\0${f.status}`, [1, 0, 0]);
  out.set(`theme\0${f.theme}`, [1, f.expectedBeneficiaries, f.reachedBeneficiaries]);
  for (const qpv of f.qpvCodes) out.set(`qpv\0${qpv}`, [1, f.expectedBeneficiaries, f.reachedBeneficiaries]);
  for (const line of f.funding) out.set(`funder\0${line.funder}`, [1, 0, 0]);
  if (f.retainedKind !== null) out.set(`retained\0${f.retainedKind}`, [1, 0, 0]);
  return out;
}

function deltas<T extends number[]>(
  before: Map<string, T> | undefined,
  after: Map<string, T>,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [k, a] of after) {
    const b = before?.get(k);
    const d = a.map((v, i) => v - (b?.[i] ?? 0));
    if (d.some((v) => v !== 0)) out.set(k, d);
  }
  if (before !== undefined)
    for (const [k, b] of before)
      if (!after.has(k) && b.some((v) => v !== 0))
        out.set(
          k,
          b.map((v) => -v),
        );
  return out;
}

/** The lines that changed, as signed differences (the common case: one payment, one position). */
function lineDeltas(before: readonly FundingLine[], after: readonly FundingLine[]): FundingLine[] {
  const aligned = alignedLineDeltas(before, after);
  if (aligned !== undefined) return aligned;
  const key = (l: FundingLine) => `${l.funder}|${l.year}|${l.calendarYear}`;
  const old = new Map(before.map((l) => [key(l), l]));
  const out: FundingLine[] = [];
  const diff = (l: FundingLine, sign: number, base?: FundingLine): FundingLine => ({
    ...l,
    requestedCents: sign * l.requestedCents - (base?.requestedCents ?? 0),
    committedCents: sign * l.committedCents - (base?.committedCents ?? 0),
    awardedCents: sign * l.awardedCents - (base?.awardedCents ?? 0),
    paidCents: sign * l.paidCents - (base?.paidCents ?? 0),
    recoveredCents: sign * l.recoveredCents - (base?.recoveredCents ?? 0),
  });
  for (const line of after) {
    const k = key(line);
    const was = old.get(k);
    old.delete(k);
    const d = diff(line, 1, was);
    if (d.requestedCents || d.committedCents || d.awardedCents || d.paidCents || d.recoveredCents)
      out.push(d);
  }
  for (const gone of old.values()) out.push(diff(gone, -1));
  return out;
}

/**
 * lineDeltas when both lists have the same lines in the same order (fundingSummary's order: almost
 * every event), without keys or maps; undefined otherwise.
 */
function alignedLineDeltas(
  before: readonly FundingLine[],
  after: readonly FundingLine[],
): FundingLine[] | undefined {
  if (before.length !== after.length) return undefined;
  const out: FundingLine[] = [];
  for (let i = 0; i < after.length; i++) {
    const a = after[i]!;
    const b = before[i]!;
    if (a.funder !== b.funder || a.year !== b.year || a.calendarYear !== b.calendarYear) return undefined;
    if (a === b) continue;
    // Every field spelled out: a spread here cost more than the rest of the loop.
    const d: FundingLine = {
      funder: a.funder,
      year: a.year,
      calendarYear: a.calendarYear,
      requestedCents: a.requestedCents - b.requestedCents,
      committedCents: a.committedCents - b.committedCents,
      awardedCents: a.awardedCents - b.awardedCents,
      paidCents: a.paidCents - b.paidCents,
      recoveredCents: a.recoveredCents - b.recoveredCents,
    };
    if (d.requestedCents || d.committedCents || d.awardedCents || d.paidCents || d.recoveredCents)
      out.push(d);
  }
  return out;
}

/**
 * The totals' moves since the last flush, per `campaign \0 dimension \0 key [\0 year]`. Every key an
 * event moved is written at the flush, even when the batch's moves cancel out: a row exists once
 * some event moved it, as when each event wrote its own move, whatever the batches.
 */
interface Moves {
  amounts: Map<string, number[]>;
  counts: Map<string, number[]>;
}

const movesOf = perDatabase((): Moves => ({ amounts: new Map(), counts: new Map() }));

function add(into: Map<string, number[]>, key: string, d: readonly number[]): void {
  const current = into.get(key);
  if (current === undefined) into.set(key, [...d]);
  else for (let i = 0; i < d.length; i++) current[i] = (current[i] ?? 0) + (d[i] ?? 0);
}

function applyApplicationChange(db: Database, event: RecordedEvent): void {
  if (asApplicationEvent(event) === undefined) return;
  const { before, after } = applicationChangeFor(db, event, PROJECTION);
  const moves = movesOf(db);
  const campaignId = after.state.campaignId;
  const amountsChanged =
    before === undefined || before.funding !== after.funding || before.state.dossier !== after.state.dossier;
  const countsChanged = amountsChanged || before === undefined || countsMayDiffer(before.state, after.state);
  if (!countsChanged) return;
  const b = before && summaryFactsOf(before);
  const a = summaryFactsOf(after);
  if (amountsChanged) {
    // Same quartiers and theme: only the lines that changed move the totals.
    const changes =
      b !== undefined && b.qpvCodes === a.qpvCodes && b.theme === a.theme
        ? amountContributions(a, lineDeltas(b.funding, a.funding))
        : deltas(b && amountContributions(b), amountContributions(a));
    for (const [key, d] of changes) add(moves.amounts, `${campaignId}\0${key}`, d);
  }
  if (b !== undefined && sameCountFacts(b, a)) return;
  for (const [key, d] of deltas(b && countContributions(b), countContributions(a)))
    add(moves.counts, `${campaignId}\0${key}`, d);
}

/**
 * Whether two facts give the same countContributions, by cheap comparisons (a payment, a report
 * filed: most events), before building and comparing both maps. False when unsure.
 */
function sameCountFacts(b: SummaryFacts, a: SummaryFacts): boolean {
  if (
    b.status !== a.status ||
    b.theme !== a.theme ||
    b.qpvCodes !== a.qpvCodes ||
    b.expectedBeneficiaries !== a.expectedBeneficiaries ||
    b.reachedBeneficiaries !== a.reachedBeneficiaries ||
    b.retainedKind !== a.retainedKind
  )
    return false;
  if (b.funding === a.funding) return true;
  if (b.funding.length !== a.funding.length) return false;
  for (let i = 0; i < a.funding.length; i++) if (b.funding[i]?.funder !== a.funding[i]?.funder) return false;
  return true;
}

function flushMoves(db: Database): void {
  const moves = movesOf(db);
  const s = statements(db);
  for (const [key, d] of moves.amounts) {
    const [campaignId = '', dimension = '', k = '', year = '0'] = key.split('\0');
    s.addAmounts.run(campaignId, dimension, k, Number(year), ...d);
  }
  for (const [key, d] of moves.counts) {
    const [campaignId = '', dimension = '', k = ''] = key.split('\0');
    s.addCounts.run(campaignId, dimension, k, ...d);
  }
  moves.amounts.clear();
  moves.counts.clear();
}

export const campaignSummaryProjection: Projection = {
  name: PROJECTION,
  version: 1,
  ordering: 'per-stream',
  sums: {
    campaign_amounts: [
      'requested_cents',
      'committed_cents',
      'awarded_cents',
      'paid_cents',
      'recovered_cents',
    ],
    campaign_counts: ['applications', 'expected_beneficiaries', 'reached_beneficiaries'],
  },
  schema: campaignSummarySchema,
  handles: [...applicationEventTypes, ...campaignEventTypes, ...envelopeEventTypes],
  apply(db, event) {
    // Each handler ignores the events of the other aggregates.
    applyApplicationChange(db, event);
    applyCampaignEvent(db, event);
    applyEnvelopeEvent(db, event);
  },
  flush: flushMoves,
  discard(db) {
    const moves = movesOf(db);
    moves.amounts.clear();
    moves.counts.clear();
  },
};
