// A small API on the platform, served on a real port, with its log lines captured: every test goes
// through HTTP as a client would.
import { Router } from 'express';
import { pino } from 'pino';
import { expect } from 'vitest';
import { z } from 'zod';
import { WrongExpectedVersionError } from '../../infra/eventstore/errors';
import type { Logger } from '../../infra/logging/logger';
import { ProjectionWaitTimeoutError } from '../../infra/projections/projector';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { type HttpPlatform, createHttpPlatform } from '../../services/http/platform/app';
import { type AuthSettings, principalOf } from '../../services/http/platform/auth';
import { parseIfMatch, setETag } from '../../services/http/platform/etag';
import { NotFoundError } from '../../services/http/platform/problem';
import { parseBody, parseRequest } from '../../services/http/platform/validate';

export const testSecret = 'secret-de-test-secret-de-test-0123456789';

export interface LogCapture {
  logger: Logger;
  lines: () => Record<string, unknown>[];
}

export function captureLogs(): LogCapture {
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => raw.push(line) });
  return { logger, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const thingSchema = z.object({
  title: z.string().min(3),
  amountCents: z.number().int().nonnegative(),
  porteur: z.strictObject({ siret: z.string().regex(/^\d{14}$/, 'SIRET à 14 chiffres attendu') }).optional(),
});

export interface TestApi {
  url: string;
  platform: HttpPlatform;
  logs: LogCapture;
  close(): Promise<void>;
}

export async function startTestApi(
  auth: AuthSettings = { mode: 'embedded', secret: testSecret },
): Promise<TestApi> {
  const logs = captureLogs();
  const platform = createHttpPlatform({
    logger: logs.logger,
    auth,
    api: { title: 'API de test', version: '1.2.3' },
  });
  const router = Router();
  const { openapi } = platform;

  openapi.registerRoute({
    method: 'post',
    path: '/things',
    summary: 'Crée une chose',
    security: openapi.bearerSecurity,
    request: {
      body: { content: { 'application/json': { schema: openapi.registerSchema('Thing', thingSchema) } } },
    },
    responses: {
      201: { description: 'Créée', content: { 'application/json': { schema: thingSchema } } },
      ...openapi.problemResponses(400, 401, 403, 413),
    },
  });
  router.post('/things', platform.authenticate, platform.requireRole('grant_manager'), (req, res) => {
    res.status(201).json(parseBody(thingSchema, req));
  });

  openapi.registerRoute({
    method: 'get',
    path: '/things/{id}',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: { description: 'La chose' }, ...openapi.problemResponses(404) },
  });
  router.get('/things/:id', (req, res) => {
    const { params, query } = parseRequest(req, {
      params: z.object({ id: z.string().regex(/^\d+$/, 'identifiant numérique attendu') }),
      query: z.object({ verbose: z.enum(['true', 'false']).optional() }),
    });
    if (params.id !== '1') throw new NotFoundError(`La chose ${params.id} n’existe pas.`, 'THING_NOT_FOUND');
    setETag(res, 3n);
    res.json({ id: params.id, verbose: query.verbose === 'true' });
  });

  // What a command route reads of If-Match (the workflow then compares the revision).
  router.put('/things/:id', (req, res) => {
    const ifMatch = parseIfMatch(req.get('If-Match'));
    res.json(ifMatch.kind === 'revision' ? { ...ifMatch, revision: String(ifMatch.revision) } : ifMatch);
  });
  router.post('/things/:id/append', () => {
    throw new WrongExpectedVersionError('thing-1', 2n, 3n);
  });
  router.post('/things/:id/refuse', () => {
    // A domain refusal as domain/ would throw it: a plain object, no class from the HTTP floor.
    const refusal = {
      kind: 'domain',
      code: 'ENVELOPE_EXCEEDED',
      message: 'L’enveloppe du financeur est dépassée de 1 200 €.',
    };
    throw Object.assign(new Error(refusal.message), refusal);
  });
  router.get('/boom', () => {
    throw new Error('détail interne à ne jamais montrer');
  });
  router.get('/async-boom', async () => {
    await Promise.resolve();
    throw new TypeError('cannot read properties of undefined (secret)');
  });
  router.post('/raw-zod', (req, res) => {
    res.json(z.object({ count: z.number() }).parse(req.body));
  });
  router.post('/raw-zod-choice', (req, res) => {
    const position = z.discriminatedUnion('decision', [
      z.object({ decision: z.literal('committed') }),
      z.object({ decision: z.literal('declined') }),
    ]);
    res.json(z.object({ position, opinion: z.enum(['favourable', 'unfavourable']) }).parse(req.body));
  });
  // An error of the http-errors family (body-parser, raw-body) with a status the client caused.
  router.post('/client-error/:status', (req) => {
    throw Object.assign(new Error('refusé par un intergiciel'), {
      status: Number(req.params.status),
      expose: true,
    });
  });
  router.post('/things/:id/lagging', () => {
    throw new ProjectionWaitTimeoutError(12n, 10n, 100);
  });
  router.get('/logged', (req, res) => {
    // req.log, as pino-http gave it (a getter on the app's request prototype).
    (req as unknown as { log: Logger }).log.info({ route: 'logged' }, 'ligne écrite par req.log');
    res.json({ ok: true });
  });
  router.get('/whoami', platform.authenticate, (req, res) => {
    res.json(principalOf(req));
  });
  router.get('/no-auth-mounted', (req, res) => {
    res.json(principalOf(req));
  });

  platform.mount(router);
  const app = platform.finish();
  const server: RunningHttpServer = await listen(app, '127.0.0.1', 0);
  return { url: server.url, platform, logs, close: () => server.close() };
}

export async function problemOf(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}
