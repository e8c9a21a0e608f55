// The `ledger` projection: the funding ledger, one row per money movement. For an application the
// movements are the differences its event makes to the domain's fundingSummary (per funder and
// convention year: committed, awarded, ordered payments, ordered recoveries), so that the rows of
// an application always add up to its fundingSummary — a withdrawal, a rejection or a lapse shows
// as the cancellation of what was committed or awarded. For an envelope: the reservations and releases, per year.
import type { Database } from 'better-sqlite3';
import { parisDateOf } from '../../../domain/calendar';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import type { Projection } from '../../../infra/projections/projection';
import type { FundingLine } from '../applications/facts';
import { applicationChangeFor } from '../shared/applicationChange';
import { perDatabase, storedInstant } from '../shared/db';
import {
  applicationEventTypes,
  asApplicationEvent,
  asEnvelopeEvent,
  envelopeEventTypes,
} from '../shared/events';

const PROJECTION = 'ledger';

export const ledgerKinds = ['commitment', 'award', 'payment', 'recovery', 'reservation', 'release'] as const;
export type LedgerKind = (typeof ledgerKinds)[number];

export const ledgerSchema: readonly string[] = [
  `CREATE TABLE ledger_entries (
    id               INTEGER PRIMARY KEY, -- position × 1024 + rank within the event (MOVEMENTS_PER_EVENT)
    position         INTEGER NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    stream           TEXT NOT NULL,
    kind             TEXT NOT NULL,
    funder           TEXT NOT NULL,
    campaign_id      TEXT NOT NULL,
    application_id   TEXT NOT NULL,
    year             INTEGER NOT NULL, -- convention year, 1 … 4
    amount_cents     INTEGER NOT NULL, -- signed: a cancellation or a release is negative
    occurred_at      TEXT NOT NULL,    -- business time (UTC)
    occurred_year    INTEGER NOT NULL, -- calendar year of the business time, in Paris
    recorded_at      TEXT NOT NULL,    -- record time
    actor_role       TEXT NOT NULL,
    actor_institution TEXT
  ) STRICT`,
  'CREATE INDEX ledger_by_funder ON ledger_entries (funder, id)',
  'CREATE INDEX ledger_by_campaign ON ledger_entries (campaign_id, id)',
  'CREATE INDEX ledger_by_application ON ledger_entries (application_id, id)',
  // Running sums per campaign, funder, kind, calendar year of the movement and convention year.
  `CREATE TABLE ledger_totals (
    campaign_id     TEXT NOT NULL,
    funder          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    occurred_year   INTEGER NOT NULL,
    convention_year INTEGER NOT NULL,
    amount_cents    INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, funder, kind, occurred_year, convention_year)
  ) STRICT, WITHOUT ROWID`,
  // What each application holds on each envelope, per convention year (the sum of its reservation
  // and release movements, rows at zero removed): a reservation is written as the difference.
  `CREATE TABLE ledger_holdings (
    stream         TEXT NOT NULL,
    application_id TEXT NOT NULL,
    year           INTEGER NOT NULL,
    amount_cents   INTEGER NOT NULL,
    PRIMARY KEY (stream, application_id, year)
  ) STRICT, WITHOUT ROWID`,
  // Envelope streams: which campaign and funder (from EnvelopeOpened).
  `CREATE TABLE ledger_envelopes (
    stream      TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    funder      TEXT NOT NULL
  ) STRICT, WITHOUT ROWID`,
];

