// Queries of the `ledger` slice: the movements in order (for auditors and exports), and totals per
// funder and year.
import type { Database, Statement } from 'better-sqlite3';
import { funderName } from '../../../domain/reference/funders';
import { clampLimit, decimal, instantBound, perDatabase } from '../shared/db';
import { MOVEMENTS_PER_EVENT, type LedgerKind } from './projection';

export const ledgerKindLabels: Record<LedgerKind, string> = {
  commitment: 'Engagement du financeur',
  award: 'Attribution (comité de pilotage)',
  payment: 'Ordre de paiement',
  recovery: 'Ordre de reversement',
  reservation: "Réservation sur l'enveloppe",
  release: "Libération de l'enveloppe",
};

export interface LedgerFilters {
  funder?: string;
  campaignId?: string;
  applicationId?: string;
  kind?: LedgerKind;
  /** Business time, inclusive: an instant, or a civil date (start of that Paris day). */
  from?: string;
  /** Business time, exclusive. */
  to?: string;
  /** Only movements of events after this global position (a checkpoint of the caller's own). */
  afterPosition?: bigint | number | string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface LedgerEntry {
  /** Increasing in the order of the events. */
  id: string;
  kind: LedgerKind;
  label: string;
  funder: string;
  funderName: string;
  campaignId: string;
  applicationId: string;
  /** Convention year, 1 … 4. */
  year: number;
  /** Signed: a cancelled commitment, a release are negative. */
  amountCents: number;
  occurredAt: string;
  recordedAt: string;
  eventId: string;
  eventType: string;
  stream: string;
  position: string;
  actor: { role: string; institution: string | null };
}

export interface LedgerPage {
  entries: LedgerEntry[];
  nextCursor: string | null;
}

export interface LedgerTotalsFilters {
  funder?: string;
  campaignId?: string;
  applicationId?: string;
  /** 'calendar' (default): the year (Paris) of each movement's business date; 'convention': 1 … 4. */
  yearOf?: 'calendar' | 'convention';
  from?: string;
  to?: string;
}

export interface LedgerTotal {
  funder: string;
  funderName: string;
  year: number;
  committedCents: number;
  awardedCents: number;
  paidCents: number;
  recoveredCents: number;
  /** Reservations minus releases: what the funder's envelopes hold. */
  reservedCents: number;
}

interface EntryRow {
  id: number;
  position: number;
  event_id: string;
  event_type: string;
  stream: string;
  kind: LedgerKind;
  funder: string;
  campaign_id: string;
  application_id: string;
  year: number;
  amount_cents: number;
  occurred_at: string;
  recorded_at: string;
  actor_role: string;
  actor_institution: string | null;
}

const toEntry = (r: EntryRow): LedgerEntry => ({
  id: decimal(r.id),
  kind: r.kind,
  label: ledgerKindLabels[r.kind],
  funder: r.funder,
  funderName: funderName(r.funder),
  campaignId: r.campaign_id,
  applicationId: r.application_id,
  year: r.year,
  amountCents: r.amount_cents,
  occurredAt: r.occurred_at,
  recordedAt: r.recorded_at,
  eventId: r.event_id,
  eventType: r.event_type,
  stream: r.stream,
  position: decimal(r.position),
  actor: { role: r.actor_role, institution: r.actor_institution },
});

const statements = perDatabase(() => ({
  entries: new Map<string, Statement<unknown[], EntryRow>>(),
  totals: new Map<string, Statement<unknown[], TotalRow>>(),
}));

function cached<R>(
  cache: Map<string, Statement<unknown[], R>>,
  db: Database,
  sql: string,
): Statement<unknown[], R> {
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare<unknown[], R>(sql);
    cache.set(sql, statement);
  }
  return statement;
}

export class InvalidLedgerCursorError extends Error {
  constructor(cursor: string) {
    super(`Curseur du grand livre invalide : « ${cursor} ».`);
    this.name = 'InvalidLedgerCursorError';
  }
}

