// `grants restore <dossier>`: puts a backup (`grants backup`) back in place of the data, engine
// stopped. By hand it is easy to get wrong: a restored events.sqlite beside the old events.sqlite-wal
// takes the old WAL's pages for its own, and a log restored without its Temporal base (or the other
// way round) leaves workflows and log disagreeing. So: the backup's files are checked against its
// manifest (SHA-256) first; the engine must not answer on its ports; the files replaced (with their
// -wal and -shm, and the read models, which are rebuilt from the restored log at the next start)
// are moved aside into `avant-restauration-<date>/`, never deleted; the copies are written under a
// temporary name beside them first, flushed to the disk, and only then is everything swapped, in one
// go: Ctrl-C, a full disk or a failure during the copies (the long part) leaves the data directory as
// it was. That folder is this run's own (created, never reused: a second restore in the same second
// gets `…-2`), and nothing is ever moved onto a file already there. The restore holds the engine's
// lock on the data directory throughout: neither an engine nor another restore starts there meanwhile.
// It says what it takes out of service: the replaced log's count, and the events recorded after the
// backup, which are then only in the folder set aside.
import { connect } from 'node:net';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../../infra/config/config';
import { sha256OfFile } from '../../infra/backup/sqliteSnapshot';
import { openSqliteEventStore } from '../../infra/eventstore';
import { makeDirectory } from '../../infra/files/makeDirectory';
import type { Logger } from '../../infra/logging/logger';
import { formatCount } from '../../infra/projections/progress';
import {
  LockHeldError,
  acquirePidLock,
  liveOwner,
  type LockContent,
  type PidLock,
} from '../../infra/locks/pidLock';
// What a restore notes in the engine's lock it holds: another restore, or an engine, can tell.
import {
  RESTORE_COMMAND,
  backupsCopying,
  engineLockFile,
  leftoverTemporalServer,
  unusableDataDir,
} from '../engineLock';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { fileErrorMeaning } from '../fileErrors';
import { readArguments } from './arguments';
import {
  INTERRUPTED_EXIT_CODE,
  InterruptedError,
  listenForInterruption,
  processIo,
  type CliIo,
  type Interruption,
} from './io';
import {
  ManifestError,
  backupLabel,
  fileStamp,
  readBackupManifest,
  type BackupManifest,
} from './backupManifest';

export const restoreUsage = `Usage : grants restore <dossier de sauvegarde>

Remet en place une sauvegarde faite par grants backup, moteur arrêté :
  - vérifie chaque fichier de la sauvegarde contre son manifeste (SHA-256) ;
  - refuse si le moteur tourne (son verrou, ses ports), ou le serveur Temporal qu’un moteur arrêté
    brutalement a laissé (arrêtez-les d’abord) ;
  - déplace les fichiers actuels (journal, base Temporal, modèles de lecture, avec leurs -wal et
    -shm) dans <GRANTS_DATA_DIR>/avant-restauration-<date et heure UTC>/ (un dossier neuf à chaque
    restauration : -2, -3… dans la même seconde), sans rien effacer ;
  - copie la sauvegarde à leur place. Au démarrage suivant, les vues sont reconstruites depuis le
    journal restauré ;
  - dit combien d’événements comptait le journal remplacé, et combien, enregistrés après la
    sauvegarde, ne sont plus dans le journal en service (ils restent dans avant-restauration-…).
Pendant la restauration, ni le moteur ni une autre restauration ne démarrent sur ce dossier ; elle
attend la fin d’une sauvegarde (grants backup) du dossier en cours.
Ctrl-C l’interrompt sans rien remplacer (les copies commencées sont effacées, code de sortie 130).

Code de sortie : 0 restauré, 1 échec, autre restauration ou sauvegarde en cours sur ce dossier (rien
n’a été déplacé), 2 usage incorrect, moteur (ou son serveur Temporal) démarré, ou dossier de données où
écrire est impossible, 130 interrompue.
`;

const SQLITE_COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * This run's own folder for the files it replaces: created, never an existing one (a second restore
 * in the same second would otherwise move its files onto the first one's, the original log among
 * them), so `-2`, `-3`… when the name is taken.
 */
