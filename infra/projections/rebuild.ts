// Rebuilding the read models from the first event, while the old ones keep answering.
//
// How: the events are replayed into a shadow database file (`<file>.rebuild`), which nobody reads.
// When it has caught up with the head, ONE write transaction on the live file drops the set's old
// tables, recreates them from the shadow's DDL, copies the rows, and moves the checkpoint. The live
// file is in WAL mode, so readers keep reading the old tables until that transaction commits, then
// see the new ones: never a missing table, never a half-built one.
//
// Why not build a new file and rename it over the old one: open connections (the API's, another
// process's projector) would keep the unlinked old file, and SQLite's `-wal`/`-shm` companions are
// found by name, so a renamed file could meet the old file's WAL. Why not versioned table names behind
// views: every projection would have to write to parameterised table names. The copy costs one pass
// over the rows (INSERT … SELECT, fast in SQLite) and keeps projections plain.
//
// A projector following the live file in another process notices at its next batch (or within its
// poll interval) that the checkpoint row is not the one it wrote, and resubscribes from the new one.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import type { EventStore, RecordedEvent } from '../eventstore/port';
import { LockHeldError, acquirePidLock } from '../locks/pidLock';
import type { Logger } from '../logging/logger';
import {
  OBJECTS_TABLE,
  dropOwnedObjects,
  ensureRuntimeTables,
  openReadModelDatabase,
  projectionSignature,
  quoteIdentifier,
  schemaObjects,
  shadowObjects,
  writeCheckpoint,
} from './database';
import { type RebuildSourceModule, replayInWorkers } from './parallelRebuild';
import {
  type Projection,
  handledTypes,
  handlerIndex,
  prepareProjections,
  validateProjections,
} from './projection';
import { ShadowReplay, createShadowDatabase, removeDatabaseFiles } from './shadow';

export interface RebuildProgress {
  phase: 'replay' | 'swap' | 'done';
  /** Events applied to the new tables so far. */
  events: number;
  /** Last global position reached (0n before the first event). */
  position: bigint;
  /** The store's head, refreshed during the replay (events keep arriving). */
  head: bigint;
  /** Events expected in all, extrapolated from positions (exact on the SQLite store, where positions are 1…n). */
  estimatedTotal: number;
  /** 0…1, by position. */
  ratio: number;
  eventsPerSecond: number;
  /** Undefined until a rate is known. */
  etaSeconds: number | undefined;
  elapsedMs: number;
  /**
   * During the swap: objects created in the live file so far (each table with its rows, then each
   * index built over them), of how many, and the one being created now. The swap is one transaction
   * that blocks this thread; it reports between objects.
   */
  swap?: { done: number; total: number; current: string };
}

export interface RebuildOptions {
  eventStore: EventStore;
  /**
   * The live read-model file; `<dbFile>.rebuild` (or `<dbFile>.rebuild.<k>` per worker) and
   * `<dbFile>.rebuild.lock` are used beside it.
   */
  dbFile: string;
  projections: readonly Projection[];
  /** Projection set name. Default 'read-models'. */
  name?: string;
  onProgress?: (progress: RebuildProgress) => void;
  logger?: Logger;
  /**
   * Events per shadow transaction at most. Default 100,000: projections that fold a batch in memory
   * (flush) write each touched row once per batch, so the larger the batch the fewer writes; the
   * events themselves are not held, only what the projections fold.
   */
  batchSize?: number;
  /**
   * A batch also ends once a projection holds this much in memory (its pending(): e.g. applications
   * touched since its last flush). Default 25,000: this bounds the rebuild's memory whatever the
   * store's size when it replays the global order (read stream by stream, a batch holds a few
   * thousand: each aggregate is complete before the next starts).
   */
  maxPending?: number;
  /** onProgress is called at most this often during the replay. Default 200 ms. */
  progressIntervalMs?: number;
  /**
   * Replay in this many worker threads when the store reads stream by stream and every projection
   * is 'per-stream' (parallelRebuild.ts), each opening the store and projections through `source`.
   * The new tables then start at the head as it was when the rebuild began (whoever follows the live
   * file goes on from there); otherwise the replay runs here and catches up with the head.
   */
  parallel?: { workers: number; source: RebuildSourceModule };
  /**
   * Stops the replay (Ctrl-C): the rebuild then ends with RebuildAbortedError, its shadow files
   * removed and the live tables untouched. Once the swap has begun it runs to its end (one
   * transaction: all of it or nothing), so an abort during the swap is too late to matter.
   */
  signal?: AbortSignal;
}

