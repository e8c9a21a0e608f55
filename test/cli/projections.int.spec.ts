// `grants projections rebuild` where it cannot work: on a data directory without an event log it
// says so as the other commands do (exit 2) and creates nothing (it created an empty log and read
// models, and reported « 0 événements »); on a data directory it cannot write, it names
// GRANTS_DATA_DIR (exit 2) instead of a raw EACCES; beside another rebuild of the same file, it says
// what to do (wait for it, or stop it) and exits with 1, as a failed work does.
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
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { openSqliteEventStore } from '../../infra/eventstore';
import { runProjections } from '../../services/cli/projections';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { captureCliOutput } from '../support/cliOutput';
import { asNobody, nobodyUnavailable } from './support';
import { FundingWorld, openTestStore, playFundingYear } from '../audit/support';

const silent = pino({ level: 'silent' });

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'grants-projections-cli-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** A data directory with an (empty) event log in it. */
async function dataDirWithLog(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const store = openSqliteEventStore({
    file: join(dir, 'events.sqlite'),
    registry: createGrantsEventRegistry(),
  });
  await store.close();
  return dir;
}

const rebuild = async (dataDir: string, ...options: string[]) => {
  const c = captureCliOutput();
  const code = await runProjections(
    loadConfig({ GRANTS_DATA_DIR: dataDir }),
    silent,
    ['rebuild', ...options],
    c.io,
  );
  return { code, out: c.out(), err: c.err() };
};

describe('grants projections rebuild', () => {
  it('verifies the log first: over an altered one it rebuilds nothing and says what was altered (exit 1)', async () => {
    const t = openTestStore();
    try {
      await playFundingYear(new FundingWorld(t));
      await t.store.close();
      const dir = dirname(t.file);
      const intact = await rebuild(dir);
      expect(intact.code, intact.err).toBe(0);
      expect(intact.err).toContain('aucune altération');
      const views = join(dir, 'read-models.sqlite');
      const before = readFileSync(views);

      // A funder's committed amount raised in the file, its hash left as it was.
      const db = new Database(t.file);
      try {
        db.exec('DROP TRIGGER IF EXISTS events_no_update');
        const edit = db.prepare(
          'UPDATE events SET data = replace(data, \'"amountCents":3000000\', \'"amountCents":3100000\') ' +
            "WHERE position = (SELECT min(position) FROM events WHERE type = 'FunderPositionRecorded' AND data LIKE '%\"amountCents\":3000000%')",
        );
        expect(edit.run().changes).toBe(1);
      } finally {
        db.close();
      }
      const refused = await rebuild(dir);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('Altération détectée dans le journal entier');
      expect(refused.err).toContain('Les vues en service sont inchangées');
      expect(refused.err).toContain('--accept-altered-log');
      expect(refused.out).toBe('');
      expect(readFileSync(views).equals(before)).toBe(true);

      // Told to, it rebuilds from the log as it is.
      const accepted = await rebuild(dir, '--accept-altered-log');
      expect(accepted.code, accepted.err).toBe(0);
      expect(accepted.out).toContain('Modèles de lecture reconstruits');
    } finally {
      await t.close();
    }
  });

  it('refuses a data directory without an event log, creating nothing (exit 2)', async () => {
    const typo = join(work, 'typo');
    const result = await rebuild(typo);
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `Aucun journal d’événements à ${join(typo, 'events.sqlite')} : vérifiez GRANTS_DATA_DIR ` +
        '(ou EVENTSTORE_CONNECTION_STRING pour EventStoreDB).\n',
    );
    expect(result.out).toBe('');
    expect(existsSync(typo)).toBe(false);

    // The folder there, the log not: nothing created in it either.
    const empty = join(work, 'vide');
    mkdirSync(empty);
    expect((await rebuild(empty)).code).toBe(2);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('says what to do beside another rebuild of the same file (exit 1)', async () => {
    const dir = await dataDirWithLog(join(work, 'donnees'));
    // Held by a live process other than this one: the one that started these tests.
    writeFileSync(join(dir, 'read-models.sqlite.rebuild.lock'), JSON.stringify({ pid: process.ppid }));
    const result = await rebuild(dir);
    expect(result.code).toBe(1);
    // After the log's verification (intact), what to do.
    expect(result.err).toContain('aucune altération');
    expect(result.err.slice(result.err.indexOf('Une reconstruction'))).toBe(
      `Une reconstruction des vues ${join(dir, 'read-models.sqlite')} est déjà en cours (processus ${process.ppid}). ` +
        `Attendez qu’elle se termine, ou arrêtez-la (Ctrl-C dans son terminal, ou kill ${process.ppid}), ` +
        'puis relancez grants projections rebuild.\n',
    );
    expect(result.out).toBe('');
  });
});

// Root writes everywhere: the unwritable directory is shown as the user nobody.
const unavailable = nobodyUnavailable();

describe.skipIf(unavailable !== undefined)(
  `grants projections rebuild as another user (${unavailable ?? 'nobody'})`,
  () => {
    const rebuildAsNobody = (dir: string) =>
      asNobody({ GRANTS_DATA_DIR: dir, GRANTS_LOG_LEVEL: 'warn' }, 'projections', 'rebuild');

    it.each([
      // The log opens (its files writable, its WAL there, as a running engine leaves them): the
      // rebuild's lock was the first thing refused (« Erreur : EACCES … », exit 1).
      ['its log writable and open', true],
      // The log cannot even be opened for writing.
      ['its log unwritable', false],
    ])('names GRANTS_DATA_DIR when it cannot write the data directory, %s (exit 2)', async (_what, open) => {
      chmodSync(work, 0o755);
      const dir = await dataDirWithLog(join(work, 'donnees'));
      const engine = open
        ? openSqliteEventStore({ file: join(dir, 'events.sqlite'), registry: createGrantsEventRegistry() })
        : undefined;
      try {
        await engine?.headPosition();
        chmodSync(dir, 0o755);
        for (const f of readdirSync(dir)) chmodSync(join(dir, f), open ? 0o666 : 0o644);
        const before = readdirSync(dir).sort();
        const result = rebuildAsNobody(dir);
        expect(result.status, result.stderr).toBe(2);
        expect(result.stderr).toContain(
          `Le dossier de données ${dir} (GRANTS_DATA_DIR) n’est pas un dossier accessible en écriture`,
        );
        expect(result.stderr).not.toMatch(/^Erreur/m);
        expect(readdirSync(dir).sort()).toEqual(before);
      } finally {
        await engine?.close();
      }
    });
  },
);
