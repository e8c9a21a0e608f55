// The replay of a rebuild spread over worker threads. Possible when every projection of the set
// depends on the order within each stream only (Projection.ordering 'per-stream') and the store can
// read stream after stream: the streams up to a cut of the log are split into ranges of about equal
// events, handed out to the workers one at a time (a worker done early takes the next), and each
// worker replays its ranges into a shadow file of its own. The swap then merges the shadows: the
// rows of one stream are in one shadow only, and the tables a projection declares as sums
// (Projection.sums) are added up.
//
// A worker cannot receive the projections or the store (functions, connections): it imports a
// source module the caller names, which opens them in the worker (see RebuildSourceModule).
import { Worker } from 'node:worker_threads';
import type { EventStore } from '../eventstore/port';
import type { Projection } from './projection';
import type { BatchLimits } from './shadow';

/** What a worker needs to replay: its own store connection and the projection set. */
export interface RebuildSource {
  eventStore: EventStore;
  projections: readonly Projection[];
}

/** The export a source module must have; `data` is RebuildSourceModule.data, as given. */
export type OpenRebuildSource = (data: unknown) => Promise<RebuildSource>;

/** A module (URL) exporting `openRebuildSource`, and the data (structured-cloneable) it is called with. */
export interface RebuildSourceModule {
  module: string;
  data: unknown;
}

export type ParentMessage = { kind: 'range'; fromStream?: string; before?: string } | { kind: 'end' };
export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'progress'; events: number }
  | { kind: 'rangeDone'; events: number }
  | { kind: 'done'; events: number };

const WORKER_URL = new URL('./rebuildWorker.mjs', import.meta.url);

/**
 * A replay allocates ~13 KB per event (decoded events, folds, rows) that mostly dies within a
 * batch: with V8's default young generation much of it survives a scavenge or two and is copied
 * for nothing. 192 MB per worker made the two-worker rebuild of the bench's 1.8M events 1.07 × faster
 * for ~125 MB more memory per worker (bench/RESULTS.md, « 2026-11-27, 07:50–08:08 UTC »).
 */
const WORKER_YOUNG_GENERATION_MB = 192;

export interface ParallelReplayOptions extends BatchLimits {
  source: RebuildSourceModule;
  name: string;
  /** One per worker. */
  shadowFiles: readonly string[];
  /** The cut: events at or below it. */
  upTo: bigint;
  /** Stream names splitting the streams into ranges (ascending); ranges = boundaries + 1. */
  boundaries: readonly string[];
  eventTypes: readonly string[] | undefined;
  progressIntervalMs: number;
  /** Events replayed so far by all workers together. */
  onEvents?: (events: number) => void;
  /** Stops the workers: the replay then rejects with the signal's reason (an Error). */
  signal?: AbortSignal;
}

/** Replays every range into the shadows; resolves with the number of events, rejects on the first failure. */
export async function replayInWorkers(options: ParallelReplayOptions): Promise<number> {
  const ranges: { fromStream?: string; before?: string }[] = [];
  for (let i = 0; i <= options.boundaries.length; i++) {
    const fromStream = options.boundaries[i - 1];
    const before = options.boundaries[i];
    ranges.push({
      ...(fromStream === undefined ? {} : { fromStream }),
      ...(before === undefined ? {} : { before }),
    });
  }
  const counts = options.shadowFiles.map(() => 0);
  const workers: Worker[] = [];
  const report = () => options.onEvents?.(counts.reduce((a, b) => a + b, 0));
  const handOut = (worker: Worker) => {
    const range = ranges.shift();
    worker.postMessage(range === undefined ? { kind: 'end' } : { kind: 'range', ...range });
  };
  // The first ranges go out once every worker is ready, one each: a worker slower to load its
  // modules still gets its share instead of finding the ranges all taken.
  const ready: Worker[] = [];
  const { signal } = options;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(signal?.reason instanceof Error ? signal.reason : new Error('Reconstruction interrompue.'));
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const results = options.shadowFiles.map((shadowFile, k) => {
      const worker = new Worker(WORKER_URL, {
        // The entry registers its own loader; this thread's flags (vite's, tsx's) mean nothing there.
        execArgv: [],
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
        workerData: {
          shadowFile,
          name: options.name,
          source: options.source,
          upTo: String(options.upTo),
          ...(options.eventTypes === undefined ? {} : { eventTypes: [...options.eventTypes] }),
          batchSize: options.batchSize,
          maxPending: options.maxPending,
          progressIntervalMs: options.progressIntervalMs,
        },
      });
      workers.push(worker);
      return new Promise<number>((resolve, reject) => {
        worker.on('message', (message: WorkerMessage) => {
          if (message.kind === 'ready') {
            ready.push(worker);
            if (ready.length === options.shadowFiles.length) ready.forEach(handOut);
            return;
          }
          counts[k] = message.events;
          report();
          if (message.kind === 'rangeDone') handOut(worker);
          if (message.kind === 'done') resolve(message.events);
        });
        worker.on('error', reject);
        worker.on('exit', (code) =>
          reject(new Error(`Le fil de reconstruction ${k + 1} s'est arrêté (code ${code}) avant la fin.`)),
        );
      });
    });
    const events = await Promise.race([Promise.all(results), aborted]);
    return events.reduce((a, b) => a + b, 0);
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    // After a failure or an abort the workers stop at once; after success they have already ended.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
