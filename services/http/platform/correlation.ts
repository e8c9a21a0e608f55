// One correlation id per request: taken from X-Correlation-Id when a caller (the console, another
// service) already has one, otherwise a new ULID. It is echoed in the response, bound to the request's
// logger (req.log, via pino-http) and put in every problem document, so a person reporting an error
// gives the id that finds every log line of that request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { ulid } from 'ulid';
import type { Logger } from '../../../infra/logging/logger';

export const correlationHeader = 'X-Correlation-Id';

/** Letters, digits and `._:-`, at most 128: safe in a header and in a log line (no injection). */
const saneCorrelationId = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The caller's id when it is a sane token, else a fresh ULID. */
export function resolveCorrelationId(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && saneCorrelationId.test(candidate) ? candidate : ulid();
}

const correlationIds = new WeakMap<IncomingMessage, string>();

/** The request's correlation id (generated on the spot if the middleware did not run, e.g. in a unit test). */
export function correlationIdOf(req: Request | IncomingMessage): string {
  let id = correlationIds.get(req);
  if (id === undefined) {
    id = resolveCorrelationId(req.headers['x-correlation-id']);
    correlationIds.set(req, id);
  }
  return id;
}

/**
 * The request's logger: pino-http's child bound to the correlation id. Without the middleware (a
 * wiring mistake), the fallback, or a disabled logger rather than a crash in the error path.
 */
export function requestLogger(req: Request | IncomingMessage, fallback?: Logger): Logger {
  // pino-http's typings declare req.log always present; it is not when the middleware did not run.
  const log = (req as { log?: Logger }).log;
  return log ?? fallback ?? pino({ enabled: false });
}

export interface CorrelationOptions {
  logger: Logger;
  /** Request paths whose completion is not logged (health checks, metrics scrapes). */
  quietPaths?: string[];
}

/**
 * pino-http configured to use the correlation id as the request id: it echoes the header, binds
 * `correlationId` on req.log and writes one line per completed request (level by status).
 */
export function correlationMiddleware(options: CorrelationOptions): RequestHandler {
  const quiet = new Set(options.quietPaths ?? []);
  const middleware = pinoHttp({
    logger: options.logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = correlationIdOf(req);
      res.setHeader(correlationHeader, id);
      return id;
    },
    // req.log and every line about the request carry `correlationId` (pino-http's reqId, renamed).
    customAttributeKeys: { reqId: 'correlationId' },
    quietReqLogger: true,
    customLogLevel: (_req, res, error) =>
      error !== undefined || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    customSuccessMessage: (req, res, ms) =>
      `${req.method} ${req.url} → ${res.statusCode} (${Math.round(ms)} ms)`,
    customErrorMessage: (req, res) => `${req.method} ${req.url} → ${res.statusCode}`,
    // The error handler logs the real error with its stack; pino-http's stand-in ("failed with status
    // code 500") would only add a second, misleading stack.
    customErrorObject: (_req, _res, _error, value: Record<string, unknown>) => {
      const { err: _ignored, ...rest } = value;
      return rest;
    },
    autoLogging: { ignore: (req) => quiet.has((req.url ?? '').split('?')[0] ?? '') },
    // The request line is enough; full headers would only add noise (authorization is redacted anyway).
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req, res, next) => middleware(req, res, next);
}
