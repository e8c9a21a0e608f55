// The embedded default: one SQLite file, WAL, one writer at a time. better-sqlite3 is synchronous, so
// several processes may share the file: BEGIN IMMEDIATE takes the write lock up front and
// busy_timeout makes a competing writer wait for it instead of failing.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { expectationHolds, prepareAppend, retryPlaceMatches, sealEvent, type PreparedEvent } from './append';
import {
  DuplicateEventIdError,
  EventStoreBackendError,
  EventStoreClosedError,
  EventStoreError,
  WrongExpectedVersionError,
} from './errors';
import type {
  AppendResult,
  EventFilter,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  IntegrityReport,
  NewEvent,
  ReadAllOptions,
  ReadByStreamOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionItem,
  VerifyOptions,
} from './port';
import type { EventRegistry } from './registry';
import { verifyIntegrityGeneric } from './integrity';
import { makeDirectory } from '../files/makeDirectory';
import { storedTextVerifier } from './sqliteIntegrity';

export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface SqliteEventStoreOptions {
  file: string;
  registry: EventRegistry;
  /** FULL (default): an acknowledged append survives a power cut. OFF is for benchmark set-up only. */
  synchronous?: SqliteSynchronous;
  /** How long a writer waits for another process's write lock before giving up (default 5000 ms). */
  busyTimeoutMs?: number;
  /** How often a live subscription looks for appends made by other processes (default 25 ms). */
  pollIntervalMs?: number;
  /** Rows per page for readAll and subscriptions (default 1000). */
  pageSize?: number;
  /** Record time; injectable for tests. */
  clock?: () => Date;
  /**
   * Worker threads for an integrity check of the whole log (default: the cores, at most 4); 1: all
   * in the calling thread. See sqliteIntegrity.ts.
   */
  integrityWorkers?: number;
  /** Logs with fewer events are checked in the calling thread (default 20,000). */
  integrityWorkersFrom?: number;
  /**
   * Only read: the file must already be a log of this layout; nothing is written to it (no journal
   * mode set, no migration) and append is refused. For an account that may only read the data (an
   * auditor's) and for checking a backup's copy.
   */
  readOnly?: boolean;
}

/** The SQLite store, with what it runs under (for diagnostics and tests). */
export interface SqliteEventStore extends EventStore {
  readonly kind: 'sqlite';
  readAllByStream(options: ReadByStreamOptions): AsyncIterable<RecordedEvent>;
  splitStreams(parts: number, upTo: bigint): Promise<string[]>;
  settings(): { file: string; journalMode: string; synchronous: SqliteSynchronous; busyTimeoutMs: number };
  /** Over the stored text, split across worker threads for a whole log (sqliteIntegrity.ts). */
  verifyIntegrity(options?: VerifyOptions): Promise<IntegrityReport>;
}

const SYNCHRONOUS_NAMES: Record<number, SqliteSynchronous> = { 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' };

/** Layout version of the file, in PRAGMA user_version; bump with a migration when the schema changes. */
const LAYOUT_VERSION = 1;
const MAX_INT64 = 9223372036854775807n;

/** The file's tables, indexes and triggers (exported for the benchmark's raw baseline). */
export const SQLITE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream   TEXT    NOT NULL,
    revision INTEGER NOT NULL,
    id       TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream, revision);
  CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id);
  -- The log is append-only; these stop a stray UPDATE/DELETE from our own code. Someone with the
  -- file can still drop them: the hash chain is what makes that visible.
  CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
`;

const COLUMNS = 'position, stream, revision, id, type, data, metadata';
/** One row of the events table as the statements select it (COLUMNS), with safe integers. */
export type Row = [
  position: bigint,
  stream: string,
  revision: bigint,
  id: string,
  type: string,
  data: string,
  metadata: string,
];

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

function toBackendError(error: unknown, what: string): Error {
  if (error instanceof EventStoreError) return error;
  const code = sqliteCode(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT') {
    return new EventStoreBackendError(
      `Base d'événements occupée par un autre processus (${what}) : réessayez, ou augmentez le délai d'attente.`,
      { cause: error },
    );
  }
  return new EventStoreBackendError(
    `Erreur SQLite (${what}) : ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/**
 * Why a read-only opening failed, said for the person who tried (an auditor's account, mostly):
 * SQLite's own words name neither the file nor what to do.
 */
