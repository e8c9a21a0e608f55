// The `campaign-summary` projection: campaigns folded with evolveCampaign, envelopes as their
// events leave them (evolveEnvelope's arithmetic, without holding every reservation in one
// document), and running totals: the sum over the campaign's applications of what each one's facts
// contribute. At each flush, every application the applications projection wrote moves the totals
// by the difference between its facts then and as the tables held them; each row is written once
// per batch, and a row back to zero goes, so the tables are the sums over the applications as they
// are, whatever the batches (a rebuild writes each application once, with nothing before).
import type { Database } from 'better-sqlite3';
import { evolveCampaign, initialCampaignState, type CampaignState } from '../../../domain/campaign';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import type { Projection } from '../../../infra/projections/projection';
import type { ApplicationFacts } from '../applications/facts';
import { readsFlushedApplications, takeFlushedApplications } from '../shared/applicationChange';
import { perDatabase, storedInstant } from '../shared/db';
import { asCampaignEvent, asEnvelopeEvent, campaignEventTypes, envelopeEventTypes } from '../shared/events';
import { campaignSummarySchema } from './schema';

const PROJECTION = 'campaign-summary';
readsFlushedApplications(PROJECTION);
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
  // A row back to zero goes: the tables then depend on the applications as they are, not on how
  // their events were batched (the queries only sum them).
  dropEmptyAmounts: db.prepare(
    `DELETE FROM campaign_amounts WHERE campaign_id = ? AND dimension = ? AND key = ? AND year = ?
       AND requested_cents = 0 AND committed_cents = 0 AND awarded_cents = 0 AND paid_cents = 0
       AND recovered_cents = 0`,
  ),
  dropEmptyCounts: db.prepare(
    `DELETE FROM campaign_counts WHERE campaign_id = ? AND dimension = ? AND key = ?
       AND applications = 0 AND expected_beneficiaries = 0 AND reached_beneficiaries = 0`,
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

/**
 * What apply() keeps of the envelopes between flushes, written once at the flush: a rebuild replays
 * an envelope's thousands of reservations in a row, which would otherwise be four statements each.
 */
const envelopeMemoryOf = perDatabase(() => ({
  /** Envelopes known to be open: in the table, or opened in this batch (kept until a discard). */
  open: new Set<string>(),
  /** Envelopes opened in this batch: none of their holdings can be in the table yet. */
  openedInBatch: new Set<string>(),
  /** By envelope: what the batch's reservations and releases moved, and its latest event. */
  moves: new Map<string, { reservedCents: number; revision: bigint; position: bigint }>(),
  /** By `stream \0 application`: what the table holds, and what the events so far leave. */
  holdings: new Map<string, Holding>(),
  /** The batch is written (or rolled back): what it touched goes. */
  endBatch() {
    this.openedInBatch.clear();
    this.moves.clear();
    this.holdings.clear();
  },
}));

type EnvelopeMemory = ReturnType<typeof envelopeMemoryOf>;

/** An application's holding on one envelope (undefined: none). */
interface Holding {
  stream: string;
  applicationId: string;
  /** As the table holds it: the flush writes the difference. */
  stored: number | undefined;
  /** As the events so far leave it. */
  totalCents: number | undefined;
}

function holdingOf(db: Database, memory: EnvelopeMemory, stream: string, applicationId: string): Holding {
  const key = `${stream}\0${applicationId}`;
  let holding = memory.holdings.get(key);
  if (holding === undefined) {
    const stored = memory.openedInBatch.has(stream)
      ? undefined
      : statements(db).holding.get(stream, applicationId)?.total_cents;
    holding = { stream, applicationId, stored, totalCents: stored };
    memory.holdings.set(key, holding);
  }
  return holding;
}

/** The envelope's reserved amount moves by `cents`; its revision and position become the event's. */
function moveReserved(memory: EnvelopeMemory, event: RecordedEvent, cents: number): void {
  const moved = memory.moves.get(event.stream);
  if (moved === undefined)
    memory.moves.set(event.stream, {
      reservedCents: cents,
      revision: event.revision,
      position: event.position,
    });
  else {
    moved.reservedCents += cents;
    moved.revision = event.revision;
    moved.position = event.position;
  }
}

function applyEnvelopeEvent(db: Database, event: RecordedEvent): void {
  const envelopeEvent = asEnvelopeEvent(event);
  if (envelopeEvent === undefined) return;
  const s = statements(db);
  const memory = envelopeMemoryOf(db);
  const stream = event.stream;
  if (envelopeEvent.type === 'EnvelopeOpened') {
    const d = envelopeEvent.data;
    s.openEnvelope.run(stream, d.campaignId, d.funder, d.amountCents, event.revision, event.position);
    memory.open.add(stream);
    memory.openedInBatch.add(stream);
    return;
  }
  if (!memory.open.has(stream)) {
    if (s.envelope.get(stream) === undefined)
      throw new Error(`Enveloppe ${stream} : ${event.type} (${event.id}) avant son ouverture.`);
    memory.open.add(stream);
  }
  switch (envelopeEvent.type) {
    case 'EnvelopeAdjusted':
      s.adjustEnvelope.run(envelopeEvent.data.amountCents, event.revision, event.position, stream);
      // The reservations' moves, written at the flush, carry this revision from now on.
      moveReserved(memory, event, 0);
      return;
    case 'FundsReserved': {
      // A reservation replaces what the application held (evolveEnvelope).
      const holding = holdingOf(db, memory, stream, envelopeEvent.data.applicationId);
      moveReserved(memory, event, envelopeEvent.data.totalCents - (holding.totalCents ?? 0));
      holding.totalCents = envelopeEvent.data.totalCents;
      return;
    }
    case 'FundsReleased': {
      const holding = holdingOf(db, memory, stream, envelopeEvent.data.applicationId);
      moveReserved(memory, event, -(holding.totalCents ?? 0));
      holding.totalCents = undefined;
      return;
    }
    default: {
      const never: never = envelopeEvent;
      return never;
    }
  }
}

function flushEnvelopes(db: Database): void {
  const memory = envelopeMemoryOf(db);
  const s = statements(db);
  for (const { stream, applicationId, stored, totalCents } of memory.holdings.values()) {
    if (totalCents === undefined) {
      if (stored !== undefined) s.deleteHolding.run(stream, applicationId);
    } else if (totalCents !== stored) s.upsertHolding.run(stream, applicationId, totalCents);
  }
  for (const [stream, moved] of memory.moves)
    s.reserveEnvelope.run(moved.reservedCents, moved.revision, moved.position, stream);
  memory.endBatch();
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

/**
 * An application's share of the running totals: `dimension \0 key \0 year` → amounts. No 'all'
 * dimension: a campaign's totals are the sum over its funders (each line has one funder).
 */
export function amountContributions(f: SummaryFacts): Map<string, AmountTuple> {
  const out = new Map<string, AmountTuple>();
  const add = (dimension: string, key: string, year: number, a: AmountTuple) => {
    const k = `${dimension}\0${key}\0${year}`;
    const current = out.get(k);
    if (current === undefined) out.set(k, [...a]);
    else for (let i = 0; i < 5; i++) current[i] = (current[i] ?? 0) + (a[i] ?? 0);
  };
  // A quartier named twice in a dossier is one quartier (older dossiers may repeat a code).
  const quartiers = new Set(f.qpvCodes);
  for (const line of f.funding) {
    const a: AmountTuple = [
      line.requestedCents,
      line.committedCents,
      line.awardedCents,
      line.paidCents,
      line.recoveredCents,
    ];
    add('funder', line.funder, line.calendarYear, a);
    add('theme', f.theme, line.calendarYear, a);
    for (const qpv of quartiers) add('qpv', qpv, line.calendarYear, a);
  }
  return out;
}

/**
 * The files that will reach no one: withdrawn, refused or lapsed before their convention. The people
 * their dossiers expected are nobody's to expect any more (they made a third of a campaign's total).
 */
const GIVEN_UP: ReadonlySet<string> = new Set(['withdrawn', 'ineligible', 'rejected', 'lapsed']);

/**
 * `dimension \0 key` → applications, expected and reached beneficiaries. No 'all' dimension: an
 * application has one status and one theme, so the campaign's counts are sums over either.
 */
export function countContributions(f: SummaryFacts): Map<string, CountTuple> {
  const out = new Map<string, CountTuple>();
  const expected = GIVEN_UP.has(f.status) ? 0 : f.expectedBeneficiaries;
  out.set(`status\0${f.status}`, [1, 0, 0]);
  out.set(`theme\0${f.theme}`, [1, expected, f.reachedBeneficiaries]);
  for (const qpv of f.qpvCodes) out.set(`qpv\0${qpv}`, [1, expected, f.reachedBeneficiaries]);
  for (const line of f.funding) out.set(`funder\0${line.funder}`, [1, 0, 0]);
  if (f.retainedKind !== null) out.set(`retained\0${f.retainedKind}`, [1, 0, 0]);
  return out;
}

/** What moves from `before` to `after`, key by key (keys that do not move are left out). */
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

function add(into: Map<string, number[]>, key: string, d: readonly number[]): void {
  const current = into.get(key);
  if (current === undefined) into.set(key, [...d]);
  else for (let i = 0; i < d.length; i++) current[i] = (current[i] ?? 0) + (d[i] ?? 0);
}

/** The applications written at this batch's flush move the totals by what changed in their facts. */
function flushTotals(db: Database): void {
  const amounts = new Map<string, number[]>();
  const counts = new Map<string, number[]>();
  for (const { beforeFacts: b, facts: a } of takeFlushedApplications(db, PROJECTION)) {
    // The campaign is fixed for life.
    const campaignId = a.campaignId;
    if (b === undefined || b.funding !== a.funding || b.theme !== a.theme || b.qpvCodes !== a.qpvCodes)
      for (const [key, d] of deltas(b && amountContributions(b), amountContributions(a)))
        add(amounts, `${campaignId}\0${key}`, d);
    for (const [key, d] of deltas(b && countContributions(b), countContributions(a)))
      add(counts, `${campaignId}\0${key}`, d);
  }
  const s = statements(db);
  for (const [key, d] of amounts) {
    if (d.every((v) => v === 0)) continue;
    const [campaignId = '', dimension = '', k = '', year = '0'] = key.split('\0');
    s.addAmounts.run(campaignId, dimension, k, Number(year), ...d);
    s.dropEmptyAmounts.run(campaignId, dimension, k, Number(year));
  }
  for (const [key, d] of counts) {
    if (d.every((v) => v === 0)) continue;
    const [campaignId = '', dimension = '', k = ''] = key.split('\0');
    s.addCounts.run(campaignId, dimension, k, ...d);
    s.dropEmptyCounts.run(campaignId, dimension, k);
  }
}

export const campaignSummaryProjection: Projection = {
  name: PROJECTION,
  // 2: totals moved once per batch from the flushed facts, rows back to zero removed.
  // 3: a rejected or lapsed application's commitments and award are void (fundsVoided).
  // 4: a quartier named twice in a dossier counts its money once.
  // 5: beneficiaries expected by files given up (withdrawn, refused, lapsed) no longer counted; those
  //    reached are a year's (the latest report's), as those expected.
  version: 5,
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
  // Application events reach the totals through the applications projection's flush.
  handles: [...campaignEventTypes, ...envelopeEventTypes],
  apply(db, event) {
    // Each handler ignores the events of the other aggregate.
    applyCampaignEvent(db, event);
    applyEnvelopeEvent(db, event);
  },
  flush(db) {
    flushEnvelopes(db);
    flushTotals(db);
  },
  discard(db) {
    const memory = envelopeMemoryOf(db);
    memory.endBatch();
    memory.open.clear();
  },
  pending: (db) => envelopeMemoryOf(db).holdings.size,
};
