// `grants backup` and `grants restore` (services/cli/backup.ts, restore.ts) on real files: the
// embedded Temporal server's database copied while the server runs, then the event log while its
// store is open; both restored over another data directory (whose files, stray WAL included, go
// aside), where the server finds its workflow again and the log verifies intact. The manifest's
// hashes and last event hold; an altered log is copied and reported (exit 1); the log compared with
// a backup names a rewritten or cut stream end that the hash chains let through; a refusal (engine
// running, backup altered or half, target in use) touches nothing.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import {
  cpSync,
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
import { Client, Connection } from '@temporalio/client';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256OfFile } from '../../infra/backup/sqliteSnapshot';
import { loadConfig } from '../../infra/config/config';
import { openSqliteEventStore } from '../../infra/eventstore';
import { createLogger } from '../../infra/logging/logger';
import { temporalBinaries } from '../../infra/temporal/binaries';
import { startDevServer, type RunningDevServer } from '../../infra/temporal/devServer';
import { sealEvent } from '../../infra/eventstore/append';
import { canonicalJson } from '../../infra/eventstore/hash';
import { runAudit } from '../../services/cli/audit';
import { runBackup } from '../../services/cli/backup';
import { runRestore } from '../../services/cli/restore';
import { MANIFEST_FILE, readBackupManifest, type BackupManifest } from '../../services/cli/backupManifest';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { freePort } from '../support/processes';
import { dossier } from '../domain/support/fixtures';
import {
  APPLICATION_A,
  editFirstEventInPlace,
  FundingWorld,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';
import { captureCliOutput } from '../support/cliOutput';

const silent = pino({ level: 'silent' });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const manifestOf = (dir: string): BackupManifest =>
  JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest;

async function devServerOn(
  dbFile: string,
): Promise<{ server: RunningDevServer; client: Client; close(): Promise<void> }> {
  const server = await startDevServer({
    cliPath: temporalBinaries().cli,
    dbFile,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logger: createLogger({ level: 'warn', format: 'json', name: 'test-backup' }),
  });
  const connection = await Connection.connect({ address: server.address });
  return {
    server,
    client: new Client({ connection, namespace: 'default' }),
    close: async () => {
      await connection.close();
      await server.stop();
    },
  };
}

/** A data directory's configuration on ports nothing listens on (a stopped engine). */
const quietConfig = async (dir: string) =>
  loadConfig({
    GRANTS_DATA_DIR: dir,
    GRANTS_HTTP_PORT: String(await freePort()),
    TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
  });

/** `grants backup --to <target>` on the data in `dir`, its output dropped: the exit code. */
const backUpQuietly = (dir: string, target: string) =>
  runBackup(loadConfig({ GRANTS_DATA_DIR: dir }), silent, ['--to', target], captureCliOutput().io);

let t: TestStore | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await t?.close();
  t = undefined;
});

async function playedStore(): Promise<TestStore> {
  t = openTestStore();
  await playFundingYear(new FundingWorld(t));
  return t;
}

