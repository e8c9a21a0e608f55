// The Temporal worker: runs the application and campaign workflows and their activities on one
// task queue. Production start-up loads a prebuilt workflow bundle (no webpack at boot);
// development bundles workflows/index.ts on the fly.
import { existsSync } from 'node:fs';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../infra/logging/logger';

export const workflowsPath = new URL('./index.ts', import.meta.url).pathname;
export const prebuiltBundlePath = new URL('../.build/workflow-bundle.js', import.meta.url).pathname;

export interface GrantsWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  stickyCacheSize: number;
  activities: object;
  logger: Logger;
  /** Use the prebuilt bundle when it exists (production); otherwise bundle at start. */
  preferPrebuiltBundle?: boolean;
  /** Extra options (tests: shorter grace time, interceptors...). */
  overrides?: Partial<WorkerOptions>;
}

export async function createGrantsWorker(options: GrantsWorkerOptions): Promise<Worker> {
  const usePrebuilt = (options.preferPrebuiltBundle ?? false) && existsSync(prebuiltBundlePath);
  options.logger.info(
    { taskQueue: options.taskQueue, bundle: usePrebuilt ? prebuiltBundlePath : 'à la volée' },
    'démarrage du worker Temporal',
  );
  return await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    maxCachedWorkflows: options.stickyCacheSize,
    // Let in-flight activities (an append to the event store) finish before the process exits.
    shutdownGraceTime: '10 seconds',
    ...(usePrebuilt ? { workflowBundle: { codePath: prebuiltBundlePath } } : { workflowsPath }),
    ...options.overrides,
  });
}
