// Whether some worker takes a task queue's workflow tasks, as the Temporal server sees it. A server
// that answers is not enough: with no worker behind it, a workflow started or updated there waits for
// one, and a client waiting for the update's acceptance waits with it (then the update is delivered
// whenever a worker comes back). Those who send must know before they send.
import { Connection } from '@temporalio/client';

/** Temporal's enums, as numbers (the proto package is not a dependency of its own here). */
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

/**
 * How old a poller's last poll may be for its worker to count as there. The server notes when each
 * poll begins, and an idle worker's long poll lasts up to a minute; it keeps listing a worker for
 * 5 minutes after its last poll (`temporal task-queue describe`): a worker killed moments ago is
 * still listed, its last poll ageing. A minute plus a margin for the hosts' clocks.
 */
export const recentPollMs = 70_000;

export interface TaskQueueTarget {
  namespace: string;
  taskQueue: string;
}

/** How many workers polled the task queue for workflow tasks within recentPollMs (by the server's clock, read against ours). */
export async function recentWorkflowPollers(
  connection: Connection,
  target: TaskQueueTarget,
  nowMs: number = Date.now(),
): Promise<number> {
  const answer = await connection.workflowService.describeTaskQueue({
    namespace: target.namespace,
    taskQueue: { name: target.taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (answer.pollers ?? []).filter((poller) => {
    const seconds = poller.lastAccessTime?.seconds;
    // A poller without a time is the server's to list: taken as there, as before times were read.
    if (seconds === undefined || seconds === null) return true;
    const lastMs =
      (typeof seconds === 'number' ? seconds : seconds.toNumber()) * 1000 +
      (poller.lastAccessTime?.nanos ?? 0) / 1e6;
    return nowMs - lastMs <= recentPollMs;
  }).length;
}

export interface WorkerPresence {
  /**
   * Whether a worker polls the task queue now. A yes is remembered for `rememberMs` (a busy API does
   * not ask once per request); a no is asked again at the next call, so a worker back is seen at once.
   * Calls during a question share its answer. A server that does not answer within `askWithinMs`
   * (down, unreachable) counts as no worker: nothing could be taken further there either.
   */
  polling(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Asked on a connection of its own, without the SDK's retries, each call ended by its deadline: on
 * the engine's connection a call to a server that is down is retried by timers no deadline clears,
 * one of which would throw out of a timer once the engine's stop closed that connection (see
 * services/http/health.ts, temporalProbe).
 */
export function watchWorkerPresence(
  options: TaskQueueTarget & { address: string; rememberMs?: number; askWithinMs?: number },
  onError: (error: unknown) => void = () => undefined,
): WorkerPresence {
  const rememberMs = options.rememberMs ?? 5_000;
  const askWithinMs = options.askWithinMs ?? 3_000;
  const connection = Connection.lazy({ address: options.address, interceptors: [] });
  let seenUntil = 0;
  let asking: Promise<boolean> | undefined;
  const ask = async (): Promise<boolean> => {
    try {
      const count = await connection.withDeadline(Date.now() + askWithinMs, () =>
        recentWorkflowPollers(connection, options),
      );
      if (count > 0) seenUntil = Date.now() + rememberMs;
      return count > 0;
    } catch (error) {
      onError(error);
      return false;
    }
  };
  return {
    polling: () => {
      if (Date.now() < seenUntil) return Promise.resolve(true);
      asking ??= ask().finally(() => {
        asking = undefined;
      });
      return asking;
    },
    close: () => connection.close(),
  };
}
