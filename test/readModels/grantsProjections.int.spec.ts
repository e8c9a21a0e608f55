// The grants read models on the real pieces: the history written to a SQLite event store (validated
// against the domain's event definitions), followed by the projector, and rebuilt from scratch: both
// give the rows the events give when applied directly.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infra/eventstore';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/port';
import { openReadModelDatabase } from '../../infra/projections/database';
import { createProjector } from '../../infra/projections/projector';
import { rebuildProjections } from '../../infra/projections/rebuild';
import {
  campaignSummary,
  grantsProjections,
  ledger,
  listApplications,
  overdueReports,
} from '../../services/readModels';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { tempDir } from '../projections/support';
import { dumpTables, openReadModels } from './support/readModels';
import { playCampaign } from './support/scenarios';
import { CAMPAIGN_ID, GrantsWorld } from './support/world';

/** Appends the history stream by stream, in its global order (consecutive events of a stream together). */
async function write(store: EventStore, events: readonly RecordedEvent[]): Promise<void> {
  let run: RecordedEvent[] = [];
  const flush = async () => {
    const first = run[0];
    if (first === undefined) return;
    await store.append(
      first.stream,
      run.map((e) => ({
        id: e.id,
        type: e.type,
        data: e.data,
        metadata: {
          correlationId: e.metadata.correlationId,
          causationId: e.metadata.causationId,
          actor: e.metadata.actor,
          occurredAt: e.metadata.occurredAt,
        },
      })),
      { expectedRevision: first.revision === 0n ? 'no_stream' : first.revision - 1n },
    );
    run = [];
  };
  for (const event of events) {
    if (run.length > 0 && run[0]?.stream !== event.stream) await flush();
    run.push(event);
  }
  await flush();
}

/** Tables without record times (the store stamps its own). */
function comparable(db: Parameters<typeof dumpTables>[0]): Record<string, unknown[]> {
  const dump = dumpTables(db);
  for (const rows of Object.values(dump))
    for (const row of rows as Record<string, unknown>[]) delete row.recorded_at;
  return dump;
}

describe('grants read models on the SQLite store', () => {
  let dir: string;
  let cleanup: () => void;
  let store: EventStore;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    store = openSqliteEventStore({
      file: join(dir, 'events.sqlite'),
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
    await write(store, world.events.slice(0, half));

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
    await write(store, world.events.slice(half));
    await projector.waitForPosition(await store.headPosition(), { timeoutMs: 30_000 });

    const direct = openReadModels();
    direct.project(world.events);
    expect(comparable(db)).toEqual(comparable(direct.db));
    expect(listApplications(db, { campaignId: CAMPAIGN_ID }).total).toBe(24);
    expect(campaignSummary(db, CAMPAIGN_ID)?.amounts).toEqual(
      campaignSummary(direct.db, CAMPAIGN_ID)?.amounts,
    );
    expect(overdueReports(db)).toEqual(overdueReports(direct.db));

    await projector.stop();
    db.close();
    const before = openReadModelDatabase(readFile, { readonly: true });
    const incremental = comparable(before);
    const entries = ledger(before, { limit: 1000 }).entries.length;
    before.close();

    const result = await rebuildProjections({
      eventStore: store,
      dbFile: readFile,
      projections: grantsProjections,
    });
    expect(result.events).toBe(world.events.length);
    const rebuilt = openReadModelDatabase(readFile, { readonly: true });
    expect(comparable(rebuilt)).toEqual(incremental);
    expect(ledger(rebuilt, { limit: 1000 }).entries).toHaveLength(entries);
    rebuilt.close();
    direct.close();
  });

  it('a rebuild in large deferred batches writes, row by row, the tables of a live projector applying events one by one', async () => {
    // A whole campaign: every status, complements, positions, signatures, payments, reports,
    // recoveries, withdrawals, terminations, envelope reservations and releases.
    const world = new GrantsWorld().openCampaign();
    playCampaign(world, 40);
    await write(store, world.events);

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

    // One batch for the whole history, then batches cut at arbitrary events.
    for (const options of [{ batchSize: 1_000_000 }, { batchSize: 97 }]) {
      const file = join(dir, `rebuilt-${options.batchSize}.sqlite`);
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
        expect(tables[table], `${table} (${JSON.stringify(options)})`).toEqual(rows);
      expect(Object.keys(tables).sort()).toEqual(Object.keys(expected).sort());
      rebuilt.close();
    }
  });
});