export interface RebuildResult {
  events: number;
  /** The checkpoint the new tables start from. */
  position: bigint | undefined;
  durationMs: number;
}

export class RebuildInProgressError extends Error {
  constructor(file: string, pid: number) {
    super(`Une reconstruction des vues ${file} est déjà en cours (processus ${pid}).`);
    this.name = 'RebuildInProgressError';
  }
}

export class RebuildAbortedError extends Error {
  constructor() {
    super('Reconstruction interrompue avant la bascule : les vues en service sont inchangées.');
    this.name = 'RebuildAbortedError';
  }
}

/** One rebuild per file at a time: the shadow file has a fixed name. A dead owner's lock is taken over. */
function acquireLock(lockFile: string, dbFile: string): () => void {
  try {
    const lock = acquirePidLock(lockFile);
    return () => lock.release();
  } catch (error) {
    if (error instanceof LockHeldError) throw new RebuildInProgressError(dbFile, error.owner.pid);
    throw error;
  }
}

export async function rebuildProjections(options: RebuildOptions): Promise<RebuildResult> {
  const { eventStore, dbFile } = options;
  const projections = [...options.projections];
  validateProjections(projections);
  const name = options.name ?? 'read-models';
  const signature = projectionSignature(projections);
  const limits = { batchSize: options.batchSize ?? 100_000, maxPending: options.maxPending ?? 25_000 };
  const progressIntervalMs = options.progressIntervalMs ?? 200;
  const types = handledTypes(projections);
  const handlers = handlerIndex(projections);
  const filter = types === undefined ? undefined : { eventTypes: types };
  // Under a logger that already names its component and set (the projector's), the rebuild is a task
  // of it: a key bound twice would appear twice in each JSON line.
  const bound = options.logger?.bindings() ?? {};
  const log = options.logger?.child({
    ...(bound.component === undefined ? { component: 'rebuild' } : { task: 'rebuild' }),
    ...(bound.projectionSet === undefined ? { projectionSet: name } : {}),
  });
  // Stream after stream up to a cut of the log, when the store can read so and every projection
  // allows it; in worker threads when the caller says how to open the store and projections there.
  const byStream =
    eventStore.readAllByStream !== undefined && projections.every((p) => p.ordering === 'per-stream');
  const parallel =
    byStream && eventStore.splitStreams !== undefined && (options.parallel?.workers ?? 1) >= 2
      ? options.parallel
      : undefined;

  const release = acquireLock(`${dbFile}.rebuild.lock`, dbFile);
  const startedAt = performance.now();
  const shadowFiles = new Set<string>();
  const { signal } = options;
  const obeyAbort = (): void => {
    if (signal?.aborted === true) throw new RebuildAbortedError();
  };
  try {
    // Shadows a crashed rebuild left behind (with as many workers as it had) are worthless.
    removeLeftoverShadows(dbFile);
    let head = await eventStore.headPosition();
    // Until the cut is reached, positions jump about (stream after stream): the count of events says
    // how far (exact on the SQLite store, whose positions are 1…n).
    let streamCut: bigint | undefined = byStream ? head : undefined;
    let position: bigint | undefined;
    let done = 0;
    let lastReport = 0;
    const progress = (phase: RebuildProgress['phase']): RebuildProgress => {
      const elapsedMs = performance.now() - startedAt;
      const reached =
        streamCut !== undefined ? (BigInt(done) < streamCut ? BigInt(done) : streamCut) : (position ?? 0n);
      if (reached > head) head = reached;
      const ratio = phase === 'done' || head === 0n ? 1 : Number(reached) / Number(head);
      const seconds = elapsedMs / 1000;
      const positionRate = seconds > 0 ? Number(reached) / seconds : 0;
      return {
        phase,
        events: done,
        position: reached,
        head,
        // Before the first event, the head: on the SQLite store, the exact count.
        estimatedTotal: phase === 'done' ? done : ratio > 0 ? Math.round(done / ratio) : Number(head),
        ratio,
        eventsPerSecond: seconds > 0 ? done / seconds : 0,
        etaSeconds:
          phase === 'done' ? 0 : positionRate > 0 ? Number(head - reached) / positionRate : undefined,
        elapsedMs,
      };
    };
    options.onProgress?.(progress('replay'));

    let swapFrom: string[];
    if (parallel !== undefined && streamCut !== undefined && eventStore.splitStreams !== undefined) {
      // Several ranges per worker: one done early takes the next, so none waits on the slowest.
      const boundaries = await eventStore.splitStreams(parallel.workers * 4, streamCut);
      const workers = Math.min(parallel.workers, boundaries.length + 1);
      swapFrom = Array.from({ length: workers }, (_, k) => `${dbFile}.rebuild.${k + 1}`);
      for (const file of swapFrom) shadowFiles.add(file);
      done = await replayInWorkers({
        ...limits,
        source: parallel.source,
        name,
        shadowFiles: swapFrom,
        upTo: streamCut,
        boundaries,
        eventTypes: types,
        progressIntervalMs,
        ...(signal === undefined ? {} : { signal }),
        onEvents: (events) => {
          done = events;
          if (performance.now() - lastReport < progressIntervalMs) return;
          lastReport = performance.now();
          options.onProgress?.(progress('replay'));
        },
      }).catch((error: unknown) => {
        obeyAbort();
        throw error;
      });
      // Every event at or below the cut is in. Events appended since are left to whoever follows the
      // live file (its projector resubscribes from the swapped checkpoint), as after any rebuild.
      if (streamCut > 0n) position = streamCut;
      streamCut = undefined;
    } else {
      const shadowFile = `${dbFile}.rebuild`;
      shadowFiles.add(shadowFile);
      swapFrom = [shadowFile];
      const target = createShadowDatabase(shadowFile, name, projections);
      const replay = new ShadowReplay(target, name, projections, limits);
      const fed = async (event: RecordedEvent): Promise<void> => {
        const due = replay.feed(event, position);
        done = replay.events;
        if (due && performance.now() - lastReport >= progressIntervalMs) {
          lastReport = performance.now();
          if (signal !== undefined) {
            // The reads resolve as microtasks: without this turn of the event loop a signal's
            // handler (Ctrl-C) would only run once the replay is over.
            await new Promise(setImmediate);
            obeyAbort();
          }
          head = await eventStore.headPosition();
          options.onProgress?.(progress('replay'));
        }
      };
      try {
        if (streamCut !== undefined && eventStore.readAllByStream !== undefined) {
          // Each aggregate's events one after the other: its fold is complete when the next stream
          // starts, so a batch holds a few thousand folds (not every open one) and writes each once.
          replay.streamAfterStream = true;
          for await (const event of eventStore.readAllByStream({
            upTo: streamCut,
            ...(filter === undefined ? {} : { filter }),
          }))
            await fed(event);
          // Every event at or below the cut is in (filtered-out ones too): the cut is the checkpoint.
          if (streamCut > 0n) position = streamCut;
          replay.commit(position);
          replay.streamAfterStream = false;
          streamCut = undefined;
        }
        // Then the global order: from the cut on, or the whole log.
        const subscription = eventStore.subscribeToAll({
          ...(position === undefined ? { after: 'start' as const } : { after: position }),
          ...(filter === undefined ? {} : { filter }),
        });
        try {
          for await (const item of subscription) {
            if (item.kind === 'event') {
              position = item.event.position;
              // In the global order a stream's events come among others: what a projection folded
              // of it may have been let go (Projection.prepare fetches it again).
              await prepareProjections(target, projections, handlers, [item.event], eventStore);
              await fed(item.event);
              continue;
            }
            replay.commit(position);
            // Filtered-out events up to here are covered too: the subscription vouches for this position.
            if (position === undefined ? item.position > 0n : item.position > position)
              position = item.position;
            break;
          }
        } finally {
          await subscription.close();
        }
        if (position !== undefined) writeCheckpoint(target, name, position, signature);
        done = replay.committed;
      } catch (error) {
        replay.discard();
        throw error;
      } finally {
        target.close();
      }
    }

    obeyAbort();
    options.onProgress?.(progress('swap'));
    log?.info(
      { events: done, position: String(position), workers: parallel === undefined ? 1 : swapFrom.length },
      'vues reconstruites à part : bascule',
    );
    swapIn(dbFile, swapFrom, name, signature, position, sumsOf(projections), (swap) =>
      options.onProgress?.({ ...progress('swap'), swap }),
    );

    const result: RebuildResult = { events: done, position, durationMs: performance.now() - startedAt };
    options.onProgress?.(progress('done'));
    log?.info(
      { events: done, position: String(position), durationMs: Math.round(result.durationMs) },
      'vues basculées',
    );
    return result;
  } finally {
    for (const file of shadowFiles) removeDatabaseFiles(file);
    release();
  }
}

