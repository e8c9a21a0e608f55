// One engine per data directory. Two engines on the same files would each run a Temporal server on
// one SQLite file and a projector on one read-model file: the second projector finds events applied
// twice and stops, and the two Temporal servers corrupt each other. `<data dir>/engine.lock` names
// the engine that holds the directory (and its Temporal server's pid), so a second `grants start`
// is refused, `grants restore` knows the engine runs whatever ports it listens on, and a start after
// a crash (kill -9: the Temporal child outlives its parent) stops the dead engine's Temporal server
// before starting its own.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../infra/config/config';
import { makeDirectory } from '../infra/files/makeDirectory';
import { fileErrorMeaning } from './fileErrors';
import type { Logger } from '../infra/logging/logger';
import {
  LockHeldError,
  acquirePidLock,
  liveOwner,
  processAlive,
  readLock,
  type PidLock,
} from '../infra/locks/pidLock';

export const engineLockFile = (dataDir: string): string => join(dataDir, 'engine.lock');

/** What `grants restore` notes in the engine's lock while it holds it (services/cli/restore.ts). */
export const RESTORE_COMMAND = 'grants restore';

/**
 * A backup's mark in the data directory it copies, one per backup process: the backup's own lock is
 * beside its target (anywhere), where a restore of this directory would not see it. With it, a
 * restore started while a backup copies is refused, as a backup started during a restore is: one
 * that copied the Temporal base before the swap and the log after it would hold two moments.
 */
const backupMarkPattern = /^sauvegarde-en-cours\.(\d+)\.verrou$/;
const backupMarkFile = (dataDir: string, pid: number): string =>
  join(dataDir, `sauvegarde-en-cours.${pid}.verrou`);

/**
 * Marks this process as copying `dataDir`; undefined when the mark cannot be written there (a data
 * directory this user may only read: the backup goes on, unseen by a restore).
 */
export function markBackupCopying(dataDir: string): PidLock | undefined {
  try {
    return acquirePidLock(backupMarkFile(dataDir, process.pid), { command: 'grants backup' });
  } catch {
    return undefined;
  }
}

/** The processes of the backups copying `dataDir` now; the marks of dead ones are removed. */
export function backupsCopying(dataDir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(backupMarkPattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (processAlive(pid)) live.push(pid);
    else rmSync(join(dataDir, name), { force: true });
  }
  return live;
}

/** The data directory is taken: by an engine, or by a restore (`command` says which). */
export class EngineAlreadyRunningError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly command?: unknown,
  ) {
    super(
      command === RESTORE_COMMAND
        ? `Une restauration est en cours sur le dossier de données ${dataDir} (processus ${pid}) : ` +
            'démarrez le moteur une fois qu’elle est terminée.'
        : `Un moteur tourne déjà sur le dossier de données ${dataDir} (processus ${pid}) : arrêtez-le ` +
            '(Ctrl-C dans son terminal) ou donnez à celui-ci un autre dossier (GRANTS_DATA_DIR).',
    );
    this.name = 'EngineAlreadyRunningError';
  }
}

export interface EngineLock {
  /**
   * Notes the Temporal server the engine started: its pid and file for the cleanup after a crash,
   * its address for the CLI commands that reach the engine (grants seed demo).
   */
  noteTemporalServer(pid: number | undefined, dbFile: string, address: string): void;
  release(): void;
}

/** The pid of the engine running on this data directory, if one runs (another process than this one). */
export const runningEngine = (dataDir: string): number | undefined => liveOwner(engineLockFile(dataDir))?.pid;

/**
 * The address of the embedded Temporal server the engine running on this data directory started,
 * as its lock notes it: the port it was given may not be the one this shell's configuration says.
 */
export function runningEngineTemporalAddress(dataDir: string): string | undefined {
  const address = liveOwner(engineLockFile(dataDir))?.temporalAddress;
  return typeof address === 'string' ? address : undefined;
}

/** The embedded Temporal server a dead engine (kill -9) left running on this data directory. */
export interface LeftoverTemporalServer {
  /** The dead engine's pid, as its lock names it. */
  enginePid: number;
  pid: number;
  address: string | undefined;
}

/**
 * The Temporal server an engine killed with kill -9 left running on this data directory (its lock
 * names a dead engine and a live Temporal server of this directory's database), if there is one.
 * It still holds the Temporal database: `grants start` stops it before starting its own.
 */
