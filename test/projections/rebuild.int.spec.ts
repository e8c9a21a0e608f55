// Rebuilding from position zero: the result equals the incremental one, readers keep getting answers
// (from the old tables, then the new) while it runs, and a live projector in another process picks up
// the swapped tables without losing or doubling an event.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../infra/eventstore/port';
import {
  READ_MODEL_PAGE_SIZE,
  openReadModelDatabase,
  readCheckpoint,
} from '../../infra/projections/database';
import { projectionSignature } from '../../infra/projections/projection';
import { createProjector } from '../../infra/projections/projector';
import {
  type RebuildProgress,
  RebuildInProgressError,
  rebuildProjections,
} from '../../infra/projections/rebuild';
import {
  appendToyEvents,
  dumpToyTables,
  openToyStore,
  readCounts,
  toyProjections,
  total,
} from './fixtures/toy';
import { runChild, silentLogger, sleep, snapshot, tempDir } from './support';

describe('rebuildProjections', () => {
  let dir: string;
  let cleanup: () => void;
  let storeFile: string;
  let readFile: string;
  let store: EventStore;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    storeFile = join(dir, 'events.sqlite');
    readFile = join(dir, 'read-models.sqlite');
    store = openToyStore(storeFile);
  });

  afterEach(async () => {
    await store.close();
    cleanup();
  });

  async function buildIncrementally(rounds: number): Promise<void> {
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
      batchSize: 64,
    });
    await projector.start();
    for (let round = 0; round < rounds; round++) {
      await appendToyEvents(store, 333, round);
      await projector.waitForPosition(await store.headPosition());
    }
    await projector.stop();
    db.close();
  }

  it('gives exactly the tables the incremental projector built, and reports its progress', async () => {
    await buildIncrementally(6);
    const db = new Database(readFile);
    const incremental = dumpToyTables(db);
    const schema = () =>
      db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').all();
    const owned = () => db.prepare('SELECT * FROM projection_objects ORDER BY name').all();
    const incrementalSchema = schema();
    const incrementalOwned = owned();
    const head = await store.headPosition();

    const progress: RebuildProgress[] = [];
    const result = await rebuildProjections({
      eventStore: store,
      dbFile: readFile,
      projections: toyProjections(),
      batchSize: 100,
      progressIntervalMs: 0,
      onProgress: (p) => progress.push(p),
    });

    expect(result).toMatchObject({ position: head });
    // toy_happened reads ToyHappened only, toy_stream_types every event: the subscription is unfiltered.
    expect(result.events).toBe(Number(head));
    expect(dumpToyTables(db)).toEqual(incremental);
    // The shadow left its secondary index out during the replay: the swap built it in the live file.
    expect(schema()).toEqual(incrementalSchema);
    expect(schema()).toContainEqual(
      expect.objectContaining({ type: 'index', name: 'toy_stream_types_count' }),
    );
    expect(owned()).toEqual(incrementalOwned);
    expect(readCheckpoint(db, 'read-models')).toEqual({
      position: head,
      signature: projectionSignature(toyProjections()),
    });
    expect(existsSync(`${readFile}.rebuild`)).toBe(false);
    expect(existsSync(`${readFile}.rebuild.lock`)).toBe(false);

    expect(progress[0]).toMatchObject({ phase: 'replay', events: 0 });
    expect(progress.map((p) => p.phase)).toContain('swap');
    // The swap says what it is creating, table then index, up to the commit.
    const steps = progress.flatMap((p) => (p.swap === undefined ? [] : [p.swap]));
    expect(steps.map((s) => s.current)).toEqual(
      expect.arrayContaining(['table toy_stream_types', 'index toy_stream_types_count', 'enregistrement']),
    );
    expect(steps.map((s) => s.done)).toEqual([...steps.keys()]);
    expect(steps.at(-1)).toEqual({
      done: steps.at(-1)?.total,
      total: steps.length - 1,
      current: 'enregistrement',
    });
    const done = progress[progress.length - 1];
    expect(done).toMatchObject({
      phase: 'done',
      events: 1998,
      estimatedTotal: 1998,
      ratio: 1,
      etaSeconds: 0,
    });
    // Before the first event the head already says how many (the store's positions are 1…n).
    expect(progress[0]).toMatchObject({ phase: 'replay', events: 0, estimatedTotal: 1998 });
    const middle = progress.filter((p) => p.phase === 'replay' && p.events > 0);
    expect(middle.length).toBeGreaterThan(5);
    for (const p of middle) {
      expect(p.estimatedTotal).toBe(1998);
      expect(p.ratio).toBeGreaterThan(0);
      expect(p.eventsPerSecond).toBeGreaterThan(0);
    }
    db.close();
  });

  it('lays a new read-model file out in 16 KiB pages; a file made with 4 KiB pages keeps them through a rebuild', async () => {
    const pageSize = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma('page_size', { simple: true });
      } finally {
        db.close();
      }
    };
    await appendToyEvents(store, 333, 0);
    // A new file: the swap creates it with the read models' page size.
    await rebuildProjections({ eventStore: store, dbFile: readFile, projections: toyProjections() });
    expect(pageSize(readFile)).toBe(READ_MODEL_PAGE_SIZE);
    expect(READ_MODEL_PAGE_SIZE).toBeGreaterThan(4096);

    // A file from before (SQLite's default pages, WAL): it keeps them and still rebuilds the same rows.
    const older = join(dir, 'older.sqlite');
    const legacy = new Database(older);
    legacy.pragma('page_size = 4096');
    legacy.pragma('journal_mode = WAL');
    legacy.close();
    await rebuildProjections({ eventStore: store, dbFile: older, projections: toyProjections() });
    expect(pageSize(older)).toBe(4096);
    const [fresh, old] = [readFile, older].map((file) => {
      const db = new Database(file, { readonly: true });
      try {
        return dumpToyTables(db);
      } finally {
        db.close();
      }
    });
    expect(old).toEqual(fresh);
  });

  it('filters the subscription when every projection names its event types', async () => {
    await appendToyEvents(store, 500);
    const onlyHappened = toyProjections().filter((p) => p.handles !== undefined);
    const result = await rebuildProjections({
      eventStore: store,
      dbFile: readFile,
      projections: onlyHappened,
    });
    // One event in ten is a ToyIgnored; the checkpoint still covers them all.
    expect(result).toMatchObject({ events: 450, position: 500n });
    const db = new Database(readFile);
    expect(db.prepare('SELECT total FROM toy_happened_total').get()).toEqual({ total: 450 });
    db.close();
  });

  it('keeps answering readers during the rebuild, then swaps the new version in at once', async () => {
    await appendToyEvents(store, 6000);
    // Project the 6000 events with version 1.
    {
      const db = openReadModelDatabase(readFile);
      const projector = createProjector({
        eventStore: store,
        db,
        projections: toyProjections(),
        logger: silentLogger(),
      });
      await projector.start();
      await projector.waitForPosition(6000n);
      await projector.stop();
      db.close();
    }
    const v1 = projectionSignature(toyProjections({ version: 1 }));
    const v2 = projectionSignature(toyProjections({ version: 2 }));

    const reader = new Database(readFile, { timeout: 5000 });
    const read = reader.transaction(() => ({
      total: total(readCounts(reader)),
      happened: (reader.prepare('SELECT total FROM toy_happened_total').get() as { total: number }).total,
      signature: readCheckpoint(reader, 'read-models')?.signature,
    }));

    // In another process, as `grants projections rebuild` would run beside the engine.
    const rebuild = runChild({
      MODE: 'rebuild',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      TOY_VERSION: '2',
      SLOW_MICROS: '200',
      BATCH_SIZE: '250',
    });
    const seen: { total: number; happened: number; signature: string | undefined }[] = [];
    let running = true;
    void rebuild.exited.then(() => {
      running = false;
    });
    while (running) {
      seen.push(read());
      await sleep(5);
    }
    seen.push(read());
    expect(await rebuild.exited, rebuild.stderr()).toEqual({ code: 0, signal: null });

    // Every read answered, with complete tables: the old ones, then the new ones, never a mix.
    expect(seen.every((s) => s.total === 6000 && s.happened === 5400)).toBe(true);
    const signatures = seen.map((s) => s.signature);
    const firstV2 = signatures.indexOf(v2);
    expect(firstV2).toBeGreaterThan(20);
    expect(signatures.slice(0, firstV2).every((s) => s === v1)).toBe(true);
    expect(signatures.slice(firstV2).every((s) => s === v2)).toBe(true);
    expect(rebuild.lines.filter((l) => l.progress === 'replay').length).toBeGreaterThan(1);
    reader.close();
  });

  it('a live projector elsewhere resumes from the swapped-in checkpoint: nothing lost, nothing doubled', async () => {
    const db = openReadModelDatabase(readFile);
    const logs: string[] = [];
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: pino({ level: 'info' }, { write: (line: string) => logs.push(line) }),
      checkpointPollMs: 20,
    });
    await projector.start();
    await appendToyEvents(store, 3000);
    await projector.waitForPosition(3000n);

    const rebuild = runChild({
      MODE: 'rebuild',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      SLOW_MICROS: '150',
      BATCH_SIZE: '200',
      // Appends land between the rebuild's catching up and its swap, so the swap moves the live
      // projector's checkpoint back (events are applied as they come: no last batch to wait for).
      SWAP_DELAY_MS: '150',
    });
    let running = true;
    void rebuild.exited.then(() => {
      running = false;
    });
    // Appends keep arriving during the rebuild; the live projector applies them to the old tables.
    let seed = 100;
    while (running) {
      await appendToyEvents(store, 20, seed++);
      await sleep(10);
    }
    expect(await rebuild.exited, rebuild.stderr()).toEqual({ code: 0, signal: null });
    await appendToyEvents(store, 20, seed++);
    const head = await store.headPosition();
    await projector.waitForPosition(head);
    await sleep(100);
    await projector.waitForPosition(head);

    const { counts, checkpoint } = snapshot(readFile);
    expect(checkpoint).toBe(head);
    expect(total(counts)).toBe(Number(head));
    expect(projector.status().state).toBe('running');
    // It did notice: the swap moved its checkpoint back, and it resubscribed from there.
    expect(logs.some((l) => l.includes('point de reprise déplacé'))).toBe(true);
    await projector.stop();
    db.close();
  });

  it('rebuilds at start() when the projection versions changed', async () => {
    await buildIncrementally(2);
    const db = openReadModelDatabase(readFile);
    const phases: string[] = [];
    const lines: string[] = [];
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections({ version: 3 }),
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
      onRebuildProgress: (p) => phases.push(p.phase),
    });
    await projector.start();
    expect(phases).toContain('done');
    // The rebuild logs as a task of the projector: each key once per JSON line.
    const swapLine = lines.find((l) => l.includes('vues basculées'));
    expect(swapLine).toBeDefined();
    expect(JSON.parse(swapLine ?? '{}')).toMatchObject({ component: 'projector', task: 'rebuild' });
    for (const line of lines) {
      expect(line.match(/"component":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
      expect(line.match(/"projectionSet":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    }
    expect(readCheckpoint(db, 'read-models')).toEqual({
      position: 666n,
      signature: projectionSignature(toyProjections({ version: 3 })),
    });
    expect(total(readCounts(db))).toBe(666);
    await appendToyEvents(store, 10);
    await projector.waitForPosition(676n);
    expect(total(readCounts(db))).toBe(676);
    await projector.stop();
    db.close();
  });

  it('refuses a second rebuild of the same file while one runs', async () => {
    await appendToyEvents(store, 2000);
    const first = runChild({
      MODE: 'rebuild',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      SLOW_MICROS: '300',
    });
    while (!existsSync(`${readFile}.rebuild.lock`)) await sleep(5);
    await expect(
      rebuildProjections({ eventStore: store, dbFile: readFile, projections: toyProjections() }),
    ).rejects.toBeInstanceOf(RebuildInProgressError);
    expect((await first.exited).code, first.stderr()).toBe(0);
  });
});
