// One worker of a whole-log integrity check (sqliteIntegrity.ts): its own read-only connection, the
// positions (after, upTo], checked as stored (storedText.mjs). It reports its count as it goes, then
// what the main thread needs to join the ranges: each stream's first row here that does not hold,
// the rows left unchecked after it, the first row of every stream in the range (checked against the
// ranges before it), and every stream's last link.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { createStoredTextChecker, STORED_TEXT_COLUMNS } from './storedText.mjs';

const { file, after, upTo, pageSize, progressEvery } = workerData;
const db = new Database(file, { readonly: true, fileMustExist: true });
try {
  // Positions fit in a number (the main thread checked the head); big pages, few statement calls.
  const page = db
    .prepare(
      `SELECT ${STORED_TEXT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`,
    )
    .raw(true);
  const checker = createStoredTextChecker({
    deferFirstLinks: true,
    progressEvery,
    onProgress: (read) => parentPort.postMessage({ kind: 'progress', read }),
  });
  let cursor = after;
  for (;;) {
    const rows = page.all(cursor, upTo, pageSize);
    if (rows.length === 0) break;
    checker.check(rows);
    if (rows.length < pageSize) break;
    cursor = rows[rows.length - 1][0];
  }
  // Broken streams' links are stand-ins: the main thread has them as broken already.
  const broken = new Set(checker.failures.streams);
  const links = { streams: [], revisions: [], hashes: [] };
  for (const [stream, link] of checker.links) {
    if (broken.has(stream)) continue;
    links.streams.push(stream);
    links.revisions.push(link.revision);
    links.hashes.push(link.hash);
  }
  parentPort.postMessage({
    kind: 'done',
    read: checker.read,
    unchecked: checker.unchecked,
    failures: checker.failures,
    uncheckedByStream: checker.uncheckedByStream,
    boundary: checker.boundary,
    links,
  });
} finally {
  db.close();
}
