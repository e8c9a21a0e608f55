// `grants projections rebuild` on an embedded data directory: the replay spread over worker threads
// (GRANTS_REBUILD_WORKERS), a progress line and a French summary, the same tables as events applied
// directly, and a clear refusal of an unknown sub-command.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import {
  WAL_SIZE_LIMIT_BYTES,
  openReadModelDatabase,
  readCheckpoint,
  writeCheckpoint,
} from '../../infra/projections/database';
import { runProjections } from '../../services/cli/projections';
import { tempDir } from '../projections/support';
import { comparableTables, openReadModels } from './support/readModels';
import { storeWithCampaign as campaignStore } from './support/dataDir';
import type { GrantsWorld } from './support/world';

describe('grants projections rebuild', () => {
  let dir: string;
  let cleanup: () => void;
  /** The command's log lines (JSON), to see how the rebuild ran. */
  let logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    logs = [];
  });
  afterEach(() => {
    vi.restoreAllMocks();
    cleanup();
  });

  /** Runs the command with stdout and stderr captured. */
  async function run(env: Record<string, string>, argv: string[]) {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    try {
      const code = await runProjections(loadConfig({ GRANTS_DATA_DIR: dir, ...env }), logger, argv);
      return { code, out, err };
    } finally {
      vi.restoreAllMocks();
    }
  }

  /** The data directory's event store, holding a campaign of 30 applications at every step. */
  const storeWithCampaign = (): Promise<GrantsWorld> => campaignStore(dir);

  it('rebuilds the read models in worker threads, with progress and a summary in French', async () => {
    const world = await storeWithCampaign();

    const { code, out, err } = await run({ GRANTS_REBUILD_WORKERS: '2' }, ['rebuild']);
    expect(code, err).toBe(0);
    expect(out).toMatch(
      new RegExp(`Modèles de lecture reconstruits : ${world.events.length} événements en .+\\.\\n$`),
    );
    // Not a terminal: one progress line per phase at least, the last one complete.
    expect(err).toMatch(/100 %/);
    expect(logs.find((l) => l.msg === 'vues reconstruites à part : bascule')).toMatchObject({
      events: world.events.length,
      workers: 2,
    });

    const direct = openReadModels();
    await direct.project(world.events);
    const rebuilt = openReadModelDatabase(join(dir, 'read-models.sqlite'), { readonly: true });
    const tables = comparableTables(rebuilt);
    for (const [table, rows] of Object.entries(comparableTables(direct.db))) {
      if (table === 'projection_checkpoints') continue;
      expect(tables[table], table).toEqual(rows);
    }
    rebuilt.close();
    direct.close();
  });

  it('does not leave the swap’s WAL on disk while the engine keeps the file open', async () => {
    await storeWithCampaign();
    const file = join(dir, 'read-models.sqlite');
    // The engine's connection, open before and after the rebuild (a small limit, to see it at this size).
    const engine = openReadModelDatabase(file, { walSizeLimitBytes: 64 * 1024 });
    const byDefault = openReadModelDatabase(file);
    expect(byDefault.pragma('journal_size_limit', { simple: true })).toBe(WAL_SIZE_LIMIT_BYTES);
    byDefault.close();
    try {
      // A connection in use (as the engine's always is): the WAL stays while it is open.
      engine.prepare('SELECT count(*) FROM sqlite_master').get();
      const { code, err } = await run({ GRANTS_REBUILD_WORKERS: '1' }, ['rebuild']);
      expect(code, err).toBe(0);
      const wal = () => statSync(`${file}-wal`).size;
      // The swap wrote every table through the WAL.
      const afterSwap = wal();
      expect(afterSwap).toBeGreaterThan(256 * 1024);
      // The projector's next batch (here its checkpoint alone) starts the WAL over, cut back to the limit.
      const checkpoint = readCheckpoint(engine, 'read-models');
      if (checkpoint === undefined) throw new Error('pas de point de reprise après la reconstruction');
      writeCheckpoint(engine, 'read-models', checkpoint.position, checkpoint.signature);
      expect(wal()).toBeLessThanOrEqual(128 * 1024);
    } finally {
      engine.close();
    }
  });

  it('refuses an unknown sub-command with its usage (exit 2) and refuses a worker count out of range', async () => {
    const { code, err } = await run({}, ['rebiuld']);
    expect(code).toBe(2);
    expect(err).toMatch(/^Sous-commande inconnue : rebiuld\.\n\nUsage : grants projections rebuild/);
    const unknown = await run({}, ['rebuild', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^Option inconnue : --bogus\.\n\nUsage : grants projections rebuild/);
    const help = await run({}, ['rebuild', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage : grants projections rebuild/);
    expect(() => loadConfig({ GRANTS_DATA_DIR: dir, GRANTS_REBUILD_WORKERS: '0' })).toThrow(
      /GRANTS_REBUILD_WORKERS/,
    );
  });
});
