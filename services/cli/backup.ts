// `grants backup [--to <dossier>]`: a checked copy of what cannot be rebuilt, engine running or
// not — the embedded Temporal server's database (the workflows and their deadlines), then the
// SQLite event log (the system of record). The read models are left out: they are rebuilt from the
// log. Each file is copied as of one instant (infra/backup/sqliteSnapshot.ts), the log's copy has
// its hash chain verified, and a manifest (`sauvegarde.json`) records each file's SHA-256, the
// number of events and the last event's hash: whoever restores can check the files, and an auditor
// can later check that the live log still has that event with that hash at that position.
//
// Why Temporal first: the log's copy is then at least as new as the workflows'. A deadline that
// fired between the two copies fires again after a restore, and its append, with the same
// deterministic event ids, finds its events already there (workflows/activities). The other way
// round, a restored workflow would believe in events the log lacks. A step that a person recorded
// between the two copies is in the log but not in its workflow: the streams with events appended
// after the log's head as it was just before the Temporal copy are listed, to be looked at after a
// restore. (An event appended before it had its step, and the activity appending it, recorded by
// Temporal first: a restored workflow at most retries that activity, which finds its events.)
//
// The copy is written under `<dossier>.partiel` and renamed at the end: a directory with the final
// name is always a complete backup. Ctrl-C (SIGINT) or SIGTERM before the rename removes it (once the
// copying child is gone), says so and exits with 130. Each file is copied in a child process: SQLite's one-step copy and its
// integrity_check hold the thread that runs them for as long as the file is big (gigabytes: minutes),
// and a signal handler of this process would wait for them; the child is killed at once instead
// (and a Ctrl-C at the terminal reaches it too).
//
// One backup at a time per folder: `<dossier>.verrou`, beside the `.partiel` folder, names the backup
// that writes there (infra/locks/pidLock.ts), from before it empties that folder to after the rename,
// a failure or an interruption. Two at once (a cron job and a manual rerun with the same --to) each
// emptied the other's `.partiel` folder: one failed, or both, or the backup kept mixed their copies.
// A backup killed with kill -9 leaves its lock, which names a dead process: the next one takes it
// over, and empties the half copy. Nor does a backup run while `grants restore` holds the data
// directory: the restore swaps the log and the Temporal base in one go, and a backup that copied one
// before the swap and the other after it would be a « checked » backup of two different moments.
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from '../../infra/config/config';
import { LockHeldError, acquirePidLock, liveOwner, type PidLock } from '../../infra/locks/pidLock';
import { SnapshotError, sha256OfFile, type SqliteSnapshot } from '../../infra/backup/sqliteSnapshot';
import { openSqliteEventStore } from '../../infra/eventstore';
import { logDigest } from '../../infra/eventstore/anchor';
import { makeDirectory } from '../../infra/files/makeDirectory';
import type { IntegrityReport } from '../../infra/eventstore/port';
import type { Logger } from '../../infra/logging/logger';
import { formatCount, formatDuration } from '../../infra/projections/progress';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { integrityReportJson, integritySummary } from '../audit/integrity';
import { paced } from '../audit/readOnly';
import { RESTORE_COMMAND, engineLockFile, markBackupCopying } from '../engineLock';
import { diskFullCodes, fileErrorMeaning } from '../fileErrors';
import { MANIFEST_FILE, fileStamp, type BackupManifest } from './backupManifest';
import { readArguments } from './arguments';
import { missingStoreMessage, verificationProgress } from './audit';
import {
  closeProgressLine,
  INTERRUPTED_EXIT_CODE,
  InterruptedError,
  listenForInterruption,
  processIo,
  type CliIo,
  type Interruption,
} from './io';

