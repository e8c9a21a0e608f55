// The read-model database: a SQLite file of its own (never the event store's), in WAL mode so
// readers keep answering while the projector writes, and the runtime's two bookkeeping tables.
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { makeDirectory } from '../files/makeDirectory';
import { type Projection, projectionSignature } from './projection';

/** Names the runtime reserves in every read-model database. */
export const CHECKPOINT_TABLE = 'projection_checkpoints';
export const OBJECTS_TABLE = 'projection_objects';
/**
 * In a rebuild's shadow file only: the secondary indexes left out while the rows are replayed
 * (deferIndexes), built once in the live file at the swap.
 */
export const DEFERRED_INDEXES_TABLE = 'projection_deferred_indexes';

const RUNTIME_SCHEMA = `
  CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (
    set_name   TEXT PRIMARY KEY,
    -- Last global position applied, in decimal: positions are bigint and may exceed 2^53.
    -- NULL until the first event.
    position   TEXT,
    -- Names and versions of the projections that built the tables (projectionSignature).
    signature  TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  -- Which tables, indexes, views and triggers belong to which set, so a rebuild replaces exactly those.
  CREATE TABLE IF NOT EXISTS ${OBJECTS_TABLE} (
    set_name TEXT NOT NULL,
    name     TEXT NOT NULL,
    type     TEXT NOT NULL,
    PRIMARY KEY (set_name, name)
  ) STRICT;
`;

export interface ReadModelDatabaseOptions {
  readonly?: boolean;
  /** How long a writer waits for another connection's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** What the WAL file is cut back to once checkpointed (default WAL_SIZE_LIMIT_BYTES). */
  walSizeLimitBytes?: number;
}

/**
 * A rebuild's swap writes every table through the WAL (1.25 GB for 100,000 applications); without
 * a limit, the WAL file would keep that size on disk for as long as the engine holds the file open.
 */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The page size of a new read-model file: 16 KiB rather than SQLite's 4 KiB. A rebuild's swap writes
 * every table through the WAL and into the file (1.25 GB for 100,000 applications): with four times
 * fewer pages it spends far less time per page (WAL frames, syscalls, b-tree splits), while the
 * queries' point reads stay as fast (both measured side by side, bench/RESULTS.md). 64 KiB pages
 * made the swap a little faster still but the cold queries slower. A file created with other pages
 * keeps them (SQLite cannot change the page size of a WAL file); to move it to these, stop the
 * engine, delete it and run `grants projections rebuild` (README, Operations).
 */
export const READ_MODEL_PAGE_SIZE = 16_384;

/**
 * Opens (creating if needed) a read-model file with the settings the runtime relies on: WAL (readers
 * never block the projector nor see a half-applied batch) and synchronous NORMAL (a power cut may lose
 * the last batches, but data and checkpoint are lost together, and are simply projected again), and
 * a WAL cut back to a bounded size after each checkpoint.
 */
export function openReadModelDatabase(
  file: string,
  options: ReadModelDatabaseOptions = {},
): Database.Database {
  if (!options.readonly) makeDirectory(dirname(file));
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    timeout: options.busyTimeoutMs ?? 5000,
  });
  if (!options.readonly) {
    // Takes effect only on a new, empty file (before WAL is set); an existing file keeps its pages.
    db.pragma(`page_size = ${READ_MODEL_PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${Math.trunc(options.walSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES)}`);
  }
  return db;
}

export function ensureRuntimeTables(db: Database.Database): void {
  db.exec(RUNTIME_SCHEMA);
}

export interface CheckpointRow {
  position: bigint | undefined;
  signature: string;
}

export function readCheckpoint(db: Database.Database, setName: string): CheckpointRow | undefined {
  const row = db
    .prepare(`SELECT position, signature FROM ${CHECKPOINT_TABLE} WHERE set_name = ?`)
    .get(setName) as { position: string | null; signature: string } | undefined;
  if (row === undefined) return undefined;
  return { position: row.position === null ? undefined : BigInt(row.position), signature: row.signature };
}

export function writeCheckpoint(
  db: Database.Database,
  setName: string,
  position: bigint | undefined,
  signature: string,
): void {
  db.prepare(
    `INSERT INTO ${CHECKPOINT_TABLE} (set_name, position, signature, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (set_name) DO UPDATE SET position = excluded.position, signature = excluded.signature,
       updated_at = excluded.updated_at`,
  ).run(setName, position === undefined ? null : position.toString(), signature, new Date().toISOString());
}

