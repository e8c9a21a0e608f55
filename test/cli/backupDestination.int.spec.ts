// `grants backup --to` a folder it cannot write, as an operator mistypes it or a cron job finds the
// backup disk gone read-only: said in French before anything is copied, naming the folder and why
// (exit 2, a mistake in the command as an export's --output into a missing folder is), and nothing
// left behind. It answered « Erreur : ENOTDIR: not a directory, scandir … » or « Erreur : EACCES:
// permission denied, unlink … » (exit 1), the raw error of whichever call failed first. A disk that
// fills up during the copy is said in French too (it said SQLite's « database or disk is full »), the
// half copy removed (exit 1, a copy that failed).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FundingWorld, openTestStore, playFundingYear, type TestStore } from '../audit/support';
import { asNobody, grants, runsAsNobody } from './support';
import { hasProcfs } from '../support/procfs';

let t: TestStore;
let work: string;
beforeEach(async () => {
  t = openTestStore();
  await playFundingYear(new FundingWorld(t));
  new Database(join(t.dir, 'temporal.sqlite')).exec('CREATE TABLE executions (id TEXT)').close();
  work = mkdtempSync(join(tmpdir(), 'grants-backup-to-'));
});
afterEach(async () => {
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

const env = () => ({ GRANTS_DATA_DIR: t.dir, GRANTS_LOG_LEVEL: 'warn' });

describe('grants backup --to where it cannot write', () => {
  it.each([
    ['a plain file', (file: string) => file, (file: string) => `${file} n’est pas un dossier`],
    [
      'a folder under a plain file',
      (file: string) => join(file, 'sauvegarde'),
      (file: string) => `${file} n’est pas un dossier`,
    ],
  ])('refuses %s in French before copying anything (exit 2)', (_what, to, says) => {
    const file = join(work, 'un-fichier');
    writeFileSync(file, 'pas un dossier');
    const result = grants(env(), 'backup', '--to', to(file));
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(`--to : ${says(file)}`);
    expect(result.stderr).toContain('rien n’a été copié');
    expect(result.stderr).not.toMatch(/^Erreur/m);
    expect(result.stderr).not.toContain('copie de');
    expect(result.stdout).toBe('');
    expect(readdirSync(work)).toEqual(['un-fichier']);
  });

  it('refuses a folder that cannot be created there (under /proc), in French, instead of never returning (exit 2)', (test) => {
    if (!hasProcfs(test)) return;
    // Node's recursive mkdir loops forever there: the command hung at 100 % CPU.
    const result = grants(env(), 'backup', '--to', '/proc/grants-sauvegarde/nuit');
    expect(result.error, 'la commande doit se terminer').toBeUndefined();
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      '--to : impossible d’écrire dans /proc/grants-sauvegarde (chemin introuvable, ou dossier impossible à créer à cet endroit, ENOENT)',
    );
    expect(result.stderr).toContain('rien n’a été copié');
    expect(result.stderr).not.toMatch(/^Erreur/m);
    // Straight under /proc, the first thing written is the backup's lock: the folder is named, not
    // the lock's file (« /proc/grants-sauvegarde.verrou.4242.0 »).
    const direct = grants(env(), 'backup', '--to', '/proc/grants-sauvegarde');
    expect(direct.status, direct.stderr).toBe(2);
    expect(direct.stderr).toContain('--to : impossible d’écrire dans /proc (');
    expect(direct.stderr).not.toContain('.verrou');
  });

  it('refuses a folder the user may not write, naming it (exit 2)', (test) => {
    if (!runsAsNobody(test)) return;
    chmodSync(work, 0o755);
    for (const f of readdirSync(t.dir)) chmodSync(join(t.dir, f), 0o644);
    chmodSync(t.dir, 0o755);
    const closed = join(work, 'reserve');
    mkdirSync(closed, { mode: 0o755 });
    const result = asNobody(env(), 'backup', '--to', join(closed, 'sauvegarde'));
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(`--to : impossible d’écrire dans ${closed} (droits insuffisants`);
    expect(result.stderr).toContain('rien n’a été copié');
    expect(result.stderr).not.toMatch(/^Erreur/m);
    expect(readdirSync(closed)).toEqual([]);
  });
});

describe('grants backup onto a disk that fills up', () => {
  it('says so in French, removes its half copy and exits 1', (test) => {
    // A small file system of its own: mounting one needs root (the CI runs as root).
    const disk = join(work, 'petit-disque');
    mkdirSync(disk);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk], { encoding: 'utf8' });
    if (mount.status !== 0) {
      console.log(
        `Cas disque plein sauté : mount impossible ici (${mount.stderr.trim() || mount.error?.message})`,
      );
      test.skip();
      return;
    }
    try {
      // Bigger than the disk: its copy cannot fit.
      const temporal = new Database(join(t.dir, 'temporal.sqlite'));
      temporal.exec('CREATE TABLE filler (data BLOB)');
      temporal.prepare('INSERT INTO filler VALUES (zeroblob(?))').run(256 * 1024);
      temporal.close();
      const result = grants(env(), 'backup', '--to', join(disk, 'sauvegarde'));
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toContain(
        `impossible : plus de place sur le disque (SQLITE_FULL) là où la sauvegarde s’écrit (${disk})`,
      );
      expect(result.stderr).not.toContain('database or disk is full');
      expect(result.stdout).toBe('');
      expect(readdirSync(disk)).toEqual([]);
    } finally {
      spawnSync('umount', [disk]);
    }
  });
});
