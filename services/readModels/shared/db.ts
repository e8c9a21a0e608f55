// Helpers every read-model slice uses: statements prepared once per connection, and the few
// conversions between the event store's envelopes and what the tables hold.
import type { Database, Statement } from 'better-sqlite3';
import { normalizeInstant, parisDateOf, parisInstant } from '../../../domain/calendar';

/**
 * Memoises `factory(db)` per connection. Statements are compiled once and reused for every event
 * (preparing costs more than running most of them); the WeakMap lets a closed database go.
 */
export function perDatabase<T>(factory: (db: Database) => T): (db: Database) => T {
  const cache = new WeakMap<Database, T>();
  return (db) => {
    let value = cache.get(db);
    if (value === undefined) {
      value = factory(db);
      cache.set(db, value);
    }
    return value;
  };
}

/**
 * The statement for `sql` from a per-connection cache of them: queries whose WHERE depends on the
 * filters given prepare each shape once.
 */
export function cached<R>(
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

/** The canonical form (Date#toISOString's): UTC, milliseconds, 'Z'. */
const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Instants are stored in the canonical UTC form so that text order is time order: metadata may
 * carry an offset ('…+01:00') and two offsets do not compare as strings.
 */
export const storedInstant = (instant: string): string =>
  // Most instants already are (record times, times the workflows write): no need to parse them.
  CANONICAL_INSTANT.test(instant) ? instant : normalizeInstant(instant);

/** A date filter: a civil date means the start of that Paris day; an instant is taken as is. */
export function instantBound(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? parisInstant(value) : normalizeInstant(value);
}

/** A civil date for date filters: an instant is read as its Paris date. */
export function civilDate(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : parisDateOf(value);
}

/** Positions and revisions leave as decimal strings: they are bigint in the store. */
export const decimal = (value: number | bigint): string => value.toString();

export const clampLimit = (limit: number | undefined, fallback = 50, max = 500): number => {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.trunc(limit)));
};

/** Whole-number sum of a column that SQLite returns as null on no rows. */
export const cents = (value: number | null | undefined): number => value ?? 0;
