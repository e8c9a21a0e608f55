// The SQLite adapter: the contract suite on a fresh file, plus what only SQLite has — the file's
// settings, its append-only triggers, and tampering with a row behind the store's back.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { createEventStore } from '../../infra/eventstore/index';
import { canonicalHashedMetadata, canonicalJson } from '../../infra/eventstore/hash';
import { verifyIntegrity } from '../../infra/eventstore/integrity';
import { openSqliteEventStore, type SqliteEventStore } from '../../infra/eventstore/sqlite';
import { snapshotSqliteFile } from '../../infra/backup/sqliteSnapshot';
import { eventStoreContract } from './contract';
import type { ReadOnlyAccountReport } from './fixtures/readOnlyAccount';
import { metadata, step, steps, testRegistry } from './fixtures/events';
import { intact } from './fixtures/integrity';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `grants-eventstore-${label}-`));

/** fixtures/readOnlyAccount.ts on `file`, in its own process: what an account that may only read finds. */
async function readAsAccount(file: string): Promise<ReadOnlyAccountReport> {
  const probe = resolve(import.meta.dirname, 'fixtures', 'readOnlyAccount.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe, file], {
    cwd: resolve(import.meta.dirname, '..', '..'),
  });
  return JSON.parse(stdout) as ReadOnlyAccountReport;
}

