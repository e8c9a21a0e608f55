// After an upgrade that changed a projection, `grants start` rebuilds the read models before it
// serves; an operator who presses Ctrl-C then must not wait for the rebuild to finish. A real
// process, the real Temporal dev server: the rebuild is interrupted, what had started stops, the
// tables in service stay as they were (the next start rebuilds them), nothing is left behind.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { tempDir } from '../projections/support';
import {
  MARKED_STATUS,
  markedReadModels,
  readModelMarks,
  storeWithCampaign,
} from '../readModels/support/dataDir';
import { descendants, freePort, isAlive, waitFor } from '../support/processes';

const cli = new URL('../../scripts/grants.mjs', import.meta.url).pathname;
const OLD_SIGNATURE = 'applications@0';

describe('grants start rebuilding its read models', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('Ctrl-C during the start-up rebuild interrupts it: stopped at once, the old tables kept, nothing left', async () => {
    await storeWithCampaign(dir);
    // Read models an older version built: another signature, and a mark a swap would wipe out.
    const config = loadConfig({ GRANTS_DATA_DIR: dir, GRANTS_REBUILD_WORKERS: '1' });
    await markedReadModels(config, { signature: OLD_SIGNATURE });

    const child = spawn(process.execPath, [cli, 'start'], {
      env: {
        ...process.env,
        GRANTS_DATA_DIR: dir,
        GRANTS_HTTP_PORT: String(await freePort()),
        TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
        GRANTS_LOG_FORMAT: 'json',
        GRANTS_LOG_LEVEL: 'info',
        // Not needed to see the rebuild, and its first start bundles the workflows (slow).
        GRANTS_START_WORKER: 'false',
        // Worker threads: while they load, the rebuild waits on them, as on a long replay.
        GRANTS_REBUILD_WORKERS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(
      'the start-up rebuild to begin',
      () =>
        Promise.resolve(output.includes('reconstruction des vues depuis le premier événement') || undefined),
      120_000,
      5,
    );
    const tree = descendants(child.pid ?? -1);
    child.kill('SIGINT');

    expect(await exited, output).toBe(0);
    expect(output).toContain('Arrêt demandé (SIGINT)');
    expect(output).toContain('Arrêté.');
    expect(output).not.toContain('vues basculées');
    expect(output).not.toContain('Moteur des subventions démarré');
    await waitFor(
      'its children to exit',
      () => Promise.resolve(tree.every((p) => !isAlive(p)) || undefined),
      15_000,
    );
    expect(existsSync(join(dir, 'engine.lock'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.rebuild'))).toEqual([]);
    expect(readModelMarks(config)).toEqual({ statuses: [MARKED_STATUS], signatures: [OLD_SIGNATURE] });
  }, 300_000);
});
