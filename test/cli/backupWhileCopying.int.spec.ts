// `grants backup` caught in the middle of its copy, as an operator meets it: a real process, held
// still (SIGSTOP, the copying child with it) once its first copy has begun, so that what comes then
// arrives mid-copy every time.
// - A second `grants backup` to the same folder (a cron job and a manual rerun with the same --to)
//   is refused in French, naming the first one's pid (exit 1, as a second restore or rebuild is), and
//   the first ends as if alone. It deleted the first one's `.partiel` folder and wrote its own there:
//   the second ended first (exit 0), the first then failed, its copies gone.
// - A backup killed with kill -9 leaves its lock beside its `.partiel` folder: the next one takes it
//   over. A backup that fails lets go of it.
// - A backup while `grants restore` runs on the same data directory is refused (exit 1), naming the
//   restore: the restore swaps the files in one go, and a backup that copied the Temporal base before
//   the swap and the log after it wrote a « checked » backup of two different times, the workflows
//   of the data replaced and the log of the backup restored, which its manifest does not say.
// - And the other way round: a restore while a backup copies the data directory is refused (exit 1),
//   naming the backup (its mark in the data directory), and the backup ends as if alone.
import { EventEmitter } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { sha256OfFile } from '../../infra/backup/sqliteSnapshot';
import { runBackup } from '../../services/cli/backup';
import { MANIFEST_FILE, readBackupManifest, type BackupManifest } from '../../services/cli/backupManifest';
import { FundingWorld, openTestStore, playFundingYear, type TestStore } from '../audit/support';
import { captureCliOutput } from '../support/cliOutput';
import { freePort } from '../support/processes';
import { fakeBackup } from './fakeBackup';
import { endGrants, grants, holdWhen, startGrants, type RunningGrants } from './support';

const silent = pino({ level: 'silent' });

let t: TestStore | undefined;
let work: string;
const started: RunningGrants[] = [];
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'grants-backup-copying-'));
});
afterEach(async () => {
  for (const running of started.splice(0)) endGrants(running);
  await t?.close();
  t = undefined;
  rmSync(work, { recursive: true, force: true });
});

/** A SQLite file of about this size (a Temporal base whose copy takes a moment). */
function sqliteFile(file: string, bytes: number): void {
  const db = new Database(file);
  db.exec('CREATE TABLE executions (id INTEGER PRIMARY KEY, data BLOB)');
  const insert = db.prepare('INSERT INTO executions (data) VALUES (zeroblob(?))');
  for (let left = bytes; left > 0; left -= 1_000_000) insert.run(Math.min(left, 1_000_000));
  db.close();
}

/** A played log, and a Temporal base beside it big enough for its copy to take a moment. */
async function dataDir(temporalBytes: number): Promise<TestStore> {
  t = openTestStore();
  await playFundingYear(new FundingWorld(t));
  sqliteFile(join(t.dir, 'temporal.sqlite'), temporalBytes);
  return t;
}

/** `grants <argv>` started in its own process group, as from a shell; ended after the test. */
function start(env: Record<string, string>, ...argv: string[]): RunningGrants {
  const running = startGrants(env, ...argv);
  started.push(running);
  return running;
}

/** The backup in `dir` checked against its manifest: each file's SHA-256. */
async function expectWhole(dir: string): Promise<BackupManifest> {
  const manifest = readBackupManifest(dir);
  expect(readdirSync(dir).sort()).toEqual(['events.sqlite', MANIFEST_FILE, 'temporal.sqlite']);
  for (const f of manifest.files) expect(await sha256OfFile(join(dir, f.file)), f.file).toBe(f.sha256);
  return manifest;
}

describe('grants backup while another backup copies to the same folder', () => {
  it('is refused in French naming the first one (exit 1), which then ends as alone', async () => {
    const test = await dataDir(60_000_000);
    const env = { GRANTS_DATA_DIR: test.dir, GRANTS_LOG_LEVEL: 'warn' };
    const target = join(work, 'sauvegarde');
    const first = start(env, 'backup', '--to', target);
    await holdWhen(first, () => existsSync(join(`${target}.partiel`, 'temporal.sqlite')));

    const second = grants(env, 'backup', '--to', target);
    expect(second.status, second.stderr).toBe(1);
    expect(second.stderr).toContain(
      `Une sauvegarde vers ${target} est déjà en cours (processus ${first.child.pid}) : attendez qu’elle ` +
        `se termine, ou arrêtez-la (Ctrl-C dans son terminal, ou kill ${first.child.pid}) ; rien n’a été copié.`,
    );
    expect(second.stderr).not.toContain('copie de');
    expect(second.stderr).not.toMatch(/^Erreur/m);
    expect(second.stdout).toBe('');
    // The first one's half copy untouched.
    expect(existsSync(join(`${target}.partiel`, 'temporal.sqlite'))).toBe(true);

    process.kill(-first.child.pid!, 'SIGCONT');
    const result = await first.done;
    expect(result.status, result.err).toBe(0);
    expect(result.out).toContain(`Sauvegarde dans ${target} :`);
    const manifest = await expectWhole(target);
    expect(manifest.files.find((f) => f.role === 'temporal')?.bytes).toBe(
      statSync(join(test.dir, 'temporal.sqlite')).size,
    );
    // Nothing else: no half copy, no lock left.
    expect(readdirSync(work)).toEqual(['sauvegarde']);
  });

  it('takes over the lock of a backup killed with kill -9, and its half copy', async () => {
    const test = await dataDir(60_000_000);
    const env = { GRANTS_DATA_DIR: test.dir, GRANTS_LOG_LEVEL: 'warn' };
    const target = join(work, 'sauvegarde');
    const killed = start(env, 'backup', '--to', target);
    await holdWhen(killed, () => existsSync(join(`${target}.partiel`, 'temporal.sqlite')));
    process.kill(-killed.child.pid!, 'SIGKILL');
    await killed.done;
    expect(readdirSync(work).sort()).toEqual(['sauvegarde.partiel', 'sauvegarde.verrou']);

    const next = grants(env, 'backup', '--to', target);
    expect(next.status, next.stderr).toBe(0);
    await expectWhole(target);
    expect(readdirSync(work)).toEqual(['sauvegarde']);
  });

  it('lets go of the folder when its copy fails (exit 1)', async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
    writeFileSync(
      join(t.dir, 'temporal.sqlite'),
      'pas une base SQLite, bien plus longue qu’un en-tête '.repeat(20),
    );
    const target = join(work, 'sauvegarde');
    const failed = grants({ GRANTS_DATA_DIR: t.dir, GRANTS_LOG_LEVEL: 'warn' }, 'backup', '--to', target);
    expect(failed.status, failed.stderr).toBe(1);
    expect(readdirSync(work)).toEqual([]);
  });
});

