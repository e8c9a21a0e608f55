// Composition root: starts every part of the engine from one configuration, in dependency
// order, and stops them in reverse. Used by `grants start` and by end-to-end tests.
import { Connection, Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Database } from 'better-sqlite3';
import { ConfigError, type Config } from '../infra/config/config';
import type { EventStore } from '../infra/eventstore/port';
import { createEventStore } from '../infra/eventstore';
import type { Logger } from '../infra/logging/logger';
import { temporalBinaries } from '../infra/temporal/binaries';
import { startDevServer } from '../infra/temporal/devServer';
import { superviseDevServer } from '../infra/temporal/devServerSupervisor';
import { forwardTemporalLogs } from '../infra/temporal/runtime';
import { watchWorkerPresence, type WorkerPresence } from '../infra/temporal/workerPresence';
import { createActivities } from '../workflows/activities';
import { createGrantsClient, type GrantsClient } from '../workflows/client';
import { createGrantsEventRegistry } from '../workflows/eventCatalog';
import { createGrantsWorker } from '../workflows/worker';
import {
  createProjector,
  logRebuildProgress,
  openReadModelDatabase,
  type Projector,
} from '../infra/projections';
import { configuredAttribuants } from './audit/attribuants';
import { createApi } from './http/api';
import { temporalProbe } from './http/health';
import { projectorMetrics, workerMetrics } from './http/metrics';
import { grantsProjections } from './readModels';
import { grantsRebuildParallel } from './readModels/rebuildSource';
import { resolveAuthSettings } from './http/platform/auth';
import { listenWhileStarting } from './http/server';
import { acquireEngineLock } from './engineLock';
import { watchIntegrity, type IntegrityWatch } from './audit/integrityWatch';

export interface Engine {
  apiUrl: string | undefined;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  eventStore: EventStore;
  client: Client;
  grants: GrantsClient;
  readModels: Database;
  projector: Projector | undefined;
  stop(): Promise<void>;
}

export class EngineStartInterruptedError extends Error {
  constructor() {
    super('Démarrage interrompu : les parties déjà démarrées ont été arrêtées.');
    this.name = 'EngineStartInterruptedError';
  }
}

export interface StartEngineOptions {
  /**
   * Ctrl-C during the start-up: the parts not started yet are not started, a read-model rebuild
   * under way is interrupted (its tables in service kept), and startEngine rejects with
   * EngineStartInterruptedError once what had started is stopped.
   */
  signal?: AbortSignal;
}

