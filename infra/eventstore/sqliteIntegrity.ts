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
// Whatever found a row that does not hold, the report is made as the generic check makes it: for each
// stream, its first broken event is the first of its rows whose check fails, and its reason and
// detail come from the generic per-event check (checkEvent) with the same previous link. Only when
// that check passes — the parsed values agree but the stored text is not the text that was hashed —
// is the verdict this check's own (hash_mismatch). A stream's rows after its first break are not
// checked (counted unchecked): a worker that did not know its stream had broken in an earlier range
// has its verdicts on them set aside by the main thread.
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { EventStoreBackendError } from './errors';
import { BROKEN_LISTED, checkEvent, integrityReport, type Link } from './integrity';
import type { Row } from './sqlite';
import type { EventMetadata, IntegrityFailure, IntegrityReport, RecordedEvent, VerifyOptions } from './port';
import {
  createStoredTextChecker,
  STORED_TEXT_COLUMNS,
  type StoredBoundary,
  type StoredFailures,
  type StoredLink,
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
  read: number;
  unchecked: number;
  failures: StoredFailures;
  uncheckedByStream: Map<string, number>;
  boundary: StoredBoundary;
  links: { streams: string[]; revisions: number[]; hashes: string[] };
}

type WorkerMessage = { kind: 'progress'; read: number } | ({ kind: 'done' } & WorkerResult);

