// A shadow read-model file: a projection set's tables built apart from the live file by replaying
// events into them, one transaction per batch. Nobody reads it and a crash throws it away, so it
// runs without journal or fsync, and without its secondary indexes (the swap builds them). Used by the
// rebuild, in this thread or in worker threads.
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '../eventstore/port';
import { deferIndexes, ensureRuntimeTables, installSchema, writeCheckpoint } from './database';
import {
  type Projection,
  applyEvent,
  discardProjections,
  endStream,
  flushProjections,
  handlerIndex,
  pendingInProjections,
  projectionSignature,
} from './projection';

export const removeDatabaseFiles = (file: string): void => {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(file + suffix, { force: true });
};

/**
 * The largest page SQLite allows. The shadow is written in large batches, appended to rather than
 * updated in place, and read once, whole, by the swap: bigger pages mean fewer pages to split, write
 * and read back (a rebuild of the 1.8M-event bench store: 76 s of CPU against 88 s with 4 KiB pages,
 * side by side). Nobody queries the shadow, so the cost of large pages to point reads does not arise.
 */
export const SHADOW_PAGE_SIZE = 65_536;

/** A new, empty shadow file with the set's schema (a leftover of a crashed rebuild is thrown away). */
export function createShadowDatabase(
  file: string,
  name: string,
  projections: readonly Projection[],
): Database.Database {
  removeDatabaseFiles(file);
  const db = new Database(file);
  try {
    // Nobody reads the shadow and a crash throws it away: no journal, no fsync, one connection.
    // Before anything is written, so that the file is laid out with it (see SHADOW_PAGE_SIZE).
    db.pragma(`page_size = ${SHADOW_PAGE_SIZE}`);
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('cache_size = -65536');
    ensureRuntimeTables(db);
    db.transaction(() => {
      installSchema(db, name, projections);
      // Secondary indexes are built once, at the swap, over the finished rows.
      deferIndexes(db);
      writeCheckpoint(db, name, undefined, projectionSignature(projections));
    })();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export interface BatchLimits {
  /**
   * Events per transaction at most. Projections that fold a batch in memory (flush) write each
   * touched row once per batch, so the larger the batch the fewer writes; the events themselves are
   * not held, only what the projections fold.
   */
  batchSize: number;
  /** A batch also ends once a projection holds this much in memory (its pending()). */
  maxPending: number;
}

/**
 * Events applied in batches, each batch one transaction opened by hand: events are applied as the
 * reads yield them (across awaits, which a better-sqlite3 transaction function cannot span), so a
 * batch of a hundred thousand events is never held in memory, only what the projections fold.
 */
export class ShadowReplay {
  /** Events in committed batches. */
  committed = 0;
  /** Events in the open batch. */
  inBatch = 0;
  /**
   * Set while the events come stream after stream: the end of each stream is then announced to the
   * projections (Projection.streamEnded), which may drop what they cached for it.
   */
  streamAfterStream = false;
  private currentStream: string | undefined;
  private open = false;
  private readonly handlers: ReturnType<typeof handlerIndex>;
  private readonly signature: string;

  constructor(
    readonly db: Database.Database,
    private readonly name: string,
    private readonly projections: readonly Projection[],
    private readonly limits: BatchLimits,
  ) {
    this.handlers = handlerIndex(projections);
    this.signature = projectionSignature(projections);
  }

  /** Applies one event in the open batch, ending it when full; true at every 1,024th event (time to report). */
  feed(event: RecordedEvent, checkpoint: bigint | undefined): boolean {
    if (!this.open) {
      this.db.exec('BEGIN');
      this.open = true;
      this.inBatch = 0;
    }
    if (this.streamAfterStream && event.stream !== this.currentStream) {
      if (this.currentStream !== undefined) endStream(this.db, this.projections, this.currentStream);
      this.currentStream = event.stream;
    }
    applyEvent(this.db, this.projections, this.handlers, event);
    this.inBatch += 1;
    // Asking the projections what they hold every 1024 events is enough.
    const sample = (this.inBatch & 1023) === 0;
    const full =
      this.inBatch >= this.limits.batchSize ||
      (sample && pendingInProjections(this.db, this.projections) >= this.limits.maxPending);
    if (full) this.commit(checkpoint);
    return sample || full;
  }

  /** Ends the open batch: every projection's flush, then the checkpoint when one is given. */
  commit(checkpoint: bigint | undefined): void {
    if (!this.open) return;
    if (this.inBatch > 0) {
      flushProjections(this.db, this.projections);
      if (checkpoint !== undefined) writeCheckpoint(this.db, this.name, checkpoint, this.signature);
    }
    this.db.exec('COMMIT');
    this.open = false;
    this.committed += this.inBatch;
    this.inBatch = 0;
  }

  /** After a failure: the projections forget what they held (the file itself is thrown away). */
  discard(): void {
    discardProjections(this.db, this.projections);
  }

  get events(): number {
    return this.committed + this.inBatch;
  }
}
