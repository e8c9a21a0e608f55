// A worker running the real workflows and activities against a real SQLite event store, on a
// Temporal test environment (time-skipping or dev server).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ulid } from 'ulid';
import { openSqliteEventStore } from '../../../infra/eventstore';
import type { EventStore } from '../../../infra/eventstore/port';
import { createLogger } from '../../../infra/logging/logger';
import { createActivities } from '../../../workflows/activities';
import { createGrantsClient, type GrantsClient, type StepActor } from '../../../workflows/client';
import { createGrantsEventRegistry } from '../../../workflows/eventCatalog';
import { workflowsPath } from '../../../workflows/worker';

export interface Harness {
  env: TestWorkflowEnvironment;
  eventStore: EventStore;
  grants: GrantsClient;
  worker: Worker;
  taskQueue: string;
  /** Runs the worker while `fn` runs. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createHarness(env: TestWorkflowEnvironment): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'grants-wf-'));
  const eventStore = openSqliteEventStore({
    file: join(dir, 'events.sqlite'),
    synchronous: 'NORMAL',
    registry: createGrantsEventRegistry(),
  });
  const taskQueue = `grants-${ulid()}`;
  const logger = createLogger({ level: 'warn', format: 'json' });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: createActivities({ eventStore, logger }),
  });
  return {
    env,
    eventStore,
    worker,
    taskQueue,
    // The client decides creations before it starts their workflow: on the server's clock, which
    // the stories move days ahead of the wall clock.
    grants: createGrantsClient(env.client, taskQueue, { now: async () => Number(await env.currentTimeMs()) }),
    run: (fn) => worker.runUntil(fn),
    close: async () => {
      await eventStore.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A step context with a fresh command id. */
export const as = (actor: StepActor) => ({ actor, commandId: ulid() });
