// A rebuild read stream after stream, in this thread or spread over worker threads, on real SQLite
// files: the same tables as the global order gives, running totals added up across the workers'
// shadows, and a failure in one worker leaving the live tables as they were.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../infra/eventstore/port';
import { openReadModelDatabase, readCheckpoint } from '../../infra/projections/database';
import { projectionSignature } from '../../infra/projections/projection';
import { createProjector } from '../../infra/projections/projector';
import { RebuildAbortedError, rebuildProjections } from '../../infra/projections/rebuild';
import { perStreamProjections, perStreamSource } from './fixtures/perStreamSource';
import { appendToyEvents, openToyStore } from './fixtures/toy';
import { silentLogger, tempDir } from './support';

type Dump = Record<string, unknown[]>;

function dump(file: string): Dump {
  const db = new Database(file, { readonly: true });
  try {
    return {
      streams: db.prepare('SELECT * FROM toy_stream_counts ORDER BY stream').all(),
      totals: db.prepare('SELECT * FROM toy_type_totals ORDER BY stream_type').all(),
    };
  } finally {
    db.close();
  }
}

describe('rebuildProjections stream after stream', () => {
  let dir: string;
  let cleanup: () => void;
  let storeFile: string;
  let store: EventStore;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    storeFile = join(dir, 'events.sqlite');
    store = openToyStore(storeFile);
    // 51 streams over three stream types, appends interleaved: each type's total comes from many
    // streams, which the workers split between them.
    await appendToyEvents(store, 4000);
  });

  afterEach(async () => {
    await store.close();
    cleanup();
  });

  /** The same projections with ordering 'global': the rebuild replays $all in commit order. */
  const inGlobalOrder = () => perStreamProjections().map((p) => ({ ...p, ordering: 'global' as const }));

  it('gives the tables of the global order, in one thread and in two or three workers', async () => {
    const globalFile = join(dir, 'global.sqlite');
    const global = await rebuildProjections({
      eventStore: store,
      dbFile: globalFile,
      projections: inGlobalOrder(),
    });
    const expected = dump(globalFile);
    expect(expected.streams).toHaveLength(51);
    expect((expected.totals as { events: number }[]).reduce((a, t) => a + t.events, 0)).toBe(3600);

    for (const workers of [1, 2, 3]) {
      const file = join(dir, `by-stream-${workers}.sqlite`);
      const phases: string[] = [];
      const shadows = new Set<string>();
      const result = await rebuildProjections({
        eventStore: store,
        dbFile: file,
        projections: perStreamProjections(),
        batchSize: 250,
        parallel: { workers, source: perStreamSource({ storeFile }) },
        progressIntervalMs: 0,
        onProgress: (p) => {
          phases.push(p.phase);
          if (p.phase === 'replay')
            for (const f of readdirSync(dir))
              if (f.startsWith(`by-stream-${workers}.sqlite.rebuild`)) shadows.add(f);
        },
      });
      expect(result.events, `${workers} worker(s)`).toBe(global.events);
      expect(result.position).toBe(await store.headPosition());
      expect(dump(file), `${workers} worker(s)`).toEqual(expected);
      expect(phases.at(-1)).toBe('done');
      // One shadow per worker: the work was indeed spread.
      const expectedShadows =
        workers === 1
          ? [`by-stream-1.sqlite.rebuild`]
          : Array.from({ length: workers }, (_, k) => `by-stream-${workers}.sqlite.rebuild.${k + 1}`);
      expect([...shadows].filter((f) => /\.rebuild(\.\d+)?$/.test(f)).sort()).toEqual(expectedShadows);
      const db = new Database(file, { readonly: true });
      expect(readCheckpoint(db, 'read-models')?.position).toBe(await store.headPosition());
      db.close();
    }
    // No shadow left behind.
    expect(readdirSync(dir).filter((f) => f.includes('.rebuild'))).toEqual([]);
  });

  it('a projection failing in one worker fails the rebuild and leaves the live tables as they were', async () => {
    const liveFile = join(dir, 'live.sqlite');
    // What a rebuild killed with four workers would have left: thrown away by the next one.
    for (const leftover of ['.rebuild.4', '.rebuild.4-journal', '.rebuild'])
      writeFileSync(liveFile + leftover, 'x');
    await rebuildProjections({ eventStore: store, dbFile: liveFile, projections: perStreamProjections() });
    const before = dump(liveFile);

    await expect(
      rebuildProjections({
        eventStore: store,
        dbFile: liveFile,
        projections: perStreamProjections({ poisonN: 1234 }),
        parallel: { workers: 2, source: perStreamSource({ storeFile, poisonN: 1234 }) },
      }),
    ).rejects.toThrow(/per-stream-toy.*ToyHappened.*événement empoisonné n=1234/s);
    expect(dump(liveFile)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.includes('.rebuild'))).toEqual([]);
    // The lock went with it: the next rebuild runs.
    await rebuildProjections({ eventStore: store, dbFile: liveFile, projections: perStreamProjections() });
    expect(dump(liveFile)).toEqual(before);
  });

  it('stopped by its signal mid-replay (Ctrl-C), in this thread or in workers: live tables as they were, no shadow left', async () => {
    const liveFile = join(dir, 'live.sqlite');
    await rebuildProjections({ eventStore: store, dbFile: liveFile, projections: perStreamProjections() });
    const before = dump(liveFile);

    for (const workers of [1, 2]) {
      const interrupt = new AbortController();
      const seen: number[] = [];
      const phases = new Set<string>();
      // Events applied in this thread (one worker: the replay runs here).
      let applied = 0;
      await expect(
        rebuildProjections({
          eventStore: store,
          dbFile: liveFile,
          projections: perStreamProjections().map((p) => ({
            ...p,
            version: 2,
            apply: (db, event) => {
              applied += 1;
              p.apply(db, event);
            },
          })),
          batchSize: 250,
          progressIntervalMs: 0,
          signal: interrupt.signal,
          parallel: { workers, source: perStreamSource({ storeFile }) },
          onProgress: (p) => {
            phases.add(p.phase);
            seen.push(p.events);
            // Once some events are in the shadow(s), as an operator's Ctrl-C would land.
            if (p.events > 0) interrupt.abort();
          },
        }),
        `${workers} worker(s)`,
      ).rejects.toBeInstanceOf(RebuildAbortedError);
      // Stopped where it was, not after replaying everything (3,600 events).
      expect(Math.max(...seen), `${workers} worker(s)`).toBeGreaterThan(0);
      expect(Math.max(...seen), `${workers} worker(s)`).toBeLessThan(3600);
      if (workers === 1) expect(applied).toBeLessThan(3600);
      expect([...phases]).toEqual(['replay']);
      expect(dump(liveFile)).toEqual(before);
      const db = new Database(liveFile, { readonly: true });
      expect(readCheckpoint(db, 'read-models')?.signature).toBe(projectionSignature(perStreamProjections()));
      db.close();
      expect(readdirSync(dir).filter((f) => f.includes('.rebuild'))).toEqual([]);
    }
    // The lock went with it: the next rebuild runs.
    await rebuildProjections({ eventStore: store, dbFile: liveFile, projections: perStreamProjections() });
    expect(dump(liveFile)).toEqual(before);
  });

  it('a projector whose projections changed version rebuilds in workers at start, then follows live', async () => {
    const readFile = join(dir, 'live.sqlite');
    const db = openReadModelDatabase(readFile);
    const v1 = createProjector({
      eventStore: store,
      db,
      projections: perStreamProjections(),
      logger: silentLogger(),
    });
    await v1.start();
    await v1.waitForPosition(await store.headPosition());
    await v1.stop();

    const bumped = () => perStreamProjections().map((p) => ({ ...p, version: 2 }));
    const phases: string[] = [];
    const v2 = createProjector({
      eventStore: store,
      db,
      projections: bumped(),
      logger: silentLogger(),
      rebuildParallel: { workers: 2, source: perStreamSource({ storeFile }) },
      onRebuildProgress: (p) => phases.push(p.phase),
    });
    await v2.start();
    expect(phases).toContain('swap');
    expect(readCheckpoint(db, 'read-models')).toEqual({
      position: await store.headPosition(),
      signature: projectionSignature(bumped()),
    });
    const rebuilt = dump(readFile);
    await appendToyEvents(store, 90, 7);
    await v2.waitForPosition(await store.headPosition());
    const after = dump(readFile);
    const events = (d: Dump) => (d.totals as { events: number }[]).reduce((a, t) => a + t.events, 0);
    expect(events(after) - events(rebuilt)).toBe(81);
    await v2.stop();
    db.close();
  });

  it('names a source module that cannot open the store and projections in a worker', async () => {
    const notASource = new URL('./fixtures/toy.ts', import.meta.url).href;
    await expect(
      rebuildProjections({
        eventStore: store,
        dbFile: join(dir, 'live.sqlite'),
        projections: perStreamProjections(),
        parallel: { workers: 2, source: { module: notASource, data: {} } },
      }),
    ).rejects.toThrow(/toy\.ts n'exporte pas de fonction openRebuildSource/);
    expect(readdirSync(dir).filter((f) => f.includes('.rebuild'))).toEqual([]);
  });

  it('refuses to merge the workers’ rows of a table not declared as a sum, rather than keep one of them', async () => {
    const liveFile = join(dir, 'live.sqlite');
    await expect(
      rebuildProjections({
        eventStore: store,
        dbFile: liveFile,
        projections: perStreamProjections({ undeclaredSums: true }),
        parallel: { workers: 2, source: perStreamSource({ storeFile, undeclaredSums: true }) },
      }),
    ).rejects.toThrow(/UNIQUE constraint failed: toy_type_totals\.stream_type/);
    expect(existsSync(liveFile) ? readdirSync(dir).filter((f) => f.includes('.rebuild')) : []).toEqual([]);
  });
});
