// The projector: follows the event store from its checkpoint and applies each batch of events to
// every projection in ONE SQLite transaction that also moves the checkpoint. A crash (even kill -9)
// loses the batch and its checkpoint together, so on restart the batch is applied again exactly
// once: no double count, no gap.
//
// The checkpoint row is also the projector's lock-free guard against another writer: each batch
// transaction first checks that the stored checkpoint is still the one this projector wrote. If it
// is not (a `grants projections rebuild` in another process swapped the tables in), the batch is
// rolled back and the projector resubscribes from the stored checkpoint.
import type { Database } from 'better-sqlite3';
import { EventStoreError } from '../eventstore/errors';
import type { EventStore, RecordedEvent, Subscription } from '../eventstore/port';
import type { Logger } from '../logging/logger';
import {
  ensureRuntimeTables,
  installSchema,
  projectionSignature,
  readCheckpoint,
  writeCheckpoint,
} from './database';
import {
  type Projection,
  applyEvent,
  discardProjections,
  flushProjections,
  handlerIndex,
  prepareProjections,
  validateProjections,
} from './projection';
import { type RebuildOptions, type RebuildProgress, rebuildProjections } from './rebuild';

export interface ProjectorOptions {
  eventStore: EventStore;
  /** The read-model database (openReadModelDatabase), a file of its own. */
  db: Database;
  projections: readonly Projection[];
  logger: Logger;
  /** Name of the projection set in the checkpoint table. Default 'read-models'. */
  name?: string;
  /** Events per transaction at most. Default 500. */
  batchSize?: number;
  /** A partial batch is committed this long after its first event at the latest. Default 10 ms. */
  flushIntervalMs?: number;
  /** How often an idle projector checks whether another process moved its checkpoint. Default 500 ms. */
  checkpointPollMs?: number;
  /**
   * When the stored tables were built by other projection versions: 'rebuild' (default) rebuilds them
   * at start() — readers keep the old tables until the new ones are swapped in — or 'fail'.
   */
  onVersionChange?: 'rebuild' | 'fail';
  /**
   * When there are no views yet over a log that has events (a restored log, a deleted views file):
   * 'rebuild' (default) builds them as a rebuild does at start() — in worker threads when
   * rebuildParallel says so, with progress, interruptible by stop() — or 'follow' them from the first
   * event, batch by batch, as for any new event.
   */
  onMissingViews?: 'rebuild' | 'follow';
  /** Progress of such a rebuild (for logs or a progress bar). */
  onRebuildProgress?: (progress: RebuildProgress) => void;
  /** Worker threads for such a rebuild (RebuildOptions.parallel). */
  rebuildParallel?: RebuildOptions['parallel'];
  /**
   * healthCheck() reports the projections down once they have been behind the log this long without
   * their checkpoint moving (a read-model file locked, a batch retried for ever). Default 30 s.
   */
  staleAfterMs?: number;
}

export type ProjectorState =
  'idle' | 'starting' | 'rebuilding' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ProjectorStatus {
  name: string;
  state: ProjectorState;
  /** Last position committed with the read models; undefined before the first event. */
  checkpoint: bigint | undefined;
  caughtUp: boolean;
  eventsApplied: number;
  error?: string;
}

export interface WaitOptions {
  /** Default 10 000 ms; Infinity waits as long as the projector runs. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Projector {
  readonly name: string;
  /** Prepares the schema (rebuilding when versions changed), then follows in the background. */
  start(): Promise<void>;
  /** Commits what is buffered, ends the subscription, resolves once the loop has ended. */
  stop(): Promise<void>;
  checkpoint(): bigint | undefined;
  /** Head of the store minus the checkpoint (0n when caught up). */
  lag(): Promise<bigint>;
  /** Resolves once the read models include the event at `position` (read-your-writes after a command). */
  waitForPosition(position: bigint, options?: WaitOptions): Promise<void>;
  /** Whether the subscription has reached the head since it (re)started. */
  isCaughtUp(): boolean;
  status(): ProjectorStatus;
  /** For /health: resolves with details while running, rejects when failed or stopped. */
  healthCheck(): Promise<Record<string, unknown>>;
}

export class ProjectorStoppedError extends Error {
  constructor(reason: string) {
    super(`Le projecteur des vues est arrêté : ${reason}`);
    this.name = 'ProjectorStoppedError';
  }
}

