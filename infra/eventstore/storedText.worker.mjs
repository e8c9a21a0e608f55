// One worker of a whole-log integrity check (sqliteIntegrity.ts): its own read-only connection, the
// positions (after, upTo], checked as stored (storedText.mjs). It reports its count as it goes, then
// what the main thread needs to join the ranges: the first row that does not hold, the first row of
// every stream in the range (checked against the ranges before it), and every stream's last link.
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
    onProgress: (checked) => parentPort.postMessage({ kind: 'progress', checked }),
  });
  let cursor = after;
  let failure = null;
  for (;;) {
    const rows = page.all(cursor, upTo, pageSize);
    if (rows.length === 0) break;
    const index = checker.check(rows);
    if (index >= 0) {
      const row = rows[index];
      const link = checker.links.get(row[1]);
      failure = {
        position: row[0],
        ordinal: checker.checked + 1,
        link: link === undefined ? null : { ...link },
      };
      break;
    }
    if (rows.length < pageSize) break;
    cursor = rows[rows.length - 1][0];
  }
  const links = { streams: [], revisions: [], hashes: [] };
  for (const [stream, link] of checker.links) {
    links.streams.push(stream);
    links.revisions.push(link.revision);
    links.hashes.push(link.hash);
  }
  parentPort.postMessage({
    kind: 'done',
    checked: checker.checked,
    failure,
    boundary: checker.boundary,
    links,
  });
} finally {
  db.close();
}
