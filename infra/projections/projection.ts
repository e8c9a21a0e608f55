// A projection is a slice of the read models: its tables, and how one event changes them. It is
// synchronous (better-sqlite3) so the runtime can apply a batch of events to every projection and
// move the checkpoint in one SQLite transaction. A projection may fold the batch's events in memory
// and write the outcome once at the end of the batch (flush), inside that same transaction: a row
// touched by twenty events of a batch is then written once, and a crash still loses the whole batch
// with its checkpoint or nothing.
import type { Database } from 'better-sqlite3';
import type { EventStore, RecordedEvent } from '../eventstore/port';

/** What a projection may read of the event store to prepare a batch: a stream's events. */
export type StreamReader = Pick<EventStore, 'readStream'>;

export interface Projection {
  /** Unique within a projection set; also the prefix its tables should carry (convention, not enforced). */
  name: string;
  /** Bump when the schema or the meaning of apply() changes: the set is then rebuilt from the first event. */
  version: number;
  /**
   * Its tables, indexes and views, created on an empty database: DDL statements run in order, or a
   * function doing the same. Runs again only in a rebuild (never as an in-place migration).
   */
  schema: readonly string[] | ((db: Database) => void);
  /** Event types it reads; undefined = every event. Lets the runtime skip calls, and a rebuild filter. */
  handles?: readonly string[];
  /**
   * 'per-stream': its tables depend on the order of the events within each stream only, never on
   * the order between streams (rows per stream, sums over streams), so a rebuild may feed it stream
   * after stream and hold one aggregate's fold at a time. Default 'global' (the order of $all).
   */
  ordering?: 'global' | 'per-stream';
  /**
   * Its tables whose rows are sums over streams (running totals), each with its summed columns (the
   * other columns are the key). A parallel rebuild adds such rows up across its shadow files; any
   * other table must hold the rows of one stream in one shadow only (a clash fails the swap, never
   * merges silently).
   */
  sums?: Readonly<Record<string, readonly string[]>>;
  /**
   * Before a batch is applied, and again before a batch is retried: fetches from the event store
   * what apply() will need that neither its tables nor its memory hold (the applications slice: the
   * earlier events of an application whose fold is not in memory, after a restart or an eviction).
   * Reads only, outside the batch's transaction; apply() then runs without waiting on anything.
   */
  prepare?(db: Database, events: readonly RecordedEvent[], log: StreamReader): Promise<void>;
  /**
   * Changes the tables for one event. Must not start or end transactions: the runtime holds one.
   * Reads its tables through primary keys and UNIQUE constraints only: a rebuild replays into tables
   * whose other indexes are built after the rows (deferIndexes), where such a read would scan.
   */
  apply(db: Database, event: RecordedEvent): void;
  /**
   * Writes what apply() folded in memory since the last flush. The runtime calls it once at the end
   * of every batch, inside the batch's transaction, before the checkpoint moves, in the order of the
   * set (a slice may read what the slices before it flushed). Without it, apply() writes everything.
   */
  flush?(db: Database): void;
  /**
   * The batch's transaction failed and was rolled back (or the database is being given up): forget
   * whatever apply() kept in memory since the last flush, and any cache that may now be ahead of the
   * tables.
   */
  discard?(db: Database): void;
  /**
   * Only in a rebuild read stream after stream: every event of `stream` has been applied. What the
   * projection keeps in memory for that stream (a cache of its fold) will not be needed again.
   */
  streamEnded?(db: Database, stream: string): void;
  /**
   * How much apply() holds in memory until the next flush (e.g. applications touched), so a runtime
   * running large batches (the rebuild) can end a batch early and keep memory bounded.
   */
  pending?(db: Database): number;
}

/** A projection set's identity in the checkpoint table: its projections' names and versions. */
export function projectionSignature(projections: readonly Projection[]): string {
  return projections
    .map((p) => `${p.name}@${p.version}`)
    .sort()
    .join(',');
}

