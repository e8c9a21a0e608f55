// One engine per data directory. Two engines on the same files would each run a Temporal server on
// one SQLite file and a projector on one read-model file: the second projector finds events applied
// twice and stops, and the two Temporal servers corrupt each other. `<data dir>/engine.lock` names
// the engine that holds the directory (and its Temporal server's pid), so a second `grants start`
// is refused, `grants restore` knows the engine runs whatever ports it listens on, and a start after
// a crash (kill -9: the Temporal child outlives its parent) stops the dead engine's Temporal server
// before starting its own.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../infra/logging/logger';
import { LockHeldError, acquirePidLock, liveOwner, processAlive } from '../infra/locks/pidLock';

export const engineLockFile = (dataDir: string): string => join(dataDir, 'engine.lock');

export class EngineAlreadyRunningError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `Un moteur tourne déjà sur le dossier de données ${dataDir} (processus ${pid}) : arrêtez-le ` +
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

export async function acquireEngineLock(dataDir: string, logger: Logger): Promise<EngineLock> {
  mkdirSync(dataDir, { recursive: true });
  let lock;
  try {
    lock = acquirePidLock(engineLockFile(dataDir));
  } catch (error) {
    if (error instanceof LockHeldError) throw new EngineAlreadyRunningError(dataDir, error.owner.pid);
    throw error;
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
