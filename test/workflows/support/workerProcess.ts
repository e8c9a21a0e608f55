// A grants worker in a process of its own (started with `node --import tsx`), so a test or a bench
// can kill -9 it mid-step and start another: the real workflows and activities on the SQLite event
// store file the parent names. Prints one line `ready` on stdout once it polls its task queue.
// Argument: the JSON of WorkerProcessOptions. Stops on SIGTERM, or when its stdin closes.
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { z } from 'zod';
import { openSqliteEventStore } from '../../../infra/eventstore';
import { createLogger } from '../../../infra/logging/logger';
import { createActivities } from '../../../workflows/activities';
import { createGrantsEventRegistry } from '../../../workflows/eventCatalog';
import { createGrantsWorker } from '../../../workflows/worker';

const optionsSchema = z.object({
  address: z.string().min(1),
  namespace: z.string().min(1).default('default'),
  taskQueue: z.string().min(1),
  eventsFile: z.string().min(1),
  /** A bundle built once by the parent: a restarted worker is up in a second, not after webpack. */
  workflowBundle: z.string().min(1).optional(),
  // The configuration's default (GRANTS_WORKER_STICKY_CACHE_SIZE).
  stickyCacheSize: z.number().int().min(0).default(250),
  /**
   * How long the server keeps a workflow task on the dead worker's sticky queue before handing it
   * to another worker (Temporal's default is 10 s; tests that kill workers shorten it).
   */
  stickyQueueTimeoutMs: z.number().int().positive().optional(),
});
export type WorkerProcessOptions = z.input<typeof optionsSchema>;

const options = optionsSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
Runtime.install({ logger: new DefaultLogger('WARN') });
const logger = createLogger({ level: 'warn', format: 'json', name: 'worker-process' });
const eventStore = openSqliteEventStore({
  file: options.eventsFile,
  // The parent reads the same file while this process writes: WAL, busy timeout (see sqlite.ts).
  synchronous: 'NORMAL',
  registry: createGrantsEventRegistry(),
});
const connection = await NativeConnection.connect({ address: options.address });
const worker = await createGrantsWorker({
  connection,
  namespace: options.namespace,
  taskQueue: options.taskQueue,
  stickyCacheSize: options.stickyCacheSize,
  activities: createActivities({ eventStore, logger }),
  logger,
  overrides: {
    ...(options.workflowBundle === undefined
      ? {}
      : { workflowBundle: { codePath: options.workflowBundle }, workflowsPath: undefined }),
    ...(options.stickyQueueTimeoutMs === undefined
      ? {}
      : { stickyQueueScheduleToStartTimeout: options.stickyQueueTimeoutMs }),
  },
});

const stop = (): void => {
  if (worker.getState() === 'RUNNING') worker.shutdown();
};
process.once('SIGTERM', stop);
// The parent holds our stdin open: if it dies without stopping us (a test run killed), stdin ends
// and this worker goes too, instead of polling the task queue forever.
process.stdin.once('end', stop);
process.stdin.resume();
const running = worker.run();
process.stdout.write('ready\n');
try {
  await running;
} finally {
  await eventStore.close();
  await connection.close();
  // The lifeline would keep the event loop alive.
  process.stdin.destroy();
}