describe('grants backup while grants restore runs on the same data directory', () => {
  it('is refused in French naming the restore (exit 1): it would copy the files being swapped', async () => {
    // The backup to restore: a played log, a Temporal base big enough to be copied for a moment.
    const source = await dataDir(96_000_000);
    await source.store.close();
    const big = join(work, 'grande');
    fakeBackup(big, {
      events: readFileSync(join(source.dir, 'events.sqlite')),
      temporal: readFileSync(join(source.dir, 'temporal.sqlite')),
    });
    rmSync(source.dir, { recursive: true, force: true });
    t = undefined;

    // The data directory it replaces: an empty log, a small Temporal base.
    const data = join(work, 'donnees');
    mkdirSync(data);
    const empty = openTestStore();
    await empty.store.close();
    copyFileSync(empty.file, join(data, 'events.sqlite'));
    rmSync(empty.dir, { recursive: true, force: true });
    sqliteFile(join(data, 'temporal.sqlite'), 10_000);

    const restore = start(
      {
        GRANTS_DATA_DIR: data,
        GRANTS_HTTP_PORT: String(await freePort()),
        TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
        GRANTS_LOG_LEVEL: 'warn',
      },
      'restore',
      big,
    );
    await holdWhen(restore, () => readdirSync(data).some((f) => f.endsWith('.restauration')));

    // The restore resumes, and swaps, between the backup's two copies: the worst time, as it comes.
    let resumed = false;
    const c = captureCliOutput();
    const target = join(work, 'sauvegarde');
    const code = await runBackup(
      loadConfig({ GRANTS_DATA_DIR: data }),
      silent,
      ['--to', target],
      { ...c.io, signals: new EventEmitter() },
      {
        betweenCopies: async () => {
          resumed = true;
          process.kill(-restore.child.pid!, 'SIGCONT');
          expect((await restore.done).status).toBe(0);
        },
      },
    );
    expect({ code, resumed }, c.err()).toEqual({ code: 1, resumed: false });
    expect(c.err()).toContain(
      `Une restauration est en cours sur ${data} (processus ${restore.child.pid}) : la sauvegarde copierait ` +
        'les fichiers qu’elle remplace',
    );
    expect(c.err()).toContain(`kill ${restore.child.pid}`);
    expect(c.err()).toContain('rien n’a été copié');
    expect(c.err()).not.toContain('copie de');
    expect(c.out()).toBe('');
    expect(readdirSync(work).sort()).toEqual(['donnees', 'grande']);

    // The restore, left alone, ends well.
    process.kill(-restore.child.pid!, 'SIGCONT');
    expect((await restore.done).status).toBe(0);
  });
});

describe('grants restore while a backup copies the data directory', () => {
  it('is refused in French naming the backup (exit 1), touching nothing; the backup then ends as alone', async () => {
    const test = await dataDir(60_000_000);
    const env = { GRANTS_DATA_DIR: test.dir, GRANTS_LOG_LEVEL: 'warn' };
    // A backup to restore from, then another one under way, held still in the middle of its copy.
    const earlier = join(work, 'premiere');
    expect(grants(env, 'backup', '--to', earlier).status).toBe(0);
    const target = join(work, 'seconde');
    const backup = start(env, 'backup', '--to', target);
    await holdWhen(backup, () => existsSync(join(`${target}.partiel`, 'temporal.sqlite')));
    const before = readdirSync(test.dir).sort();

    const restore = grants(
      {
        ...env,
        GRANTS_HTTP_PORT: String(await freePort()),
        TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      },
      'restore',
      earlier,
    );
    expect(restore.status, restore.stderr).toBe(1);
    expect(restore.stderr).toContain(
      `Une sauvegarde de ${test.dir} est en cours (processus ${backup.child.pid}) : la restaurer maintenant ` +
        'lui ferait copier deux moments différents.',
    );
    expect(restore.stderr).toContain(`kill ${backup.child.pid}) ; rien n’a été touché.`);
    expect(readdirSync(test.dir).sort()).toEqual(before);

    process.kill(-backup.child.pid!, 'SIGCONT');
    const result = await backup.done;
    expect(result.status, result.err).toBe(0);
    await expectWhole(target);
    // Its mark in the data directory goes with it: a restore may run now.
    expect(readdirSync(test.dir).filter((f) => f.startsWith('sauvegarde-en-cours'))).toEqual([]);
  });
});
