// The document's own guards and what the platform derives from it: one operationId per operation, no
// problem status the API never answers, OPTIONS answered from the document's methods, and the public
// probes (/health, /metrics) described when, and only when, the app serves them.
import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { healthRouter } from '../../services/http/health';
import { metricsRouter } from '../../services/http/metrics';
import { createHttpPlatform } from '../../services/http/platform/app';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { captureLogs, testSecret } from './support';

const newPlatform = () =>
  createHttpPlatform({ logger: captureLogs().logger, auth: { mode: 'embedded', secret: testSecret } });

interface Operation {
  operationId?: string;
  security?: unknown;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

describe('operations in the document', () => {
  it('refuses, at registration, an operationId or an operation given twice', () => {
    const { openapi } = newPlatform();
    const route = {
      method: 'get',
      path: '/a',
      operationId: 'getA',
      responses: { 200: { description: 'ok' } },
    } as const;
    openapi.registerRoute(route);
    expect(() => openapi.registerRoute({ ...route, path: '/b' })).toThrow(
      /operationId « getA » déjà pris par GET \/a : GET \/b/,
    );
    expect(() => openapi.registerRoute({ ...route, operationId: 'getAgain' })).toThrow(
      /déjà documentée : GET \/a/,
    );
    // Refused registrations leave nothing behind.
    openapi.registerRoute({ ...route, path: '/b', operationId: 'getB' });
    const paths = openapi.document().paths ?? {};
    expect(Object.keys(paths)).toEqual(['/a', '/b']);
    expect((paths['/b']?.get as Operation | undefined)?.operationId).toBe('getB');
  });

  it('lets no route claim a problem the API never answers (405, 409, 428)', () => {
    const { openapi } = newPlatform();
    for (const status of [405, 409, 428, 418])
      expect(() => openapi.problemResponses(400, status), String(status)).toThrow(
        new RegExp(`Statut ${status} `),
      );
    expect(Object.keys(openapi.problemResponses(400, 413, 415, 500, 503))).toEqual([
      '400',
      '413',
      '415',
      '500',
      '503',
    ]);
  });

  it('describes the shared request and response headers once, as components', () => {
    const { openapi } = newPlatform();
    openapi.registerRoute({
      method: 'post',
      path: '/things/{id}',
      operationId: 'changeThing',
      parameters: [openapi.headerParameters.ifMatch, openapi.headerParameters.idempotencyKey],
      request: { params: z.object({ id: z.string() }) },
      responses: { 200: { description: 'ok', headers: { ETag: openapi.responseHeaders.streamETag } } },
    });
    const doc = openapi.document();
    expect(doc.components?.parameters?.IfMatch).toMatchObject({
      name: 'If-Match',
      in: 'header',
      required: false,
    });
    expect(doc.components?.parameters?.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      schema: { pattern: '^[A-Za-z0-9_.:-]{8,128}$' },
    });
    expect(doc.components?.parameters?.IfNoneMatch).toMatchObject({ name: 'If-None-Match', in: 'header' });
    expect(Object.keys(doc.components?.headers ?? {}).sort()).toEqual([
      'AnswerETag',
      'Location',
      'StreamETag',
    ]);
    expect(JSON.stringify(doc.paths?.['/things/{id}'])).toContain('#/components/parameters/IfMatch');
  });
});

describe('OPTIONS and the public probes', () => {
  let served: RunningHttpServer;
  let bare: RunningHttpServer;
  const servedPlatform = newPlatform();
  const barePlatform = newPlatform();

  beforeAll(async () => {
    for (const platform of [servedPlatform, barePlatform]) {
      const router = Router();
      router.get('/things', (_req, res) => void res.json({ items: [] }));
      platform.mount(router);
      // Another router on the same path, as the query and command APIs share /api/applications.
      const writes = Router();
      writes.post('/things', (_req, res) => void res.status(201).json({}));
      platform.mount(writes);
      for (const method of ['get', 'post'] as const)
        platform.openapi.registerRoute({
          method,
          path: '/things',
          operationId: `${method}Things`,
          responses: { 200: { description: 'ok' } },
        });
    }
    servedPlatform.mount(healthRouter([]));
    servedPlatform.mount(metricsRouter({}));
    served = await listen(servedPlatform.finish(), '127.0.0.1', 0);
    bare = await listen(barePlatform.finish(), '127.0.0.1', 0);
  });
  afterAll(async () => {
    await served.close();
    await bare.close();
  });

  const options = (server: RunningHttpServer, path: string) =>
    fetch(`${server.url}${path}`, { method: 'OPTIONS' });

  it('answers OPTIONS with every documented method of the path, whichever router serves it', async () => {
    for (const path of ['/things', '/things/']) {
      const res = await options(served, path);
      expect(res.status, path).toBe(204);
      expect(res.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS');
      expect(await res.text()).toBe('');
    }
    const health = await options(served, '/health');
    expect(health.status).toBe(204);
    expect(health.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    // Another method still gets its 405, with the same methods.
    const put = await fetch(`${served.url}/things`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS');
  });

  it('keeps the 404 of an unknown path', async () => {
    const res = await options(served, '/nowhere');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    expect((await options(bare, '/health')).status).toBe(404);
  });

  it('documents /health and /metrics, without authentication, where the app serves them only', async () => {
    const doc = (await (await fetch(`${served.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const health = doc.paths['/health']?.get;
    expect(health?.operationId).toBe('getHealth');
    expect(health?.security).toBeUndefined();
    expect(Object.keys(health?.responses ?? {})).toEqual(['200', '500', '503']);
    expect(Object.keys(health?.responses['503']?.content ?? {})).toEqual(['application/json']);
    const metrics = doc.paths['/metrics']?.get;
    expect(metrics?.operationId).toBe('getMetrics');
    expect(Object.keys(metrics?.responses['200']?.content ?? {})).toEqual(['text/plain']);
    // What the document says /health answers is what it answers.
    expect(await (await fetch(`${served.url}/health`)).json()).toEqual({ status: 'up', components: {} });

    const bareDoc = (await (await fetch(`${bare.url}/api/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(bareDoc.paths)).toEqual(['/things']);
  });
});
