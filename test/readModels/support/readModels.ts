// A read-model database fed the way the projector feeds it: the runtime's own schema installation,
// its per-event dispatch (applyEvent), the end-of-batch flush and checkpoint, one transaction per batch.
import Database from 'better-sqlite3';
import {
  ensureRuntimeTables,
  installSchema,
  readCheckpoint,
  writeCheckpoint,
} from '../../../infra/projections/database';
import {
  applyEvent,
  discardProjections,
  flushProjections,
  handlerIndex,
  prepareProjections,
  projectionSignature,
  type StreamReader,
} from '../../../infra/projections/projection';
import type { EventStore, RecordedEvent } from '../../../infra/eventstore/port';
import { grantsProjections } from '../../../services/readModels';

export const SET = 'read-models';

export interface ReadModels {
  db: Database.Database;
  /**
   * Applies events in batches (one transaction each), like the projector: each batch prepared from
   * `log` first (the folds not in memory, read back from the history), then applied.
   */
  project(events: readonly RecordedEvent[], batchSize?: number): Promise<void>;
  /** Events after the checkpoint, taken from a full history (which serves as the log). */
  catchUp(history: readonly RecordedEvent[]): Promise<void>;
  close(): void;
}

/**
 * The event log as a projection reads it, over a history in memory (these specs build histories
 * with the domain's stories; the projector's own specs use the real SQLite store).
 */
export function historyLog(history: readonly RecordedEvent[]): StreamReader {
  return {
    readStream: (stream, options) => {
      const events = history.filter((e) => e.stream === stream);
      return Promise.resolve(options?.maxCount === undefined ? events : events.slice(0, options.maxCount));
    },
  };
}

export function openReadModels(file = ':memory:'): ReadModels {
  const db = new Database(file);
  const projections = grantsProjections;
  const signature = projectionSignature(projections);
  const handlers = handlerIndex(projections);
  ensureRuntimeTables(db);
  // A file already holding the set is resumed from its checkpoint.
  if (readCheckpoint(db, SET) === undefined)
    db.transaction(() => {
      installSchema(db, SET, projections);
      writeCheckpoint(db, SET, undefined, signature);
    })();
  const batch = db.transaction((events: readonly RecordedEvent[]) => {
    for (const event of events) applyEvent(db, projections, handlers, event);
    flushProjections(db, projections);
    const last = events[events.length - 1];
    if (last !== undefined) writeCheckpoint(db, SET, last.position, signature);
  });
  // The log: every event projected so far (a history given to catchUp counts whole).
  const seen: RecordedEvent[] = [];
  const seenIds = new Set<string>();
  const project = async (events: readonly RecordedEvent[], batchSize = 500, log = historyLog(seen)) => {
    for (const e of events) {
      if (seenIds.has(e.id)) continue;
      seenIds.add(e.id);
      seen.push(e);
    }
    for (let i = 0; i < events.length; i += batchSize) {
      const slice = events.slice(i, i + batchSize);
      try {
        await prepareProjections(db, projections, handlers, slice, log);
        batch(slice);
      } catch (error) {
        discardProjections(db, projections);
        throw error;
      }
    }
  };
  return {
    db,
    project: (events, batchSize) => project(events, batchSize),
    async catchUp(history) {
      const checkpoint = readCheckpoint(db, SET)?.position ?? 0n;
      await project(
        history.filter((e) => e.position > checkpoint),
        undefined,
        historyLog(history),
      );
    },
    close: () => db.close(),
  };
}

/** Every row of every read-model table, for comparing two databases. */
export function dumpTables(db: Database.Database): Record<string, unknown[]> {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'projection_%' ORDER BY name",
    )
    .all();
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    const columns = db
      .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`)
      .all()
      .map((c) => c.name)
      .filter((c) => c !== 'id');
    dump[name] = db
      .prepare(`SELECT ${columns.join(', ')} FROM "${name}" ORDER BY ${columns.join(', ')}`)
      .all();
  }
  return dump;
}

/** A recorded event as it was appended: the same id, data and metadata (the store adds the rest). */
export const asAppended = (e: RecordedEvent) => ({
  id: e.id,
  type: e.type,
  data: e.data,
  metadata: {
    correlationId: e.metadata.correlationId,
    causationId: e.metadata.causationId,
    actor: e.metadata.actor,
    occurredAt: e.metadata.occurredAt,
  },
});

/** Appends the history stream by stream, in its global order (consecutive events of a stream together). */
export async function appendHistory(store: EventStore, events: readonly RecordedEvent[]): Promise<void> {
  let run: RecordedEvent[] = [];
  const flush = async () => {
    const first = run[0];
    if (first === undefined) return;
    await store.append(first.stream, run.map(asAppended), {
      expectedRevision: first.revision === 0n ? 'no_stream' : first.revision - 1n,
    });
    run = [];
  };
  for (const event of events) {
    if (run.length > 0 && run[0]?.stream !== event.stream) await flush();
    run.push(event);
  }
  await flush();
}

/** Tables without record times (the store stamps its own). */
export function comparableTables(db: Database.Database): Record<string, unknown[]> {
  const dump = dumpTables(db);
  for (const rows of Object.values(dump))
    for (const row of rows as Record<string, unknown>[]) delete row.recorded_at;
  return dump;
}
