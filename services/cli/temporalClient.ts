// CLI commands that act on a running engine reach its Temporal server: the configured cluster,
// or the embedded dev server `grants start` runs.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../infra/config/config';
import { createGrantsClient, type GrantsClient } from '../../workflows/client';
import { runningEngineTemporalAddress } from '../engineLock';

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

export async function connectToEngine(
  config: Config,
): Promise<{ grants: GrantsClient; close(): Promise<void> }> {
  const address = engineTemporalAddress(config);
  const connection = await Connection.connect({ address, connectTimeout: 5_000 }).catch((error: unknown) => {
    throw new Error(
      `Le serveur Temporal ne répond pas sur ${address} : le moteur est-il démarré (npm start) ? ` +
        `(${error instanceof Error ? error.message : String(error)})`,
    );
  });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { grants: createGrantsClient(client, config.temporal.taskQueue), close: () => connection.close() };
}