function createAsideFolder(dataDir: string, stamp: string): string {
  makeDirectory(dataDir);
  for (let n = 1; n < 1000; n++) {
    const aside = join(dataDir, `avant-restauration-${stamp}${n === 1 ? '' : `-${n}`}`);
    try {
      mkdirSync(aside);
      return aside;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`Trop de dossiers avant-restauration-${stamp}-… dans ${dataDir}.`);
}

/** Moves a file, refusing (never overwriting) when something already has the name it goes to. */
function moveWithoutOverwriting(from: string, to: string): void {
  if (lstatSync(to, { throwIfNoEntry: false }) !== undefined)
    throw new Error(`${to} existe déjà : ${from} n’a pas été déplacé dessus, rien n’est écrasé`);
  renameSync(from, to);
}

/** Whether something accepts connections on host:port (the engine's HTTP or Temporal port). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (result: boolean) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export async function runRestore(
  config: Config,
  logger: Logger,
  argv: string[],
  io: CliIo = processIo,
  clock: () => Date = () => new Date(),
): Promise<number> {
  const line = readArguments(argv, io, {
    options: {},
    positionals: true,
    usage: restoreUsage,
    check: (_values, positionals) => {
      if (positionals.length !== 1) throw new Error('Indiquez un dossier de sauvegarde, et un seul.');
      return { dir: resolve(positionals[0]!) };
    },
  });
  if ('exitCode' in line) return line.exitCode;
  const { dir } = line.args;
  if (config.eventStore.kind !== 'sqlite' || config.temporal.address !== undefined) {
    io.err.write(
      'grants restore remet en place le journal SQLite et la base du serveur Temporal embarqué ; ' +
        'avec EventStoreDB ou un serveur Temporal externe, restaurez-les avec leurs propres outils, ensemble.\n',
    );
    return 2;
  }

  let manifest: BackupManifest;
  try {
    manifest = readBackupManifest(dir);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    io.err.write(`${error.message}\n`);
    return 2;
  }
  for (const role of ['events', 'temporal'] as const)
    if (!manifest.files.some((f) => f.role === role)) {
      io.err.write(
        `La sauvegarde ${dir} n’a pas de ${role === 'events' ? 'journal' : 'base Temporal'} : restaurer l’un ` +
          'sans l’autre laisserait les workflows et le journal en désaccord ; rien n’a été touché.\n',
      );
      return 1;
    }

  const targets = { events: config.eventStore.file, temporal: config.temporal.devServerDbFile };
  // The data directory's lock, once taken: from then on a signal may find copies begun to remove.
  let lock: PidLock | undefined;
  // Listening from the checks on (a big backup's SHA-256 takes a while): Ctrl-C then is said too.
  const interruption = listenForInterruption(io.signals, {
    // A second signal ends the process at once: the copies begun go with it, the originals were
    // not moved yet (the swap runs in one go, no signal heard in the middle of it).
    onSecond: (signal) => {
      if (lock !== undefined) {
        removeCopies(Object.values(targets));
        lock.release();
      }
      io.err.write(`${lock === undefined ? checksInterruptedMessage(signal) : interruptedMessage(signal)}\n`);
    },
  });
  try {
    for (const f of manifest.files) {
      const file = join(dir, f.file);
      if (!existsSync(file)) {
        io.err.write(`${file} manque : cette sauvegarde est incomplète, rien n’a été touché.\n`);
        return 1;
      }
      if ((await interruption.race(sha256OfFile(file))) !== f.sha256) {
        io.err.write(
          `${file} n’a plus l’empreinte SHA-256 que le manifeste a notée : il a été modifié depuis la ` +
            'sauvegarde, rien n’a été touché.\n',
        );
        return 1;
      }
    }
    // The engine's lock says it runs (or another restore does), whatever ports it was given: said
    // first; taken below, it is what keeps either from starting meanwhile.
    const owner = liveOwner(engineLockFile(config.dataDir));
    if (owner !== undefined) return refuseHeld(config.dataDir, owner, io);
    // An engine killed with kill -9 leaves its Temporal server running, on the Temporal database, on
    // whatever port it was given: named as what it is, not as an engine that runs.
    const leftover = leftoverTemporalServer(config.dataDir);
    if (leftover !== undefined) {
      io.err.write(
        `Le moteur qui tournait sur ${config.dataDir} (processus ${leftover.enginePid}) a été arrêté ` +
          `brutalement et a laissé son serveur Temporal (processus ${leftover.pid}` +
          `${leftover.address === undefined ? '' : `, ${leftover.address}`}) en marche sur la base Temporal : ` +
          'arrêtez-le avant de restaurer, soit par grants start (qui l’arrête avant de démarrer), puis Ctrl-C, ' +
          `soit par kill ${leftover.pid}.\n`,
      );
      return 2;
    }
    // The ports catch an engine older than the lock, or one started with another GRANTS_DATA_DIR
    // spelling of the same folder.
    const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
    for (const [what, port] of [
      ['l’API', config.http.port],
      ['le serveur Temporal', config.temporal.devServerPort],
    ] as const) {
      if (await interruption.race(answers(host, port))) {
        io.err.write(
          `Le moteur semble démarré (${what} répond sur ${host}:${port}) : arrêtez-le avant de restaurer.\n`,
        );
        return 2;
      }
    }
    // Held to the end: an engine, or another restore, starting now is refused the data directory (two
    // restores at once copied onto the same temporary names and moved each other's files aside).
    const taken = takeDataDir(config.dataDir, io);
    if (typeof taken === 'number') return taken;
    lock = taken;
    // Looked for with the lock held (a backup marks the directory, then looks for a restore): a backup
    // copying now would keep the Temporal base of before the swap and the log of after it.
    const [backup] = backupsCopying(config.dataDir);
    if (backup !== undefined) {
      io.err.write(
        `Une sauvegarde de ${config.dataDir} est en cours (processus ${backup}) : la restaurer maintenant lui ` +
          'ferait copier deux moments différents. Relancez la restauration une fois la sauvegarde terminée, ' +
          `ou arrêtez celle-ci (Ctrl-C dans son terminal, ou kill ${backup}) ; rien n’a été touché.\n`,
      );
      return 1;
    }
    return await restoreInto(config, { dir, manifest, targets }, io, clock, logger, interruption);
  } catch (error) {
    // Stopped during the checks (restoreInto says its own interruptions): nothing was touched.
    if (!(error instanceof InterruptedError) || lock !== undefined) throw error;
    io.err.write(`${checksInterruptedMessage(error.signal)}\n`);
    logger.warn({ restore: { from: dir, signal: error.signal } }, 'restauration interrompue, rien de touché');
    return INTERRUPTED_EXIT_CODE;
  } finally {
    interruption.dispose();
    lock?.release();
  }
}

/** Ctrl-C while the backup's files are checked, before the data directory is taken: nothing touched. */
const checksInterruptedMessage = (signal: NodeJS.Signals): string =>
  `Restauration interrompue (${signal}) pendant la vérification de la sauvegarde : rien n’a été copié, ` +
  'déplacé ni remplacé, les fichiers en place y sont toujours.';

const interruptedMessage = (signal: NodeJS.Signals): string =>
  `Restauration interrompue (${signal}) : rien n’a été remplacé, les fichiers en place avant y sont ` +
  'toujours ; les copies commencées sont effacées.';

/** What the lock's live owner is doing here, said; the exit code. */
function refuseHeld(dataDir: string, owner: LockContent, io: CliIo): number {
  const { pid } = owner;
  if (owner.command === RESTORE_COMMAND) {
    // As a second `grants projections rebuild`: the work of another, to wait for (exit 1).
    io.err.write(
      `Une restauration est déjà en cours sur ${dataDir} (processus ${pid}) : attendez qu’elle se ` +
        `termine, ou arrêtez-la (Ctrl-C dans son terminal, ou kill ${pid}) ; rien n’a été touché.\n`,
    );
    return 1;
  }
  io.err.write(`Le moteur tourne sur ${dataDir} (processus ${pid}) : arrêtez-le avant de restaurer.\n`);
  return 2;
}

/** The data directory's engine lock, taken for this restore; else the exit code, the reason said. */
function takeDataDir(dataDir: string, io: CliIo): PidLock | number {
  try {
    makeDirectory(dataDir);
    return acquirePidLock(engineLockFile(dataDir), { command: RESTORE_COMMAND });
  } catch (error) {
    if (error instanceof LockHeldError) return refuseHeld(dataDir, error.owner, io);
    const unusable = unusableDataDir(dataDir, error, 'en prenant le verrou du dossier de données');
    if (unusable === undefined) throw error;
    io.err.write(`${unusable.message}\n`);
    return 2;
  }
}

/** A copy beside its target, under a name of its own until it is whole: renamed into place then. */
const copyOf = (target: string): string => `${target}.restauration`;

function removeCopies(targets: readonly string[]): void {
  for (const target of targets) {
    const copy = copyOf(target);
    if (lstatSync(copy, { throwIfNoEntry: false })?.isFile() === true) rmSync(copy, { force: true });
  }
}

/**
 * Copies `from` to `to` (a new file), stopped by the signal, then flushed to the disk: the rename
 * that puts it in place must not outlive its content in a power cut.
 */
async function copyDurably(from: string, to: string, signal: AbortSignal): Promise<void> {
  await pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), createWriteStream(to, { flags: 'wx' }), {
    signal,
  });
  const handle = await open(to, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The folder's entries (renames) flushed to the disk; a system that cannot is left as it is. */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every system opens a folder for fsync: the renames are made, only their flush is not asked.
  }
}