function readOnlyOpeningError(error: unknown, file: string): Error | undefined {
  const code = sqliteCode(error);
  if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_READONLY_CANTINIT')
    return new EventStoreBackendError(
      `Le journal ${file} est en mode WAL : pour le lire, SQLite doit créer ${basename(file)}-shm à côté de lui, ` +
        `et ce compte ne peut pas écrire dans ${dirname(file)}. Lisez-le pendant que le moteur tourne (ce fichier ` +
        `existe alors), donnez à ce compte le droit d'écrire dans le dossier (pas dans le journal), ou vérifiez ` +
        `une sauvegarde (grants backup) : sa copie est un seul fichier, lisible avec le seul droit de lecture.`,
      { cause: error },
    );
  if (code === 'SQLITE_CANTOPEN' && existsSync(file))
    return new EventStoreBackendError(
      `Le journal ${file} ne peut pas être ouvert : ce compte n'a pas le droit de le lire (ou de traverser son dossier).`,
      { cause: error },
    );
  return undefined;
}

/** A file SQLite cannot read as a database (damaged, or another kind of file): named, with what to do. */
function notALogError(error: unknown, file: string): Error | undefined {
  const code = sqliteCode(error);
  if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') return undefined;
  return new EventStoreBackendError(
    `Le journal ${file} n'est pas une base SQLite lisible (fichier endommagé, ou d'une autre sorte) : il est ` +
      `laissé tel quel. Vérifiez GRANTS_DATA_DIR, ou remettez la dernière sauvegarde (grants restore).`,
    { cause: error },
  );
}

