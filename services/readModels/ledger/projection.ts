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

/**
 * One event's movements, added to the running sums as they are found, under the calendar year (Paris)
 * of the event's business time — worked out once, and only if something moves (most events recompute
 * the lines without changing an amount). No movement objects: this runs for every application event
 * of a rebuild.
 */
class EventMoves {
  private occurredYear: string | undefined;

  constructor(
    private readonly totals: Map<string, number>,
    private readonly event: RecordedEvent,
    private readonly campaignId: string,
  ) {}

  add(funder: string, kind: LedgerKind, conventionYear: number, amountCents: number): void {
    this.occurredYear ??= parisDateOf(storedInstant(this.event.metadata.occurredAt)).slice(0, 4);
    const key = `${this.campaignId}\0${funder}\0${kind}\0${this.occurredYear}\0${conventionYear}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + amountCents);
  }

  /** A funding line from `was` to `is`, measure by measure (undefined: the line is not there). */
  line(line: FundingLine, was: FundingLine | undefined, is: FundingLine | undefined): void {
    const committed = (is?.committedCents ?? 0) - (was?.committedCents ?? 0);
    const awarded = (is?.awardedCents ?? 0) - (was?.awardedCents ?? 0);
    const paid = (is?.paidCents ?? 0) - (was?.paidCents ?? 0);
    const recovered = (is?.recoveredCents ?? 0) - (was?.recoveredCents ?? 0);
    if (committed !== 0) this.add(line.funder, 'commitment', line.year, committed);
    if (awarded !== 0) this.add(line.funder, 'award', line.year, awarded);
    if (paid !== 0) this.add(line.funder, 'payment', line.year, paid);
    if (recovered !== 0) this.add(line.funder, 'recovery', line.year, recovered);
  }
}

function applyApplication(db: Database, event: RecordedEvent): void {
  if (asApplicationEvent(event) === undefined) return;
  const { before, after } = applicationChangeFor(db, event, PROJECTION);
  const previous = before?.funding ?? [];
  const next = after.funding;
  if (previous === next) return;
  const moves = new EventMoves(totalsOf(db), event, after.state.campaignId);
  if (sameLines(previous, next)) {
    // The same lines in the same order: pair them by index, not by key.
    for (let i = 0; i < next.length; i++) {
      const line = next[i]!;
      const was = previous[i]!;
      if (was !== line) moves.line(line, was, line);
    }
    return;
  }
  const old = new Map(previous.map((l) => [lineKey(l), l]));
  const now = new Map(next.map((l) => [lineKey(l), l]));
  for (const line of next) moves.line(line, old.get(lineKey(line)), line);
  for (const line of previous) if (!now.has(lineKey(line))) moves.line(line, line, undefined);
}

/** An application's holding on one envelope: convention year → amount. */
interface Holding {
  stream: string;
  applicationId: string;
  /** As the table holds it: the flush writes the difference. */
  stored: ReadonlyMap<number, number>;
  /** As the events so far leave it (no year at zero). */
  amounts: Map<number, number>;
}

/**
 * What apply() keeps of the envelopes between flushes: their campaign and funder (fixed at their
 * opening; kept until a discard), and the holdings the batch touched, by `stream \0 application`,
 * written once at the flush. A rebuild replays an envelope's thousands of reservations in a row: one
 * read and one write per holding and batch instead of three statements per event.
 */
const envelopeMemoryOf = perDatabase(() => ({
  envelopes: new Map<string, { campaignId: string; funder: string }>(),
  holdings: new Map<string, Holding>(),
  /** Envelopes opened in this batch: none of their holdings can be in the table yet. */
  openedInBatch: new Set<string>(),
  /** The batch is written (or rolled back): what it touched goes. */
  endBatch() {
    this.holdings.clear();
    this.openedInBatch.clear();
  },
}));

type EnvelopeMemory = ReturnType<typeof envelopeMemoryOf>;

function holdingOf(db: Database, memory: EnvelopeMemory, stream: string, applicationId: string): Holding {
  const key = `${stream}\0${applicationId}`;
  let holding = memory.holdings.get(key);
  if (holding === undefined) {
    const stored = new Map<number, number>();
    if (!memory.openedInBatch.has(stream))
      for (const h of statements(db).held.all(stream, applicationId)) stored.set(h.year, h.amount);
    holding = { stream, applicationId, stored, amounts: new Map(stored) };
    memory.holdings.set(key, holding);
  }
  return holding;
}

function flushHoldings(db: Database): void {
  const memory = envelopeMemoryOf(db);
  const s = statements(db);
  for (const { stream, applicationId, stored, amounts } of memory.holdings.values()) {
    for (const year of stored.keys()) if (!amounts.has(year)) s.unhold.run(stream, applicationId, year);
    for (const [year, amount] of amounts)
      if (stored.get(year) !== amount) s.hold.run(stream, applicationId, year, amount);
  }
  memory.endBatch();
}

function applyEnvelope(db: Database, event: RecordedEvent): void {
  const envelopeEvent = asEnvelopeEvent(event);
  if (envelopeEvent === undefined) return;
  const s = statements(db);
  const memory = envelopeMemoryOf(db);
  const stream = event.stream;
  if (envelopeEvent.type === 'EnvelopeOpened') {
    const { campaignId, funder } = envelopeEvent.data;
    s.openEnvelope.run(stream, campaignId, funder);
    memory.envelopes.set(stream, { campaignId, funder });
    memory.openedInBatch.add(stream);
    return;
  }
  if (envelopeEvent.type === 'EnvelopeAdjusted') return;
  let envelope = memory.envelopes.get(stream);
  if (envelope === undefined) {
    const row = s.envelope.get(stream);
    if (row === undefined)
      throw new Error(`Enveloppe ${stream} : ${event.type} (${event.id}) avant son ouverture.`);
    envelope = { campaignId: row.campaign_id, funder: row.funder };
    memory.envelopes.set(stream, envelope);
  }
  const held = holdingOf(db, memory, stream, envelopeEvent.data.applicationId).amounts;
  const moves = new EventMoves(totalsOf(db), event, envelope.campaignId);
  if (envelopeEvent.type === 'FundsReserved') {
    // A reservation replaces what the application held on this envelope, year by year.
    const wanted = new Map(envelopeEvent.data.amountsByYear.map((y) => [y.year, y.amountCents]));
    for (const year of new Set([...held.keys(), ...wanted.keys()])) {
      const amount = wanted.get(year) ?? 0;
      const delta = amount - (held.get(year) ?? 0);
      if (delta !== 0) moves.add(envelope.funder, 'reservation', year, delta);
      if (amount === 0) held.delete(year);
      else held.set(year, amount);
    }
  } else {
    // Nothing held is at zero (see Holding.amounts).
    for (const [year, amount] of held) moves.add(envelope.funder, 'release', year, -amount);
    held.clear();
  }
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
  flush(db) {
    flushHoldings(db);
    flushTotals(db);
  },
  discard(db) {
    totalsOf(db).clear();
    const memory = envelopeMemoryOf(db);
    memory.endBatch();
    memory.envelopes.clear();
  },
  pending: (db) => envelopeMemoryOf(db).holdings.size,
};
