// The `ledger` projection: the funding ledger per funder and year, as running sums. An
// application's movements are the differences its event makes to the domain's fundingSummary (per
// funder and convention year: committed, awarded, ordered payments, ordered recoveries), so that an
// application's share always adds up to its fundingSummary — a withdrawal, a rejection or a lapse
// moves what was committed or awarded back to zero. An envelope's: its reservations and releases,
// per year. Each movement is summed under the calendar year (Paris) of its event's business time —
// the budget year it falls in — and under its convention year.
//
// The movements themselves, one by one, are the audit ledger's (services/audit/ledger.ts): read from
// the log, in its order, what the hash chain protects. Keeping a second copy here would make the
// read models three times their size for rows nobody reads from them.
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
  /** Convention year, 1 … 4. */
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

/** Adds an event's movements to the sums, under the calendar year (Paris) of its business time. */
function record(db: Database, event: RecordedEvent, movements: readonly Movement[]): void {
  if (movements.length === 0) return;
  const totals = totalsOf(db);
  const occurredYear = parisDateOf(storedInstant(event.metadata.occurredAt)).slice(0, 4);
  for (const m of movements) {
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
  const { campaignId } = after.state;
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
        movements.push({ kind, funder: line.funder, campaignId, year: line.year, amountCents: delta });
    }
  }
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
  const base = { funder: envelope.funder, campaignId: envelope.campaign_id };
  const movements: Movement[] = [];
  if (envelopeEvent.type === 'FundsReserved') {
    // A reservation replaces what the application held on this envelope, year by year.
    const wanted = new Map(envelopeEvent.data.amountsByYear.map((y) => [y.year, y.amountCents]));
    for (const year of new Set([...held.keys(), ...wanted.keys()])) {
      const delta = (wanted.get(year) ?? 0) - (held.get(year) ?? 0);
      if (delta !== 0) movements.push({ ...base, kind: 'reservation', year, amountCents: delta });
    }
  } else {
    for (const [year, amount] of held)
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
  // 5: the sums only; the movements one by one are the audit ledger's, read from the log.
  version: 5,
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