export class ProjectionWaitTimeoutError extends Error {
  constructor(
    readonly position: bigint,
    readonly checkpoint: bigint | undefined,
    timeoutMs: number,
  ) {
    super(
      `Les vues n’ont pas atteint la position ${position} en ${timeoutMs} ms (position actuelle ${checkpoint ?? 'aucune'}).`,
    );
    this.name = 'ProjectionWaitTimeoutError';
  }
}

/** Thrown inside the batch transaction when the stored checkpoint is not ours any more: rolls it back. */
class CheckpointMovedError extends Error {
  constructor(readonly stored: { position: bigint | undefined; signature: string } | undefined) {
    super('checkpoint moved by another writer');
  }
}

interface Waiter {
  position: bigint;
  resolve: () => void;
  reject: (error: Error) => void;
  cleanup: () => void;
}

const isBusy = (error: unknown): boolean =>
  error instanceof Error && /^SQLITE_BUSY/.test((error as Error & { code?: string }).code ?? '');

/**
 * Runs a write that gives up at once (SQLITE_BUSY) when another connection holds the write lock,
 * instead of waiting for it: better-sqlite3 waits synchronously, so for up to the busy timeout the
 * whole process — the HTTP API, timers, Ctrl-C — would stand still while another process writes the
 * file (a rebuild's swap). The projector tries a busy batch again a moment later instead.
 */
function withoutWaiting<T>(db: Database, write: () => T): T {
  const timeoutMs = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma('busy_timeout = 0');
  try {
    return write();
  } finally {
    db.pragma(`busy_timeout = ${timeoutMs}`);
  }
}

