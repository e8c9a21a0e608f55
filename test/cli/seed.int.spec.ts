// `grants seed demo` where no engine runs but a Temporal server answers — as after a kill -9 of the
// engine, whose embedded server outlives it: it says at once that no engine runs here and to start
// it (exit 2), instead of waiting for a worker that never comes (« Update-With-Start failed » after
// 40 s, exit 1). A live engine is recognised by its lock on the data directory, or by a worker
// polling the task queue.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { createLogger } from '../../infra/logging/logger';
import { temporalBinaries } from '../../infra/temporal/binaries';
import { startDevServer, type RunningDevServer } from '../../infra/temporal/devServer';
import { runSeed } from '../../services/cli/seed';
import { connectToEngine, NoEngineError } from '../../services/cli/temporalClient';
import { engineLockFile } from '../../services/engineLock';
import { captureCliOutput } from '../support/cliOutput';
import { freePort } from '../support/processes';

const silent = pino({ level: 'silent' });

let work: string;
let server: RunningDevServer;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'grants-seed-cli-'));
  server = await startDevServer({
    cliPath: temporalBinaries().cli,
    dbFile: join(work, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logger: createLogger({ level: 'warn', format: 'json', name: 'test-seed' }),
  });
});
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

const seed = async (env: Record<string, string>) => {
  const c = captureCliOutput();
  const started = Date.now();
  const code = await runSeed(loadConfig(env), silent, ['demo', '--count', '9'], c.io);
  return { code, out: c.out(), err: c.err(), seconds: (Date.now() - started) / 1000 };
};

describe('grants seed demo without an engine', () => {
  it('says so at once when the engine’s lock names a dead process, its Temporal server still answering (exit 2)', async () => {
    const dataDir = mkdtempSync(join(work, 'donnees-'));
    const pid = deadPid();
    // What a kill -9 leaves: the lock of an engine that is gone, with its Temporal server's address.
    writeFileSync(engineLockFile(dataDir), JSON.stringify({ pid, temporalAddress: server.address }));
    // The orphan listens where this shell's configuration says the embedded server is.
    const port = server.address.split(':').at(-1)!;
    const result = await seed({ GRANTS_DATA_DIR: dataDir, TEMPORAL_DEV_SERVER_PORT: port });
    expect(result.code, result.err).toBe(2);
    expect(result.err).toBe(
      `Aucun moteur ne tourne sur le dossier de données ${dataDir} : le dernier (processus ${pid}) s’est arrêté ` +
        'sans se fermer (kill -9, plantage) ; son serveur Temporal répond peut-être encore, mais aucun worker ne ' +
        'fait avancer les workflows. Démarrez le moteur (npm start, ou grants start) puis relancez la commande. ' +
        '(Le démarrage arrête d’abord ce serveur.)\n',
    );
    expect(result.out).toBe('');
    expect(result.seconds).toBeLessThan(10);
  }, 20_000);

  it('says so when the Temporal server answers but no worker polls the engine’s task queue (exit 2)', async () => {
    const result = await seed({
      GRANTS_DATA_DIR: mkdtempSync(join(work, 'donnees-')),
      TEMPORAL_ADDRESS: server.address,
    });
    expect(result.code, result.err).toBe(2);
    expect(result.err).toBe(
      `Aucun moteur ne tourne ici : le serveur Temporal de ${server.address} répond, mais aucun worker ne lit ` +
        'sa file de tâches « grants » (namespace default). Démarrez le moteur (npm start, ou grants start) puis ' +
        'relancez la commande.\n',
    );
    // After the few seconds a starting worker is given to poll, not the 40 s of a wait for none.
    expect(result.seconds).toBeLessThan(15);
  }, 20_000);

  it('reaches the engine once a worker polls its task queue, one that starts polling moments later too', async () => {
    const config = loadConfig({
      GRANTS_DATA_DIR: mkdtempSync(join(work, 'donnees-')),
      TEMPORAL_ADDRESS: server.address,
    });
    await expect(connectToEngine(config)).rejects.toBeInstanceOf(NoEngineError);
    // Asked first, the worker polling a second later: a worker just started (CI's engine under load,
    // a cluster's worker redeployed) has not polled yet, and is waited for a few seconds.
    const reaching = connectToEngine(config);
    await new Promise((r) => setTimeout(r, 1_000));
    // A worker's long poll on the task queue, as the engine's worker keeps one open.
    const worker = await Connection.connect({ address: server.address });
    // The poll is cancelled before its connection closes: left running, it outlived the close, failed
    // when the server stopped, and the SDK's retry then threw on the closed channel (uncaught).
    const stopPolling = new AbortController();
    const polling = worker
      .withAbortSignal(stopPolling.signal, () =>
        worker.withDeadline(Date.now() + 30_000, () =>
          worker.workflowService.pollWorkflowTaskQueue({
            namespace: 'default',
            taskQueue: { name: config.temporal.taskQueue, kind: 1 },
            identity: 'test-worker',
          }),
        ),
      )
      .catch(() => undefined);
    try {
      const reached = await reaching;
      expect(reached).toMatchObject({ grants: expect.any(Object) as object });
      await reached.close();
    } finally {
      stopPolling.abort();
      await polling;
      await worker.close();
    }
  }, 30_000);
});