describe('grants backup', () => {
  it('copies the running Temporal server and the open log, and both restore', async () => {
    const test = await playedStore();
    const temporal = await devServerOn(join(test.dir, 'temporal.sqlite'));
    cleanups.push(() => temporal.close());
    // A workflow the server holds (no worker needed to start one): it must survive the round trip.
    await temporal.client.workflow.start('applicationWorkflow', {
      taskQueue: 'backup-test',
      workflowId: 'application-backup-test',
    });

    const target = join(test.dir, 'sauvegarde-1');
    const c = captureCliOutput();
    const code = await runBackup(loadConfig({ GRANTS_DATA_DIR: test.dir }), silent, ['--to', target], c.io);
    expect(c.err()).toContain('copie de');
    expect(code, c.err()).toBe(0);
    expect(c.out()).toContain(`Sauvegarde dans ${target} :`);
    expect(c.out()).toMatch(/Intégrité vérifiée sur le journal entier : \d+ événements, aucune altération\./);
    expect(readdirSync(target).sort()).toEqual(['events.sqlite', MANIFEST_FILE, 'temporal.sqlite']);
    expect(existsSync(`${target}.partiel`)).toBe(false);

    // The manifest: each file's hash, the log's size and last event as the live store has them.
    const manifest = manifestOf(target);
    expect(manifest.files.map((f) => f.role)).toEqual(['temporal', 'events']);
    for (const f of manifest.files) expect(await sha256OfFile(join(target, f.file))).toBe(f.sha256);
    const head = await test.store.headPosition();
    const [last] = await collect(test.store.readAll({ direction: 'backwards', maxCount: 1, raw: true }));
    expect(manifest.journal).toMatchObject({
      events: Number(head),
      lastPosition: String(head),
      lastEventId: last!.id,
      lastHash: last!.metadata.hash,
      integrity: { ok: true, checked: Number(head) },
    });
    expect(c.out()).toContain(last!.metadata.hash);

    // Restore over another data directory, whose files (and a stray WAL) go aside: the server
    // finds its workflow again, the log verifies intact.
    await temporal.close();
    cleanups.pop();
    const restored = mkdtempSync(join(tmpdir(), 'grants-restored-'));
    cleanups.push(() => rmSync(restored, { recursive: true, force: true }));
    writeFileSync(join(restored, 'events.sqlite'), 'un autre journal');
    writeFileSync(join(restored, 'events.sqlite-wal'), 'un WAL qui ne doit pas rencontrer la copie');
    writeFileSync(join(restored, 'read-models.sqlite'), 'des vues');
    const restoring = captureCliOutput();
    const restoredConfig = await quietConfig(restored);
    expect(await runRestore(restoredConfig, silent, [target], restoring.io), restoring.err()).toBe(0);
    const [aside] = readdirSync(restored).filter((f) => f.startsWith('avant-restauration-'));
    expect(readdirSync(join(restored, aside!)).sort()).toEqual([
      'events.sqlite',
      'events.sqlite-wal',
      'read-models.sqlite',
    ]);
    expect(readdirSync(restored).sort()).toEqual([aside, 'events.sqlite', 'temporal.sqlite'].sort());
    for (const f of manifest.files) expect(await sha256OfFile(join(restored, f.file))).toBe(f.sha256);
    expect(restoring.out()).toContain('Au prochain démarrage, les vues sont reconstruites');
    const again = await devServerOn(join(restored, 'temporal.sqlite'));
    cleanups.push(() => again.close());
    const described = await again.client.workflow.getHandle('application-backup-test').describe();
    expect(described.status.name).toBe('RUNNING');
    const store = openSqliteEventStore({
      file: join(restored, 'events.sqlite'),
      registry: createGrantsEventRegistry(),
    });
    cleanups.push(() => store.close());
    expect(await store.headPosition()).toBe(head);
    expect(await store.verifyIntegrity()).toMatchObject({ ok: true, checked: Number(head) });
  });

  it('lists the streams written between the two copies, to be looked at after a restore', async () => {
    t = openTestStore();
    const test = t;
    const world = new FundingWorld(test);
    await playFundingYear(world);
    // A SQLite file where the Temporal server keeps its own (the copy only needs a database).
    new Database(join(test.dir, 'temporal.sqlite')).exec('CREATE TABLE executions (id TEXT)').close();
    const late = '01JQ7Z8X9Y0A1B2C3D4E5F6G8Y';

    const target = join(test.dir, 'sauvegarde-2');
    const c = captureCliOutput();
    const code = await runBackup(loadConfig({ GRANTS_DATA_DIR: test.dir }), silent, ['--to', target], c.io, {
      // A porteur submits while the Temporal base is already copied.
      betweenCopies: async () => {
        await world.application(late, 'porteur-e').submit('2027-03-20', dossier(1, { ETAT: 1_000_000 }));
      },
    });
    expect(code).toBe(0);
    expect(manifestOf(target).recordedDuringBackup).toEqual([`application-${late}`]);
    expect(c.out()).toContain(`1 flux écrit pendant la sauvegarde`);

    // Without a write between the copies, nothing to look at.
    const quiet = join(test.dir, 'sauvegarde-3');
    expect(await backUpQuietly(test.dir, quiet)).toBe(0);
    expect(manifestOf(quiet).recordedDuringBackup).toEqual([]);
  });

  it('keeps the copy of an altered log and says so (exit 1)', async () => {
    const test = await playedStore();
    await test.store.close();
    const db = new Database(test.file);
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    db.prepare(
      `UPDATE events SET data = json_set(data, '$.plan[0].amountCents', 9000000)
        WHERE stream = ? AND type = 'CommitteeApprovalRecorded'`,
    ).run(`application-${APPLICATION_A}`);
    db.close();
    test.store = openSqliteEventStore({ file: test.file, registry: createGrantsEventRegistry() });

    const target = join(test.dir, 'sauvegarde-3');
    const c = captureCliOutput();
    expect(await runBackup(loadConfig({ GRANTS_DATA_DIR: test.dir }), silent, ['--to', target], c.io)).toBe(
      1,
    );
    expect(c.out()).toContain(`Altération détectée dans le journal entier`);
    expect(c.out()).toContain(`flux application-${APPLICATION_A}, révision 6`);
    expect(c.out()).toContain('Pas de base Temporal');
    // Its digest anchors nothing: not given as one to keep elsewhere, a warning instead.
    expect(c.out()).toMatch(/Dernier événement : position \d+, empreinte [0-9a-f]{64}\.\n/);
    expect(c.out()).not.toContain('à conserver ailleurs');
    expect(c.out()).toContain(
      'Pas d’empreinte à conserver : le journal copié est altéré, son empreinte ne se note pas comme ' +
        'référence (docs/audit.md). grants audit verify nomme les événements en cause.',
    );
    expect(manifestOf(target).journal.integrity).toMatchObject({
      ok: false,
      firstBroken: { stream: `application-${APPLICATION_A}`, revision: '6', reason: 'hash_mismatch' },
    });
    // Read back as `grants audit verify --against` and `grants restore` read it: every broken
    // stream and the events left unchecked after the break are kept, not dropped by the schema.
    expect(readBackupManifest(target).journal.integrity).toMatchObject({
      brokenStreams: 1,
      broken: [{ stream: `application-${APPLICATION_A}`, revision: '6' }],
      unchecked: expect.any(Number) as number,
    });
  });

  it('refuses, writing nothing, a target in use, a log elsewhere or missing, and bad options (exit 2)', async () => {
    const test = await playedStore();
    const config = loadConfig({ GRANTS_DATA_DIR: test.dir });
    const taken = join(test.dir, 'deja-la');
    const run = async (argv: string[], cfg = config) => {
      const c = captureCliOutput();
      return { code: await runBackup(cfg, silent, argv, c.io), out: c.out(), err: c.err() };
    };

    // A target with something in it: never written into.
    mkdirSync(taken);
    writeFileSync(join(taken, 'autre.txt'), 'à garder');
    const before = readdirSync(test.dir).sort();
    const occupied = await run(['--to', taken]);
    expect(occupied.code).toBe(2);
    expect(occupied.err).toContain('existe déjà et n’est pas vide');
    expect(readdirSync(taken)).toEqual(['autre.txt']);

    const esdb = await run(
      [],
      loadConfig({
        GRANTS_DATA_DIR: test.dir,
        EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      }),
    );
    expect(esdb.code).toBe(2);
    expect(esdb.err).toContain('EventStoreDB');

    const nowhere = await run([], loadConfig({ GRANTS_DATA_DIR: join(test.dir, 'vide') }));
    expect(nowhere.code).toBe(2);
    expect(nowhere.err).toContain('Aucun journal d’événements');

    expect((await run(['--vers', 'x'])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage : grants backup');
    expect(readdirSync(test.dir).sort()).toEqual(before);
  });
});

/**
 * What the hash chains alone cannot show, as a forger with the file and the code would do it: the
 * last event of a stream rewritten with its hash recomputed and resealed, or dropped.
 */
function forgeLastEventOf(
  file: string,
  stream: string,
  change: (data: Record<string, unknown>) => void,
): bigint {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    const row = db
      .prepare(
        'SELECT position, id, type, revision, data, metadata FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      )
      .safeIntegers()
      .get(stream) as {
      position: bigint;
      id: string;
      type: string;
      revision: bigint;
      data: string;
      metadata: string;
    };
    const metadata = JSON.parse(row.metadata) as Record<string, unknown> & {
      recordedAt: string;
      schemaVersion: number;
      previousHash: string | null;
    };
    const data = JSON.parse(row.data) as Record<string, unknown>;
    change(data);
    const sealed = sealEvent(
      {
        id: row.id,
        type: row.type,
        data,
        dataJson: canonicalJson(data),
        schemaVersion: metadata.schemaVersion,
        metadata: metadata as never,
      },
      stream,
      row.revision,
      metadata.previousHash,
      metadata.recordedAt,
    );
    db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(
      canonicalJson(data),
      sealed.metadataJson,
      row.position,
    );
    return row.position;
  } finally {
    db.close();
  }
}

describe('grants audit verify --against a backup', () => {
  const audit = async (test: TestStore, argv: string[]) => {
    const c = captureCliOutput();
    const code = await runAudit(loadConfig({ GRANTS_DATA_DIR: test.dir }), silent, argv, c.io);
    return { code, out: c.out(), err: c.err() };
  };
  async function backedUp(
    name: string,
  ): Promise<{ test: TestStore; world: FundingWorld; target: string; manifest: BackupManifest }> {
    t = openTestStore();
    const test = t;
    const world = new FundingWorld(test);
    await playFundingYear(world);
    const target = join(test.dir, name);
    expect(await backUpQuietly(test.dir, target)).toBe(0);
    return { test, world, target, manifest: manifestOf(target) };
  }

  it('finds the log as it was backed up, with what was recorded since (exit 0)', async () => {
    const { test, world, target, manifest } = await backedUp('s-ok');
    // Recorded after the backup: new, not a divergence.
    await world
      .application('01JQ7Z8X9Y0A1B2C3D4E5F6G9Z', 'porteur-e')
      .submit('2027-03-20', dossier(1, { ETAT: 1_000_000 }));
    const head = await test.store.headPosition();
    const result = await audit(test, ['verify', '--against', target]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('aucune altération');
    const when = new Intl.DateTimeFormat('fr-FR', {
      dateStyle: 'long',
      timeStyle: 'short',
      timeZone: 'Europe/Paris',
    }).format(new Date(manifest.createdAt));
    expect(result.out).toContain(`Identique à la sauvegarde du ${when} (heure de Paris) sur ses`);
    expect(result.out).toContain(manifest.journal.digest);
    expect(Number(head) - manifest.journal.events).toBe(1);
    expect(result.out).toContain('(empreinte ' + manifest.journal.digest + ') ; 1 enregistré depuis.');

    // The digest kept apart: recomputed up to the backup's last event, the same despite the new ones.
    const digest = await audit(test, ['audit-digest']);
    expect(digest.code).toBe(2);
    const upTo = await audit(test, ['digest', '--upto', manifest.journal.lastPosition!]);
    expect(upTo.code).toBe(0);
    expect(upTo.out).toBe(
      `Empreinte du journal jusqu’à la position ${manifest.journal.lastPosition} (${manifest.journal.events} événements) : ${manifest.journal.digest}\n`,
    );
    const whole = await audit(test, ['digest']);
    expect(whole.out).toContain(`jusqu’à la position ${head}`);
    expect(whole.out).not.toContain(manifest.journal.digest);
    expect((await audit(test, ['digest', '--upto', String(head + 1n)])).code).toBe(2);
    expect((await audit(test, ['digest', '--upto', 'fin'])).code).toBe(2);
  });

  it('names a stream end rewritten with its hashes recomputed, which the chains let through (exit 1)', async () => {
    const { test, target, manifest } = await backedUp('s-forged');
    await test.store.close();
    const stream = `application-${APPLICATION_A}`;
    const position = forgeLastEventOf(test.file, stream, (data) => {
      data.forged = true;
    });
    test.store = openSqliteEventStore({ file: test.file, registry: createGrantsEventRegistry() });

    const chainsOnly = await audit(test, ['verify']);
    expect(chainsOnly.code).toBe(0);
    const digest = await audit(test, ['digest', '--upto', manifest.journal.lastPosition!]);
    expect(digest.out).not.toContain(manifest.journal.digest);
    const result = await audit(test, ['verify', '--against', target]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('aucune altération');
    expect(result.out).toContain(`Le journal a été réécrit depuis la sauvegarde du`);
    expect(result.out).toContain(`il diffère à la position ${position}`);
    expect(result.out).toContain(`attendu flux ${stream}`);
  });

  it('names an event edited in place, its stored hash left as it was, and says its digest is an altered log’s (exit 1)', async () => {
    const { test, target, manifest } = await backedUp('s-edited');
    await test.store.close();
    const stream = `application-${APPLICATION_A}`;
    const { position } = editFirstEventInPlace(test.file, stream);
    test.store = openSqliteEventStore({ file: test.file, registry: createGrantsEventRegistry() });

    // Same positions, ids and stored hashes: only the recomputed hash tells the digest apart.
    const digest = await audit(test, ['digest', '--upto', manifest.journal.lastPosition!]);
    expect(digest.code).toBe(1);
    expect(digest.out).not.toContain(manifest.journal.digest);
    expect(digest.out).toContain(
      'Attention : c’est l’empreinte d’un journal altéré — 1 événement n’a plus l’empreinte de son contenu, ' +
        `à la position ${position} (flux ${stream}, révision 0,`,
    );

    const result = await audit(test, ['verify', '--against', target]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('Altération détectée');
    expect(result.out).not.toContain('Identique');
    expect(result.out).toContain(`il diffère à la position ${position} — attendu flux ${stream}, révision 0`);
    expect(result.out).toContain('modifié sur place');
  });

  it('names the end of a stream cut off (exit 1)', async () => {
    const { test, target } = await backedUp('s-cut');
    await test.store.close();
    const stream = `application-${APPLICATION_A}`;
    const db = new Database(test.file);
    db.exec('DROP TRIGGER IF EXISTS events_no_delete');
    const { position } = db
      .prepare('SELECT max(position) AS position FROM events WHERE stream = ?')
      .get(stream) as { position: number };
    db.prepare('DELETE FROM events WHERE position = ?').run(position);
    db.close();
    test.store = openSqliteEventStore({ file: test.file, registry: createGrantsEventRegistry() });

    expect((await audit(test, ['verify'])).code).toBe(0);
    const result = await audit(test, ['verify', '--against', target]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`il diffère à la position ${position} — attendu flux ${stream}`);
    // Said missing, not as if the next event had been rewritten in its place.
    expect(result.out).toMatch(
      new RegExp(
        `cet événement manque au journal \\(supprimé\\), qui reprend à la position ${position + 1} : flux `,
      ),
    );
    expect(result.out).not.toContain('trouvé flux');
  });

  it('refuses a reference altered since, and what is not a backup', async () => {
    const { test, target } = await backedUp('s-altered');
    const copy = new Database(join(target, 'events.sqlite'));
    copy.exec(
      "DROP TRIGGER IF EXISTS events_no_update; UPDATE events SET type = type || '' WHERE position = 1",
    );
    copy.exec('CREATE TABLE ajout (x)');
    copy.close();
    const altered = await audit(test, ['verify', '--against', target]);
    expect(altered.code).toBe(1);
    expect(altered.out).toContain('n’a plus l’empreinte SHA-256 que son manifeste a notée');

    const notABackup = await audit(test, ['verify', '--against', test.dir]);
    expect(notABackup.code).toBe(2);
    expect(notABackup.err).toContain('sauvegarde.json illisible');
    // Said at once, before a verification of the whole log.
    expect(notABackup.err).not.toContain('événements lus');
    expect(notABackup.out).toBe('');
    expect((await audit(test, ['verify', '--against', target, '--stream', 'x'])).code).toBe(2);
  });
});

describe('grants restore into a new data directory', () => {
  it('places the files and leaves no empty « avant-restauration » folder: nothing was replaced', async () => {
    const test = await playedStore();
    new Database(join(test.dir, 'temporal.sqlite')).exec('CREATE TABLE executions (id TEXT)').close();
    const target = join(test.dir, 'sauvegarde-neuve');
    expect(await backUpQuietly(test.dir, target)).toBe(0);
    const data = mkdtempSync(join(tmpdir(), 'grants-restore-neuf-'));
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    const c = captureCliOutput();
    expect(await runRestore(await quietConfig(data), silent, [target], c.io), c.err()).toBe(0);
    expect(readdirSync(data).sort()).toEqual(['events.sqlite', 'temporal.sqlite']);
    expect(c.out()).toContain('Aucun fichier n’était en place : rien n’a été remplacé.');
  });
});

describe('grants restore: refusals, nothing touched', () => {
  it('refuses while the engine answers, a backup altered or without its Temporal base, and bad usage', async () => {
    const test = await playedStore();
    new Database(join(test.dir, 'temporal.sqlite')).exec('CREATE TABLE executions (id TEXT)').close();
    const target = join(test.dir, 'sauvegarde-r');
    expect(await backUpQuietly(test.dir, target)).toBe(0);
    const data = mkdtempSync(join(tmpdir(), 'grants-restore-refus-'));
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    writeFileSync(join(data, 'events.sqlite'), 'en place');
    const untouched = () => expect(readdirSync(data)).toEqual(['events.sqlite']);
    const restore = async (argv: string[], config?: Awaited<ReturnType<typeof quietConfig>>) => {
      const c = captureCliOutput();
      return {
        code: await runRestore(config ?? (await quietConfig(data)), silent, argv, c.io),
        err: c.err(),
      };
    };

    // The engine answers on its HTTP port.
    const busy = createServer();
    await new Promise<void>((ready) => busy.listen(0, '127.0.0.1', ready));
    cleanups.push(() => new Promise<void>((closed) => busy.close(() => closed())));
    const port = (busy.address() as AddressInfo).port;
    const running = await restore(
      [target],
      loadConfig({
        GRANTS_DATA_DIR: data,
        GRANTS_HTTP_PORT: String(port),
        TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      }),
    );
    expect(running.code).toBe(2);
    expect(running.err).toContain(`Le moteur semble démarré (l’API répond sur 127.0.0.1:${port})`);
    untouched();

    // The engine runs on other ports than this shell's variables say: its lock gives it away.
    const engine = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    cleanups.push(() => void engine.kill('SIGKILL'));
    writeFileSync(join(data, 'engine.lock'), JSON.stringify({ pid: engine.pid }));
    const locked = await restore([target]);
    expect(locked.code).toBe(2);
    expect(locked.err).toContain(`Le moteur tourne sur ${data} (processus ${engine.pid}) : arrêtez-le`);
    expect(readdirSync(data).sort()).toEqual(['engine.lock', 'events.sqlite']);
    engine.kill('SIGKILL');
    await new Promise((resolve) => engine.once('exit', resolve));
    rmSync(join(data, 'engine.lock'));

    // A backup file changed since.
    const altered = join(test.dir, 'sauvegarde-alteree');
    cpSync(target, altered, { recursive: true });
    const db = new Database(join(altered, 'temporal.sqlite'));
    db.exec('INSERT INTO executions VALUES (1)');
    db.close();
    const changed = await restore([altered]);
    expect(changed.code).toBe(1);
    expect(changed.err).toContain('n’a plus l’empreinte SHA-256 que le manifeste a notée');
    untouched();

    // A backup without its Temporal base.
    const logOnly = join(test.dir, 'sauvegarde-journal-seul');
    cpSync(target, logOnly, { recursive: true });
    const manifest = manifestOf(logOnly);
    writeFileSync(
      join(logOnly, MANIFEST_FILE),
      JSON.stringify({ ...manifest, files: manifest.files.filter((f) => f.role === 'events') }),
    );
    const half = await restore([logOnly]);
    expect(half.code).toBe(1);
    expect(half.err).toContain('n’a pas de base Temporal');
    untouched();

    // A failure half-way (here the log's copy cannot be written): what was in place comes back.
    writeFileSync(join(data, 'read-models.sqlite'), 'des vues');
    mkdirSync(join(data, 'events.sqlite.restauration'));
    const interrupted = await restore([target]);
    expect(interrupted.code).toBe(1);
    expect(interrupted.err).toContain('Rien n’a été remplacé : les fichiers en place avant y sont toujours');
    expect(readFileSync(join(data, 'events.sqlite'), 'utf8')).toBe('en place');
    expect(readFileSync(join(data, 'read-models.sqlite'), 'utf8')).toBe('des vues');
    expect(existsSync(join(data, 'temporal.sqlite'))).toBe(false);
    rmSync(join(data, 'events.sqlite.restauration'), { recursive: true });
    rmSync(join(data, 'read-models.sqlite'));
    untouched();

    expect((await restore([])).code).toBe(2);
    expect((await restore([test.dir])).err).toContain('sauvegarde.json illisible');
    untouched();
  });
});
