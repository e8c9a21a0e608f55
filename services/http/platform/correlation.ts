// One correlation id per request: taken from X-Correlation-Id when a caller (the console, another
// service) already has one, otherwise a new ULID. It is echoed in the response, bound to the request's
// logger (req.log, requestLogger(req)) and put in every problem document, so a person reporting an
// error gives the id that finds every log line of that request.
//
// Not pino-http: its per-request work (a child logger, serializers, listeners) cost about as much as
// a whole answer served from the read-model cache. Here the child logger is made only when a line is
// written, and the completion line is written only at a level the logger has enabled.
import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pino } from 'pino';
import { ulid } from 'ulid';
import type { Logger } from '../../../infra/logging/logger';

export const correlationHeader = 'X-Correlation-Id';

/** Letters, digits and `._:-`, at most 128: safe in a header and in a log line (no injection). */
const saneCorrelationId = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

// ulid's own generator draws one byte from WebCrypto per character (about 30 µs per id); the same
// cryptographic bytes drawn 4 KiB at a time cost well under a microsecond.
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;
const pooledRandom = (): number => {
  if (randomOffset >= randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  return (randomPool[randomOffset++] ?? 0) / 256;
};

/** The caller's id when it is a sane token, else a fresh ULID. */
export function resolveCorrelationId(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && saneCorrelationId.test(candidate)
    ? candidate
    : ulid(undefined, pooledRandom);
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

const lazyLoggers = new WeakMap<IncomingMessage, () => Logger>();
const disabledLogger: Logger = pino({ enabled: false });

/**
 * The request's logger: a child of the platform's logger bound to the correlation id, made on first
 * use. Without the middleware (a wiring mistake), the fallback, or a disabled logger rather than a
 * crash in the error path.
 */
export function requestLogger(req: Request | IncomingMessage, fallback?: Logger): Logger {
  return lazyLoggers.get(req)?.() ?? fallback ?? disabledLogger;
}

export interface CorrelationOptions {
  logger: Logger;
  /** Request paths whose successful (< 400) completion is not logged (health checks, metrics scrapes). */
  quietPaths?: string[];
}

type Level = 'error' | 'info' | 'debug';

/**
 * 5xx error, 4xx info, the rest debug. A client that leaves before the end (a closed tab, a
 * cancelled download) is worth an info line, not an error: nothing failed on our side.
 */
const levelOf = (status: number, aborted: boolean): Level =>
  status >= 500 ? 'error' : aborted || status >= 400 ? 'info' : 'debug';

/**
 * Sets the correlation id (header, req.log, requestLogger) and writes one line per completed request:
 * `correlationId`, `req` (method, url), `res` (statusCode), `responseTime` in ms.
 */
export function correlationMiddleware(options: CorrelationOptions): RequestHandler {
  const quiet = new Set(options.quietPaths ?? []);
  const base = options.logger;
  return (req, res, next) => {
    const startedAt = performance.now();
    const id = correlationIdOf(req);
    res.setHeader(correlationHeader, id);
    let child: Logger | undefined;
    const log = (): Logger => (child ??= base.child({ correlationId: id }));
    lazyLoggers.set(req, log);
    // req.log as pino-http gave it, for code written against it; made only when read.
    Object.defineProperty(req, 'log', { configurable: true, enumerable: false, get: log });
    const method = req.method;
    const url = req.originalUrl;
    const done = (aborted: boolean) => {
      const status = res.statusCode;
      const level = levelOf(status, aborted);
      if (!base.isLevelEnabled(level)) return;
      if (status < 400 && !aborted && quiet.has(url.split('?')[0] ?? '')) return;
      const ms = performance.now() - startedAt;
      log()[level](
        { req: { method, url }, res: { statusCode: status }, responseTime: Math.round(ms) },
        aborted
          ? `${method} ${url} → interrompue (${Math.round(ms)} ms)`
          : status >= 400
            ? `${method} ${url} → ${status}`
            : `${method} ${url} → ${status} (${Math.round(ms)} ms)`,
      );
    };
    res.once('finish', () => done(false));
    // The client went away before the answer was complete.
    res.once('close', () => {
      if (!res.writableFinished) done(true);
    });
    next();
  };
}
