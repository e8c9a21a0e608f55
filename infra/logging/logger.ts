// One pino logger, created at start-up and passed down (no module-level singleton).
// JSON lines in production or when piped; readable lines in a terminal.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggingOptions {
  level: string;
  format: 'pretty' | 'json';
  name?: string;
}

export function createLogger(options: LoggingOptions): Logger {
  return pino({
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
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}

/** A child logger bound to one correlation id (per HTTP request, per workflow). */
export function withCorrelation(
  logger: Logger,
  correlationId: string,
  bindings: Record<string, unknown> = {},
): Logger {
  return logger.child({ correlationId, ...bindings });
}
