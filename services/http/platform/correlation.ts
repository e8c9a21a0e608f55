// One correlation id per request: taken from X-Correlation-Id when a caller (the console, another
// service) already has one, otherwise a new ULID. It is echoed in the response, bound to the request's
// logger (req.log, requestLogger(req)) and put in every problem document, so a person reporting an
// error gives the id that finds every log line of that request.
//
// Not pino-http: its per-request work (a child logger, serializers, listeners) cost about as much as
// a whole answer served from the read-model cache. Here the child logger is made only when a line is
// written, and the completion line is written only at a level the logger has enabled.
import { randomFillSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/**
 * What the platform knows of a request, kept beside it (not on it, so Express's Request type stays
 * as it is). Nothing here may point back to the request or its response: V8's young-generation
 * collector keeps the values of a WeakMap whose table is old as if they were strongly held, so a
 * value reaching the request (a closure over the middleware's scope did, through `res`) kept every
 * request's whole object graph alive until the next full collection: 4 MB promoted per young
 * collection under load, 10 to 15 ms pauses.
 */
interface RequestContext {
  readonly id: string;
  /** The platform's logger, once the middleware has run. */
  base: Logger | undefined;
  /** base bound to the correlation id, made on first use. */
  child: Logger | undefined;
}

const contexts = new WeakMap<IncomingMessage, RequestContext>();

function contextOf(req: Request | IncomingMessage): RequestContext {
  let context = contexts.get(req);
  if (context === undefined) {
    context = {
      id: resolveCorrelationId(req.headers['x-correlation-id']),
      base: undefined,
      child: undefined,
    };
    contexts.set(req, context);
  }
  return context;
}

/** The request's correlation id (generated on the spot if the middleware did not run, e.g. in a unit test). */
export function correlationIdOf(req: Request | IncomingMessage): string {
  return contextOf(req).id;
}

const disabledLogger: Logger = pino({ enabled: false });

const loggerOf = (context: RequestContext, base: Logger): Logger =>
  (context.child ??= base.child({ correlationId: context.id }));

/**
 * The request's logger: a child of the platform's logger bound to the correlation id, made on first
 * use. Without the middleware (a wiring mistake), the fallback, or a disabled logger rather than a
 * crash in the error path.
 */
export function requestLogger(req: Request | IncomingMessage, fallback?: Logger): Logger {
  const context = contexts.get(req);
  if (context?.base === undefined) return fallback ?? disabledLogger;
  return loggerOf(context, context.base);
}

/**
 * `req.log`, as pino-http gave it, for code written against it: a getter on the app's request
 * prototype (`app.request`), defined once, rather than a property defined on every request.
 */
export function defineRequestLog(requestPrototype: object): void {
  Object.defineProperty(requestPrototype, 'log', {
    configurable: true,
    enumerable: false,
    get(this: IncomingMessage): Logger {
      return requestLogger(this);
    },
  });
}

export interface CorrelationOptions {
  logger: Logger;
  /** Request paths whose successful (< 400) completion is not logged (health checks, metrics scrapes). */
  quietPaths?: string[];
}

type Level = 'error' | 'warn' | 'info' | 'debug';

const READS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * 5xx error, 4xx info; a write that succeeded (a step recorded: the access log of the decisions)
 * info, a read that succeeded debug. A client that leaves before the end (a closed tab, a cancelled
 * download) is worth an info line, not an error: nothing failed on our side. A health check
 * answering 503 reports an outage (logged where it happens), it is not one: warn (`announced`), or a monitor
 * polling through an outage would flood the errors. So is a 503 with Retry-After: the service said
 * when to come back (views lagging, a step pending, no worker), each cause logged where it is seen.
 */
const levelOf = (status: number, aborted: boolean, method: string, announced: boolean): Level => {
  if (status >= 500) return announced ? 'warn' : 'error';
  if (aborted || status >= 400) return 'info';
  return READS.has(method) ? 'debug' : 'info';
};

/** The completion line of a request, if its level is enabled (see levelOf). */
function logCompletion(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  aborted: boolean,
  startedAt: number,
  base: Logger,
  quiet: ReadonlySet<string>,
): void {
  // Express's originalUrl: the URL as received, whatever the routers did to req.url since.
  const url = (req as Partial<Request>).originalUrl ?? req.url ?? '';
  const quietPath = quiet.has(url.split('?')[0] ?? '');
  const method = req.method ?? '';
  const announced = status === 503 && (quietPath || res.hasHeader('retry-after'));
  const level = levelOf(status, aborted, method, announced);
  if (!base.isLevelEnabled(level)) return;
  if (status < 400 && !aborted && quietPath) return;
  const ms = performance.now() - startedAt;
  loggerOf(contextOf(req), base)[level](
    { req: { method, url }, res: { statusCode: status }, responseTime: Math.round(ms) },
    aborted
      ? `${method} ${url} → interrompue (${Math.round(ms)} ms)`
      : status >= 400
        ? `${method} ${url} → ${status}`
        : `${method} ${url} → ${status} (${Math.round(ms)} ms)`,
  );
}

/**
 * Sets the correlation id (header, req.log, requestLogger) and writes one line per completed request:
 * `correlationId`, `req` (method, url), `res` (statusCode), `responseTime` in ms.
 */
export function correlationMiddleware(options: CorrelationOptions): RequestHandler {
  const quiet: ReadonlySet<string> = new Set(options.quietPaths ?? []);
  const base = options.logger;
  return (req, res, next) => {
    const startedAt = performance.now();
    const context = contextOf(req);
    context.base = base;
    res.setHeader(correlationHeader, context.id);
    // One listener: a response emits 'close' once, after 'finish' when it was sent whole, alone
    // when the client went away before the end (then writableFinished is still false).
    res.on('close', () =>
      logCompletion(req, res, res.statusCode, !res.writableFinished, startedAt, base, quiet),
    );
    next();
  };
}
