// The SQLite adapter's integrity check (EventStore.verifyIntegrity). It reads the text columns as
// stored and hashes them as they are (storedText.mjs): no JSON.parse, no zod, no re-encoding — faster
// than the generic check, and stricter, since a byte changed anywhere shows even where the parsed
// value would not change.
//
// The whole log is split by position into ranges, one worker thread each with its own read-only
// connection. Given the stored hashes, each event's check needs only its own row and the previous row
// of its stream, so a worker checks everything within its range and leaves each stream's first row
// there (its link into the ranges before) to the main thread, which joins the ranges in order.
//
// Whatever found a row that does not hold, the report is made as the generic check makes it: the
// first broken event is the lowest position whose check fails, and its reason and detail come from
// the generic per-event check (checkEvent) with the same previous link. Only when that check passes
// — the parsed values agree but the stored text is not the text that was hashed — is the verdict
// this check's own (hash_mismatch).
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { EventStoreBackendError } from './errors';
import { checkEvent, type Link } from './integrity';
import type { Row } from './sqlite';
import type { EventMetadata, IntegrityFailure, IntegrityReport, RecordedEvent, VerifyOptions } from './port';
import {
  createStoredTextChecker,
  STORED_TEXT_COLUMNS,
  type StoredBoundary,
  type StoredTextRow,
} from './storedText.mjs';

export interface StoredTextVerifierOptions {
  db: Database.Database;
  /** The database file, which the workers open read-only. */
  file: string;
  /** Worker threads for a whole-log check; 1 or less: all in this thread. Default: cores, at most 4. */
  workers?: number;
  /** A log with fewer events is checked in this thread (a worker costs some 30 ms to start). */
  workersFrom?: number;
  ensureOpen(): void;
  /** The generic check, for a log whose positions do not fit in a number (never written by this store). */
  generic(options: VerifyOptions): Promise<IntegrityReport>;
}

/** Rows per page: few statement calls, some 5 MB of text at a time. */
const PAGE_SIZE = 4096;
const DEFAULT_WORKERS_FROM = 20_000;
const WORKER_URL = new URL('./storedText.worker.mjs', import.meta.url);

interface WorkerResult {
  checked: number;
  failure: { position: number; ordinal: number; link: { revision: number; hash: string } | null } | null;
  boundary: StoredBoundary;
  links: { streams: string[]; revisions: number[]; hashes: string[] };
}

type WorkerMessage = { kind: 'progress'; checked: number } | ({ kind: 'done' } & WorkerResult);

