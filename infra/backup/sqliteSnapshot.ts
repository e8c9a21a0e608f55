// A consistent copy of a SQLite file that other processes may be writing (the engine, the Temporal
// dev server), through SQLite's online backup API in ONE step: every page is copied under one read
// transaction, so the copy is the database as of one instant, never a mix of two, which a plain copy
// of a live file (and of its -wal beside it) can be. On a file in WAL mode (the event log) the
// writers carry on meanwhile; on one in rollback mode (the Temporal server's) they wait for the copy,
// milliseconds at these sizes. In steps, SQLite would start over whenever another process wrote
// between two of them: on a busy log, possibly without end. Not `VACUUM INTO`: it re-runs every
// CREATE statement, and the Temporal server's schema uses double-quoted strings, which this SQLite
// build refuses. The copy is then made one self-contained file (rollback-journal mode) and checked
// page by page (`integrity_check`); sha256OfFile lets the caller record what was written, once it is
// done with the file.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface SqliteSnapshot {
  /** The copy. */
  file: string;
  bytes: number;
  /** Just before the copy began: it holds at least what was committed by then (ISO 8601). */
  takenAt: string;
  durationMs: number;
}

export class SnapshotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnapshotError';
  }
}

/** The most pages better-sqlite3 lets one backup step copy: every page of any file here. */
const ALL_PAGES = 0x7fffffff;

export async function snapshotSqliteFile(
  source: string,
  destination: string,
  clock: () => Date = () => new Date(),
): Promise<SqliteSnapshot> {
  if (!existsSync(source)) throw new SnapshotError(`${source} n’existe pas : rien à copier.`);
  if (existsSync(destination))
    throw new SnapshotError(`${destination} existe déjà : une copie n’en écrase jamais une autre.`);
  const started = performance.now();
  const takenAt = clock().toISOString();
  let db: Database.Database | undefined;
  try {
    // The busy timeout covers a writer holding the file's lock for a moment (a commit).
    db = new Database(source, { readonly: true, fileMustExist: true, timeout: 10_000 });
    // The first step only opens the backup; the second copies every page (see above).
    await db.backup(destination, { progress: () => ALL_PAGES });
  } catch (error) {
    throw new SnapshotError(
      `Copie de ${source} impossible : ${error instanceof Error ? error.message : String(error)}.`,
      { cause: error },
    );
  } finally {
    db?.close();
  }
  const copy = new Database(destination, { fileMustExist: true });
  try {
    // One self-contained file: a copy of a WAL-mode log would otherwise need a -shm beside it to
    // be read, which a read-only opening (an auditor's) cannot create. Opened for writing again,
    // the engine puts it back in WAL mode.
    copy.pragma('journal_mode = DELETE');
    const verdict = copy.pragma('integrity_check', { simple: true });
    if (verdict !== 'ok')
      throw new SnapshotError(
        `La copie ${destination} est incohérente (integrity_check : ${String(verdict)}).`,
      );
  } finally {
    copy.close();
  }
  return {
    file: destination,
    bytes: statSync(destination).size,
    takenAt,
    durationMs: performance.now() - started,
  };
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
