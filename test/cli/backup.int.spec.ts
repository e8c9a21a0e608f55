// `grants backup` stopped by Ctrl-C (SIGINT) or SIGTERM keeps nothing: the copy under
// `<dossier>.partiel` is removed, it says so in French and exits with 130, whether the signal comes
// during a copy (a Ctrl-C at the terminal reaches the copying child too) or while the copy is checked.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runBackup } from '../../services/cli/backup';
import { FundingWorld, openTestStore, playFundingYear, type TestStore } from '../audit/support';
import { captureCliOutput } from '../support/cliOutput';

const root = resolve(import.meta.dirname, '..', '..');
const silent = pino({ level: 'silent' });
const interrupted =
  'Sauvegarde interrompue : la copie commencée est effacée, aucun fichier de sauvegarde n’a été laissé.';

let t: TestStore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A played log, and a Temporal base beside it big enough for its copy to take a moment. */
async function dataDir(temporalBytes = 1_000): Promise<TestStore> {
  t = openTestStore();
  await playFundingYear(new FundingWorld(t));
  const temporal = new Database(join(t.dir, 'temporal.sqlite'));
  temporal.exec('CREATE TABLE executions (id INTEGER PRIMARY KEY, data BLOB)');
  const insert = temporal.prepare('INSERT INTO executions (data) VALUES (zeroblob(?))');
  for (let left = temporalBytes; left > 0; left -= 1_000_000) insert.run(Math.min(left, 1_000_000));
  temporal.close();
  return t;
}

/** What the data directory holds besides the files a test wrote: no backup, no half one. */
const leftovers = (dir: string): string[] =>
  readdirSync(dir).filter((f) => f.startsWith('sauvegarde') || f.endsWith('.partiel'));

describe('grants backup interrupted', () => {
  it('removes the half copy, says so and exits with 130 on SIGINT between the two copies', async () => {
    const test = await dataDir();
    const signals = new EventEmitter();
    const c = captureCliOutput();
    const target = join(test.dir, 'sauvegarde');
    const code = await runBackup(
      loadConfig({ GRANTS_DATA_DIR: test.dir }),
      silent,
      ['--to', target],
      { ...c.io, signals },
      { betweenCopies: () => Promise.resolve(void signals.emit('SIGINT', 'SIGINT')) },
    );
    expect(code, c.err()).toBe(130);
    expect(c.err()).toContain(`${interrupted}\n`);
    expect(c.out()).toBe('');
    expect(leftovers(test.dir)).toEqual([]);
  });

  it('does not wait for the check of the copy to end on SIGTERM', async () => {
    const test = await dataDir();
    const signals = new EventEmitter();
    const c = captureCliOutput();
    // SIGTERM once the copied log is verified, as its digest begins.
    const err = {
      write: (s: string) => {
        c.io.err.write(s);
        if (s.startsWith('empreinte du journal copié')) signals.emit('SIGTERM', 'SIGTERM');
      },
    };
    const code = await runBackup(
      loadConfig({ GRANTS_DATA_DIR: test.dir }),
      silent,
      ['--to', join(test.dir, 'sauvegarde')],
      { out: c.io.out, err, signals },
    );
    expect(code, c.err()).toBe(130);
    expect(c.err()).toContain(interrupted);
    expect(c.err()).not.toContain('empreintes SHA-256');
    expect(c.out()).toBe('');
    expect(leftovers(test.dir)).toEqual([]);
  });

  it.each([
    ['Ctrl-C at the terminal (SIGINT to the process group, the copying child too)', 'SIGINT', true],
    ['SIGTERM to the command alone', 'SIGTERM', false],
  ] as const)('leaves nothing behind on %s, exit 130', async (_what, signal, group) => {
    const test = await dataDir(60_000_000);
    const target = join(test.dir, 'sauvegarde');
    const child = spawn(process.execPath, [join(root, 'scripts', 'grants.mjs'), 'backup', '--to', target], {
      cwd: root,
      env: { ...process.env, GRANTS_DATA_DIR: test.dir, GRANTS_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, as a command started from a shell: a Ctrl-C reaches all of it.
      detached: true,
    });
    let out = '';
    let err = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      // During the first copy, the Temporal base's.
      if (!sent && err.includes('copie de')) {
        sent = true;
        process.kill(group ? -child.pid! : child.pid!, signal);
      }
    });
    const [status, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.on('close', (code, by) => done([code, by])),
    );
    expect(sent).toBe(true);
    expect({ status, killedBy }, err).toEqual({ status: 130, killedBy: null });
    expect(err).toContain(`${interrupted}\n`);
    expect(err).not.toContain('Erreur');
    expect(out).toBe('');
    expect(leftovers(test.dir)).toEqual([]);
    expect(existsSync(`${target}.partiel`)).toBe(false);
  });
});