export function validateProjections(projections: readonly Projection[]): void {
  const names = new Set<string>();
  for (const p of projections) {
    if (names.has(p.name)) throw new Error(`Projection ${p.name} déclarée deux fois.`);
    names.add(p.name);
    if (!Number.isInteger(p.version) || p.version < 1) {
      throw new Error(`Projection ${p.name} : la version doit être un entier ≥ 1.`);
    }
  }
}

/** The event types a subscription may be filtered to, or undefined when one projection reads everything. */
export function handledTypes(projections: readonly Projection[]): string[] | undefined {
  if (projections.some((p) => p.handles === undefined)) return undefined;
  return [...new Set(projections.flatMap((p) => p.handles ?? []))].sort();
}

export class ProjectionError extends Error {
  constructor(
    readonly projection: string,
    readonly event: { id: string; type: string; stream: string; position: bigint },
    cause: unknown,
  ) {
    super(
      `La projection ${projection} a échoué sur l’événement ${event.type} (${event.id}, flux ${event.stream}, ` +
        `position ${event.position}) : ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'ProjectionError';
  }
}

/** Applies one event to every projection that reads it, naming the projection and event on failure. */
export function applyEvent(
  db: Database,
  projections: readonly Projection[],
  handlers: ReadonlyMap<string, ReadonlySet<string> | undefined>,
  event: RecordedEvent,
): void {
  for (const projection of projections) {
    const types = handlers.get(projection.name);
    if (types !== undefined && !types.has(event.type)) continue;
    try {
      projection.apply(db, event);
    } catch (error) {
      throw new ProjectionError(projection.name, event, error);
    }
  }
}

/** Before a batch: every projection's prepare, given the events it reads. */
export async function prepareProjections(
  db: Database,
  projections: readonly Projection[],
  handlers: ReadonlyMap<string, ReadonlySet<string> | undefined>,
  events: readonly RecordedEvent[],
  log: StreamReader,
): Promise<void> {
  for (const projection of projections) {
    if (projection.prepare === undefined) continue;
    const types = handlers.get(projection.name);
    const read = types === undefined ? events : events.filter((e) => types.has(e.type));
    if (read.length > 0) await projection.prepare(db, read, log);
  }
}

/** Ends a batch: every projection's flush, in the order of the set. */
export function flushProjections(db: Database, projections: readonly Projection[]): void {
  for (const projection of projections) {
    if (projection.flush === undefined) continue;
    try {
      projection.flush(db);
    } catch (error) {
      throw new ProjectionFlushError(projection.name, error);
    }
  }
}

/** After a rolled-back batch: every projection forgets what it held for it (never throws). */
export function discardProjections(db: Database, projections: readonly Projection[]): void {
  for (const projection of projections) {
    try {
      projection.discard?.(db);
    } catch {
      // Discarding only drops memory; a failure here must not hide the batch's own error.
    }
  }
}

/** Tells every projection that a stream's events are all in (a rebuild read stream after stream). */
export function endStream(db: Database, projections: readonly Projection[], stream: string): void {
  for (const projection of projections) projection.streamEnded?.(db, stream);
}

/** The most any projection holds in memory until its next flush. */
export function pendingInProjections(db: Database, projections: readonly Projection[]): number {
  let most = 0;
  for (const projection of projections) most = Math.max(most, projection.pending?.(db) ?? 0);
  return most;
}

export class ProjectionFlushError extends Error {
  constructor(
    readonly projection: string,
    cause: unknown,
  ) {
    super(
      `La projection ${projection} a échoué en écrivant la fin de son lot : ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'ProjectionFlushError';
  }
}

export function handlerIndex(
  projections: readonly Projection[],
): Map<string, ReadonlySet<string> | undefined> {
  return new Map(projections.map((p) => [p.name, p.handles === undefined ? undefined : new Set(p.handles)]));
}