export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  const { registry } = options;
  const pageSize = options.pageSize ?? 1000;
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  const clock = options.clock ?? (() => new Date());

  const readOnly = options.readOnly ?? false;
  const storeFile = options.file;
  if (!readOnly) makeDirectory(dirname(storeFile));
  let db: Database.Database;
  try {
    db = new Database(storeFile, {
      timeout: options.busyTimeoutMs ?? 5000,
      ...(readOnly ? { readonly: true, fileMustExist: true } : {}),
    });
  } catch (error) {
    throw (
      (readOnly ? readOnlyOpeningError(error, storeFile) : undefined) ?? toBackendError(error, 'ouverture')
    );
  }
  try {
    if (readOnly) {
      // Nothing written, so nothing migrated: the file must already be a log of this layout.
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== LAYOUT_VERSION)
        throw new EventStoreBackendError(
          version === 0
            ? `${storeFile} n'est pas un journal d'événements.`
            : `Fichier d'événements ${storeFile} au format ${version}, ${version > LAYOUT_VERSION ? 'plus récent' : 'antérieur'} que celui de ce moteur (${LAYOUT_VERSION}) : il ne peut être lu qu'en l'ouvrant en écriture, avec la bonne version du moteur.`,
        );
    } else {
      // Checked before anything is written (the journal mode is written in the file's header): a
      // file of a newer engine stays as that engine left it.
      const newer = (version: number) =>
        new EventStoreBackendError(
          `Fichier d'événements ${storeFile} au format ${version}, écrit par une version plus récente du ` +
            `moteur (celle-ci lit le format ${LAYOUT_VERSION}) : il est laissé tel quel. Démarrez la version ` +
            'qui l’a écrit, ou remettez une sauvegarde de ce format (grants restore).',
        );
      const found = db.pragma('user_version', { simple: true }) as number;
      if (found > LAYOUT_VERSION) throw newer(found);
      // busy_timeout (the `timeout` option) is already set, so a concurrent opener waits here too.
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      db.transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > LAYOUT_VERSION) throw newer(version);
        db.exec(SQLITE_SCHEMA);
        if (version < LAYOUT_VERSION) db.pragma(`user_version = ${LAYOUT_VERSION}`);
      }).immediate();
    }
  } catch (error) {
    db.close();
    throw (
      (readOnly ? readOnlyOpeningError(error, storeFile) : undefined) ??
      notALogError(error, storeFile) ??
      toBackendError(error, 'ouverture')
    );
  }

  // safeIntegers: positions and revisions come back as bigint, never as lossy numbers.
  const prepare = (sql: string) => db.prepare(sql).safeIntegers(true);
  const prepareRows = (sql: string) => db.prepare(sql).safeIntegers(true).raw(true);
  const headStmt = prepare('SELECT max(position) FROM events').pluck();
  const lastInStreamStmt = prepareRows(
    `SELECT revision, metadata ->> '$.hash' FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`,
  );
  const byIdStmt = prepareRows('SELECT stream, revision, position FROM events WHERE id = ?');
  // No position given: for an INTEGER PRIMARY KEY, SQLite assigns max(position) + 1 — computed under
  // the write lock, inside the transaction, so positions grow in commit order (and rows are never
  // deleted, so none is reused).
  const insertStmt = prepare(
    'INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const streamForwardsStmt = prepareRows(
    `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
  );
  const streamBackwardsStmt = prepareRows(
    `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
  );

  // Page statements per filter shape: (direction, number of prefixes, number of types, upper bound).
  const pageStmts = new Map<string, Database.Statement>();
  function pageStmt(direction: 'forwards' | 'backwards', filter: EventFilter | undefined, bounded: boolean) {
    const nPrefixes = filter?.streamPrefixes?.length ?? 0;
    const nTypes = filter?.eventTypes?.length ?? 0;
    const key = `${direction}:${nPrefixes}:${nTypes}:${bounded}`;
    let stmt = pageStmts.get(key);
    if (!stmt) {
      const where = [direction === 'forwards' ? 'position > ?' : 'position < ?'];
      if (bounded) where.push('position <= ?');
      // substr/length both count characters, so the comparison is an exact prefix test.
      if (nPrefixes > 0)
        where.push('(' + Array(nPrefixes).fill('substr(stream, 1, length(?)) = ?').join(' OR ') + ')');
      if (nTypes > 0) where.push(`type IN (${Array(nTypes).fill('?').join(', ')})`);
      stmt = prepareRows(
        `SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY position ${direction === 'forwards' ? 'ASC' : 'DESC'} LIMIT ?`,
      );
      pageStmts.set(key, stmt);
    }
    return stmt;
  }
  const filterParams = (filter: EventFilter | undefined): string[] => [
    ...(filter?.streamPrefixes ?? []).flatMap((p) => [p, p]),
    ...(filter?.eventTypes ?? []),
  ];

  const toEvent = (row: Row, raw: boolean): RecordedEvent => {
    const metadata = JSON.parse(row[6]) as EventMetadata;
    const event: RecordedEvent = {
      id: row[3],
      stream: row[1],
      type: row[4],
      data: JSON.parse(row[5]),
      metadata,
      revision: row[2],
      position: row[0],
    };
    // The event itself tells decode where it is (for its errors): no extra object per event.
    if (!raw) event.data = registry.decode(event.type, metadata.schemaVersion, event.data, event);
    return event;
  };

  const head = (): bigint => (headStmt.get() as bigint | null) ?? 0n;

  /**
   * Are some of these ids already committed? The same ids at the place the expectation points to are
   * the same append retried: its original result. Anything else is a conflict. None: undefined.
   */
  function committedVerdict(
    stream: string,
    batch: PreparedEvent[],
    expected: ExpectedRevision,
  ): AppendResult | Error | undefined {
    const found = batch.map((e) => byIdStmt.get(e.id) as [string, bigint, bigint] | undefined);
    if (found.every((f) => f === undefined)) return undefined;
    for (const [i, f] of found.entries()) {
      if (f && f[0] !== stream) return new DuplicateEventIdError(batch[i]!.id, f[0]);
    }
    const first = found[0];
    const complete =
      first !== undefined && found.every((f, i) => f !== undefined && f[1] === first[1] + BigInt(i));
    if (complete && retryPlaceMatches(expected, first[1])) {
      const last = found[found.length - 1]!;
      return { nextExpectedRevision: last[1], position: last[2] };
    }
    const last = lastInStreamStmt.get(stream) as [bigint, string] | undefined;
    return new WrongExpectedVersionError(
      stream,
      expected,
      last ? last[0] : 'no_stream',
      'ajout déjà partiellement ou autrement enregistré',
    );
  }
  const verdictTx = db.transaction(committedVerdict);

  const appendTx = db.transaction(
    (stream: string, batch: PreparedEvent[], expected: ExpectedRevision): AppendResult => {
      const last = lastInStreamStmt.get(stream) as [bigint, string] | undefined;
      const actual = last ? last[0] : 'no_stream';
      if (!expectationHolds(expected, actual)) {
        // Maybe a retry of an append that did commit (the stream moved on by exactly these events).
        const verdict = committedVerdict(stream, batch, expected);
        if (verdict === undefined) throw new WrongExpectedVersionError(stream, expected, actual);
        if (verdict instanceof Error) throw verdict;
        return verdict;
      }
      let revision = last ? last[0] : -1n;
      let previousHash = last ? last[1] : null;
      let position = 0n;
      const recordedAt = clock().toISOString();
      for (const event of batch) {
        revision += 1n;
        const sealed = sealEvent(event, stream, revision, previousHash, recordedAt);
        position = insertStmt.run(stream, revision, event.id, event.type, event.dataJson, sealed.metadataJson)
          .lastInsertRowid as bigint;
        previousHash = sealed.hash;
      }
      return { nextExpectedRevision: revision, position };
    },
  );

  /** The unique index on id refused a row: some event of the append is already committed. */
  const isIdCollision = (error: unknown): boolean =>
    sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE' && (error as Error).message.includes('events.id');

  function appendOrRecognise(
    stream: string,
    batch: PreparedEvent[],
    expected: ExpectedRevision,
  ): AppendResult {
    try {
      return appendTx.immediate(stream, batch, expected);
    } catch (error) {
      // Ids are looked up only when an insert collides, keeping the lookups off the common path.
      if (!isIdCollision(error)) throw error;
      const verdict = verdictTx(stream, batch, expected);
      if (verdict === undefined) throw error;
      if (verdict instanceof Error) throw verdict;
      return verdict;
    }
  }

  // Wakes this process's live subscriptions at once; other processes' appends are found by polling.
  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  const subscriptions = new Set<SqliteSubscription>();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new EventStoreClosedError();
  };

  function readAllPages(options: ReadAllOptions): AsyncIterable<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    const stmt = pageStmt(direction, options.filter, false);
    const params = filterParams(options.filter);
    const start =
      direction === 'forwards'
        ? options.after === undefined || options.after === 'start'
          ? 0n
          : options.after
        : (options.before ?? MAX_INT64);
    return pagedEvents(
      () => {
        let cursor = start;
        return (want) => {
          const rows = stmt.all(cursor, ...params, want) as Row[];
          if (rows.length > 0) cursor = rows[rows.length - 1]![0];
          return rows;
        };
      },
      options.raw ?? false,
      options.maxCount ?? Number.POSITIVE_INFINITY,
    );
  }

  /** readAllByStream: keyset pages over the (stream, revision) index, the same cost per event as readAll. */
  function readByStreamPages(options: ReadByStreamOptions): AsyncIterable<RecordedEvent> {
    const nPrefixes = options.filter?.streamPrefixes?.length ?? 0;
    const nTypes = options.filter?.eventTypes?.length ?? 0;
    const where = ['(stream, revision) > (?, ?)', 'position <= ?'];
    if (options.before !== undefined) where.push('stream < ?');
    if (nPrefixes > 0)
      where.push('(' + Array(nPrefixes).fill('substr(stream, 1, length(?)) = ?').join(' OR ') + ')');
    if (nTypes > 0) where.push(`type IN (${Array(nTypes).fill('?').join(', ')})`);
    const stmt = prepareRows(
      `SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY stream, revision LIMIT ?`,
    );
    const bounds = options.before === undefined ? [] : [options.before];
    const params = filterParams(options.filter);
    return pagedEvents(
      () => {
        // Revision -1 sorts before the first event of `fromStream` itself.
        let stream = options.fromStream ?? '';
        let revision = -1n;
        return (want) => {
          const rows = stmt.all(stream, revision, options.upTo, ...bounds, ...params, want) as Row[];
          const last = rows[rows.length - 1];
          if (last !== undefined) [stream, revision] = [last[1], last[2]];
          return rows;
        };
      },
      false,
      Number.POSITIVE_INFINITY,
    );
  }

  /**
   * Pages of rows as a plain async iterator: an async generator would cost a promise round trip per
   * event for nothing, the driver being synchronous. Page by page, each page a short read: an
   * iterator held open across yields would keep the connection busy (no appends from this process
   * meanwhile) and pin a WAL snapshot, stopping checkpoints for as long as a slow consumer takes over
   * a million events. `pages()` starts a reading: each call of what it returns gives the next rows.
   */
  function pagedEvents(
    pages: () => (want: number) => Row[],
    raw: boolean,
    limit: number,
  ): AsyncIterable<RecordedEvent> {
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    return {
      [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
        const nextPage = pages();
        let rows: Row[] = [];
        let index = 0;
        let count = 0;
        let exhausted = limit <= 0;
        return {
          next() {
            try {
              if (index === rows.length) {
                if (exhausted) return Promise.resolve(done);
                ensureOpen();
                const want = Math.min(pageSize, limit - count);
                try {
                  rows = nextPage(want);
                } catch (error) {
                  throw toBackendError(error, 'lecture');
                }
                index = 0;
                count += rows.length;
                exhausted = rows.length < want || count >= limit;
                if (rows.length === 0) return Promise.resolve(done);
              }
              return Promise.resolve({ done: false, value: toEvent(rows[index++]!, raw) });
            } catch (error) {
              exhausted = true;
              rows = [];
              index = 0;
              return Promise.reject(error instanceof Error ? error : new Error(String(error)));
            }
          },
          return() {
            exhausted = true;
            rows = [];
            index = 0;
            return Promise.resolve(done);
          },
        };
      },
    };
  }

  /**
   * Catch-up and live in one iterator. Why reading `position > checkpoint` never skips an event:
   * positions are assigned inside the write transaction, under SQLite's single write lock, so they
   * grow in commit order; a reader only ever sees committed transactions (WAL snapshot). Once
   * max(position) = H is visible, every position ≤ H is committed and visible too — there is no
   * "hole" that a slower transaction could fill later. So draining (checkpoint, H] page by page and
   * then moving the checkpoint to H is gap-free and in order, whatever other processes append.
   * A hand-written iterator rather than an async generator: events come from synchronous pages, so
   * only the wait for new appends needs a real promise.
   */
  class SqliteSubscription implements Subscription, AsyncIterator<SubscriptionItem> {
    private closed = false;
    private started = false;
    private wake: (() => void) | undefined;
    private waiting: Promise<void> | undefined;
    private readonly stmt: Database.Statement;
    private readonly params: string[];
    private checkpoint: bigint;
    /** Head being drained to, or undefined when not draining. */
    private target: bigint | undefined;
    private rows: Row[] = [];
    private index = 0;
    private caughtUpSent = false;

    constructor(options: SubscribeOptions) {
      this.stmt = pageStmt('forwards', options.filter, true);
      this.params = filterParams(options.filter);
      this.checkpoint = options.after === undefined || options.after === 'start' ? 0n : options.after;
    }

    close(): Promise<void> {
      this.closed = true;
      this.rows = [];
      this.index = 0;
      this.wake?.();
      subscriptions.delete(this);
      return Promise.resolve();
    }

    [Symbol.asyncIterator](): AsyncIterator<SubscriptionItem> {
      if (this.started) throw new Error('A subscription is iterated once; subscribe again to restart.');
      this.started = true;
      return this;
    }

    async return(): Promise<IteratorResult<SubscriptionItem>> {
      await this.close();
      return { done: true, value: undefined };
    }

    next(): Promise<IteratorResult<SubscriptionItem>> {
      if (this.waiting) return this.waiting.then(() => this.next());
      try {
        const item = this.step();
        if (item === 'wait') {
          this.waiting = this.waitForAppend();
          return this.waiting.then(() => this.next());
        }
        return Promise.resolve(
          item === undefined ? { done: true, value: undefined } : { done: false, value: item },
        );
      } catch (error) {
        void this.close();
        return Promise.reject(toBackendError(error, 'abonnement'));
      }
    }

    /** The next item, undefined when closed, or 'wait' when live and nothing new has come. */
    private step(): SubscriptionItem | undefined | 'wait' {
      for (;;) {
        if (this.closed || closed) return undefined;
        if (this.index < this.rows.length) {
          const row = this.rows[this.index++]!;
          this.checkpoint = row[0];
          return { kind: 'event', event: toEvent(row, false) };
        }
        if (this.target !== undefined) {
          const pageWasFull = this.rows.length === pageSize;
          if (pageWasFull) {
            this.fetch(this.target);
            if (this.rows.length > 0) continue;
          }
          // Events between the last match and H were filtered out: H itself is a safe checkpoint.
          if (this.checkpoint < this.target) this.checkpoint = this.target;
          this.target = undefined;
          this.rows = [];
        }
        const target = head();
        if (target > this.checkpoint) {
          this.target = target;
          this.fetch(target);
          continue;
        }
        if (!this.caughtUpSent) {
          this.caughtUpSent = true;
          return { kind: 'caughtUp', position: this.checkpoint };
        }
        return 'wait';
      }
    }

    private fetch(target: bigint): void {
      this.rows = this.stmt.all(this.checkpoint, target, ...this.params, pageSize) as Row[];
      this.index = 0;
    }

    private waitForAppend(): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          appended.off('appended', done);
          this.wake = undefined;
          this.waiting = undefined;
          resolve();
        };
        const timer = setTimeout(done, pollIntervalMs);
        appended.on('appended', done);
        this.wake = done;
      });
    }
  }

  const verifyStoredText = storedTextVerifier({
    db,
    file: options.file,
    ...(options.integrityWorkers === undefined ? {} : { workers: options.integrityWorkers }),
    ...(options.integrityWorkersFrom === undefined ? {} : { workersFrom: options.integrityWorkersFrom }),
    ensureOpen,
    generic: (verify) => verifyIntegrityGeneric(store, verify),
  });

  const store: SqliteEventStore = {
    kind: 'sqlite',

    settings() {
      ensureOpen();
      const level = Number(db.pragma('synchronous', { simple: true }));
      const synchronous = SYNCHRONOUS_NAMES[level];
      if (!synchronous) throw new EventStoreBackendError(`PRAGMA synchronous inattendu : ${level}`);
      return {
        file: options.file,
        journalMode: String(db.pragma('journal_mode', { simple: true })),
        synchronous,
        busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
      };
    },

    append(stream: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }) {
      try {
        ensureOpen();
        if (readOnly)
          throw new EventStoreBackendError(
            `Journal ${storeFile} ouvert en lecture seule : rien ne peut y être ajouté.`,
          );
        const batch = prepareAppend(registry, stream, events, options.expectedRevision);
        const result = appendOrRecognise(stream, batch, options.expectedRevision);
        appended.emit('appended');
        return Promise.resolve(result);
      } catch (error) {
        return Promise.reject(toBackendError(error, 'ajout'));
      }
    },

    readStream(stream: string, options: ReadStreamOptions = {}) {
      try {
        ensureOpen();
        const direction = options.direction ?? 'forwards';
        const limit = options.maxCount ?? -1;
        const from = options.from ?? (direction === 'forwards' ? 'start' : 'end');
        let rows: Row[];
        if (direction === 'forwards') {
          rows =
            from === 'end'
              ? []
              : (streamForwardsStmt.all(stream, from === 'start' ? 0n : from, limit) as Row[]);
        } else {
          rows =
            from === 'start'
              ? (streamBackwardsStmt.all(stream, 0n, limit) as Row[])
              : (streamBackwardsStmt.all(stream, from === 'end' ? MAX_INT64 : from, limit) as Row[]);
        }
        const raw = options.raw ?? false;
        return Promise.resolve(rows.map((row) => toEvent(row, raw)));
      } catch (error) {
        return Promise.reject(toBackendError(error, 'lecture'));
      }
    },

    readAll(options: ReadAllOptions = {}) {
      return readAllPages(options);
    },

    readAllByStream(options: ReadByStreamOptions) {
      return readByStreamPages(options);
    },

    splitStreams(parts: number, upTo: bigint) {
      try {
        ensureOpen();
        // One pass over the (stream, revision) index: a row per stream with its count.
        const perStream = db
          .prepare('SELECT stream, count(*) FROM events WHERE position <= ? GROUP BY stream ORDER BY stream')
          .raw(true)
          .all(upTo) as [string, number][];
        const total = perStream.reduce((sum, [, count]) => sum + count, 0);
        const boundaries: string[] = [];
        let seen = 0;
        for (const [stream, count] of perStream) {
          // A range ends before the stream that would take it past its share.
          if (
            boundaries.length + 1 < parts &&
            seen > 0 &&
            seen + count / 2 > (total * (boundaries.length + 1)) / parts
          )
            boundaries.push(stream);
          seen += count;
        }
        return Promise.resolve(boundaries);
      } catch (error) {
        return Promise.reject(toBackendError(error, 'lecture'));
      }
    },

    subscribeToAll(options: SubscribeOptions = {}) {
      ensureOpen();
      const subscription = new SqliteSubscription(options);
      subscriptions.add(subscription);
      return subscription;
    },

    headPosition() {
      try {
        ensureOpen();
        return Promise.resolve(head());
      } catch (error) {
        return Promise.reject(toBackendError(error, 'lecture'));
      }
    },

    async verifyIntegrity(verify = {}) {
      try {
        return await verifyStoredText(verify);
      } catch (error) {
        throw toBackendError(error, 'vérification');
      }
    },

    async close() {
      if (closed) return;
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
      db.close();
    },
  };
  return store;
}
