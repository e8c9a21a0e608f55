// The query of the `ledger` slice: money per funder and year — committed, awarded, ordered paid and
// recovered, reserved on the envelopes — by the calendar year the movements fell in (the budget
// year) or by convention year. The movements one by one are the audit ledger's.
import type { Database, Statement } from 'better-sqlite3';
import { funderName } from '../../../domain/reference/funders';
import { cached, perDatabase } from '../shared/db';
import type { LedgerKind } from './projection';

export interface LedgerTotalsFilters {
  funder?: string;
  campaignId?: string;
  /** 'calendar' (default): the year (Paris) of each movement's business date; 'convention': 1 … 4. */
  yearOf?: 'calendar' | 'convention';
  /** Only this year (of the kind `yearOf` says). */
  year?: number;
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

const statements = perDatabase(() => new Map<string, Statement<unknown[], TotalRow>>());

interface TotalRow {
  funder: string;
  year: number;
  kind: LedgerKind;
  amount: number;
}

/** Totals per funder and year, from the running sums. */
export function ledgerTotals(db: Database, filters: LedgerTotalsFilters = {}): LedgerTotal[] {
  const year = filters.yearOf === 'convention' ? 'convention_year' : 'occurred_year';
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filters.funder !== undefined) {
    where.push('funder = ?');
    params.push(filters.funder);
  }
  if (filters.campaignId !== undefined) {
    where.push('campaign_id = ?');
    params.push(filters.campaignId);
  }
  if (filters.year !== undefined) {
    where.push(`${year} = ?`);
    params.push(filters.year);
  }
  const sql = `SELECT funder, ${year} AS year, kind, SUM(amount_cents) AS amount FROM ledger_totals
    ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} GROUP BY funder, ${year}, kind`;
  const totals = new Map<string, LedgerTotal>();
  for (const r of cached(statements(db), db, sql).all(...params)) {
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