export const backupUsage = `Usage : grants backup [--to <dossier>]

Sauvegarde ce qui ne se reconstruit pas, moteur démarré ou non :
  1. la base du serveur Temporal embarqué (temporal.sqlite : les workflows et leurs échéances) ;
  2. puis le journal des événements (events.sqlite : le système de référence).
Chaque fichier est copié tel qu’il était à un instant (sauvegarde SQLite en ligne), contrôlé (integrity_check) ;
la chaîne d’empreintes du journal copié est vérifiée. sauvegarde.json donne l’empreinte SHA-256 de
chaque fichier, le nombre d’événements et l’empreinte du dernier. Les modèles de lecture ne sont pas
copiés : ils se reconstruisent depuis le journal.

Options :
  --to <dossier>   dossier à créer (par défaut : <GRANTS_DATA_DIR>/backups/<date et heure UTC>,
                   sur le même disque que les données : copiez-le ensuite ailleurs)

Restaurer : grants restore <dossier>, moteur arrêté (il vérifie les fichiers, met de côté ceux
qu’il remplace avec leurs -wal et -shm ; les vues se reconstruisent au démarrage suivant).

Une seule sauvegarde à la fois vers un même dossier (<dossier>.verrou, à côté de la copie en cours
<dossier>.partiel), et aucune pendant une restauration (grants restore) du dossier de données.
Ctrl-C l’interrompt sans rien garder (la copie commencée est effacée, code de sortie 130).

Code de sortie : 0 sauvegarde contrôlée, 1 échec, journal altéré (la copie est gardée et le dit),
autre sauvegarde en cours vers ce dossier ou restauration en cours (rien n’a été copié), 2 usage
incorrect, 130 interrompue.
`;

export interface BackupOptions {
  clock?: () => Date;
  /** Called between the two copies (tests: a step recorded meanwhile). */
  betweenCopies?: () => Promise<void>;
}

