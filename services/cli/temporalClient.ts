// CLI commands that act on a running engine reach its Temporal server: the configured cluster,
// or the embedded dev server `grants start` runs. A Temporal server that answers is not enough: an
// engine killed with kill -9 leaves its embedded server running, with no worker behind it, and a
// command sent there waits for a worker that never comes (« Update-With-Start failed » after 40 s).
// So first: the engine's lock names a live process (embedded mode), or a worker polls the task queue.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../infra/config/config';
import { processAlive, readLock } from '../../infra/locks/pidLock';
import { recentWorkflowPollers } from '../../infra/temporal/workerPresence';
import { createGrantsClient, type GrantsClient } from '../../workflows/client';
import { engineLockFile, runningEngineTemporalAddress } from '../engineLock';

/** No engine runs where the command looks: nothing would take its workflows further. */
export class NoEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoEngineError';
  }
}

/**
 * Where the engine's Temporal server answers: the configured cluster; else the embedded server the
 * engine on this data directory noted in its lock (started with another port setting, it is still
 * found); else the configured embedded port.
 */
export function engineTemporalAddress(config: Config): string {
  return (
    config.temporal.address ??
    runningEngineTemporalAddress(config.dataDir) ??
    `127.0.0.1:${config.temporal.devServerPort}`
  );
}

const startIt = 'Démarrez le moteur (npm start, ou grants start) puis relancez la commande.';

/**
 * Embedded mode: what the engine's lock on the data directory says. 'running' when its process
 * lives; a NoEngineError when it names a dead one (its Temporal server may answer all the same);
 * undefined without a lock (or with a cluster configured): the task queue will tell.
 */
function engineFromLock(config: Config): 'running' | undefined {
  if (config.temporal.address !== undefined) return undefined;
  const lock = readLock(engineLockFile(config.dataDir));
  if (lock === undefined || lock.pid === process.pid) return undefined;
  if (processAlive(lock.pid)) return 'running';
  throw new NoEngineError(
    `Aucun moteur ne tourne sur le dossier de données ${config.dataDir} : le dernier (processus ${lock.pid}) ` +
      's’est arrêté sans se fermer (kill -9, plantage) ; son serveur Temporal répond peut-être encore, mais ' +
      `aucun worker ne fait avancer les workflows. ${startIt} (Le démarrage arrête d’abord ce serveur.)`,
  );
}

/**
 * How long a worker may take to be listed: the server lists a poller once its first poll arrives, and
 * a worker started moments ago (a cluster's worker redeployed, an engine still starting) may not have
 * polled yet. Asked again within this time before saying no engine runs.
 */
const workerFirstPollGraceMs = 5_000;
const askAgainEveryMs = 250;

/** A NoEngineError unless some worker polled the engine's task queue for workflow tasks lately. */
async function ensureWorker(connection: Connection, config: Config, address: string): Promise<void> {
  const { taskQueue, namespace } = config.temporal;
  const deadline = Date.now() + workerFirstPollGraceMs;
  for (;;) {
    if ((await recentWorkflowPollers(connection, { namespace, taskQueue })) > 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, askAgainEveryMs));
  }
  throw new NoEngineError(
    `Aucun moteur ne tourne ici : le serveur Temporal de ${address} répond, mais aucun worker ne lit sa file ` +
      `de tâches « ${taskQueue} » (namespace ${namespace}). ${startIt}`,
  );
}

export async function connectToEngine(
  config: Config,
): Promise<{ grants: GrantsClient; close(): Promise<void> }> {
  const engine = engineFromLock(config);
  const address = engineTemporalAddress(config);
  const connection = await Connection.connect({ address, connectTimeout: 5_000 }).catch((error: unknown) => {
    throw new Error(
      `Le serveur Temporal ne répond pas sur ${address} : le moteur est-il démarré (npm start) ? ` +
        `(${error instanceof Error ? error.message : String(error)})`,
    );
  });
  try {
    // A live engine's worker may still be starting: its lock is enough.
    if (engine !== 'running') await ensureWorker(connection, config, address);
  } catch (error) {
    await connection.close();
    throw error;
  }
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { grants: createGrantsClient(client, config.temporal.taskQueue), close: () => connection.close() };
}
