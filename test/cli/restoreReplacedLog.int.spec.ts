// `grants restore` of a backup older than the log in service says what it takes out of service: the
// replaced log's count beside the backup's, and the events recorded after the backup, which are no
// longer in the log in service but only in the avant-restauration folder. A restore over the
// backup's own log takes nothing away; a log that is not the backup's continuation (another data
// directory's) is not said to hold events « after the backup »; a log it cannot read is said as such.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { openSqliteEventStore } from '../../infra/eventstore';
import { runBackup } from '../../services/cli/backup';
import { readBackupManifest } from '../../services/cli/backupManifest';
import { runRestore } from '../../services/cli/restore';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { FundingWorld, openTestStore, playFundingYear, type TestStore } from '../audit/support';
import { dossier } from '../domain/support/fixtures';
import { captureCliOutput } from '../support/cliOutput';
import { freePort } from '../support/processes';
import { fakeBackup } from './fakeBackup';

const silent = pino({ level: 'silent' });

let t: TestStore | undefined;
let work: string | undefined;
afterEach(() => {
  // The store is closed by the test before the restore: only its folder is left to remove.
  if (t !== undefined) rmSync(t.dir, { recursive: true, force: true });
  t = undefined;
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
  work = undefined;
});

/** A data directory's configuration on ports nothing listens on (a stopped engine). */
const quietConfig = async (dataDir: string) =>
  loadConfig({
    GRANTS_DATA_DIR: dataDir,
    GRANTS_HTTP_PORT: String(await freePort()),
    TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
  });

const headOf = async (file: string): Promise<number> => {
  const store = openSqliteEventStore({ file, registry: createGrantsEventRegistry(), readOnly: true });
  try {
    return Number(await store.headPosition());
  } finally {
    await store.close();
  }
};

const asideFolder = (dataDir: string): string => {
  const [aside, ...more] = readdirSync(dataDir).filter((f) => f.startsWith('avant-restauration-'));
  expect(more).toEqual([]);
  return join(dataDir, aside!);
};