function common(
  filters: { funder?: string; campaignId?: string; applicationId?: string; from?: string; to?: string },
  where: string[],
  params: unknown[],
): void {
  // The most selective filter first: SQLite drives the scan with an index on its column.
  if (filters.applicationId !== undefined) {
    where.push('application_id = ?');
    params.push(filters.applicationId);
  }
  if (filters.funder !== undefined) {
    where.push('funder = ?');
    params.push(filters.funder);
  }
  if (filters.campaignId !== undefined) {
    where.push('campaign_id = ?');
    params.push(filters.campaignId);
  }
  if (filters.from !== undefined) {
    where.push('occurred_at >= ?');
    params.push(instantBound(filters.from));
  }
  if (filters.to !== undefined) {
    where.push('occurred_at < ?');
    params.push(instantBound(filters.to));
  }
}

/** The movements in the order of the events, a page at a time. */
export function ledger(db: Database, filters: LedgerFilters = {}): LedgerPage {
  const limit = clampLimit(filters.limit, 100, 1000);
  const where: string[] = [];
  const params: unknown[] = [];
  common(filters, where, params);
  if (filters.kind !== undefined) {
    where.push('kind = ?');
    params.push(filters.kind);
  }
  if (filters.afterPosition !== undefined) {
    // Ids are position × 1024 + rank (projection.ts): the events after a position are an id range,
    // which the primary key and every (column, id) index serve directly.
    where.push('id >= ?');
    params.push((BigInt(filters.afterPosition) + 1n) * MOVEMENTS_PER_EVENT);
  }
  if (filters.cursor !== undefined) {
    if (!/^\d+$/.test(filters.cursor)) throw new InvalidLedgerCursorError(filters.cursor);
    where.push('id > ?');
    params.push(BigInt(filters.cursor));
  }
  const sql = `SELECT * FROM ledger_entries ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
    ORDER BY id LIMIT ?`;
  const rows = cached(statements(db).entries, db, sql).all(...params, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    entries: page.map(toEntry),
    nextCursor: rows.length > limit && last !== undefined ? decimal(last.id) : null,
  };
}

interface TotalRow {
  funder: string;
  year: number;
  kind: LedgerKind;
  amount: number;
}

/** Totals per funder and year; from the running sums unless an application or dates narrow them. */
export function ledgerTotals(db: Database, filters: LedgerTotalsFilters = {}): LedgerTotal[] {
  const byConvention = filters.yearOf === 'convention';
  const where: string[] = [];
  const params: unknown[] = [];
  let sql: string;
  common(filters, where, params);
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  // Grouped by the column itself: ledger_entries has a column named `year` (the convention year).
  if (filters.applicationId !== undefined || filters.from !== undefined || filters.to !== undefined) {
    const year = byConvention ? 'year' : 'occurred_year';
    sql = `SELECT funder, ${year} AS year, kind, SUM(amount_cents) AS amount FROM ledger_entries ${filter}
      GROUP BY funder, ${year}, kind`;
  } else {
    const year = byConvention ? 'convention_year' : 'occurred_year';
    sql = `SELECT funder, ${year} AS year, kind, SUM(amount_cents) AS amount FROM ledger_totals ${filter}
      GROUP BY funder, ${year}, kind`;
  }
  const totals = new Map<string, LedgerTotal>();
  for (const r of cached(statements(db).totals, db, sql).all(...params)) {
    const key = `${r.funder}|${r.year}`;
    const t = totals.get(key) ?? {
      funder: r.funder,
      funderName: funderName(r.funder),
      year: r.year,
      committedCents: 0,
      awardedCents: 0,
      paidCents: 0,
      recoveredCents: 0,
      reservedCents: 0,
    };
    switch (r.kind) {
      case 'commitment':
        t.committedCents += r.amount;
        break;
      case 'award':
        t.awardedCents += r.amount;
        break;
      case 'payment':
        t.paidCents += r.amount;
        break;
      case 'recovery':
        t.recoveredCents += r.amount;
        break;
      case 'reservation':
      case 'release':
        t.reservedCents += r.amount;
        break;
      default: {
        const never: never = r.kind;
        throw new Error(`Mouvement inconnu : ${String(never)}`);
      }
    }
    totals.set(key, t);
  }
  return [...totals.values()].sort((a, b) => a.funder.localeCompare(b.funder) || a.year - b.year);
}
