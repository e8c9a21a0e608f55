// `grants restore` (services/cli/restore.ts) on small files standing for a backup: restored twice in
// the same second, each run moves what it replaces into a folder of its own and the first folder
// keeps the original log; an orphan Temporal server left by a killed engine is named with its pid
// and what to do; a data directory it cannot write is a configuration error naming GRANTS_DATA_DIR
// (exit 2), as the README says.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runRestore } from '../../services/cli/restore';
import { MANIFEST_FILE, fileStamp, type BackupManifest } from '../../services/cli/backupManifest';
import { captureCliOutput } from '../support/cliOutput';
import { freePort } from '../support/processes';
import { fakeBackup, sha256 } from './fakeBackup';
import { asNobody, grants, runsAsNobody } from './support';

const silent = pino({ level: 'silent' });

let work: string;
const cleanups: (() => void)[] = [];
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'grants-restore-cli-'));
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** A data directory's configuration on ports nothing listens on (a stopped engine). */
const quietConfig = async (dataDir: string, extra: Record<string, string> = {}) =>
  loadConfig({
    GRANTS_DATA_DIR: dataDir,
    GRANTS_HTTP_PORT: String(await freePort()),
    TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
    ...extra,
  });

describe('grants restore twice in the same second', () => {
  it('moves each run’s replaced files into a folder of its own: the original log is kept', async () => {
    const backup = join(work, 'sauvegarde');
    fakeBackup(backup, {
      events: 'le journal de la sauvegarde',
      temporal: 'la base Temporal de la sauvegarde',
    });
    const data = join(work, 'data');
    mkdirSync(data);
    const original = 'le journal original, irremplaçable';
    writeFileSync(join(data, 'events.sqlite'), original);
    writeFileSync(join(data, 'events.sqlite-wal'), 'son WAL');
    writeFileSync(join(data, 'temporal.sqlite'), 'la base Temporal originale');

    // One clock for both: the same second, to the millisecond.
    const instant = new Date('2026-11-26T09:05:00.123Z');
    const clock = () => instant;
    const config = await quietConfig(data);
    const first = captureCliOutput();
    expect(await runRestore(config, silent, [backup], first.io, clock), first.err()).toBe(0);
    const second = captureCliOutput();
    expect(await runRestore(config, silent, [backup], second.io, clock), second.err()).toBe(0);

    const stamp = fileStamp(instant);
    const firstAside = join(data, `avant-restauration-${stamp}`);
    const secondAside = join(data, `avant-restauration-${stamp}-2`);
    // The first folder holds the original log's very bytes; the second, the first restore's copy.
    expect(sha256(readFileSync(join(firstAside, 'events.sqlite')))).toBe(sha256(original));
    expect(first.out()).toContain(`Les fichiers remplacés sont dans ${firstAside}.`);
    expect(second.out()).toContain(`Les fichiers remplacés sont dans ${secondAside}.`);
    expect(readdirSync(firstAside).sort()).toEqual(['events.sqlite', 'events.sqlite-wal', 'temporal.sqlite']);
    expect(readdirSync(secondAside).sort()).toEqual(['events.sqlite', 'temporal.sqlite']);
    expect(readFileSync(join(firstAside, 'events.sqlite-wal'), 'utf8')).toBe('son WAL');
    expect(readFileSync(join(secondAside, 'events.sqlite'), 'utf8')).toBe('le journal de la sauvegarde');
    expect(readFileSync(join(data, 'events.sqlite'), 'utf8')).toBe('le journal de la sauvegarde');

    // A third, still in that second: -3.
    const third = captureCliOutput();
    expect(await runRestore(config, silent, [backup], third.io, clock), third.err()).toBe(0);
    expect(third.out()).toContain(`avant-restauration-${stamp}-3.`);
  });

  it('refuses to move a file onto one already there, and puts everything back (exit 1)', async () => {
    const backup = join(work, 'sauvegarde');
    fakeBackup(backup, {
      events: 'le journal de la sauvegarde',
      temporal: 'la base Temporal de la sauvegarde',
    });
    const data = join(work, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'events.sqlite'), 'le journal');
    // The read models configured under the log's name elsewhere: both would land on one name aside.
    const elsewhere = join(work, 'ailleurs');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'events.sqlite'), 'les vues');
    const config = await quietConfig(data);
    const clashing = {
      ...config,
      readModels: { ...config.readModels, file: join(elsewhere, 'events.sqlite') },
    };
    const c = captureCliOutput();
    expect(await runRestore(clashing, silent, [backup], c.io)).toBe(1);
    expect(c.err()).toContain('existe déjà');
    expect(c.err()).toContain('les fichiers en place avant ont été remis');
    expect(readFileSync(join(data, 'events.sqlite'), 'utf8')).toBe('le journal');
    expect(readFileSync(join(elsewhere, 'events.sqlite'), 'utf8')).toBe('les vues');
    expect(readdirSync(data)).toEqual(['events.sqlite']);
  });
});