/** Why a copy failed, in French for the common causes: what, the error code and the file. */
function failureOf(error: unknown): string {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  const meaning = fileErrorMeaning(code);
  if (meaning !== undefined) return `${meaning} (${code}${path === undefined ? '' : ` sur ${path}`})`;
  return error instanceof Error ? error.message : String(error);
}

async function restoreInto(
  config: Config,
  from: { dir: string; manifest: BackupManifest; targets: Record<'events' | 'temporal', string> },
  io: CliIo,
  clock: () => Date,
  logger: Logger,
  interruption: Interruption,
): Promise<number> {
  const { dir, manifest, targets } = from;
  // Read before anything moves (the lock keeps it as it is): what the restore takes out of service.
  const replaced = await readReplacedLog(targets.events, manifest.journal);
  // First the copies, beside the files they replace, which stay in place meanwhile: an interruption
  // or a full disk during the copies (the long part) leaves the data directory as it was. A copy left
  // by a restore killed with kill -9 is this run's to replace (it holds the lock).
  removeCopies(Object.values(targets));
  let copying = '';
  try {
    for (const f of manifest.files) {
      copying = join(dir, f.file);
      io.err.write(`copie de ${copying} vers ${copyOf(targets[f.role])}…\n`);
      await copyDurably(copying, copyOf(targets[f.role]), interruption.signal);
    }
    interruption.check();
  } catch (error) {
    removeCopies(Object.values(targets));
    if (interruption.signal.aborted) {
      const { signal } = interruption.signal.reason as InterruptedError;
      io.err.write(`${interruptedMessage(signal)}\n`);
      logger.warn({ restore: { from: dir, signal } }, 'restauration interrompue, rien de remplacé');
      return INTERRUPTED_EXIT_CODE;
    }
    io.err.write(
      `Restauration impossible, la copie de ${copying} a échoué : ${failureOf(error)}. Rien n’a été ` +
        'remplacé : les fichiers en place avant y sont toujours ; les copies commencées sont effacées.\n',
    );
    return 1;
  }

  // Then the swap, in one go (renames: no signal is heard in the middle of it). The files replaced,
  // moved aside whole: the restored ones must not meet their -wal or -shm.
  let aside: string;
  try {
    aside = createAsideFolder(config.dataDir, fileStamp(clock()));
  } catch (error) {
    removeCopies(Object.values(targets));
    const unusable = unusableDataDir(
      config.dataDir,
      error,
      'en créant le dossier où mettre de côté les fichiers remplacés',
    );
    if (unusable === undefined) throw error;
    io.err.write(`${unusable.message}\n`);
    return 2;
  }
  const moved: string[] = [];
  const placed: string[] = [];
  try {
    for (const file of [targets.events, targets.temporal, config.readModels.file])
      for (const suffix of SQLITE_COMPANIONS)
        if (existsSync(file + suffix)) {
          moveWithoutOverwriting(file + suffix, join(aside, basename(file) + suffix));
          moved.push(file + suffix);
        }
    for (const f of manifest.files) {
      const target = targets[f.role];
      renameSync(copyOf(target), target);
      placed.push(target);
    }
  } catch (error) {
    // Half a restore is worse than none: the copies go, the files moved aside come back.
    removeCopies(Object.values(targets));
    for (const target of placed) rmSync(target, { force: true });
    const stranded: string[] = [];
    for (const file of moved)
      try {
        moveWithoutOverwriting(join(aside, basename(file)), file);
      } catch {
        stranded.push(file);
      }
    if (readdirSync(aside).length === 0) rmdirSync(aside);
    io.err.write(
      `Restauration interrompue (${error instanceof Error ? error.message : String(error)}) : ` +
        (stranded.length === 0
          ? 'les fichiers en place avant ont été remis.\n'
          : `les fichiers en place avant ont été remis, sauf ${stranded.join(', ')}, restés dans ${aside}.\n`),
    );
    return 1;
  }
  for (const folder of new Set([aside, ...Object.values(targets).map((t) => dirname(t))])) syncFolder(folder);

  // Into a new data directory nothing was replaced: no empty folder left to wonder about.
  if (moved.length === 0) rmdirSync(aside);
  const lines = [
    `Restauré depuis ${dir} (${backupLabel(manifest)}, journal de ${formatCount(manifest.journal.events)} événements) :`,
    ...manifest.files.map((f) => `  ${targets[f.role]}`),
    moved.length > 0
      ? `Les fichiers remplacés sont dans ${aside}.`
      : 'Aucun fichier n’était en place : rien n’a été remplacé.',
    ...replacedLogLines(replaced, manifest.journal, join(aside, basename(targets.events))),
    'Au prochain démarrage, les vues sont reconstruites depuis le journal restauré.',
  ];
  if (manifest.recordedDuringBackup.length > 0)
    lines.push(
      `Flux écrits pendant la sauvegarde, à revoir (le journal peut y contenir une étape que leur workflow ignore) : ` +
        `${manifest.recordedDuringBackup.join(', ')}.`,
    );
  io.out.write(`${lines.join('\n')}\n`);
  logger.info(
    {
      restore: {
        from: dir,
        aside,
        moved: moved.length,
        events: manifest.journal.events,
        ...(replaced.kind === 'read' ? { replacedEvents: replaced.events } : {}),
      },
    },
    'sauvegarde restaurée',
  );
  return 0;
}