const statements = perDatabase((db: Database) => ({
  insert: db.prepare(
    `INSERT INTO ledger_entries (id, position, event_id, event_type, stream, kind, funder, campaign_id, application_id,
       year, amount_cents, occurred_at, occurred_year, recorded_at, actor_role, actor_institution)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  total: db.prepare(
    `INSERT INTO ledger_totals (campaign_id, funder, kind, occurred_year, convention_year, amount_cents)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (campaign_id, funder, kind, occurred_year, convention_year)
     DO UPDATE SET amount_cents = amount_cents + excluded.amount_cents`,
  ),
  openEnvelope: db.prepare('INSERT INTO ledger_envelopes (stream, campaign_id, funder) VALUES (?, ?, ?)'),
  envelope: db.prepare<[string], { campaign_id: string; funder: string }>(
    'SELECT campaign_id, funder FROM ledger_envelopes WHERE stream = ?',
  ),
  held: db.prepare<[string, string], { year: number; amount: number }>(
    'SELECT year, amount_cents AS amount FROM ledger_holdings WHERE stream = ? AND application_id = ?',
  ),
  hold: db.prepare(
    `INSERT INTO ledger_holdings (stream, application_id, year, amount_cents) VALUES (?, ?, ?, ?)
     ON CONFLICT (stream, application_id, year) DO UPDATE SET amount_cents = excluded.amount_cents`,
  ),
  unhold: db.prepare('DELETE FROM ledger_holdings WHERE stream = ? AND application_id = ? AND year = ?'),
}));

interface Movement {
  kind: LedgerKind;
  funder: string;
  campaignId: string;
  applicationId: string;
  year: number;
  amountCents: number;
}

/**
 * The running sums' moves since the last flush, by `campaign \0 funder \0 kind \0 occurred year \0
 * convention year`: each row is written once per batch. Every key a movement touched is written,
 * even when the batch's moves cancel out, so the rows are the same whatever the batches.
 */
const totalsOf = perDatabase((): Map<string, number> => new Map());

function flushTotals(db: Database): void {
  const totals = totalsOf(db);
  const s = statements(db);
  for (const [key, amount] of totals) {
    const [campaignId = '', funder = '', kind = '', occurredYear = '0', conventionYear = '0'] =
      key.split('\0');
    s.total.run(campaignId, funder, kind, Number(occurredYear), Number(conventionYear), amount);
  }
  totals.clear();
}

/**
 * Ids come from the event's position, not from the order rows are inserted in: the same rows
 * whatever order the streams were fed in (a rebuild reads stream after stream), and ids in the
 * order of the events. An event moves at most funders × years × 4 measures: far fewer.
 */
export const MOVEMENTS_PER_EVENT = 1024n;

function record(db: Database, event: RecordedEvent, movements: readonly Movement[]): void {
  if (movements.length === 0) return;
  if (BigInt(movements.length) > MOVEMENTS_PER_EVENT)
    throw new Error(
      `L'événement ${event.id} fait ${movements.length} mouvements : au plus ${MOVEMENTS_PER_EVENT}.`,
    );
  const firstId = event.position * MOVEMENTS_PER_EVENT;
  const s = statements(db);
  const totals = totalsOf(db);
  const occurredAt = storedInstant(event.metadata.occurredAt);
  const recordedAt = storedInstant(event.metadata.recordedAt);
  const occurredYear = Number(parisDateOf(occurredAt).slice(0, 4));
  const actor = event.metadata.actor;
  for (let i = 0; i < movements.length; i++) {
    const m = movements[i]!;
    s.insert.run(
      firstId + BigInt(i),
      event.position,
      event.id,
      event.type,
      event.stream,
      m.kind,
      m.funder,
      m.campaignId,
      m.applicationId,
      m.year,
      m.amountCents,
      occurredAt,
      occurredYear,
      recordedAt,
      actor.role,
      actor.institution ?? null,
    );
    const key = `${m.campaignId}\0${m.funder}\0${m.kind}\0${occurredYear}\0${m.year}`;
    totals.set(key, (totals.get(key) ?? 0) + m.amountCents);
  }
}

const MEASURES: readonly (readonly [LedgerKind, (l: FundingLine) => number])[] = [
  ['commitment', (l) => l.committedCents],
  ['award', (l) => l.awardedCents],
  ['payment', (l) => l.paidCents],
  ['recovery', (l) => l.recoveredCents],
];

/** The order of the kinds within an event: commitments before awards before payments before recoveries. */
const KIND_RANK: Readonly<Record<LedgerKind, number>> = {
  commitment: 0,
  award: 1,
  payment: 2,
  recovery: 3,
  reservation: 4,
  release: 5,
};

const byKindFunderYear = (a: Movement, b: Movement): number =>
  KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.funder.localeCompare(b.funder) || a.year - b.year;

const lineKey = (l: FundingLine): string => `${l.funder}|${l.year}`;

/** Both lists have the same lines (funder and year) in the same order: almost every event. */
function sameLines(previous: readonly FundingLine[], next: readonly FundingLine[]): boolean {
  if (previous.length !== next.length) return false;
  for (let i = 0; i < next.length; i++) {
    const n = next[i]!;
    const p = previous[i]!;
    if (n.funder !== p.funder || n.year !== p.year) return false;
  }
  return true;
}

function applyApplication(db: Database, event: RecordedEvent): void {
  if (asApplicationEvent(event) === undefined) return;
  const { before, after } = applicationChangeFor(db, event, PROJECTION);
  const previous = before?.funding ?? [];
  const next = after.funding;
  if (previous === next) return;
  const { campaignId, applicationId } = after.state;
  const movements: Movement[] = [];
  const aligned = sameLines(previous, next);
  // The same lines in the same order: pair them by index, not by key.
  const old = aligned ? undefined : new Map(previous.map((l) => [lineKey(l), l]));
  const now = aligned ? undefined : new Map(next.map((l) => [lineKey(l), l]));
  const lines =
    old === undefined || now === undefined
      ? next
      : [...next, ...previous.filter((l) => !now.has(lineKey(l)))];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const was = old === undefined ? previous[i] : old.get(lineKey(line));
    if (was === line) continue;
    const is = now === undefined ? line : now.get(lineKey(line));
    for (const [kind, amount] of MEASURES) {
      const delta = (is === undefined ? 0 : amount(is)) - (was === undefined ? 0 : amount(was));
      if (delta !== 0)
        movements.push({
          kind,
          funder: line.funder,
          campaignId,
          applicationId,
          year: line.year,
          amountCents: delta,
        });
    }
  }
  // Commitments before awards before payments before recoveries, funders and years in order.
  if (movements.length > 1) movements.sort(byKindFunderYear);
  record(db, event, movements);
}

function applyEnvelope(db: Database, event: RecordedEvent): void {
  const envelopeEvent = asEnvelopeEvent(event);
  if (envelopeEvent === undefined) return;
  const s = statements(db);
  if (envelopeEvent.type === 'EnvelopeOpened') {
    s.openEnvelope.run(event.stream, envelopeEvent.data.campaignId, envelopeEvent.data.funder);
    return;
  }
  if (envelopeEvent.type === 'EnvelopeAdjusted') return;
  const envelope = s.envelope.get(event.stream);
  if (envelope === undefined)
    throw new Error(`Enveloppe ${event.stream} : ${event.type} (${event.id}) avant son ouverture.`);
  const applicationId = envelopeEvent.data.applicationId;
  const held = new Map(s.held.all(event.stream, applicationId).map((h) => [h.year, h.amount]));
  const base = { funder: envelope.funder, campaignId: envelope.campaign_id, applicationId };
  const movements: Movement[] = [];
  if (envelopeEvent.type === 'FundsReserved') {
    // A reservation replaces what the application held on this envelope, year by year.
    const wanted = new Map(envelopeEvent.data.amountsByYear.map((y) => [y.year, y.amountCents]));
    const years = [...new Set([...held.keys(), ...wanted.keys()])].sort((a, b) => a - b);
    for (const year of years) {
      const delta = (wanted.get(year) ?? 0) - (held.get(year) ?? 0);
      if (delta !== 0) movements.push({ ...base, kind: 'reservation', year, amountCents: delta });
    }
  } else {
    for (const [year, amount] of [...held].sort((a, b) => a[0] - b[0]))
      if (amount !== 0) movements.push({ ...base, kind: 'release', year, amountCents: -amount });
  }
  for (const m of movements) {
    const now = (held.get(m.year) ?? 0) + m.amountCents;
    if (now === 0) s.unhold.run(event.stream, applicationId, m.year);
    else s.hold.run(event.stream, applicationId, m.year, now);
  }
  record(db, event, movements);
}

export const ledgerProjection: Projection = {
  name: PROJECTION,
  // 3: envelope holdings kept in ledger_holdings (read by key) instead of summed from the entries.
  // 4: a rejected or lapsed application's commitments and award cancelled (fundsVoided).
  version: 4,
  ordering: 'per-stream',
  sums: { ledger_totals: ['amount_cents'] },
  schema: ledgerSchema,
  handles: [...applicationEventTypes, ...envelopeEventTypes],
  apply(db, event) {
    applyApplication(db, event);
    applyEnvelope(db, event);
  },
  flush: flushTotals,
  discard: (db) => totalsOf(db).clear(),
};
