// The Temporal SDK's own logs (its TypeScript side and its native core) through the engine's pino
// logger, as JSON lines like the rest, instead of plain text on stderr: the worker's start-up chatter
// (states, the workflow bundle's module list) below `warn` is left out, warnings and errors are kept.
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogEntry } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

/**
 * A warning the embedded dev server always causes: it does not advertise a capability it has
 * (heartbeat details on failure); nothing to act on, so not a warning for the operator.
 */
const KNOWN_NOISE = /activity_failure_include_heartbeat/;

/**
 * Installs the SDK's runtime with the engine's logger. Once per process, before any worker or native
 * connection: a runtime already there (a test process that started a worker first) is kept.
 */
export function forwardTemporalLogs(logger: Logger): void {
  const log = logger.child({ component: 'temporal-sdk' });
  const write = (entry: LogEntry): void => {
    const level = KNOWN_NOISE.test(entry.message) ? 'debug' : entry.level === 'ERROR' ? 'error' : 'warn';
    log[level](entry.meta ?? {}, entry.message);
  };
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN', write),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    });
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
  }
}