/** The log a restore replaces, as read before it is moved aside (opened read-only: never written). */
type ReplacedLog =
  | { kind: 'none' }
  | { kind: 'unreadable'; reason: string }
  /** `continues`: it holds the backup's last event where the backup has it (or the backup is empty). */
  | { kind: 'read'; events: number; continues: boolean };

async function readReplacedLog(file: string, backup: BackupManifest['journal']): Promise<ReplacedLog> {
  if (!existsSync(file)) return { kind: 'none' };
  const unreadable = (error: unknown): ReplacedLog => {
    // The store's error says what to do about an engine's log; here, only why it could not be read.
    const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } };
    const notADatabase = [code, cause?.code].some((c) => c === 'SQLITE_NOTADB' || c === 'SQLITE_CORRUPT');
    return {
      kind: 'unreadable',
      reason: notADatabase
        ? 'ce n’est pas une base SQLite lisible'
        : error instanceof Error
          ? error.message
          : String(error),
    };
  };
  // SQLite opens a WAL log, even read-only, with a -wal and a -shm beside it: those it creates go
  // once it is closed (no other process has it open: the restore holds the lock), so that only what
  // was in place is set aside.
  const created = ['-wal', '-shm']
    .map((suffix) => file + suffix)
    .filter((companion) => !existsSync(companion));
  const removeCreated = () => created.forEach((companion) => rmSync(companion, { force: true }));
  let store;
  try {
    store = openSqliteEventStore({ file, registry: createGrantsEventRegistry(), readOnly: true });
  } catch (error) {
    removeCreated();
    return unreadable(error);
  }
  try {
    const events = Number(await store.headPosition());
    let continues = backup.lastPosition === null;
    if (backup.lastPosition !== null) {
      const last = BigInt(backup.lastPosition);
      for await (const event of store.readAll({ after: last - 1n, maxCount: 1, raw: true }))
        continues =
          event.position === last &&
          event.id === backup.lastEventId &&
          event.metadata.hash === backup.lastHash;
    }
    return { kind: 'read', events, continues };
  } catch (error) {
    return unreadable(error);
  } finally {
    await store.close();
    removeCreated();
  }
}