/** A stream's first broken row, and its stream's link before it. */
interface Break {
  position: number;
  link: Link | undefined;
}

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
  const countStmt = db
    .prepare('SELECT count(*) FROM events WHERE stream = ? AND position > ? AND position <= ?')
    .pluck()
    .safeIntegers(false);

  /** The broken event at `position`, said as the generic check says it. */
  function failureAt({ position, link }: Break): IntegrityFailure {
    const row = rowStmt.get(BigInt(position)) as Row | undefined;
    if (row === undefined)
      throw new EventStoreBackendError(
        `Événement en position ${position} introuvable pendant la vérification.`,
      );
    const [rowPosition, stream, revision, eventId] = row;
    const where = { stream, revision, position: rowPosition, eventId };
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
      return {
        ...where,
        ...(checkEvent(event, link) ?? {
          reason: 'hash_mismatch',
          detail: 'le texte enregistré n’est pas celui qui a été haché (données ou métadonnées réécrites)',
        }),
      };
    } catch {
      return {
        ...where,
        reason: 'malformed',
        detail: 'données ou métadonnées enregistrées illisibles (JSON invalide)',
      };
    }
  }

  /** The report, `listed`: the first BROKEN_LISTED breaks, read back and described. */
  const report = (read: number, unchecked: number, listed: Break[], brokenStreams: number): IntegrityReport =>
    integrityReport(read, unchecked, listed.map(failureAt), brokenStreams);

  const toLink = (link: StoredLink | undefined | null): Link | undefined =>
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
      checker.check(rows);
      if (rows.length < PAGE_SIZE) break;
      cursor = rows[rows.length - 1]![0];
      // Let the event loop breathe between pages (an HTTP server answers others meanwhile).
      await nextTurn();
    }
    verify.onProgress?.(checker.read);
    const { positions, links } = checker.failures;
    const listed = positions
      .slice(0, BROKEN_LISTED)
      .map((position, i) => ({ position, link: toLink(links[i]) }));
    return report(checker.read, checker.unchecked, listed, positions.length);
  }

  async function inWorkers(verify: VerifyOptions, head: number, count: number): Promise<IntegrityReport> {
    const every = verify.progressEvery ?? 1000;
    const progress = new Array<number>(count).fill(0);
    let reported = 0;
    const threads: Worker[] = [];
    const settled = new Set<number>();
    /** Range k is the positions (bounds[k], bounds[k + 1]]. */
    const bounds = Array.from({ length: count + 1 }, (_, k) => Math.floor((head * k) / count));
    const results = Array.from({ length: count }, (_, k) => {
      const worker = new Worker(WORKER_URL, {
        // The worker is plain JavaScript: no loader, no flags of this process.
        execArgv: [],
        workerData: {
          file,
          after: bounds[k],
          upTo: bounds[k + 1],
          pageSize: PAGE_SIZE,
          progressEvery: every,
        },
      });
      threads.push(worker);
      return new Promise<WorkerResult>((resolve, reject) => {
        worker.on('message', (message: WorkerMessage) => {
          if (message.kind === 'progress') {
            progress[k] = message.read;
            const total = progress.reduce((a, b) => a + b, 0);
            if (total - reported >= every) {
              reported = total;
              verify.onProgress?.(total);
            }
            return;
          }
          settled.add(k);
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
      /** The last link of every intact stream in the ranges joined so far. */
      const links = new Map<string, StoredLink>();
      const brokenStreams = new Set<string>();
      const listed: Break[] = [];
      let read = 0;
      let unchecked = 0;
      for (let k = 0; k < count; k++) {
        const result = await results[k]!;
        const { boundary, failures, uncheckedByStream } = result;
        read += result.read;
        unchecked += result.unchecked;
        /** Rows of `stream` in this range that the worker checked (it did not know where the stream broke). */
        const checkedHere = (stream: string): number =>
          (countStmt.get(stream, bounds[k], bounds[k + 1]) as number) - (uncheckedByStream.get(stream) ?? 0);
        const here: Break[] = [];
        const brokenHere = new Set<string>();
        /** Streams broken in an earlier range with rows here: none of these rows is checked. */
        const brokenBefore = new Set<string>();
        // Each stream's first row in this range against its last link in the ranges before.
        for (let i = 0; i < boundary.positions.length; i++) {
          const stream = boundary.streams[i]!;
          if (brokenStreams.has(stream)) {
            brokenBefore.add(stream);
            continue;
          }
          const link = links.get(stream);
          const holds = link
            ? boundary.revisions[i] === link.revision + 1 && boundary.previous[i] === link.hash
            : boundary.revisions[i] === 0 && boundary.previous[i] === null;
          if (!holds) {
            here.push({ position: boundary.positions[i]!, link: toLink(link) });
            brokenHere.add(stream);
            // That row's check ran; the stream's later rows here were checked by the worker, too soon.
            unchecked += checkedHere(stream) - 1;
          }
        }
        // The worker's own finds, unless their stream broke before them.
        for (let i = 0; i < failures.positions.length; i++) {
          const stream = failures.streams[i]!;
          if (brokenStreams.has(stream)) brokenBefore.add(stream);
          else if (!brokenHere.has(stream)) {
            here.push({
              position: failures.positions[i]!,
              link: toLink(failures.links[i] ?? links.get(stream)),
            });
            brokenHere.add(stream);
          }
        }
        for (const stream of brokenBefore) unchecked += checkedHere(stream);
        for (const found of here.sort((a, b) => a.position - b.position)) {
          if (listed.length < BROKEN_LISTED) listed.push(found);
        }
        for (const stream of brokenHere) brokenStreams.add(stream);
        const { streams, revisions, hashes } = result.links;
        for (let i = 0; i < streams.length; i++) {
          if (brokenStreams.has(streams[i]!)) continue;
          links.set(streams[i]!, { revision: revisions[i]!, hash: hashes[i]! });
        }
      }
      verify.onProgress?.(read);
      return report(read, unchecked, listed, brokenStreams.size);
    } catch (error) {
      throw error instanceof EventStoreBackendError
        ? error
        : new EventStoreBackendError(
            `Erreur pendant la vérification d’intégrité : ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    } finally {
      for (let k = 0; k < threads.length; k++) {
        if (!settled.has(k)) {
          settled.add(k);
          void threads[k]!.terminate();
        }
      }
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
