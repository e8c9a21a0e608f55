// The grants read models on the real pieces: the history written to a SQLite event store (validated
// against the domain's event definitions), followed by the projector, and rebuilt from scratch: both
// give the rows the events give when applied directly.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infra/eventstore';
import type { EventStore } from '../../infra/eventstore/port';
import { openReadModelDatabase } from '../../infra/projections/database';
import { createProjector } from '../../infra/projections/projector';
import { rebuildProjections } from '../../infra/projections/rebuild';
import {
  campaignSummary,
  grantsProjections,
  ledgerTotals,
  getApplication,
  listApplications,
  overdueReports,
} from '../../services/readModels';
import { grantsRebuildSource } from '../../services/readModels/rebuildSource';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { tempDir } from '../projections/support';
import { appendHistory, comparableTables, dumpTables, openReadModels } from './support/readModels';
import { playCampaign } from './support/scenarios';
import { CAMPAIGN_ID, GrantsWorld } from './support/world';

describe('grants read models on the SQLite store', () => {
  let dir: string;
  let cleanup: () => void;
  let store: EventStore;
  let storeFile: string;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    storeFile = join(dir, 'events.sqlite');
    store = openSqliteEventStore({
      file: storeFile,
      registry: createGrantsEventRegistry(),
      synchronous: 'NORMAL',
      pollIntervalMs: 10,
    });
  });

  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('projects a campaign live, then rebuilds it: the same rows as the events applied directly', async () => {
    const world = new GrantsWorld().openCampaign();
    playCampaign(world, 24);
    const half = Math.floor(world.events.length / 2);
    await appendHistory(store, world.events.slice(0, half));

    const readFile = join(dir, 'read-models.sqlite');
    const db = openReadModelDatabase(readFile);
    const projector = createProjector({
      eventStore: store,
      db,
      projections: grantsProjections,
      logger: pino({ level: 'silent' }),
      batchSize: 97,
    });
    await projector.start();
    await projector.waitForPosition(await store.headPosition(), { timeoutMs: 30_000 });
    // Live appends while the projector follows.
    await appendHistory(store, world.events.slice(half));
    await projector.waitForPosition(await store.headPosition(), { timeoutMs: 30_000 });

    const direct = openReadModels();
    await direct.project(world.events);
    expect(comparableTables(db)).toEqual(comparableTables(direct.db));
    expect(listApplications(db, { campaignId: CAMPAIGN_ID }).total).toBe(24);
    expect(campaignSummary(db, CAMPAIGN_ID)?.amounts).toEqual(
      campaignSummary(direct.db, CAMPAIGN_ID)?.amounts,
    );
    expect(overdueReports(db)).toEqual(overdueReports(direct.db));

    await projector.stop();
    db.close();
    const before = openReadModelDatabase(readFile, { readonly: true });
    const incremental = comparableTables(before);
    const totals = ledgerTotals(before);
    before.close();

    const result = await rebuildProjections({
      eventStore: store,
      dbFile: readFile,
      projections: grantsProjections,
    });
    expect(result.events).toBe(world.events.length);
    const rebuilt = openReadModelDatabase(readFile, { readonly: true });
    expect(comparableTables(rebuilt)).toEqual(incremental);
    expect(ledgerTotals(rebuilt)).toEqual(totals);
    expect(totals.length).toBeGreaterThan(0);
    rebuilt.close();
    direct.close();
  });

  it('restarted mid-history, folds the applications it meets again from the log: the read models keep no copy of their state', async () => {
    const world = new GrantsWorld().openCampaign();
    playCampaign(world, 16);
    const half = Math.floor(world.events.length / 2);
    await appendHistory(store, world.events.slice(0, half));
    const readFile = join(dir, 'read-models.sqlite');
    // One run of the projector on its own connection (a process of its own: nothing in memory).
    const follow = async () => {
      const db = openReadModelDatabase(readFile);
      const projector = createProjector({
        eventStore: store,
        db,
        projections: grantsProjections,
        logger: pino({ level: 'silent' }),
      });
      await projector.start();
      await projector.waitForPosition(await store.headPosition(), { timeoutMs: 30_000 });
      await projector.stop();
      return db;
    };
    (await follow()).close();
    await appendHistory(store, world.events.slice(half));
    const db = await follow();

    const direct = openReadModels();
    await direct.project(world.events);
    expect(comparableTables(db)).toEqual(comparableTables(direct.db));
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'application_state%'").all()).toEqual(
      [],
    );
    // The detail's state is the stream folded up to the revision of the row.
    for (const story of world.stories)
      expect((await getApplication(db, store, story.applicationId))?.state).toEqual(story.state);
    db.close();
    direct.close();
  });

  it('a rebuild in large deferred batches writes, row by row, the tables of a live projector applying events one by one', async () => {
    // A whole campaign: every status, complements, positions, signatures, payments, reports,
    // recoveries, withdrawals, terminations, envelope reservations and releases.
    const world = new GrantsWorld().openCampaign();
    playCampaign(world, 40);
    await appendHistory(store, world.events);

    const liveFile = join(dir, 'live.sqlite');
    const live = openReadModelDatabase(liveFile);
    const projector = createProjector({
      eventStore: store,
      db: live,
      projections: grantsProjections,
      logger: pino({ level: 'silent' }),
      batchSize: 1,
    });
    await projector.start();
    await projector.waitForPosition(await store.headPosition(), { timeoutMs: 60_000 });
    await projector.stop();
    const expected = dumpTables(live);
    live.close();
    expect(expected.applications).toHaveLength(40);

    // One batch for the whole history, then batches cut at arbitrary events, then three worker
    // threads each replaying ranges of streams (the running totals added up at the swap). The
    // rebuild reads stream after stream; the live projector read the global order.
    const inWorkers = { workers: 3, source: grantsRebuildSource(storeFile) };
    for (const [k, options] of [
      { batchSize: 1_000_000 },
      { batchSize: 97 },
      { batchSize: 97, parallel: inWorkers },
    ].entries()) {
      const file = join(dir, `rebuilt-${k}.sqlite`);
      const result = await rebuildProjections({
        eventStore: store,
        dbFile: file,
        projections: grantsProjections,
        ...options,
      });
      expect(result.events).toBe(world.events.length);
      const rebuilt = openReadModelDatabase(file, { readonly: true });
      const tables = dumpTables(rebuilt);
      for (const [table, rows] of Object.entries(expected))
        expect(tables[table], `${table} (variante ${k})`).toEqual(rows);
      expect(Object.keys(tables).sort()).toEqual(Object.keys(expected).sort());
      rebuilt.close();
    }
  });
});