interface SchemaObject {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** User objects of a schema (`main`, or an attached one), without SQLite's own and the runtime's. */
export function schemaObjects(db: Database.Database, schema = 'main'): SchemaObject[] {
  return (
    db
      .prepare(`SELECT type, name, tbl_name, sql FROM "${schema}".sqlite_master ORDER BY rowid`)
      .all() as SchemaObject[]
  ).filter(
    (o) =>
      !o.name.startsWith('sqlite_') &&
      o.tbl_name !== CHECKPOINT_TABLE &&
      o.tbl_name !== OBJECTS_TABLE &&
      o.tbl_name !== DEFERRED_INDEXES_TABLE,
  );
}

/**
 * Drops the secondary indexes (neither primary key nor UNIQUE) of a freshly installed schema and
 * keeps their DDL in DEFERRED_INDEXES_TABLE: while a rebuild replays events into a shadow file,
 * maintaining them row by row is wasted work, since the swap builds every index again, once, over
 * the finished rows. Projections read through primary keys and unique constraints only (see
 * Projection.apply), so their lookups keep their index.
 */
export function deferIndexes(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${DEFERRED_INDEXES_TABLE} (
    name     TEXT PRIMARY KEY,
    tbl_name TEXT NOT NULL,
    sql      TEXT NOT NULL
  ) STRICT`);
  const record = db.prepare(`INSERT INTO ${DEFERRED_INDEXES_TABLE} (name, tbl_name, sql) VALUES (?, ?, ?)`);
  for (const o of schemaObjects(db)) {
    // Autoindexes (sql NULL) carry primary keys and UNIQUE constraints; a UNIQUE index is a constraint too.
    if (o.type !== 'index' || o.sql === null || /^\s*CREATE\s+UNIQUE\b/i.test(o.sql)) continue;
    record.run(o.name, o.tbl_name, o.sql);
    db.exec(`DROP INDEX main.${quoteIdentifier(o.name)}`);
  }
}

/** A shadow file's objects as the live file must have them: its own, and the indexes it deferred. */
export function shadowObjects(db: Database.Database, schema: string): SchemaObject[] {
  const objects = schemaObjects(db, schema);
  const hasDeferred =
    db.prepare(`SELECT 1 FROM "${schema}".sqlite_master WHERE name = ?`).get(DEFERRED_INDEXES_TABLE) !==
    undefined;
  if (!hasDeferred) return objects;
  const deferred = db
    .prepare(`SELECT 'index' AS type, name, tbl_name, sql FROM "${schema}".${DEFERRED_INDEXES_TABLE}`)
    .all() as SchemaObject[];
  return [...objects, ...deferred];
}

/**
 * Creates the projections' tables and records which objects they created. Call inside a transaction
 * on a database where the set has no tables yet.
 */
export function installSchema(
  db: Database.Database,
  setName: string,
  projections: readonly Projection[],
): void {
  const before = new Set(schemaObjects(db).map((o) => o.name));
  for (const projection of projections) {
    try {
      if (typeof projection.schema === 'function') projection.schema(db);
      else for (const statement of projection.schema) db.exec(statement);
    } catch (error) {
      throw new Error(
        `Schéma de la projection ${projection.name} : ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  const record = db.prepare(
    `INSERT OR REPLACE INTO ${OBJECTS_TABLE} (set_name, name, type) VALUES (?, ?, ?)`,
  );
  for (const o of schemaObjects(db)) if (!before.has(o.name)) record.run(setName, o.name, o.type);
}

/** Objects recorded as the set's. */
export function ownedObjects(db: Database.Database, setName: string): { name: string; type: string }[] {
  return db.prepare(`SELECT name, type FROM ${OBJECTS_TABLE} WHERE set_name = ?`).all(setName) as {
    name: string;
    type: string;
  }[];
}

export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Drops the set's objects (tables last: dropping a table drops its indexes and triggers with it). */
export function dropOwnedObjects(
  db: Database.Database,
  setName: string,
  alsoNamed: readonly string[] = [],
): void {
  const existing = new Map(schemaObjects(db).map((o) => [o.name, o.type]));
  const names = new Set([...ownedObjects(db, setName).map((o) => o.name), ...alsoNamed]);
  const order = ['view', 'trigger', 'index', 'table'];
  for (const type of order) {
    for (const name of names) {
      if (existing.get(name) !== type) continue;
      // Qualified: with another database attached, an unqualified name could resolve to it.
      db.exec(`DROP ${type.toUpperCase()} IF EXISTS main.${quoteIdentifier(name)}`);
      existing.delete(name);
    }
  }
  db.prepare(`DELETE FROM ${OBJECTS_TABLE} WHERE set_name = ?`).run(setName);
}

export { projectionSignature };