function removeLeftoverShadows(dbFile: string): void {
  const shadow = new RegExp(`^${escapeRegExp(basename(dbFile))}\\.rebuild(\\.\\d+)?(-journal|-wal|-shm)?$`);
  for (const name of readdirSync(dirname(dbFile)))
    if (shadow.test(name)) rmSync(join(dirname(dbFile), name), { force: true });
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every projection's summed tables: table → summed columns. */
function sumsOf(projections: readonly Projection[]): Map<string, readonly string[]> {
  return new Map(projections.flatMap((p) => Object.entries(p.sums ?? {})));
}

/**
 * The atomic swap: one write transaction on the live file (WAL readers keep the old snapshot until
 * it commits). From several shadows (a parallel rebuild): the rows of each table put together, the
 * summed tables' rows added up by key.
 */
function swapIn(
  dbFile: string,
  shadowFiles: readonly string[],
  name: string,
  signature: string,
  position: bigint | undefined,
  sums: ReadonlyMap<string, readonly string[]>,
  onStep: (step: NonNullable<RebuildProgress['swap']>) => void,
): void {
  // A long busy timeout: the live projector may hold the write lock for one batch.
  const main = openReadModelDatabase(dbFile, { busyTimeoutMs: 60_000 });
  const schemas = shadowFiles.map((_, k) => `rebuild${k + 1}`);
  const [first] = schemas;
  if (first === undefined) throw new Error('Bascule sans aucune vue reconstruite.');
  try {
    ensureRuntimeTables(main);
    // ATTACH cannot run inside a transaction.
    shadowFiles.forEach((file, k) => main.prepare(`ATTACH DATABASE ? AS ${schemas[k]}`).run(file));
    try {
      main
        .transaction(() => {
          // Every shadow has the same schema (the same projections built it).
          const incoming = shadowObjects(main, first);
          dropOwnedObjects(
            main,
            name,
            incoming.map((o) => o.name),
          );
          const created = new Set(schemaObjects(main).map((o) => o.name));
          const total = incoming.filter((o) => o.sql !== null).length;
          let done = 0;
          // Tables and their rows first, then indexes (built once over the data), then triggers (so the
          // copy does not fire them) and views.
          for (const type of ['table', 'index', 'trigger', 'view'] as const) {
            for (const object of incoming) {
              if (object.type !== type || object.sql === null) continue;
              onStep({ done, total, current: `${frenchObjectType[type]} ${object.name}` });
              done += 1;
              // A virtual table creates its own shadow tables: they already exist and are filled through it.
              if (created.has(object.name)) continue;
              main.exec(object.sql);
              for (const o of schemaObjects(main)) created.add(o.name);
              if (type === 'table') main.exec(copyRows(main, object.name, schemas, sums.get(object.name)));
            }
          }
          onStep({ done, total, current: 'enregistrement' });
          copyAutoincrementCounters(
            main,
            schemas,
            incoming.filter((o) => o.type === 'table').map((o) => o.name),
          );
          const record = main.prepare(
            `INSERT OR REPLACE INTO main.${OBJECTS_TABLE} (set_name, name, type) VALUES (?, ?, ?)`,
          );
          for (const o of incoming) record.run(name, o.name, o.type);
          writeCheckpoint(main, name, position, signature);
        })
        .immediate();
      // The new tables into the file itself now (without waiting for readers): the WAL then starts
      // over at the next write, cut back to its size limit (openReadModelDatabase).
      main.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      for (const schema of schemas) main.exec(`DETACH DATABASE ${schema}`);
    }
  } finally {
    main.close();
  }
}

const frenchObjectType = { table: 'table', index: 'index', trigger: 'déclencheur', view: 'vue' } as const;

/**
 * The statements copying a table's rows from the shadows into the live file. One plain
 * `INSERT … SELECT *` per shadow rather than one over their UNION ALL: SQLite then copies the
 * records as they are stored, without decoding them (its transfer optimisation; for a table with
 * other indexes than an INTEGER PRIMARY KEY, only while the table is still empty, i.e. from the
 * first shadow). About a quarter less time on the largest tables, measured.
 */
function copyRows(
  main: Database.Database,
  tableName: string,
  schemas: readonly string[],
  summed: readonly string[] | undefined,
): string {
  const table = quoteIdentifier(tableName);
  if (schemas.length === 1 || summed === undefined)
    return schemas.map((schema) => `INSERT INTO main.${table} SELECT * FROM ${schema}.${table};`).join('\n');
  const rows = schemas.map((schema) => `SELECT * FROM ${schema}.${table}`).join(' UNION ALL ');
  const columns = (main.prepare(`PRAGMA ${schemas[0]}.table_info(${table})`).all() as { name: string }[]).map(
    (c) => c.name,
  );
  for (const column of summed)
    if (!columns.includes(column))
      throw new Error(`Table ${tableName} : la colonne additionnée ${column} n'existe pas.`);
  const key = columns.filter((c) => !summed.includes(c)).map(quoteIdentifier);
  const select = columns.map((c) => (summed.includes(c) ? `sum(${quoteIdentifier(c)})` : quoteIdentifier(c)));
  return `INSERT INTO main.${table} (${columns.map(quoteIdentifier).join(', ')})
    SELECT ${select.join(', ')} FROM (${rows}) GROUP BY ${key.join(', ')}`;
}

/** AUTOINCREMENT counters live in sqlite_sequence, which INSERT … SELECT does not carry over exactly. */
function copyAutoincrementCounters(
  main: Database.Database,
  schemas: readonly string[],
  tables: string[],
): void {
  const has = (schema: string) =>
    main.prepare(`SELECT 1 FROM "${schema}".sqlite_master WHERE name = 'sqlite_sequence'`).get() !==
    undefined;
  const withCounters = schemas.filter(has);
  if (tables.length === 0 || withCounters.length === 0 || !has('main')) return;
  const placeholders = tables.map(() => '?').join(', ');
  main.prepare(`DELETE FROM main.sqlite_sequence WHERE name IN (${placeholders})`).run(...tables);
  const counters = withCounters
    .map((schema) => `SELECT name, seq FROM ${schema}.sqlite_sequence WHERE name IN (${placeholders})`)
    .join(' UNION ALL ');
  main
    .prepare(
      `INSERT INTO main.sqlite_sequence (name, seq) SELECT name, max(seq) FROM (${counters}) GROUP BY name`,
    )
    .run(...withCounters.flatMap(() => tables));
}

/** Whether a leftover shadow file exists (a rebuild crashed, or is running). */
export const rebuildInProgress = (dbFile: string): boolean => existsSync(`${dbFile}.rebuild.lock`);