export async function startEngine(
  config: Config,
  logger: Logger,
  options: StartEngineOptions = {},
): Promise<Engine> {
  const { signal } = options;
  const obeyInterruption = (): void => {
    if (signal?.aborted === true) throw new EngineStartInterruptedError();
  };
  // Read before anything starts: a funder directory file that cannot be used is a bad setting.
  const attribuants = config.start.http ? configuredAttribuants(config) : undefined;
  const stoppers: { name: string; stop: () => Promise<void> }[] = [];
  const lock = await acquireEngineLock(config.dataDir, logger);
  // The HTTP port next (after the lock, whose refusal names the engine holding the directory): taken,
  // it is said before the Temporal server starts and before the log, the views or the development
  // secret are written in the data directory. It answers 503 ENGINE_STARTING until the API is ready.
  const api = config.start.http
    ? await listenWhileStarting(config.http.host, config.http.port).catch((error: unknown) => {
        lock.release();
        throw error;
      })
    : undefined;
  const stopAll = async (): Promise<void> => {
    // The API first, though it listened from the start: the requests under way finish while every
    // part they use still runs.
    const first = api === undefined ? [] : [{ name: 'API HTTP', stop: () => api.close() }];
    for (const { name, stop } of [...first, ...stoppers.reverse()]) {
      try {
        await stop();
        logger.info(`${name} arrêté`);
      } catch (error) {
        logger.error({ err: error }, `arrêt de ${name} en erreur`);
      }
    }
    // Last: another engine may take the data directory only once every part of this one is down.
    lock.release();
  };

  try {
    let temporalAddress = config.temporal.address;
    let temporalUiUrl: string | undefined;
    if (temporalAddress === undefined) {
      const devServerOptions = {
        cliPath: temporalBinaries({ cliPath: config.temporal.cliPath }).cli,
        dbFile: config.temporal.devServerDbFile,
        port: config.temporal.devServerPort,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        logger,
      };
      const noteInLock = (server: { pid: number | undefined; address: string }) =>
        lock.noteTemporalServer(server.pid, config.temporal.devServerDbFile, server.address);
      const devServer = superviseDevServer(await startDevServer(devServerOptions), {
        restart: () => startDevServer(devServerOptions),
        onRestarted: noteInLock,
        shouldRestart: () => signal?.aborted !== true,
        logger,
      });
      noteInLock(devServer);
      stoppers.push({ name: 'serveur Temporal', stop: () => devServer.stop() });
      temporalAddress = devServer.address;
      temporalUiUrl = devServer.uiUrl;
    }

    // Temporal before the event store: a cluster that does not answer stops the start before the
    // SQLite log is created in the data directory.
    const connection = await connectToTemporal(temporalAddress, config.temporal.address !== undefined);
    stoppers.push({ name: 'client Temporal', stop: () => connection.close() });
    const client = new Client({ connection, namespace: config.temporal.namespace });

    obeyInterruption();
    const eventStore = await createEventStore(config.eventStore, { registry: createGrantsEventRegistry() });
    stoppers.push({ name: 'magasin d’événements', stop: () => eventStore.close() });

    let worker: Worker | undefined;
    obeyInterruption();
    if (config.start.worker) {
      // Only now: the SDK's runtime, once installed, keeps the process alive until its workers stop,
      // so a start refused earlier (a port taken, the data directory locked) could not exit.
      forwardTemporalLogs(logger);
      const workerConnection = await NativeConnection.connect({ address: temporalAddress });
      stoppers.push({ name: 'connexion du worker', stop: () => workerConnection.close() });
      worker = await createGrantsWorker({
        connection: workerConnection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        stickyCacheSize: config.temporal.stickyCacheSize,
        activities: createActivities({ eventStore, logger }),
        logger,
        preferPrebuiltBundle: config.env === 'production',
      });
      const started = worker;
      const running = started.run();
      stoppers.push({
        name: 'worker Temporal',
        stop: async () => {
          // On SIGINT/SIGTERM the SDK's runtime already began draining the worker by itself.
          if (started.getState() === 'RUNNING') started.shutdown();
          await running;
        },
      });
    }

    // Read models: their own SQLite file, fed from the event store's subscription. Stopped before
    // the event store closes (registered after it, so stopped first).
    const readModels = openReadModelDatabase(config.readModels.file);
    stoppers.push({
      name: 'base des vues',
      stop: () => {
        readModels.close();
        return Promise.resolve();
      },
    });
    let projector: Projector | undefined;
    if (config.start.projector) {
      const rebuildParallel = grantsRebuildParallel(config);
      const started = createProjector({
        eventStore,
        db: readModels,
        projections: grantsProjections,
        logger,
        // New projection versions are rebuilt before anything serves: say how far, every few seconds.
        onRebuildProgress: logRebuildProgress(logger.child({ component: 'projector' })),
        ...(rebuildParallel === undefined ? {} : { rebuildParallel }),
      });
      obeyInterruption();
      const interruptRebuild = () => void started.stop();
      signal?.addEventListener('abort', interruptRebuild, { once: true });
      try {
        await started.start();
      } catch (error) {
        obeyInterruption();
        throw error;
      } finally {
        signal?.removeEventListener('abort', interruptRebuild);
      }
      stoppers.push({ name: 'projections', stop: () => started.stop() });
      projector = started;
    }

    // The engine's own look at its log, stopped before the event store closes (registered after it).
    let integrity: IntegrityWatch | undefined;
    if (config.integrityCheck.everyHours > 0) {
      const watch = watchIntegrity(eventStore, {
        firstAfterMs: config.integrityCheck.delaySeconds * 1000,
        everyMs: config.integrityCheck.everyHours * 3_600_000,
        logger: logger.child({ component: 'integrity' }),
      });
      stoppers.push({ name: 'vérification périodique du journal', stop: () => watch.stop() });
      integrity = watch;
    }

    const grants = createGrantsClient(client, config.temporal.taskQueue, {
      stepWaitMs: config.http.stepWaitSeconds * 1000,
    });
    // With its worker in this process, the engine needs not ask Temporal whether one polls: while the
    // process serves, its worker runs (it stops only with the engine, or the worker probe says down),
    // so a step never waits for a worker that is not there, and embedded mode pays no extra call.
    // Apart from the workers (scale-out), each step is sent only once a worker is seen polling.
    let workers: WorkerPresence | undefined;
    if (config.start.http && !config.start.worker) {
      const presenceLog = logger.child({ component: 'worker-presence' });
      const presence = watchWorkerPresence(
        {
          address: temporalAddress,
          namespace: config.temporal.namespace,
          taskQueue: config.temporal.taskQueue,
        },
        (error) => presenceLog.warn({ err: error }, 'Temporal ne dit pas si un worker lit la file de tâches'),
      );
      stoppers.push({ name: 'suivi des workers', stop: () => presence.close() });
      workers = presence;
    }
    let apiUrl: string | undefined;
    obeyInterruption();
    if (api !== undefined) {
      const auth = await resolveAuthSettings(config);
      if (auth.mode === 'embedded' && !['127.0.0.1', '::1', 'localhost'].includes(config.http.host))
        logger.warn(
          { host: config.http.host },
          'Mode embarqué ouvert au réseau : les jetons sont signés par un secret local et la console ' +
            'ne propose sa connexion de démonstration qu’aux navigateurs de cette machine. ' +
            'Pour un vrai service, configurez GRANTS_JWKS_URL.',
        );
      const app = createApi({
        logger,
        auth,
        grants,
        eventStore,
        readModels,
        ...(attribuants === undefined ? {} : { attribuants }),
        ...(workers === undefined ? {} : { workers }),
        ...(integrity === undefined ? {} : { integrity }),
        probes: [
          temporalProbe({ address: temporalAddress, namespace: config.temporal.namespace }),
          {
            name: 'eventStore',
            check: async () => ({
              kind: config.eventStore.kind,
              head: String(await eventStore.headPosition()),
            }),
          },
          ...(projector ? [{ name: 'projections', check: healthOf(projector) }] : []),
          ...(integrity ? [integrity.probe] : []),
          {
            name: 'worker',
            check: async () => {
              if (worker !== undefined) {
                if (worker.getState() !== 'RUNNING') throw new Error(`worker ${worker.getState()}`);
                return { state: worker.getState(), taskQueue: config.temporal.taskQueue };
              }
              if (workers !== undefined && !(await workers.polling()))
                throw new Error(
                  `aucun worker ne lit la file de tâches « ${config.temporal.taskQueue} » : les étapes sont refusées (ENGINE_UNAVAILABLE)`,
                );
              return { state: 'dans un autre processus', taskQueue: config.temporal.taskQueue };
            },
          },
        ],
        metrics: {
          ...(projector ? { projections: projectorMetrics(projector) } : {}),
          ...(worker ? { worker: workerMetrics(worker, config.temporal.taskQueue) } : {}),
          ...(integrity ? { integrity: integrity.metrics } : {}),
        },
      });
      api.serve(app);
      apiUrl = api.url;
    }

    obeyInterruption();
    return {
      apiUrl,
      temporalAddress,
      temporalUiUrl,
      eventStore,
      client,
      grants,
      readModels,
      projector,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The client connection. A cluster named by TEMPORAL_ADDRESS that does not answer (within the SDK's
 * 10 s) is a setting to check: a ConfigError naming it, exit code 2. The embedded server was just
 * seen answering: its failure is not the operator's setting.
 */
async function connectToTemporal(address: string, configured: boolean): Promise<Connection> {
  try {
    return await Connection.connect({ address });
  } catch (error) {
    if (!configured) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      [{ variable: 'TEMPORAL_ADDRESS', expected: detail, received: address }],
      `Le serveur Temporal de TEMPORAL_ADDRESS=${address} ne répond pas (${detail}) : vérifiez ` +
        'TEMPORAL_ADDRESS et que le cluster Temporal qu’elle nomme est démarré.',
    );
  }
}

const healthOf = (projector: Projector) => () => projector.healthCheck();