describe('grants restore of a manifest naming a file outside its folder', () => {
  it('refuses it before reading anything (exit 2), whatever hash it gives', async () => {
    const backup = join(work, 'sauvegarde');
    fakeBackup(backup, {
      events: 'le journal de la sauvegarde',
      temporal: 'la base Temporal de la sauvegarde',
    });
    // A file beside the backup, with its true hash: only its path is wrong.
    const outside = 'un journal pris ailleurs';
    writeFileSync(join(work, 'ailleurs.sqlite'), outside);
    const manifest = JSON.parse(readFileSync(join(backup, MANIFEST_FILE), 'utf8')) as BackupManifest;
    manifest.files = manifest.files.map((f) =>
      f.role === 'events' ? { ...f, file: '../ailleurs.sqlite', sha256: sha256(outside) } : f,
    );
    writeFileSync(join(backup, MANIFEST_FILE), JSON.stringify(manifest));
    const data = join(work, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'events.sqlite'), 'en place');

    const out = captureCliOutput();
    expect(await runRestore(await quietConfig(data), silent, [backup], out.io), out.err()).toBe(2);
    const events = manifest.files.findIndex((f) => f.role === 'events');
    expect(out.err()).toContain(
      `files.${events}.file : un nom de fichier du dossier de sauvegarde, sans chemin, est attendu`,
    );
    expect(readdirSync(data)).toEqual(['events.sqlite']);
    expect(readFileSync(join(data, 'events.sqlite'), 'utf8')).toBe('en place');
  });
});

describe('grants restore beside the Temporal server of an engine killed with kill -9', () => {
  let orphan: ChildProcess | undefined;
  afterEach(() => {
    orphan?.kill('SIGKILL');
    orphan = undefined;
  });

  it('names the leftover Temporal server, its pid and what stops it (exit 2), touching nothing', async () => {
    const backup = join(work, 'sauvegarde');
    fakeBackup(backup, {
      events: 'le journal de la sauvegarde',
      temporal: 'la base Temporal de la sauvegarde',
    });
    const data = join(work, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'events.sqlite'), 'en place');
    const port = await freePort();
    const config = await quietConfig(data, { TEMPORAL_DEV_SERVER_PORT: String(port) });
    const dbFile = config.temporal.devServerDbFile;

    // The dead engine: a process that has exited, its pid noted in the lock.
    const engine = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(engine.stdout.trim());
    // Its Temporal server, still listening: a command line naming start-dev and our database file.
    orphan = spawn(
      process.execPath,
      [
        '-e',
        `require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('prêt'))`,
        'server',
        'start-dev',
        '--db-filename',
        dbFile,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((ready) => orphan!.stdout!.once('data', () => ready()));
    const address = `127.0.0.1:${port}`;
    writeFileSync(
      join(data, 'engine.lock'),
      JSON.stringify({
        pid: deadPid,
        temporalPid: orphan.pid,
        temporalDbFile: dbFile,
        temporalAddress: address,
      }),
    );

    const c = captureCliOutput();
    expect(await runRestore(config, silent, [backup], c.io)).toBe(2);
    expect(c.err()).not.toContain('Le moteur semble démarré');
    expect(c.err()).toContain(`serveur Temporal (processus ${orphan.pid}, ${address})`);
    expect(c.err()).toContain('grants start');
    expect(c.err()).toContain(`kill ${orphan.pid}`);
    expect(readdirSync(data).sort()).toEqual(['engine.lock', 'events.sqlite']);

    // Were this shell's TEMPORAL_DEV_SERVER_PORT another one, the leftover would still be found.
    const elsewhere = await quietConfig(data);
    const d = captureCliOutput();
    expect(await runRestore(elsewhere, silent, [backup], d.io)).toBe(2);
    expect(d.err()).toContain(`kill ${orphan.pid}`);
    expect(readdirSync(data).sort()).toEqual(['engine.lock', 'events.sqlite']);
  });
});

describe('grants restore on a data directory it cannot write', () => {
  it('exits 2 naming GRANTS_DATA_DIR when the data directory is a plain file', async () => {
    const backup = join(work, 'sauvegarde');
    fakeBackup(backup, {
      events: 'le journal de la sauvegarde',
      temporal: 'la base Temporal de la sauvegarde',
    });
    const file = join(work, 'un-fichier');
    writeFileSync(file, 'pas un dossier');
    for (const dataDir of [file, join(file, 'sous-dossier')]) {
      const result = grants(
        {
          GRANTS_DATA_DIR: dataDir,
          GRANTS_HTTP_PORT: String(await freePort()),
          TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
        },
        'restore',
        backup,
      );
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain('GRANTS_DATA_DIR');
      expect(result.stderr).toContain(dataDir);
      expect(result.stderr).not.toMatch(/^Erreur : E[A-Z]+:/m);
    }
    expect(readFileSync(file, 'utf8')).toBe('pas un dossier');
  });

  it('exits 2 naming GRANTS_DATA_DIR when the user may not write there', async (test) => {
    if (!runsAsNobody(test)) return;
    const backup = join(work, 'sauvegarde');
    fakeBackup(backup, {
      events: 'le journal de la sauvegarde',
      temporal: 'la base Temporal de la sauvegarde',
    });
    chmodSync(work, 0o755);
    const data = join(work, 'lecture-seule');
    mkdirSync(data);
    writeFileSync(join(data, 'events.sqlite'), 'en place');
    chmodSync(join(data, 'events.sqlite'), 0o644);
    const result = asNobody(
      {
        GRANTS_DATA_DIR: data,
        GRANTS_HTTP_PORT: String(await freePort()),
        TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      },
      'restore',
      backup,
    );
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain('GRANTS_DATA_DIR');
    expect(result.stderr).toContain(data);
    expect(readdirSync(data)).toEqual(['events.sqlite']);
    expect(existsSync(join(data, 'events.sqlite'))).toBe(true);
  });
});
