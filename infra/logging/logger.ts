// One pino logger, created at start-up and passed down (no module-level singleton).
// JSON lines in production or when piped; readable lines in a terminal.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggingOptions {
  level: string;
  format: 'pretty' | 'json';
  name?: string;
  /**
   * Where the lines go. Default stdout (a service's log); stderr for a command whose stdout is its
   * output (a CSV piped to a file must not end with a log line).
   */
  to?: 'stdout' | 'stderr';
}

export function createLogger(options: LoggingOptions): Logger {
  const fd = options.to === 'stderr' ? 2 : 1;
  return pino(
    {
      name: options.name ?? 'grants',
      level: options.level,
      // Keys that may carry secrets or personal data never reach the log.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.email', '*.phone'],
        censor: '[masqué]',
      },
      ...(options.format === 'pretty'
        ? {
            transport: {
              target: 'pino-pretty',
              options: {
                colorize: true,
                translateTime: 'SYS:HH:MM:ss.l',
                ignore: 'pid,hostname',
                destination: fd,
              },
            },
          }
        : {}),
    },
    options.format === 'pretty' ? undefined : pino.destination({ dest: fd, sync: true }),
  );
}

/** A child logger bound to one correlation id (per HTTP request, per workflow). */
export function withCorrelation(
  logger: Logger,
  correlationId: string,
  bindings: Record<string, unknown> = {},
): Logger {
  return logger.child({ correlationId, ...bindings });
}
