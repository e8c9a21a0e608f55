// The projection runtime on the real SQLite event store: exactly-once application through the
// checkpoint-in-the-same-transaction rule (including kill -9 in the middle of a batch or of a
// projection's end-of-batch flush), lag,
// read-your-writes, and fail-stop on a broken projection.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../infra/eventstore/port';
import { openReadModelDatabase } from '../../infra/projections/database';
import type { Projection } from '../../infra/projections/projection';
import { ProjectorStoppedError, createProjector } from '../../infra/projections/projector';
import {
  appendToyEvents,
  openToyStore,
  readCounts,
  readDeferredCounts,
  streamTypeCounts,
  toyProjections,
  total,
} from './fixtures/toy';
import { expectedCountsUpTo, runChild, silentLogger, sleep, snapshot, tempDir, waitUntil } from './support';

describe('projector', () => {
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

  it('applies every event exactly once, follows live appends, and resumes from its checkpoint', async () => {
    const first = await appendToyEvents(store, 1000);
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
    });
    await projector.start();
    await projector.waitForPosition(await store.headPosition());
    expect(readCounts(db)).toEqual(first);
    expect(projector.checkpoint()).toBe(1000n);

    const second = await appendToyEvents(store, 555, 3);
    const head = await store.headPosition();
    await projector.waitForPosition(head);
    const expected = { alpha: 0, beta: 0, gamma: 0 };
    for (const k of Object.keys(expected) as (keyof typeof expected)[])
      expected[k] = (first[k] ?? 0) + (second[k] ?? 0);
    expect(readCounts(db)).toEqual(expected);
    await waitUntil('caught up', () => (projector.isCaughtUp() ? true : undefined));
    expect(await projector.lag()).toBe(0n);
    await projector.stop();
    expect(projector.status().state).toBe('stopped');

    // A new projector on the same file starts after the checkpoint: nothing is applied twice.
    const again = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
    });
    await again.start();
    await again.waitForPosition(head);
    await sleep(50);
    expect(readCounts(db)).toEqual(expected);
    await again.stop();
    db.close();
  });

  it('builds the views of a log it has none for as a rebuild does, with progress, then follows', async () => {
    const first = await appendToyEvents(store, 600);
    const db = openReadModelDatabase(readFile);
    const phases = new Set<string>();
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
      onRebuildProgress: (p) => phases.add(p.phase),
    });
    await projector.start();
    // Built before start() returns (a restored log, a deleted views file), not followed afterwards.
    expect([...phases]).toEqual(['replay', 'swap', 'done']);
    expect(projector.checkpoint()).toBe(600n);
    expect(readCounts(db)).toEqual(first);
    await appendToyEvents(store, 10);
    await projector.waitForPosition(610n);
    await projector.stop();
    db.close();
  });

  it('lets timers run while it follows a long log batch after batch (the HTTP server, Ctrl-C)', async () => {
    await appendToyEvents(store, 5000);
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
      batchSize: 100,
      onMissingViews: 'follow',
    });
    await projector.start();
    // A timer due at once must fire long before the 50 batches are in.
    const checkpointWhenTimerFired = await new Promise<bigint | undefined>((resolve) =>
      setTimeout(() => resolve(projector.checkpoint()), 0),
    );
    expect(checkpointWhenTimerFired ?? 0n).toBeLessThan(2500n);
    await projector.waitForPosition(5000n);
    await projector.stop();
    db.close();
  });

  it('reports its lag: head minus checkpoint, also while stopped', async () => {
    await appendToyEvents(store, 300);
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
    });
    expect(await projector.lag()).toBe(300n);
    await projector.start();
    await projector.waitForPosition(300n);
    expect(await projector.lag()).toBe(0n);
    expect(await projector.healthCheck()).toMatchObject({ state: 'running', lag: '0', checkpoint: '300' });
    await projector.stop();
    await appendToyEvents(store, 40);
    expect(await projector.lag()).toBe(40n);
    await expect(projector.healthCheck()).rejects.toThrow(/arrêtées/);
    db.close();
  });

  it('reports the views down once they stay behind without moving (their file locked), up again after', async () => {
    await appendToyEvents(store, 100);
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
      staleAfterMs: 300,
    });
    await projector.start();
    await projector.waitForPosition(100n);
    // Another process holds the read-model file: the projector's batches wait.
    const other = new Database(readFile);
    other.exec('BEGIN IMMEDIATE');
    await appendToyEvents(store, 34);
    // Behind, seen for the first time: not yet a failure (an idle engine is behind after each append).
    expect(await projector.healthCheck()).toMatchObject({ state: 'running', lag: '34' });
    await sleep(400);
    await expect(projector.healthCheck()).rejects.toThrow(
      /vues en retard de 34 événements sur le journal, sans progrès depuis/,
    );
    other.exec('ROLLBACK');
    other.close();
    await projector.waitForPosition(134n);
    expect(await projector.healthCheck()).toMatchObject({ lag: '0' });
    await projector.stop();
    db.close();
  });

  it('never stands the process still while another process holds the views’ write lock (a rebuild’s swap)', async () => {
    await appendToyEvents(store, 100);
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
    });
    await projector.start();
    await projector.waitForPosition(100n);
    // Another process takes the write lock for 3 s, as `grants projections rebuild` does to swap.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(${JSON.stringify(readFile)});
         db.exec('BEGIN IMMEDIATE'); console.log('held');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
         db.exec('COMMIT'); db.close();`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const released = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    // The longest the event loop went without running a timer meanwhile: better-sqlite3 waits for a
    // lock synchronously, and the projector's batch tried to take it (5 s of busy timeout).
    let longestGapMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
    }, 10);
    await appendToyEvents(store, 34);
    await released;
    // A tick after the release too: a wait that ended with it is only seen by the next tick.
    await sleep(50);
    clearInterval(ticker);
    expect(longestGapMs).toBeLessThan(1000);
    await projector.waitForPosition(134n);
    expect(total(readCounts(db))).toBe(134);
    await projector.stop();
    db.close();
  });

  it('waitForPosition times out with the position it waited for, and rejects when stopped', async () => {
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: toyProjections(),
      logger: silentLogger(),
    });
    await projector.start();
    await expect(projector.waitForPosition(5n, { timeoutMs: 50 })).rejects.toThrow(/position 5/);
    const pending = projector.waitForPosition(10n, { timeoutMs: 60_000 });
    await projector.stop();
    await expect(pending).rejects.toBeInstanceOf(ProjectorStoppedError);
    db.close();
  });

  it('stops on a failing projection without committing any of the failing batch', async () => {
    await appendToyEvents(store, 200);
    const broken: Projection = {
      name: 'broken',
      version: 1,
      schema: ['CREATE TABLE broken_seen (n INTEGER)'],
      apply(db, event) {
        const { n } = event.data as { n: number };
        if (n === 150) throw new Error('données inattendues');
        db.prepare('INSERT INTO broken_seen (n) VALUES (?)').run(n);
      },
    };
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: [streamTypeCounts(), broken],
      logger: silentLogger(),
      batchSize: 100,
      // Batch after batch from the first event, as a projector following new events does.
      onMissingViews: 'follow',
    });
    await projector.start();
    const waiting = projector.waitForPosition(200n, { timeoutMs: 10_000 });
    await expect(waiting).rejects.toThrow(/broken.*position 151/);
    expect(projector.status()).toMatchObject({ state: 'failed', checkpoint: 100n });
    await expect(projector.healthCheck()).rejects.toThrow(/broken/);
    // The first batch (positions 1–100) is in; nothing of the second.
    expect(total(readCounts(db))).toBe(100);
    expect(db.prepare('SELECT count(*) AS c FROM broken_seen').get()).toEqual({ c: 100 });
    await projector.stop();
    db.close();
  });

  it('loses nothing and counts nothing twice when killed -9 inside a batch', async () => {
    const perType = await appendToyEvents(store, 3000);
    // The child kills itself inside apply(), in the middle of an open transaction.
    const crashed = runChild({
      MODE: 'project',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      KILL_AFTER: '1234',
      BATCH_SIZE: '100',
    });
    expect(await crashed.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const afterCrash = snapshot(readFile);
    expect(afterCrash.checkpoint).toBeDefined();
    expect(afterCrash.checkpoint).toBeLessThan(1234n);
    expect(afterCrash.counts).toEqual(await expectedCountsUpTo(store, afterCrash.checkpoint));

    const resumed = runChild({
      MODE: 'project',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      STOP_AT: '3000',
    });
    const exit = await resumed.exited;
    expect(exit, resumed.stderr()).toEqual({ code: 0, signal: null });
    expect(snapshot(readFile)).toEqual({ checkpoint: 3000n, counts: perType });
  });

  it('loses the whole batch, never part of it, when killed -9 in the middle of a flush', async () => {
    const perType = await appendToyEvents(store, 3000);
    // The deferred projection writes its rows at the end of each batch; the child kills itself in
    // the 7th flush, after one of its three rows is written.
    const crashed = runChild({
      MODE: 'project',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      DEFERRED: '1',
      KILL_IN_FLUSH: '7',
      BATCH_SIZE: '100',
    });
    expect(await crashed.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const afterCrash = snapshot(readFile);
    expect(afterCrash.checkpoint).toBeDefined();
    expect(afterCrash.checkpoint).toBeLessThan(3000n);
    const expected = await expectedCountsUpTo(store, afterCrash.checkpoint);
    expect(afterCrash.counts).toEqual(expected);
    const db = new Database(readFile, { readonly: true });
    expect(readDeferredCounts(db)).toEqual(expected);
    db.close();

    const resumed = runChild({
      MODE: 'project',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      DEFERRED: '1',
      STOP_AT: '3000',
    });
    const exit = await resumed.exited;
    expect(exit, resumed.stderr()).toEqual({ code: 0, signal: null });
    expect(snapshot(readFile)).toEqual({ checkpoint: 3000n, counts: perType });
    const final = new Database(readFile, { readonly: true });
    expect(readDeferredCounts(final)).toEqual(perType);
    final.close();
  });

  it('stays exact through repeated kill -9 at arbitrary moments while events keep arriving', async () => {
    const appended = { alpha: 0, beta: 0, gamma: 0 } as Record<string, number>;
    const add = (counts: Record<string, number>) => {
      for (const [k, v] of Object.entries(counts)) appended[k] = (appended[k] ?? 0) + v;
    };
    add(await appendToyEvents(store, 1500));
    for (const threshold of [200n, 900n, 1700n]) {
      const run = runChild({
        MODE: 'project',
        STORE_FILE: storeFile,
        READ_FILE: readFile,
        SLOW_MICROS: '150',
        BATCH_SIZE: '37',
      });
      // Keep appending while the child projects, then kill it once it passed the threshold.
      let seed = Number(threshold);
      await waitUntilAsync(async () => {
        add(await appendToyEvents(store, 25, seed++));
        const { checkpoint } = snapshot(readFile);
        return checkpoint !== undefined && checkpoint >= threshold ? true : undefined;
      });
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      const state = snapshot(readFile);
      expect(state.counts, `après kill au-delà de ${threshold}`).toEqual(
        await expectedCountsUpTo(store, state.checkpoint),
      );
    }
    const head = await store.headPosition();
    const last = runChild({
      MODE: 'project',
      STORE_FILE: storeFile,
      READ_FILE: readFile,
      STOP_AT: String(head),
    });
    expect((await last.exited).code, last.stderr()).toBe(0);
    const final = snapshot(readFile);
    expect(final.checkpoint).toBe(head);
    expect(final.counts).toEqual(appended);
    expect(total(final.counts)).toBe(Number(head));
  });
});

async function waitUntilAsync(probe: () => Promise<true | undefined>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await probe()) === undefined) {
    if (Date.now() > deadline) throw new Error('délai dépassé');
    await sleep(20);
  }
}