export function leftoverTemporalServer(dataDir: string): LeftoverTemporalServer | undefined {
  const lock = readLock(engineLockFile(dataDir));
  if (lock === undefined || lock.pid === process.pid || processAlive(lock.pid)) return undefined;
  const { temporalPid, temporalDbFile, temporalAddress } = lock;
  if (typeof temporalPid !== 'number' || typeof temporalDbFile !== 'string') return undefined;
  if (!isTemporalServerOf(temporalPid, temporalDbFile)) return undefined;
  return {
    enginePid: lock.pid,
    pid: temporalPid,
    address: typeof temporalAddress === 'string' ? temporalAddress : undefined,
  };
}

/** The failures that say the folder itself cannot be used (its meaning in services/fileErrors.ts). */
const unusableCodes: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENOTDIR']);

/**
 * A data directory that cannot be used (not writable or not readable, read-only file system, a plain
 * file where the directory should be) as the configuration error it is: exit 2 and a French message
 * naming GRANTS_DATA_DIR and the folder, as the README's « Configuration » says. Undefined for any
 * other failure, which stays what it is. `doing`: what was being done, e.g. « en prenant le verrou
 * du moteur ».
 */
export function unusableDataDir(
  dataDir: string,
  error: unknown,
  doing: string,
  access: 'écriture' | 'lecture' = 'écriture',
): ConfigError | undefined {
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  // A folder that cannot be made where it is asked although its parent exists (under /proc, say);
  // an ENOENT of any other call is a missing file, for the caller to say.
  const uncreatable = code === 'ENOENT' && syscall === 'mkdir';
  if (code === undefined || !(unusableCodes.has(code) || uncreatable)) return undefined;
  const notAFolder = code === 'EEXIST' || code === 'ENOTDIR';
  const expected = notAFolder
    ? 'un dossier'
    : uncreatable
      ? 'un dossier qui peut être créé'
      : `un dossier accessible en ${access}`;
  return new ConfigError(
    [{ variable: 'GRANTS_DATA_DIR', expected, received: dataDir }],
    `Le dossier de données ${dataDir} (GRANTS_DATA_DIR) n’est pas ${expected} : ${doing}, ` +
      `${code} sur ${path ?? dataDir} (${fileErrorMeaning(code)}). ` +
      (notAFolder || uncreatable
        ? 'Choisissez un dossier avec GRANTS_DATA_DIR.'
        : `Donnez les droits en ${access} sur ce dossier à l’utilisateur qui lance la commande, ` +
          'ou choisissez un autre dossier avec GRANTS_DATA_DIR.'),
  );
}

export async function acquireEngineLock(dataDir: string, logger: Logger): Promise<EngineLock> {
  // The first thing the engine writes there: a folder it cannot use is said here, as a setting.
  try {
    makeDirectory(dataDir);
  } catch (error) {
    throw unusableDataDir(dataDir, error, 'en créant le dossier de données') ?? error;
  }
  let lock;
  try {
    lock = acquirePidLock(engineLockFile(dataDir));
  } catch (error) {
    if (error instanceof LockHeldError)
      throw new EngineAlreadyRunningError(dataDir, error.owner.pid, error.owner.command);
    throw unusableDataDir(dataDir, error, 'en prenant le verrou du moteur') ?? error;
  }
  const orphan = lock.previous?.temporalPid;
  const dbFile = lock.previous?.temporalDbFile;
  if (typeof orphan === 'number' && typeof dbFile === 'string' && isTemporalServerOf(orphan, dbFile)) {
    logger.warn(
      { pid: orphan },
      'serveur Temporal laissé par un moteur arrêté brutalement sur ce dossier : arrêt avant de démarrer',
    );
    await stopProcess(orphan);
  }
  return {
    noteTemporalServer: (pid, file, address) =>
      lock.note({ temporalPid: pid, temporalDbFile: file, temporalAddress: address }),
    release: () => lock.release(),
  };
}

/** Still that Temporal server (a pid may have been reused): its command line names our database file. */
function isTemporalServerOf(pid: number, dbFile: string): boolean {
  if (!processAlive(pid)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('start-dev') && args.includes(dbFile);
  } catch {
    // No /proc (not Linux): better leave a stranger alone; the port check will say what is in the way.
    return false;
  }
}

async function stopProcess(pid: number): Promise<void> {
  const gone = async (ms: number): Promise<boolean> => {
    for (const until = Date.now() + ms; Date.now() < until;) {
      if (!processAlive(pid)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !processAlive(pid);
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await gone(10_000)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(5_000);
}