describe('grants restore of a backup older than the log in service', () => {
  it('says the replaced log’s count and the events recorded after the backup it takes out of service', async () => {
    t = openTestStore();
    const world = new FundingWorld(t);
    await playFundingYear(world);
    new Database(join(t.dir, 'temporal.sqlite')).exec('CREATE TABLE executions (id TEXT)').close();
    const backup = join(mkdtempSync(join(tmpdir(), 'grants-restore-older-')), 'sauvegarde');
    work = join(backup, '..');
    const backedUp = captureCliOutput();
    expect(
      await runBackup(loadConfig({ GRANTS_DATA_DIR: t.dir }), silent, ['--to', backup], backedUp.io),
      backedUp.err(),
    ).toBe(0);
    const atBackup = readBackupManifest(backup).journal.events;
    expect(atBackup).toBeGreaterThan(0);

    // Recorded after the backup: two more applications submitted.
    await world
      .application('01JQ7Z8X9Y0A1B2C3D4E5F6G8Y', 'porteur-e')
      .submit('2027-03-20', dossier(1, { ETAT: 1 }));
    await world
      .application('01JQ7Z8X9Y0A1B2C3D4E5F6G8Z', 'porteur-f')
      .submit('2027-03-21', dossier(2, { ETAT: 2 }));
    const inService = Number(await t.store.headPosition());
    const after = inService - atBackup;
    expect(after).toBeGreaterThanOrEqual(2);
    // The engine stopped, as a restore wants it.
    await t.store.close();

    const restored = captureCliOutput();
    expect(await runRestore(await quietConfig(t.dir), silent, [backup], restored.io), restored.err()).toBe(0);
    const aside = asideFolder(t.dir);
    expect(restored.out()).toContain(`journal de ${atBackup} événements`);
    expect(restored.out()).toContain(
      `Le journal remplacé comptait ${inService} événements, la sauvegarde ${atBackup} : ${after} événements ` +
        `enregistrés après la sauvegarde ne sont plus dans le journal en service ; ils restent dans ` +
        `${join(aside, 'events.sqlite')}.`,
    );
    // What the message says is where they are: the log set aside, whole; the one in service, the backup's.
    // Reading it to count left nothing beside it.
    expect(readdirSync(aside).sort()).toEqual(['events.sqlite', 'temporal.sqlite']);
    expect(await headOf(join(aside, 'events.sqlite'))).toBe(inService);
    expect(await headOf(join(t.dir, 'events.sqlite'))).toBe(atBackup);

    // Restored again over the backup's own log: nothing is taken out of service.
    rmSync(aside, { recursive: true });
    const again = captureCliOutput();
    expect(await runRestore(await quietConfig(t.dir), silent, [backup], again.io), again.err()).toBe(0);
    expect(again.out()).toContain(
      `Le journal remplacé comptait ${atBackup} événements, la sauvegarde ${atBackup}.`,
    );
    expect(again.out()).not.toContain('ne sont plus dans le journal en service');
  });

  it('does not call « after the backup » what a log that is not its continuation recorded', async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
    new Database(join(t.dir, 'temporal.sqlite')).exec('CREATE TABLE executions (id TEXT)').close();
    work = mkdtempSync(join(tmpdir(), 'grants-restore-other-'));
    const backup = join(work, 'sauvegarde');
    expect(
      await runBackup(
        loadConfig({ GRANTS_DATA_DIR: t.dir }),
        silent,
        ['--to', backup],
        captureCliOutput().io,
      ),
    ).toBe(0);
    const manifest = readBackupManifest(backup).journal;
    await t.store.close();

    // Another data directory's log, as long as the backup's and more, from other events (each event
    // id is drawn at random: the same story played again is another log).
    const other = openTestStore();
    const data = other.dir;
    const world = new FundingWorld(other);
    await playFundingYear(world);
    await world
      .application('01JQ7Z8X9Y0A1B2C3D4E5F6G8Y', 'porteur-e')
      .submit('2027-03-20', dossier(1, { ETAT: 1 }));
    const replaced = Number(await other.store.headPosition());
    await other.store.close();
    try {
      const c = captureCliOutput();
      expect(await runRestore(await quietConfig(data), silent, [backup], c.io), c.err()).toBe(0);
      expect(c.out()).toContain(
        `Le journal remplacé comptait ${replaced} événements, la sauvegarde ${manifest.events}, mais il n’est ` +
          `pas la suite du journal de la sauvegarde (il n’a pas son dernier événement à la position ` +
          `${manifest.lastPosition}) : ce qu’il avait enregistré hors de la sauvegarde n’est plus dans le ` +
          `journal en service ; il est gardé dans ${join(asideFolder(data), 'events.sqlite')}.`,
      );
      expect(c.out()).not.toContain('enregistrés après la sauvegarde');
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('says when the log it replaces cannot be read, and that it is kept as it was', async () => {
    work = mkdtempSync(join(tmpdir(), 'grants-restore-unreadable-'));
    const backup = join(work, 'sauvegarde');
    fakeBackup(backup, {
      events: 'le journal de la sauvegarde',
      temporal: 'la base Temporal de la sauvegarde',
    });
    const data = join(work, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'events.sqlite'), 'pas une base SQLite');

    const c = captureCliOutput();
    expect(await runRestore(await quietConfig(data), silent, [backup], c.io), c.err()).toBe(0);
    const aside = asideFolder(data);
    expect(c.out()).toContain(
      'Le journal remplacé n’a pas pu être lu (ce n’est pas une base SQLite lisible) : son nombre ' +
        `d’événements est inconnu ; il est gardé tel quel dans ${join(aside, 'events.sqlite')}.`,
    );
    expect(readdirSync(aside)).toEqual(['events.sqlite']);
  });
});
