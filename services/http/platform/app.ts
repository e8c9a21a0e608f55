// The Express app every service mounts its routers on: JSON bodies with a size limit, correlation
// ids and request logs, security headers, authentication, the OpenAPI document, and, last, the 404/405
// and the one error middleware that turns every error into a problem document.
import express, { type Express, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../../../infra/logging/logger';
import {
  type AuthSettings,
  type Authenticator,
  type Role,
  type VerifiedTokenCacheOptions,
  callerOf,
  createAuthenticator,
  requireRole,
} from './auth';
import { correlationMiddleware, defineRequestLog } from './correlation';
import {
  type ApiDocumentation,
  type ApiDocumentationOptions,
  type RouteConfig,
  createApiDocumentation,
} from './openapi';
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

/**
 * OPTIONS answered from the document, for every documented path: Express answers it itself only from
 * the first router with a route there, which would leave out the methods other routers serve (the list
 * and the submission of /api/applications live in two). Undocumented paths go on (404 when unknown).
 */
const optionsFromDocument =
  (openapi: ApiDocumentation): RequestHandler =>
  (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    const methods = openapi.methodsOfPath(req.path);
    if (methods.length === 0) return next();
    res.setHeader('Allow', [...methods, 'OPTIONS'].join(', '));
    res.status(204).end();
  };

const healthAnswer = z
  .object({
    status: z.enum(['up', 'down']),
    components: z.record(
      z.string(),
      z
        .looseObject({
          status: z.enum(['up', 'down']),
          error: z.string().optional().meta({ description: 'Pourquoi le composant est en panne' }),
        })
        .meta({ description: 'Un composant (magasin d’événements, Temporal, projections…) et ses détails' }),
    ),
  })
  .meta({ description: '`up` quand tous les composants répondent, `down` sinon' });

/**
 * The public probes, documented when the app serves them (api.ts mounts them, tests' apps may not):
 * the document is the API's reference, for monitors too.
 */
const operationalRoutes: { path: string; route: (openapi: ApiDocumentation) => RouteConfig }[] = [
  {
    path: '/health',
    route: (openapi) => ({
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      summary: 'Santé du moteur : chaque composant, en service ou en panne (sans authentification)',
      responses: {
        200: {
          description: 'Tous les composants répondent',
          content: { 'application/json': { schema: healthAnswer } },
        },
        503: {
          description: 'Un composant au moins est en panne (le même document, `status: down`)',
          content: { 'application/json': { schema: healthAnswer } },
        },
        ...openapi.problemResponses(500),
      },
    }),
  },
  {
    path: '/metrics',
    route: (openapi) => ({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary:
        'Métriques au format texte de Prometheus (retard des projections, collecteurs…), sans authentification',
      responses: {
        200: {
          description: 'Format d’exposition texte de Prometheus, version 0.0.4',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        ...openapi.problemResponses(500),
      },
    }),
  },
];

interface ListedRoute {
  path: unknown;
  methods?: string[];
  router?: unknown;
}

/**
 * Whether the app routes GET `path` to a handler: router 2.3's `listRoutes()` through the routers
 * mounted on it (string paths only; a router without `listRoutes` counts as serving nothing).
 */
function servesGet(router: unknown, path: string, prefix = ''): boolean {
  const list = (router as { listRoutes?: () => ListedRoute[] }).listRoutes;
  if (typeof list !== 'function') return false;
  return list.call(router).some((route) => {
    if (typeof route.path !== 'string') return false;
    const full = `${prefix}${route.path === '/' ? '' : route.path}`;
    if (route.router !== undefined) return servesGet(route.router, path, full);
    return full === path && (route.methods?.includes('GET') ?? false);
  });
}

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
  const openapi = createApiDocumentation(options.api ?? { title: 'API des subventions', version: '0.1.0' });
  app.use(optionsFromDocument(openapi));
  app.use(express.json({ limit: options.jsonLimit ?? '256kb' }));

  const auth = createAuthenticator(options.auth, options.logger, {
    ...(options.verifiedTokens === undefined ? {} : { verifiedTokens: options.verifiedTokens }),
  });
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
      for (const { path, route } of operationalRoutes)
        if (servesGet(app.router, path)) openapi.registerRoute(route(openapi));
      app.use(openapi.router());
      // Every documented path also answers OPTIONS (optionsFromDocument): the 405's Allow says so too.
      app.use(
        routeNotFoundHandler((path) => {
          const methods = openapi.methodsOfPath(path);
          return methods.length === 0 ? [] : [...methods, 'OPTIONS'];
        }),
      );
      app.use(problemErrorHandler({ callerOf }));
      return app;
    },
  };
}