const megabytes = (bytes: number): string =>
  `${(bytes / 1_000_000).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;

export async function runBackup(
  config: Config,
  logger: Logger,
  argv: string[],
  io: CliIo = processIo,
  options: BackupOptions = {},
): Promise<number> {
  const clock = options.clock ?? (() => new Date());
  const line = readArguments(argv, io, {
    options: { to: { type: 'string' } },
    usage: backupUsage,
    check: (values) => ({ to: values.to }),
  });
  if ('exitCode' in line) return line.exitCode;
  const { to } = line.args;
  if (config.eventStore.kind !== 'sqlite') {
    io.err.write(
      'Le journal est sur EventStoreDB : sauvegardez-le avec ses propres outils (copie de ses fichiers ' +
        'ou instantané de ses disques). grants backup copie le journal SQLite embarqué.\n',
    );
    return 2;
  }
  const missing = missingStoreMessage(config);
  if (missing !== undefined) {
    io.err.write(missing);
    return 2;
  }
  // Marked as copying the data directory before looking for a restore, which takes its lock and then
  // looks for such marks: of a backup and a restore started at once, one always sees the other.
  const copying = markBackupCopying(config.dataDir);
  try {
    return await backUp(config.eventStore.file, config, logger, io, { ...options, clock }, to);
  } finally {
    copying?.release();
  }
}

/** The backup itself, of the SQLite log `eventStoreFile`, once its data directory is marked. */
async function backUp(
  eventStoreFile: string,
  config: Config,
  logger: Logger,
  io: CliIo,
  options: BackupOptions & { clock: () => Date },
  to: string | undefined,
): Promise<number> {
  const { clock } = options;
  // A restore swaps the files this would copy (see above): the work of another, to wait for (exit 1).
  const restoring = liveOwner(engineLockFile(config.dataDir));
  if (restoring?.command === RESTORE_COMMAND) {
    io.err.write(
      `Une restauration est en cours sur ${config.dataDir} (processus ${restoring.pid}) : la sauvegarde ` +
        'copierait les fichiers qu’elle remplace (la base Temporal d’avant, le journal d’après). Relancez ' +
        `la sauvegarde une fois la restauration terminée, ou arrêtez celle-ci (Ctrl-C dans son terminal, ou ` +
        `kill ${restoring.pid}) ; rien n’a été copié.\n`,
    );
    return 1;
  }
  const target = resolve(to ?? join(config.dataDir, 'backups', fileStamp(clock())));
  const partial = `${target}.partiel`;
  // Said before anything is copied, naming the folder (as an export's --output): a mistyped --to or
  // a backup disk gone read-only is a mistake in the command, not a failed copy.
  const destination = takeDestination(target, partial);
  if ('held' in destination) {
    // As a second `grants restore` on one data directory: the work of another, to wait for (exit 1).
    const { pid } = destination.held;
    io.err.write(
      `Une sauvegarde vers ${target} est déjà en cours (processus ${pid}) : attendez qu’elle se termine, ` +
        `ou arrêtez-la (Ctrl-C dans son terminal, ou kill ${pid}) ; rien n’a été copié.\n`,
    );
    return 1;
  }
  if ('problem' in destination) {
    io.err.write(`${to === undefined ? '' : '--to : '}${destination.problem}\n`);
    return 2;
  }
  const { lock } = destination;

  const notes: string[] = [];
  const started = performance.now();
  // A second signal ends the process at once: the half copy goes with it all the same, then the lock
  // (never the other way round: a backup that takes it must not find its own copy removed).
  const interruption = listenForInterruption(io.signals, {
    onSecond: () => {
      rmSync(partial, { recursive: true, force: true });
      lock.release();
      io.err.write(`${closeProgressLine(io.err)}${interruptedMessage}\n`);
    },
  });
  const step = <T>(promise: Promise<T>): Promise<T> => interruption.race(promise);
  try {
    const copies: { role: 'temporal' | 'events'; snapshot: SqliteSnapshot }[] = [];
    const copy = async (role: 'temporal' | 'events', source: string): Promise<SqliteSnapshot> => {
      io.err.write(`copie de ${source}, puis contrôle de la copie (integrity_check)…\n`);
      const snapshot = await snapshotInChild(source, join(partial, basename(source)), clock, interruption);
      copies.push({ role, snapshot });
      return snapshot;
    };

    // The log's head just before the Temporal copy: whatever is appended after may be unknown to it.
    let headBeforeTemporal: bigint | undefined;
    if (config.temporal.address !== undefined) {
      notes.push(
        `Le serveur Temporal est externe (${config.temporal.address}) : sa base se sauvegarde de son côté.`,
      );
    } else if (!existsSync(config.temporal.devServerDbFile)) {
      notes.push(`Pas de base Temporal à ${config.temporal.devServerDbFile} (moteur jamais démarré ici).`);
    } else {
      headBeforeTemporal = await step(headOf(eventStoreFile));
      await copy('temporal', config.temporal.devServerDbFile);
      await step(options.betweenCopies?.() ?? Promise.resolve());
    }
    const events = await copy('events', eventStoreFile);

    const journal = await step(checkJournal(events.file, io, headBeforeTemporal, interruption));
    // Hashed last: the files as they will stay (checking the log opened its copy).
    io.err.write('empreintes SHA-256 des fichiers copiés…\n');
    const files: BackupManifest['files'] = [];
    for (const { role, snapshot } of copies)
      files.push({
        role,
        file: basename(snapshot.file),
        bytes: statSync(snapshot.file).size,
        sha256: await step(sha256OfFile(snapshot.file)),
        takenAt: snapshot.takenAt,
      });
    const manifest: BackupManifest = {
      format: 1,
      createdAt: clock().toISOString(),
      files,
      journal: journal.summary,
      recordedDuringBackup: journal.recordedDuringBackup,
    };
    // The last moment to stop: from the rename on, the backup is whole and kept.
    interruption.check();
    writeFileSync(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(partial, target);

    const lines = [`Sauvegarde dans ${target} :`];
    for (const f of files)
      lines.push(
        `  ${f.file.padEnd(16)} ${megabytes(f.bytes).padStart(9)}  ${f.role === 'temporal' ? 'workflows et échéances' : `journal : ${formatCount(journal.summary.events)} événements`}`,
      );
    lines.push(`  ${integritySummary(journal.report)}`);
    if (journal.summary.lastHash !== null)
      lines.push(
        `  Dernier événement : position ${journal.summary.lastPosition}, empreinte ${journal.summary.lastHash}.`,
      );
    // An altered log's digest anchors nothing (docs/audit.md; grants audit digest warns the same).
    if (journal.report.ok)
      lines.push(
        `  Empreinte du journal jusqu’à cette position, à conserver ailleurs : ${journal.summary.digest}`,
        `  (grants audit digest --upto ${journal.summary.lastPosition ?? 0} la recalcule ; grants audit verify ` +
          `--against ${target} montre si le journal a été réécrit depuis).`,
      );
    else
      lines.push(
        '  Pas d’empreinte à conserver : le journal copié est altéré, son empreinte ne se note pas comme ' +
          'référence (docs/audit.md). grants audit verify nomme les événements en cause.',
      );
    if (journal.recordedDuringBackup.length > 0)
      lines.push(
        `  ${journal.recordedDuringBackup.length} flux écrit${journal.recordedDuringBackup.length > 1 ? 's' : ''} pendant la sauvegarde (à revoir après une restauration, ` +
          `voir ${MANIFEST_FILE}) : ${journal.recordedDuringBackup.slice(0, 5).join(', ')}` +
          `${journal.recordedDuringBackup.length > 5 ? ', …' : ''}.`,
      );
    for (const note of notes) lines.push(`  ${note}`);
    lines.push(`  Durée : ${formatDuration((performance.now() - started) / 1000)}.`);
    io.out.write(`${lines.join('\n')}\n`);
    const log = { backup: { target, events: journal.summary.events, files: files.map((f) => f.file) } };
    if (!journal.report.ok) {
      logger.error(log, 'sauvegarde faite, mais le journal copié est altéré');
      return 1;
    }
    logger.info(log, 'sauvegarde contrôlée');
    return 0;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (error instanceof InterruptedError) {
      io.err.write(`${closeProgressLine(io.err)}${interruptedMessage}\n`);
      logger.warn({ backup: { target, signal: error.signal } }, 'sauvegarde interrompue, copie effacée');
      return INTERRUPTED_EXIT_CODE;
    }
    if (error instanceof SnapshotError) {
      io.err.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    interruption.dispose();
    // After the rename or the removal of the half copy: whoever takes the folder next finds it done.
    lock.release();
  }
}

const interruptedMessage =
  'Sauvegarde interrompue : la copie commencée est effacée, aucun fichier de sauvegarde n’a été laissé.';

/** What is at `path`; undefined when nothing is (a plain file on the way counts as nothing there). */
function entryAt(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** The lock of the backups written to `target`, beside its `.partiel` folder. */
const backupLockFile = (target: string): string => `${target}.verrou`;

/**
 * The folder `target` taken for this backup: its lock held, its `.partiel` folder there, empty (one
 * a killed backup left is emptied first, once its lock is taken over). Else the live backup that
 * holds it, or why the backup cannot be written there, said in French.
 */
function takeDestination(
  target: string,
  partial: string,
): { lock: PidLock } | { held: { pid: number } } | { problem: string } {
  const nothingDone = 'rien n’a été copié.';
  const notAFolder = (path: string) =>
    `${path} n’est pas un dossier : choisissez un dossier de sauvegarde ailleurs ; ${nothingDone}`;
  const refused = (error: unknown, path: string): string => {
    const { code } = error as NodeJS.ErrnoException;
    const why = code === undefined ? String(error) : `${fileErrorMeaning(code) ?? 'erreur'}, ${code}`;
    return `impossible d’écrire dans ${path} (${why}) : choisissez un dossier de sauvegarde où écrire ; ${nothingDone}`;
  };
  let lock: PidLock | undefined;
  try {
    const there = entryAt(target);
    if (there !== undefined && !there.isDirectory()) return { problem: notAFolder(target) };
    // The nearest part of the path that exists: the folder the backup's folders are created in.
    let existing = dirname(partial);
    while (entryAt(existing) === undefined && dirname(existing) !== existing) existing = dirname(existing);
    if (entryAt(existing)?.isDirectory() === false) return { problem: notAFolder(existing) };
    try {
      accessSync(existing, constants.W_OK);
    } catch (error) {
      return { problem: refused(error, existing) };
    }
    makeDirectory(dirname(partial));
    try {
      lock = acquirePidLock(backupLockFile(target), { command: 'grants backup', target });
    } catch (error) {
      if (error instanceof LockHeldError) return { held: error.owner };
      throw error;
    }
    // Looked at with the lock held: a backup that ended meanwhile has renamed its copy to `target`.
    if (entryAt(target)?.isDirectory() === true && readdirSync(target).length > 0) {
      lock.release();
      return {
        problem: `${target} existe déjà et n’est pas vide : une sauvegarde n’en écrase jamais une autre.`,
      };
    }
    rmSync(partial, { recursive: true, force: true });
    makeDirectory(partial);
    return { lock };
  } catch (error) {
    lock?.release();
    // The lock's own file (« <dossier>.verrou.<pid>.0 ») is ours, not the user's: the folder it
    // could not be written in is what the user can act on.
    const path = (error as NodeJS.ErrnoException).path ?? partial;
    return {
      problem: refused(
        error,
        path.startsWith(backupLockFile(target)) ? dirname(backupLockFile(target)) : path,
      ),
    };
  }
}

// The copy runs in a child Node (snapshotChild.ts), through the TypeScript loader this command runs
// under.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const snapshotChild = fileURLToPath(new URL('./snapshotChild.ts', import.meta.url));

/**
 * snapshotSqliteFile (a copy as of one instant, then checked) in a child process, killed as soon as
 * the command is interrupted. Its takenAt is this process's clock just before the child starts.
 */
function snapshotInChild(
  source: string,
  destination: string,
  clock: () => Date,
  interruption: Interruption,
): Promise<SqliteSnapshot> {
  interruption.check();
  const takenAt = clock().toISOString();
  return new Promise<SqliteSnapshot>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, snapshotChild, source, destination], {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: interruption.signal,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    // Killed on interruption, spawn reports an AbortError at once: the interruption is said once the
    // child is gone ('close'), so that the half copy is removed after its last write, not before it.
    const interrupted = (): InterruptedError => interruption.signal.reason as InterruptedError;
    child.on('error', (error) => {
      if (!interruption.signal.aborted) reject(error);
    });
    child.on('close', (code, signal) => {
      if (interruption.signal.aborted) return reject(interrupted());
      // A Ctrl-C at the terminal reaches the child too, maybe before this process heeds it.
      if (signal === 'SIGINT' || signal === 'SIGTERM') return reject(new InterruptedError(signal));
      let answer: { snapshot?: SqliteSnapshot; error?: string; snapshotError?: boolean; code?: string };
      try {
        answer = JSON.parse(out) as typeof answer;
      } catch {
        return reject(
          new SnapshotError(
            `Copie de ${source} impossible : le processus de copie s’est arrêté ` +
              `(${signal ?? `code ${code}`}) ${err.trim()}`.trim() +
              '.',
          ),
        );
      }
      if (answer.snapshot !== undefined) return resolvePromise({ ...answer.snapshot, takenAt });
      // SQLite's own words (« database or disk is full ») would be the only English in the command.
      if (answer.code !== undefined && diskFullCodes.has(answer.code))
        return reject(
          new SnapshotError(
            `Copie de ${source} impossible : ${fileErrorMeaning(answer.code)} (${answer.code}) là où la sauvegarde ` +
              `s’écrit (${dirname(dirname(destination))}). Libérez de la place ou choisissez un autre --to ; ` +
              'la copie commencée est effacée.',
          ),
        );
      const message = answer.error ?? `Copie de ${source} impossible.`;
      reject(answer.snapshotError === true ? new SnapshotError(message) : new Error(message));
    });
  });
}

/** The live log's head position, read through its own connection. */
async function headOf(file: string): Promise<bigint> {
  const store = openSqliteEventStore({ file, registry: createGrantsEventRegistry(), readOnly: true });
  try {
    return await store.headPosition();
  } finally {
    await store.close();
  }
}

/** The copied log: its hash chain verified, its last event, the streams written during the backup. */
async function checkJournal(
  file: string,
  io: CliIo,
  headBeforeTemporal: bigint | undefined,
  interruption: Interruption,
): Promise<{ report: IntegrityReport; summary: BackupManifest['journal']; recordedDuringBackup: string[] }> {
  const opened = openSqliteEventStore({ file, registry: createGrantsEventRegistry(), readOnly: true });
  // Its scans paced, so that a signal is heard during them, and stopped by it.
  const store = {
    ...opened,
    readAll: (options: Parameters<typeof opened.readAll>[0]) =>
      stopOn(interruption, paced(opened.readAll(options))),
  };
  try {
    const total = Number(await store.headPosition());
    const progress = verificationProgress(io.err, total);
    const report = await store.verifyIntegrity({
      onProgress: (checked) => progress(checked, false),
      progressEvery: 1000,
    });
    progress(report.checked + report.unchecked, true);
    io.err.write('empreinte du journal copié…\n');
    const { digest } = await logDigest(store, BigInt(total));
    let last: { position: bigint; id: string; hash: string } | undefined;
    for await (const event of store.readAll({ direction: 'backwards', maxCount: 1, raw: true }))
      last = { position: event.position, id: event.id, hash: event.metadata.hash };
    // Appended after the Temporal copy began: their workflows may not know them (see above).
    const written = new Set<string>();
    if (headBeforeTemporal !== undefined)
      for await (const event of store.readAll({ after: headBeforeTemporal, raw: true }))
        written.add(event.stream);
    return {
      report,
      summary: {
        events: total,
        lastPosition: last === undefined ? null : String(last.position),
        lastEventId: last?.id ?? null,
        lastHash: last?.hash ?? null,
        digest,
        integrity: integrityReportJson(report),
      },
      recordedDuringBackup: [...written].sort(),
    };
  } finally {
    await opened.close();
  }
}

/** The items, until the command is interrupted (then its InterruptedError). */
async function* stopOn<T>(interruption: Interruption, items: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of items) {
    interruption.check();
    yield item;
  }
}