/**
 * What the restore took out of the log in service, said: the events recorded after the backup are
 * only in the replaced log, set aside in `asideLog`, and nothing else says they were there.
 */
function replacedLogLines(
  replaced: ReplacedLog,
  backup: BackupManifest['journal'],
  asideLog: string,
): string[] {
  switch (replaced.kind) {
    case 'none':
      return [];
    case 'unreadable':
      return [
        `Le journal remplacé n’a pas pu être lu (${replaced.reason}) : son nombre d’événements est inconnu ; ` +
          `il est gardé tel quel dans ${asideLog}.`,
      ];
    case 'read': {
      const counts =
        `Le journal remplacé comptait ${formatCount(replaced.events)} événements, ` +
        `la sauvegarde ${formatCount(backup.events)}`;
      if (!replaced.continues && replaced.events >= backup.events)
        return [
          `${counts}, mais il n’est pas la suite du journal de la sauvegarde (il n’a pas son dernier ` +
            `événement à la position ${backup.lastPosition ?? '?'}) : ce qu’il avait enregistré hors de la ` +
            `sauvegarde n’est plus dans le journal en service ; il est gardé dans ${asideLog}.`,
        ];
      const lost = replaced.events - backup.events;
      if (lost <= 0) return [`${counts}.`];
      return [
        `${counts} : ${formatCount(lost)} ${lost === 1 ? 'événement enregistré' : 'événements enregistrés'} ` +
          `après la sauvegarde ${lost === 1 ? 'n’est' : 'ne sont'} plus dans le journal en service ; ` +
          `${lost === 1 ? 'il reste' : 'ils restent'} dans ${asideLog}.`,
      ];
    }
    default: {
      const unknown: never = replaced;
      return unknown;
    }
  }
}