/** Resolves after `ms`, or at once when stop() aborts, so a stop never waits out a retry delay. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

export function createProjector(options: ProjectorOptions): Projector {
  const { eventStore, db, logger: parentLogger } = options;
  const projections = [...options.projections];
  validateProjections(projections);
  const name = options.name ?? 'read-models';
  const signature = projectionSignature(projections);
  const batchSize = options.batchSize ?? 500;
  const flushIntervalMs = options.flushIntervalMs ?? 10;
  const checkpointPollMs = options.checkpointPollMs ?? 500;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  /** Since when healthCheck() has seen the views behind, at which checkpoint. */
  let behind: { since: number; checkpoint: bigint | undefined } | undefined;
  const handlers = handlerIndex(projections);
  const logger = parentLogger.child({ component: 'projector', projectionSet: name });

  let state: ProjectorState = 'idle';
  let failure: Error | undefined;
  let committed: bigint | undefined;
  let caughtUp = false;
  let eventsApplied = 0;
  let buffer: RecordedEvent[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let subscription: Subscription | undefined;
  let restartRequested = false;
  let loop: Promise<void> | undefined;
  /** The flush in progress (flush()); resolved when none is. */
  let flushing: Promise<boolean> = Promise.resolve(true);
  /** When the write lock was first found taken, while batches wait for it. */
  let busySince: number | undefined;
  let starting: Promise<void> | undefined;
  const waiters = new Set<Waiter>();
  const stopping = new AbortController();

  // Known before start(), so lag() already tells how far behind a stopped projector's tables are.
  ensureRuntimeTables(db);
  committed = readCheckpoint(db, name)?.position;

  const applyBatch = db.transaction((batch: RecordedEvent[], expected: bigint | undefined) => {
    const stored = readCheckpoint(db, name);
    if (stored === undefined || stored.position !== expected || stored.signature !== signature) {
      throw new CheckpointMovedError(stored);
    }
    for (const event of batch) applyEvent(db, projections, handlers, event);
    flushProjections(db, projections);
    const last = batch[batch.length - 1];
    if (last !== undefined) writeCheckpoint(db, name, last.position, signature);
  });

  const advanceOnly = db.transaction((position: bigint, expected: bigint | undefined) => {
    const stored = readCheckpoint(db, name);
    if (stored === undefined || stored.position !== expected || stored.signature !== signature) {
      throw new CheckpointMovedError(stored);
    }
    writeCheckpoint(db, name, position, signature);
  });

  function settleWaiters(): void {
    for (const waiter of waiters) {
      if (committed !== undefined && committed >= waiter.position) {
        waiter.cleanup();
        waiter.resolve();
      }
    }
  }

  function rejectWaiters(error: Error): void {
    for (const waiter of waiters) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }

  function fail(error: unknown): void {
    if (state === 'failed') return;
    failure = error instanceof Error ? error : new Error(String(error));
    state = 'failed';
    logger.error(
      { err: failure },
      'projections arrêtées sur une erreur : les vues ne sont plus mises à jour',
    );
    clearTimers();
    buffer = [];
    rejectWaiters(new ProjectorStoppedError(failure.message));
    void subscription?.close();
  }

  function clearTimers(): void {
    if (flushTimer !== undefined) clearTimeout(flushTimer);
    flushTimer = undefined;
  }

  /** The stored checkpoint moved under us: drop what is buffered and follow again from there. */
  function restartFrom(stored: { position: bigint | undefined; signature: string } | undefined): void {
    if (stored === undefined || stored.signature !== signature) {
      fail(
        new Error(
          stored === undefined
            ? 'la ligne de point de reprise a disparu de la base des vues'
            : `les vues ont été reconstruites par d’autres versions des projections (${stored.signature}, ` +
                `ce programme connaît ${signature}) : redémarrez avec la version à jour`,
        ),
      );
      return;
    }
    logger.info(
      { from: String(committed), to: String(stored.position) },
      'point de reprise déplacé par un autre processus (reconstruction) : reprise depuis le nouveau point',
    );
    committed = stored.position;
    buffer = [];
    caughtUp = false;
    restartRequested = true;
    // The tables are another process's now: nothing the projections cached of ours may be trusted.
    discardProjections(db, projections);
    clearTimers();
    void subscription?.close();
  }

  /**
   * Commits the buffer: the projections prepare the batch (reads from the event store), then one
   * transaction applies it. Flushes run one at a time, in call order, since a prepare awaits.
   * Resolves false when it must be retried later (database busy, event store unreachable).
   */
  function flush(): Promise<boolean> {
    const run = flushing.then(flushNow, flushNow);
    flushing = run;
    return run;
  }

  async function flushNow(): Promise<boolean> {
    clearTimers();
    if (buffer.length === 0 || state === 'failed' || restartRequested) return true;
    const batch = buffer;
    buffer = [];
    try {
      await prepareProjections(db, projections, handlers, batch, eventStore);
    } catch (error) {
      // Nothing written: the batch waits for the store (a read failed) unless the log itself is wrong.
      if (
        error instanceof EventStoreError &&
        error.code !== 'invalid_event' &&
        error.code !== 'unknown_event_type'
      ) {
        buffer = batch.concat(buffer);
        logger.warn(
          { err: error },
          'lecture du magasin d’événements impossible pour préparer un lot : nouvel essai',
        );
        return false;
      }
      discardProjections(db, projections);
      fail(error);
      return true;
    }
    // Failed or moved while the batch was being prepared (the await lets timers run): not ours any more.
    if ((state as ProjectorState) === 'failed' || restartRequested) return true;
    try {
      withoutWaiting(db, () => applyBatch.immediate(batch, committed));
    } catch (error) {
      // Rolled back: what the projections folded in memory for this batch is not in the tables.
      discardProjections(db, projections);
      if (error instanceof CheckpointMovedError) {
        restartFrom(error.stored);
        return true;
      }
      if (isBusy(error)) {
        buffer = batch.concat(buffer);
        // Said once per spell: retried every 250 ms, a long swap would fill the log.
        if (busySince === undefined) {
          busySince = performance.now();
          logger.warn('base des vues occupée par une autre écriture : nouvel essai dans un instant');
        }
        return false;
      }
      fail(error);
      return true;
    }
    if (busySince !== undefined) {
      logger.info(
        { waitedMs: Math.round(performance.now() - busySince) },
        'base des vues de nouveau libre : lot enregistré',
      );
      busySince = undefined;
    }
    committed = batch[batch.length - 1]?.position ?? committed;
    eventsApplied += batch.length;
    settleWaiters();
    return true;
  }

  function scheduleFlush(delay = flushIntervalMs): void {
    if (flushTimer !== undefined) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      void flush().then((done) => {
        if (!done && state === 'running') scheduleFlush(250);
      });
    }, delay);
  }

  /** Positions the subscription vouches for without an event (filtered or empty store). */
  function advanceTo(position: bigint): void {
    if (state === 'failed' || restartRequested) return;
    const ahead = committed === undefined ? position > 0n : position > committed;
    if (!ahead) return;
    try {
      withoutWaiting(db, () => advanceOnly.immediate(position, committed));
      committed = position;
      settleWaiters();
    } catch (error) {
      if (error instanceof CheckpointMovedError) restartFrom(error.stored);
      else if (!isBusy(error)) fail(error);
    }
  }

  function pollCheckpoint(): void {
    if (state !== 'running' || buffer.length > 0 || restartRequested) return;
    try {
      const stored = readCheckpoint(db, name);
      if (stored === undefined || stored.position !== committed || stored.signature !== signature)
        restartFrom(stored);
    } catch (error) {
      if (!isBusy(error)) logger.warn({ err: error }, 'lecture du point de reprise impossible');
    }
  }

  async function follow(): Promise<void> {
    let backoffMs = 250;
    while (state === 'running') {
      restartRequested = false;
      caughtUp = false;
      const sub = eventStore.subscribeToAll({ after: committed ?? 'start' });
      subscription = sub;
      try {
        for await (const item of sub) {
          if (state !== 'running' || restartRequested) break;
          if (item.kind === 'event') {
            buffer.push(item.event);
            if (buffer.length >= batchSize) {
              // Backpressure: do not read further while the batch cannot be committed.
              while (!(await flush()) && state === 'running') await sleep(250, stopping.signal);
              // The store reads and the batches commit synchronously: without a turn of the event
              // loop, a long catch-up would hold off the HTTP server, timers and Ctrl-C until its end.
              await new Promise(setImmediate);
            } else {
              scheduleFlush();
            }
          } else {
            // The batch before the position is committed before the checkpoint moves past it
            // (retried while the database is busy, as for a full batch).
            while (!(await flush()) && state === 'running') await sleep(250, stopping.signal);
            if (buffer.length > 0) continue;
            advanceTo(item.position);
            if (!caughtUp && !restartRequested && state === 'running') {
              caughtUp = true;
              logger.info({ checkpoint: String(committed) }, 'projections à jour');
            }
          }
          backoffMs = 250;
        }
      } catch (error) {
        if (state !== 'running') break;
        // Undecodable events will not decode on the next try either: stop instead of looping.
        if (
          error instanceof EventStoreError &&
          (error.code === 'invalid_event' || error.code === 'unknown_event_type')
        ) {
          fail(error);
          break;
        }
        await flush();
        logger.warn(
          { err: error, retryInMs: backoffMs },
          'abonnement au magasin d’événements interrompu : reprise',
        );
        await sleep(backoffMs, stopping.signal);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      } finally {
        await sub.close();
      }
    }
  }

  async function prepare(): Promise<void> {
    state = 'starting';
    try {
      ensureRuntimeTables(db);
      let stored = readCheckpoint(db, name);
      const versionChanged = stored !== undefined && stored.signature !== signature;
      if (versionChanged && ((options.onVersionChange ?? 'rebuild') === 'fail' || db.memory)) {
        throw new Error(
          `Les vues ${name} ont été construites par ${stored?.signature} ; ce programme attend ${signature} : ` +
            'reconstruisez-les (grants projections rebuild).',
        );
      }
      // No views yet over a log that has events (a restored log, a deleted views file): built the way
      // a rebuild builds them — in worker threads, with progress, interruptible — rather than
      // followed event after event from the first, several times slower and silent.
      const noViewsOverALog =
        stored === undefined &&
        (options.onMissingViews ?? 'rebuild') === 'rebuild' &&
        !db.memory &&
        (await eventStore.headPosition()) > 0n;
      if (versionChanged || noViewsOverALog) {
        state = 'rebuilding';
        if (versionChanged)
          logger.warn(
            { stored: stored?.signature, expected: signature },
            'versions des projections changées : reconstruction des vues depuis le premier événement',
          );
        else logger.warn('aucune vue sur ce journal : construction des vues depuis le premier événement');
        await rebuildProjections({
          eventStore,
          dbFile: db.name,
          projections,
          name,
          logger,
          ...(options.onRebuildProgress ? { onProgress: options.onRebuildProgress } : {}),
          ...(options.rebuildParallel ? { parallel: options.rebuildParallel } : {}),
          // stop() during the rebuild interrupts it: the old tables stay, the next start rebuilds.
          signal: stopping.signal,
        });
        stored = readCheckpoint(db, name);
      }
      if (stored === undefined) {
        db.transaction(() => {
          installSchema(db, name, projections);
          writeCheckpoint(db, name, undefined, signature);
        }).immediate();
        stored = readCheckpoint(db, name);
      }
      committed = stored?.position;
    } catch (error) {
      state = 'failed';
      failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
    state = 'running';
    logger.info({ checkpoint: String(committed) }, 'projections démarrées');
    pollTimer = setInterval(pollCheckpoint, checkpointPollMs);
    pollTimer.unref();
    loop = follow().catch((error: unknown) => fail(error));
  }

  const projector: Projector = {
    name,

    start() {
      if (state !== 'idle') return Promise.reject(new Error(`start() dans l’état ${state}`));
      starting = prepare();
      return starting;
    },

    async stop() {
      // A stop during start interrupts a rebuild (it can take minutes; the tables in service stay as
      // they were), waits for the start to end, then stops what started.
      if (state === 'rebuilding') stopping.abort();
      await starting?.catch(() => undefined);
      if (state === 'idle' || state === 'stopped') {
        state = 'stopped';
        return;
      }
      stopping.abort();
      const wasRunning = state === 'running';
      if (wasRunning) {
        state = 'stopping';
        clearTimers();
        // A flush under way ends first; then what is left is committed here (flush() would refuse
        // nothing, but its retries belong to a running projector).
        await flushing;
        try {
          if (buffer.length > 0 && !restartRequested) {
            const batch = buffer;
            await prepareProjections(db, projections, handlers, batch, eventStore);
            applyBatch.immediate(batch, committed);
            committed = batch[batch.length - 1]?.position ?? committed;
            eventsApplied += batch.length;
            settleWaiters();
          }
        } catch (error) {
          // Not committed: these events are simply read again at the next start.
          discardProjections(db, projections);
          logger.warn({ err: error }, 'derniers événements non enregistrés à l’arrêt');
        }
        buffer = [];
      }
      if (pollTimer !== undefined) clearInterval(pollTimer);
      await subscription?.close();
      await loop;
      if (state !== 'failed') state = 'stopped';
      rejectWaiters(new ProjectorStoppedError('arrêt demandé'));
      logger.info({ checkpoint: String(committed) }, 'projections arrêtées');
    },

    checkpoint: () => committed,

    async lag() {
      const head = await eventStore.headPosition();
      const lag = head - (committed ?? 0n);
      return lag > 0n ? lag : 0n;
    },

    waitForPosition(position, waitOptions = {}) {
      if (committed !== undefined && committed >= position) return Promise.resolve();
      if (state === 'failed' || state === 'stopped' || state === 'stopping') {
        return Promise.reject(new ProjectorStoppedError(failure?.message ?? 'arrêt demandé'));
      }
      const timeoutMs = waitOptions.timeoutMs ?? 10_000;
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => {
          waiter.cleanup();
          reject(
            waitOptions.signal?.reason instanceof Error
              ? waitOptions.signal.reason
              : new Error('attente annulée'),
          );
        };
        const waiter: Waiter = {
          position,
          resolve,
          reject,
          cleanup: () => {
            if (timer !== undefined) clearTimeout(timer);
            waitOptions.signal?.removeEventListener('abort', onAbort);
            waiters.delete(waiter);
          },
        };
        if (Number.isFinite(timeoutMs)) {
          timer = setTimeout(() => {
            waiter.cleanup();
            reject(new ProjectionWaitTimeoutError(position, committed, timeoutMs));
          }, timeoutMs);
        }
        if (waitOptions.signal?.aborted) {
          onAbort();
          return;
        }
        waitOptions.signal?.addEventListener('abort', onAbort, { once: true });
        waiters.add(waiter);
      });
    },

    isCaughtUp: () => caughtUp,

    status: () => ({
      name,
      state,
      checkpoint: committed,
      caughtUp,
      eventsApplied,
      ...(failure ? { error: failure.message } : {}),
    }),

    async healthCheck() {
      if (state === 'failed') throw failure ?? new Error('projections en échec');
      if (state !== 'running' && state !== 'rebuilding' && state !== 'starting') {
        throw new Error(`projections ${state === 'idle' ? 'non démarrées' : 'arrêtées'}`);
      }
      const lag = await projector.lag();
      // Behind and not moving: the views answer, but with what the log said a while ago. Measured
      // from the first check that saw them behind (an idle engine is behind for a moment after
      // each append), reset whenever the checkpoint moves.
      const now = Date.now();
      if (lag === 0n || behind === undefined || behind.checkpoint !== committed)
        behind = lag === 0n ? undefined : { since: now, checkpoint: committed };
      else if (state === 'running' && now - behind.since > staleAfterMs)
        throw new Error(
          `vues en retard de ${lag} événement${lag > 1n ? 's' : ''} sur le journal, sans progrès depuis ` +
            `${Math.round((now - behind.since) / 1000)} s (fichier des vues occupé par un autre processus ?)`,
        );
      return { state, checkpoint: String(committed ?? 0n), lag: String(lag), caughtUp };
    },
  };
  return projector;
}
