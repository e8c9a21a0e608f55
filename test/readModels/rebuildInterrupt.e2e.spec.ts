// Ctrl-C during `grants projections rebuild`, as an operator presses it: a real process, a real
// signal. The rebuild stops before the swap, says that nothing changed, exits 130, and leaves no
// shadow file and no lock behind; the read models in service are the ones it found.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runProjections } from '../../services/cli/projections';
import { tempDir } from '../projections/support';
import { waitFor } from '../support/processes';
import { MARKED_STATUS, markedReadModels, readModelMarks, storeWithCampaign } from './support/dataDir';

const cli = new URL('../../scripts/grants.mjs', import.meta.url).pathname;

describe('grants projections rebuild, interrupted', () => {
  let dir: string;
  let cleanup: () => void;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('Ctrl-C before the swap: exit 130, « rien n’a changé », no shadow or lock left, the tables in service kept', async () => {
    await storeWithCampaign(dir);
    const config = loadConfig({ GRANTS_DATA_DIR: dir, GRANTS_REBUILD_WORKERS: '1' });
    await markedReadModels(config);

    // Two worker threads: while they load, the parent waits on them, as on any long replay.
    const child = spawn(process.execPath, [cli, 'projections', 'rebuild'], {
      env: { ...process.env, GRANTS_DATA_DIR: dir, GRANTS_REBUILD_WORKERS: '2', GRANTS_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The first progress line: the replay has begun.
    await waitFor(
      'the first progress line',
      () => Promise.resolve(/ événements/.test(err) ? true : undefined),
      30_000,
      5,
    );
    child.kill('SIGINT');

    expect(await exited, err).toBe(130);
    expect(err).toContain('Interruption demandée (SIGINT) : arrêt de la reconstruction…');
    expect(err).toContain(
      'Reconstruction interrompue avant la bascule : les vues en service sont inchangées.',
    );
    expect(out).not.toContain('Modèles de lecture reconstruits');
    expect(readdirSync(dir).filter((f) => f.includes('.rebuild'))).toEqual([]);
    expect(readModelMarks(config).statuses).toEqual([MARKED_STATUS]);

    // Nothing held: the next rebuild runs, and replaces the marked tables.
    const quiet = { out: { write: () => true }, err: { write: () => true } };
    expect(await runProjections(config, pino({ level: 'silent' }), ['rebuild'], quiet)).toBe(0);
    expect(readModelMarks(config).statuses).not.toContain(MARKED_STATUS);
  }, 60_000);
});