eventStoreContract('SQLite', () => {
  const dir = tempDir('contract');
  const file = join(dir, 'events.sqlite');
  return Promise.resolve({
    open: (options = {}) =>
      Promise.resolve(
        openSqliteEventStore({
          file,
          registry: options.registry ?? testRegistry(),
          ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        }),
      ),
    childConfig: { kind: 'sqlite', file, synchronous: 'FULL' },
    connectionPerAppender: true,
    checkStorage() {
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    writeForged(stream, events) {
      const db = new Database(file, { timeout: 5000 });
      try {
        const insert = db.prepare(
          `INSERT INTO events (stream, revision, id, type, data, metadata)
             VALUES (?, (SELECT coalesce(max(revision) + 1, 0) FROM events WHERE stream = ?), ?, ?, ?, ?)`,
        );
        for (const { id, type, data, metadata } of events) {
          // The text as the store lays it out (append.ts, sealEvent), with the given hash fields.
          const { previousHash, hash, ...hashed } = metadata;
          const stored =
            canonicalHashedMetadata(hashed).slice(0, -1) +
            `,"previousHash":${JSON.stringify(previousHash)},"hash":${JSON.stringify(hash)}}`;
          insert.run(stream, stream, id, type, canonicalJson(data), stored);
        }
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describe('SQLite event store — file and settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('settings');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens from the configuration: WAL, synchronous FULL by default, EVENTSTORE_SQLITE_SYNCHRONOUS to change it', async () => {
    const byDefault = loadConfig({ GRANTS_DATA_DIR: join(dir, 'default') });
    const store = (await createEventStore(byDefault.eventStore, {
      registry: testRegistry(),
    })) as SqliteEventStore;
    expect(store.kind).toBe('sqlite');
    expect(store.settings()).toMatchObject({
      file: join(dir, 'default', 'events.sqlite'),
      journalMode: 'wal',
      synchronous: 'FULL',
      busyTimeoutMs: 5000,
    });
    await store.close();

    const normal = loadConfig({
      GRANTS_DATA_DIR: join(dir, 'normal'),
      EVENTSTORE_SQLITE_SYNCHRONOUS: 'NORMAL',
    });
    const relaxed = (await createEventStore(normal.eventStore, {
      registry: testRegistry(),
    })) as SqliteEventStore;
    expect(relaxed.settings().synchronous).toBe('NORMAL');
    await relaxed.close();
  });

  it('forbids updating or deleting events through SQL', async () => {
    const file = join(dir, 'append-only.sqlite');
    const store = openSqliteEventStore({ file, registry: testRegistry() });
    await store.append('s', steps(0, 2), { expectedRevision: 'no_stream' });
    await store.close();
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE events SET data = '{}'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('leaves a file of a newer layout as it is, and says which version wrote it', () => {
    const file = join(dir, 'newer.sqlite');
    const newer = new Database(file);
    newer.exec('CREATE TABLE events_v9 (x)');
    newer.pragma('user_version = 9');
    newer.close();
    const before = sha256(file);
    expect(() => openSqliteEventStore({ file, registry: testRegistry() })).toThrow(
      `${file} au format 9, écrit par une version plus récente du moteur`,
    );
    // Not even its journal mode: the newer engine finds its file as it left it.
    expect(sha256(file)).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('names a damaged file and what to do, and leaves it as it is', () => {
    const file = join(dir, 'damaged.sqlite');
    writeFileSync(file, randomBytes(20_000));
    const before = sha256(file);
    for (const readOnly of [false, true]) {
      expect(() => openSqliteEventStore({ file, registry: testRegistry(), readOnly })).toThrow(
        `Le journal ${file} n'est pas une base SQLite lisible`,
      );
    }
    expect(sha256(file)).toBe(before);
  });
});

describe('SQLite event store — tamper evidence', () => {
  let dir: string;
  let file: string;
  const stream = 'application-01JTAMPER';
  beforeAll(async () => {
    dir = tempDir('tamper');
    file = join(dir, 'events.sqlite');
    const store = openSqliteEventStore({ file, registry: testRegistry() });
    await store.append(stream, steps(0, 5), { expectedRevision: 'no_stream' });
    await store.append('application-01JOTHER', steps(0, 3), { expectedRevision: 'no_stream' });
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Edits the file as someone with disk access would: without the store, past its triggers. */
  function tamper(sql: string, ...params: unknown[]): void {
    const db = new Database(file);
    try {
      db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  }

  it('verifies an untouched log, reporting progress', async () => {
    const store = openSqliteEventStore({ file, registry: testRegistry() });
    const progress: number[] = [];
    expect(await verifyIntegrity(store, { onProgress: (n) => progress.push(n), progressEvery: 3 })).toEqual(
      intact(8),
    );
    expect(progress).toEqual([3, 6, 8]);
    expect(await verifyIntegrity(store, { stream })).toEqual(intact(5));
    await store.close();
  });

  it('names the first event whose data was altered in the file', async () => {
    const store = openSqliteEventStore({ file, registry: testRegistry() });
    const [target] = await store.readStream(stream, { from: 2n, maxCount: 1 });
    await store.close();
    tamper(`UPDATE events SET data = '{"n":200}' WHERE stream = ? AND revision = 2`, stream);

    const reopened = openSqliteEventStore({ file, registry: testRegistry() });
    try {
      const report = await verifyIntegrity(reopened);
      expect(report.ok).toBe(false);
      expect(report.firstBroken).toMatchObject({
        stream,
        revision: 2n,
        position: target!.position,
        eventId: target!.id,
        reason: 'hash_mismatch',
      });
      // Its stream's revisions 3 and 4 come after the break: not checked; the other stream is.
      expect(report).toMatchObject({ checked: 6, unchecked: 2, brokenStreams: 1 });
      expect(report.broken).toEqual([report.firstBroken]);
      expect((await verifyIntegrity(reopened, { stream: 'application-01JOTHER' })).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  });

  it('notices an event removed from the middle of a stream, and a rewritten record time', async () => {
    const other = 'application-01JOTHER';
    tamper('DELETE FROM events WHERE stream = ? AND revision = 1', other);
    const store = openSqliteEventStore({ file, registry: testRegistry() });
    const report = await verifyIntegrity(store, { stream: other });
    expect(report.firstBroken).toMatchObject({ stream: other, revision: 2n, reason: 'revision_gap' });
    await store.close();

    const third = 'application-01JTIME';
    const writer = openSqliteEventStore({ file, registry: testRegistry() });
    const [first] = await writer.readStream(third);
    expect(first).toBeUndefined();
    await writer.append(third, steps(0, 2), { expectedRevision: 'no_stream' });
    await writer.close();
    tamper(
      `UPDATE events SET metadata = json_set(metadata, '$.recordedAt', '2020-01-01T00:00:00.000Z') WHERE stream = ? AND revision = 0`,
      third,
    );
    const reader = openSqliteEventStore({ file, registry: testRegistry() });
    expect((await verifyIntegrity(reader, { stream: third })).firstBroken).toMatchObject({
      stream: third,
      revision: 0n,
      reason: 'hash_mismatch',
    });
    await reader.close();
  });

  it('reports a duplicate event id used in another stream', async () => {
    const store = openSqliteEventStore({ file: join(dir, 'dup.sqlite'), registry: testRegistry() });
    const [event] = steps(0, 1);
    await store.append('a', [event!], { expectedRevision: 'no_stream' });
    await expect(store.append('b', [event!], { expectedRevision: 'no_stream' })).rejects.toMatchObject({
      code: 'duplicate_event_id',
      existingStream: 'a',
    });
    await expect(
      store.append('b', [{ ...event!, id: randomUUID() }], { expectedRevision: 'no_stream' }),
    ).resolves.toMatchObject({
      nextExpectedRevision: 0n,
    });
    await store.close();
  });
});

describe('SQLite event store — torn write', () => {
  it('drops the whole append whose WAL frames were cut short, and nothing before it', async () => {
    // A kill -9 almost never lands while SQLite writes WAL frames (it writes them all at commit),
    // so cut the file by hand: this is what a crash in the middle of that write leaves behind.
    const dir = tempDir('torn');
    try {
      const file = join(dir, 'events.sqlite');
      const store = openSqliteEventStore({ file, registry: testRegistry() });
      // A second connection keeps the WAL from being checkpointed away when the store closes.
      const holder = new Database(file, { readonly: true });
      holder.prepare('SELECT count(*) FROM events').get();
      await store.append('application-01JKEPT', steps(0, 3), { expectedRevision: 'no_stream' });
      const walBefore = statSync(`${file}-wal`).size;
      const big = Array.from({ length: 10 }, (_, n) => ({
        ...steps(n, 1)[0]!,
        data: { n, label: 'x'.repeat(20_000) },
        metadata: metadata(),
      }));
      await store.append('application-01JTORN', big, { expectedRevision: 'no_stream' });
      const walAfter = statSync(`${file}-wal`).size;
      expect(walAfter - walBefore).toBeGreaterThan(10 * 20_000);
      await store.close();
      const copy = join(dir, 'copy.sqlite');
      copyFileSync(file, copy);
      copyFileSync(`${file}-wal`, `${copy}-wal`);
      holder.close();
      truncateSync(`${copy}-wal`, walBefore + Math.floor((walAfter - walBefore) / 2));

      const recovered = openSqliteEventStore({ file: copy, registry: testRegistry() });
      try {
        expect(await recovered.readStream('application-01JTORN')).toEqual([]);
        expect(await recovered.readStream('application-01JKEPT')).toHaveLength(3);
        expect(await verifyIntegrity(recovered)).toEqual(intact(3));
        await expect(
          recovered.append('application-01JTORN', steps(0, 1), { expectedRevision: 'no_stream' }),
        ).resolves.toMatchObject({ nextExpectedRevision: 0n });
      } finally {
        await recovered.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SQLite event store — read-only (an auditor's account, a backup's copy)", () => {
  const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  it('reads and verifies a log without writing a byte of it, and refuses appends', async () => {
    const dir = tempDir('readonly');
    try {
      const file = join(dir, 'events.sqlite');
      const writer = openSqliteEventStore({ file, registry: testRegistry() });
      await writer.append('s-1', steps(0, 3), { expectedRevision: 'no_stream' });
      await writer.close();
      const before = sha256(file);

      const reader = openSqliteEventStore({ file, registry: testRegistry(), readOnly: true });
      expect(await reader.headPosition()).toBe(3n);
      expect((await reader.readStream('s-1')).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
      expect(await reader.verifyIntegrity()).toMatchObject({ ok: true, checked: 3 });
      await expect(reader.append('s-2', [step(9)], { expectedRevision: 'no_stream' })).rejects.toThrow(
        'ouvert en lecture seule : rien ne peut y être ajouté',
      );
      await reader.close();
      expect(sha256(file)).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows what a writer appends meanwhile', async () => {
    const dir = tempDir('readonly-live');
    try {
      const file = join(dir, 'events.sqlite');
      const writer = openSqliteEventStore({ file, registry: testRegistry() });
      await writer.append('s-1', steps(0, 2), { expectedRevision: 'no_stream' });
      const reader = openSqliteEventStore({ file, registry: testRegistry(), readOnly: true });
      expect(await reader.headPosition()).toBe(2n);
      await writer.append('s-1', steps(2, 1), { expectedRevision: 1n });
      expect(await reader.headPosition()).toBe(3n);
      await reader.close();
      await writer.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('by an account that may only read the files (another process; `nobody` when the suite runs as root)', () => {
    /** A log of `events` events written by the engine's account, left open (the engine running) or closed. */
    async function engineLog(
      dir: string,
      events: number,
    ): Promise<{ file: string; writer: SqliteEventStore }> {
      const file = join(dir, 'events.sqlite');
      const writer = openSqliteEventStore({ file, registry: testRegistry() });
      await writer.append('s-1', steps(0, events), { expectedRevision: 'no_stream' });
      return { file, writer };
    }
    /** What the engine's account grants the others: read the files, enter the folder, nothing more. */
    const readOnlyForOthers = (dir: string, files: string[]) => {
      for (const file of files) chmodSync(file, 0o444);
      chmodSync(dir, 0o555);
    };
    const writable = (dir: string) => chmodSync(dir, 0o755);

    it('reads and verifies the live log while the engine keeps writing', async () => {
      const dir = tempDir('account-live');
      chmodSync(dir, 0o755);
      const { file, writer } = await engineLog(dir, 3);
      try {
        readOnlyForOthers(dir, [file]);
        const first = await readAsAccount(file);
        expect(first).toMatchObject({ opened: true, head: '3', intact: true, checked: 3 });
        if (process.getuid?.() === 0) expect(first.uid).toBe(65534);
        await writer.append('s-1', steps(3, 1), { expectedRevision: 2n });
        expect(await readAsAccount(file)).toMatchObject({
          opened: true,
          head: '4',
          intact: true,
          checked: 4,
        });
      } finally {
        await writer.close();
        writable(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("says why a stopped engine's log cannot be read from a folder it may not write, and what to do, leaving nothing behind", async () => {
      const dir = tempDir('account-stopped');
      chmodSync(dir, 0o755);
      const { file, writer } = await engineLog(dir, 2);
      await writer.close();
      try {
        readOnlyForOthers(dir, [file]);
        const before = { names: readdirSync(dir), hash: sha256(file) };
        const report = await readAsAccount(file);
        const message = report.opened ? '(ouvert)' : report.message;
        expect(message).toContain(`Le journal ${file} est en mode WAL`);
        expect(message).toContain('grants backup');
        expect({ names: readdirSync(dir), hash: sha256(file) }).toEqual(before);
      } finally {
        writable(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("reads and verifies a backup's copy (one self-contained file) with the right to read only", async () => {
      const dir = tempDir('account-backup');
      chmodSync(dir, 0o755);
      const { file, writer } = await engineLog(dir, 5);
      const copy = join(dir, 'copie.sqlite');
      try {
        await snapshotSqliteFile(file, copy);
        await writer.close();
        readOnlyForOthers(dir, [file, copy]);
        expect(await readAsAccount(copy)).toMatchObject({
          opened: true,
          head: '5',
          intact: true,
          checked: 5,
        });
      } finally {
        writable(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('opens only a log: another SQLite file, or none, is refused by name', () => {
    const dir = tempDir('readonly-other');
    try {
      const other = join(dir, 'autre.sqlite');
      new Database(other).exec('CREATE TABLE t (x)').close();
      expect(() => openSqliteEventStore({ file: other, registry: testRegistry(), readOnly: true })).toThrow(
        `${other} n'est pas un journal d'événements`,
      );
      expect(() =>
        openSqliteEventStore({ file: join(dir, 'absent.sqlite'), registry: testRegistry(), readOnly: true }),
      ).toThrow();
      expect(existsSync(join(dir, 'absent.sqlite'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite event store — stream after stream (for rebuilds)', () => {
  let dir: string;
  let store: SqliteEventStore;
  /** Per stream, the n of its events in append order. */
  const appended = new Map<string, number[]>();

  beforeAll(async () => {
    dir = tempDir('by-stream');
    // Small pages: every read crosses several page boundaries, some of them inside a stream.
    store = openSqliteEventStore({ file: join(dir, 'events.sqlite'), registry: testRegistry(), pageSize: 7 });
    // 12 streams appended in an interleaved order, unequal lengths (3 to 36 events).
    let n = 0;
    for (let round = 0; round < 12; round++) {
      for (let s = 0; s < 12; s++) {
        if (round >= 3 * (1 + (s % 4))) continue;
        const stream = `stream-${String.fromCharCode(97 + ((s * 5) % 12))}`;
        await store.append(stream, [step(n)], { expectedRevision: 'any' });
        appended.set(stream, [...(appended.get(stream) ?? []), n]);
        n++;
      }
    }
    await store.append('other-x', [step(n++)], { expectedRevision: 'any' });
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async (options: Parameters<SqliteEventStore['readAllByStream']>[0]) => {
    const out: { stream: string; revision: bigint; position: bigint; n: number }[] = [];
    for await (const e of store.readAllByStream(options))
      out.push({
        stream: e.stream,
        revision: e.revision,
        position: e.position,
        n: (e.data as { n: number }).n,
      });
    return out;
  };

  it('reads every event once, streams in name order and each in revision order, validated', async () => {
    const head = await store.headPosition();
    const events = await read({ upTo: head });
    expect(events).toHaveLength(Number(head));
    const streams = [...new Set(events.map((e) => e.stream))];
    expect(streams).toEqual([...streams].sort());
    expect(streams).toHaveLength(13);
    for (const [stream, ns] of appended) {
      const own = events.filter((e) => e.stream === stream);
      expect(own.map((e) => e.n)).toEqual(ns);
      expect(own.map((e) => e.revision)).toEqual(ns.map((_, i) => BigInt(i)));
    }
  });

  it('stops at the cut: nothing appended after it, whatever the stream', async () => {
    const cut = 40n;
    const events = await read({ upTo: cut });
    expect(events).toHaveLength(40);
    expect(events.every((e) => e.position <= cut)).toBe(true);
  });

  it('splits the streams into ranges that together read each event exactly once', async () => {
    const head = await store.headPosition();
    const boundaries = await store.splitStreams(4, head);
    expect(boundaries.length).toBeGreaterThan(0);
    expect(boundaries.length).toBeLessThanOrEqual(3);
    expect(boundaries).toEqual([...boundaries].sort());
    const ranges = [undefined, ...boundaries].map((from, i) => ({
      upTo: head,
      ...(from === undefined ? {} : { fromStream: from }),
      ...(boundaries[i] === undefined ? {} : { before: boundaries[i] }),
    }));
    const parts = await Promise.all(ranges.map(read));
    const positions = parts.flat().map((e) => e.position);
    expect(new Set(positions).size).toBe(Number(head));
    expect(positions).toHaveLength(Number(head));
    // A stream is never split between two ranges.
    const owner = new Map<string, number>();
    parts.forEach((part, k) => {
      for (const e of part) {
        expect(owner.get(e.stream) ?? k).toBe(k);
        owner.set(e.stream, k);
      }
    });
    // About equal shares: none above half of the events for four parts of 13 streams.
    for (const part of parts) expect(part.length).toBeLessThan(Number(head) / 2);
  });

  it('filters by event type and stream prefix as readAll does', async () => {
    const head = await store.headPosition();
    expect(await read({ upTo: head, filter: { streamPrefixes: ['other-'] } })).toHaveLength(1);
    expect(await read({ upTo: head, filter: { eventTypes: ['FundingRequested'] } })).toHaveLength(0);
  });
});