export function storedTextVerifier(
  options: StoredTextVerifierOptions,
): (verify?: VerifyOptions) => Promise<IntegrityReport> {
  const { db, file } = options;
  const workers = options.workers ?? Math.min(availableParallelism(), 4);
  const workersFrom = options.workersFrom ?? DEFAULT_WORKERS_FROM;
  const headStmt = db.prepare('SELECT max(position) FROM events').pluck().safeIntegers(true);
  // Integers as numbers: cheaper than bigint, exact for positions (the head is checked below) and for
  // any revision a stream reaches; a tampered huge revision is inexact, but then fails its check anyway.
  const pageStmt = db
    .prepare(`SELECT ${STORED_TEXT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
    .raw(true)
    .safeIntegers(false);
  const streamStmt = db
    .prepare(`SELECT ${STORED_TEXT_COLUMNS} FROM events WHERE stream = ? ORDER BY revision`)
    .raw(true)
    .safeIntegers(false);
  const rowStmt = db
    .prepare('SELECT position, stream, revision, id, type, data, metadata FROM events WHERE position = ?')
    .raw(true)
    .safeIntegers(true);

  /** The report for the first broken event, made as the generic check makes it. */
  function broken(
    position: number,
    link: Link | undefined,
    checked: number,
    verify: VerifyOptions,
  ): IntegrityReport {
    const row = rowStmt.get(BigInt(position)) as Row | undefined;
    if (row === undefined)
      throw new EventStoreBackendError(
        `Événement en position ${position} introuvable pendant la vérification.`,
      );
    const [rowPosition, stream, revision, eventId] = row;
    const where = { stream, revision, position: rowPosition, eventId };
    let failure: IntegrityFailure;
    try {
      const event: RecordedEvent = {
        id: eventId,
        stream,
        type: row[4],
        data: JSON.parse(row[5]),
        metadata: JSON.parse(row[6]) as EventMetadata,
        revision,
        position: rowPosition,
      };
      failure = {
        ...where,
        ...(checkEvent(event, link) ?? {
          reason: 'hash_mismatch',
          detail: 'le texte enregistré n’est pas celui qui a été haché (données ou métadonnées réécrites)',
        }),
      };
    } catch {
      failure = {
        ...where,
        reason: 'malformed',
        detail: 'données ou métadonnées enregistrées illisibles (JSON invalide)',
      };
    }
    verify.onProgress?.(checked);
    return { ok: false, checked, firstBroken: failure };
  }

  const toLink = (link: { revision: number; hash: string } | undefined | null): Link | undefined =>
    link ? { revision: BigInt(link.revision), hash: link.hash } : undefined;

  /** One stream (in revision order, as readStream gives it) or a small log, in this thread. */
  async function inThread(
    verify: VerifyOptions,
    pages: (cursor: number) => StoredTextRow[],
  ): Promise<IntegrityReport> {
    const checker = createStoredTextChecker({
      ...(verify.onProgress ? { onProgress: verify.onProgress } : {}),
      progressEvery: verify.progressEvery ?? 1000,
    });
    let cursor = 0;
    for (;;) {
      options.ensureOpen();
      const rows = pages(cursor);
      const index = checker.check(rows);
      if (index >= 0) {
        const row = rows[index]!;
        return broken(row[0], toLink(checker.links.get(row[1])), checker.checked + 1, verify);
      }
      if (rows.length < PAGE_SIZE) break;
      cursor = rows[rows.length - 1]![0];
      // Let the event loop breathe between pages (an HTTP server answers others meanwhile).
      await nextTurn();
    }
    verify.onProgress?.(checker.checked);
    return { ok: true, checked: checker.checked };
  }

  async function inWorkers(verify: VerifyOptions, head: number, count: number): Promise<IntegrityReport> {
    const every = verify.progressEvery ?? 1000;
    const progress = new Array<number>(count).fill(0);
    let reported = 0;
    const threads: Worker[] = [];
    const settled = new Set<number>();
    const stopAfter = (k: number) => {
      for (let j = k + 1; j < threads.length; j++) {
        if (!settled.has(j)) {
          settled.add(j);
          void threads[j]!.terminate();
        }
      }
    };
    const results = Array.from({ length: count }, (_, k) => {
      const worker = new Worker(WORKER_URL, {
        // The worker is plain JavaScript: no loader, no flags of this process.
        execArgv: [],
        workerData: {
          file,
          after: Math.floor((head * k) / count),
          upTo: Math.floor((head * (k + 1)) / count),
          pageSize: PAGE_SIZE,
          progressEvery: every,
        },
      });
      threads.push(worker);
      return new Promise<WorkerResult>((resolve, reject) => {
        worker.on('message', (message: WorkerMessage) => {
          if (message.kind === 'progress') {
            progress[k] = message.checked;
            const total = progress.reduce((a, b) => a + b, 0);
            if (total - reported >= every) {
              reported = total;
              verify.onProgress?.(total);
            }
            return;
          }
          settled.add(k);
          // A broken event here comes before anything the later ranges find.
          if (message.failure) stopAfter(k);
          resolve(message);
        });
        worker.on('error', (error) => {
          settled.add(k);
          reject(error);
        });
        worker.on('exit', (code) => {
          if (!settled.has(k)) reject(new Error(`le fil de vérification s’est arrêté (code ${code})`));
        });
      });
    });
    // A worker that fails while an earlier range is awaited must not count as an unhandled rejection;
    // its error still reaches the loop below when its turn comes.
    for (const result of results) result.catch(() => undefined);
    try {
      const links = new Map<string, { revision: number; hash: string }>();
      let before = 0;
      for (let k = 0; k < count; k++) {
        const result = await results[k]!;
        const { boundary } = result;
        // Each stream's first row in this range against its last link in the ranges before.
        for (let i = 0; i < boundary.positions.length; i++) {
          const stream = boundary.streams[i]!;
          const link = links.get(stream);
          const holds = link
            ? boundary.revisions[i] === link.revision + 1 && boundary.previous[i] === link.hash
            : boundary.revisions[i] === 0 && boundary.previous[i] === null;
          if (!holds) {
            stopAfter(k);
            return broken(boundary.positions[i]!, toLink(link), before + boundary.ordinals[i]!, verify);
          }
        }
        if (result.failure) {
          const { position, ordinal, link } = result.failure;
          const stream = (rowStmt.get(BigInt(position)) as Row | undefined)?.[1];
          const previous = link ?? (stream === undefined ? undefined : links.get(stream));
          return broken(position, toLink(previous), before + ordinal, verify);
        }
        const { streams, revisions, hashes } = result.links;
        for (let i = 0; i < streams.length; i++) {
          links.set(streams[i]!, { revision: revisions[i]!, hash: hashes[i]! });
        }
        before += result.checked;
      }
      verify.onProgress?.(before);
      return { ok: true, checked: before };
    } catch (error) {
      throw error instanceof EventStoreBackendError
        ? error
        : new EventStoreBackendError(
            `Erreur pendant la vérification d’intégrité : ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    } finally {
      stopAfter(-1);
    }
  }

  return async (verify = {}) => {
    options.ensureOpen();
    const stream = verify.stream;
    if (stream !== undefined) {
      return inThread(verify, (cursor) => (cursor === 0 ? (streamStmt.all(stream) as StoredTextRow[]) : []));
    }
    const head = (headStmt.get() as bigint | null) ?? 0n;
    if (head > BigInt(Number.MAX_SAFE_INTEGER)) return options.generic(verify);
    const events = Number(head);
    const count = Math.min(workers, Math.max(1, Math.floor(events / Math.max(1, workersFrom / 2))));
    if (workers <= 1 || events < workersFrom || count <= 1 || file === ':memory:' || file === '') {
      return inThread(verify, (cursor) => pageStmt.all(cursor, PAGE_SIZE) as StoredTextRow[]);
    }
    return inWorkers(verify, events, count);
  };
}
