// `grants start --help` prints what it runs and where its settings are, and starts nothing; an
// unknown option is said in French with the usage (exit 2); `npm start` (grants start, no
// argument) still goes on to start the engine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runStart } from '../../services/cli/start';
import { captureCliOutput } from '../support/cliOutput';

const root = resolve(import.meta.dirname, '..', '..');
const silent = pino({ level: 'silent' });

describe('grants start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grants-start-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A Temporal CLI that is not there: were the engine started by mistake, it would fail at once.
  const env = () => ({ GRANTS_DATA_DIR: dir, TEMPORAL_CLI: join(dir, 'pas-de-temporal') });
  const config = () => loadConfig(env());
  const grantsWith = (extraEnv: Record<string, string>, ...argv: string[]) =>
    spawnSync(process.execPath, [join(root, 'scripts', 'grants.mjs'), ...argv], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ...env(), ...extraEnv },
    });
  const grants = (...argv: string[]) => grantsWith({}, ...argv);

  it('prints its usage for --help (exit 0), naming what it runs and the README’s settings', async () => {
    const c = captureCliOutput();
    expect(await runStart(config(), silent, ['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^Usage : grants start\n/);
    expect(c.out()).toContain('serveur Temporal embarqué');
    expect(c.out()).toContain('npm start');
    expect(c.out()).toContain('« Configuration » du README');
    expect(c.err()).toBe('');
  });

  it('refuses an unknown option or an argument, in French with the usage (exit 2)', async () => {
    for (const [argv, message] of [
      [['--bogus'], 'Option inconnue : --bogus.'],
      [['demo'], 'Argument inattendu : demo'],
    ] as const) {
      const c = captureCliOutput();
      expect(await runStart(config(), silent, [...argv], c.io)).toBe(2);
      expect(c.err()).toContain(message);
      expect(c.err()).toContain('Usage : grants start');
      expect(c.out()).toBe('');
    }
  });

  it('answers --help through the grants command, and goes on to the engine without arguments', () => {
    const help = grants('start', '--help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage : grants start\n/);

    const wrong = grants('start', '--port', '4000');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^Option inconnue : --port\./);

    // What npm start runs: no argument, so the engine starts (and here stops at the missing CLI).
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toMatch(/scripts\/grants\.mjs start$/);
    const started = grants('start');
    expect(started.status).toBe(1);
    expect(started.stderr).toContain('Temporal CLI introuvable');
    expect(started.stderr).not.toContain('Usage');
  });

  it('answers --help even when a variable of the environment is wrong, and only then', () => {
    const help = grantsWith({ GRANTS_HTTP_PORT: 'abc' }, 'export', '--help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage : grants export/);
    const work = grantsWith({ GRANTS_HTTP_PORT: 'abc' }, 'export', 'ledger');
    expect(work.status).toBe(2);
    expect(work.stderr).toContain('GRANTS_HTTP_PORT=abc');
  });
});
