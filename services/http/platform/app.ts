// The Express app every service mounts its routers on: JSON bodies with a size limit, correlation
// ids and request logs, security headers, authentication, the OpenAPI document, and, last, the 404/405
// and the one error middleware that turns every error into a problem document.
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from '../../../infra/logging/logger';
import {
  type AuthSettings,
  type Authenticator,
  type Role,
  type VerifiedTokenCacheOptions,
  createAuthenticator,
  requireRole,
} from './auth';
import { correlationMiddleware, defineRequestLog } from './correlation';
import { type ApiDocumentation, type ApiDocumentationOptions, createApiDocumentation } from './openapi';
import { problemErrorHandler, routeNotFoundHandler } from './problem';

export interface HttpPlatformOptions {
  logger: Logger;
  auth: AuthSettings;
  /** Tokens verified once and trusted until their `exp` (auth.ts); default 5,000 tokens, 5 minutes at most. */
  verifiedTokens?: VerifiedTokenCacheOptions;
  /** Title and version of the OpenAPI document. */
  api?: ApiDocumentationOptions;
  /** Default '256kb': applications are small JSON documents; anything larger is a mistake or an attack. */
  jsonLimit?: string;
  /** Paths whose successful requests are not logged (probes, scrapes). Default ['/health', '/metrics']. */
  quietPaths?: string[];
}

export interface HttpPlatform {
  readonly app: Express;
  readonly auth: Authenticator;
  readonly openapi: ApiDocumentation;
  /** Bearer authentication middleware (401 problem). */
  readonly authenticate: RequestHandler;
  /** Role check (403 problem); put after `authenticate`. */
  requireRole(...roles: Role[]): RequestHandler;
  /** Mounts a router (at a path prefix, or at the root). Throws after `finish()`. */
  mount(router: Router | RequestHandler, path?: string): void;
  /** Adds the OpenAPI routes, then the 404 and error middleware. Call once, after every mount. */
  finish(): Express;
}

/**
 * Strict by default: the API serves JSON, and the console (later) only same-origin scripts and styles,
 * so no inline script can run even if some text were rendered as HTML by mistake.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  // Answers carry personal and financial data: no shared or browser cache keeps them.
  res.setHeader('Cache-Control', 'no-store');
  next();
};

export function createHttpPlatform(options: HttpPlatformOptions): HttpPlatform {
  const app = express();
  app.disable('x-powered-by');
  // ETags are ours (stream revisions, etag.ts), not Express's body hashes.
  app.set('etag', false);
  // `?a[b]=1` stays a plain key: nested query objects are a surprise zod schemas do not expect.
  app.set('query parser', 'simple');

  defineRequestLog(app.request);
  app.use(
    correlationMiddleware({
      logger: options.logger,
      quietPaths: options.quietPaths ?? ['/health', '/metrics'],
    }),
  );
  app.use(securityHeaders);
  app.use(express.json({ limit: options.jsonLimit ?? '256kb' }));

  const auth = createAuthenticator(options.auth, options.logger, {
    ...(options.verifiedTokens === undefined ? {} : { verifiedTokens: options.verifiedTokens }),
  });
  const openapi = createApiDocumentation(options.api ?? { title: 'API des subventions', version: '0.1.0' });
  let finished = false;

  return {
    app,
    auth,
    openapi,
    authenticate: auth.authenticate,
    requireRole,
    mount(router, path) {
      if (finished)
        throw new Error('mount() après finish() : la route ne serait jamais atteinte (404 avant elle).');
      if (path === undefined) app.use(router);
      else app.use(path, router);
    },
    finish() {
      if (finished) return app;
      finished = true;
      app.use(openapi.router());
      app.use(routeNotFoundHandler((path) => openapi.methodsOfPath(path)));
      app.use(problemErrorHandler());
      return app;
    },
  };
}
