// The OpenAPI document is generated from the routes' zod schemas and served with its reader page.
import { Script } from 'node:vm';
import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listen } from '../../services/http/server';
import { formatPrometheus, metricsRouter, projectorMetrics } from '../../services/http/metrics';
import { createHttpPlatform } from '../../services/http/platform/app';
import { type TestApi, captureLogs, startTestApi, testSecret } from './support';

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<string, { requestBody?: unknown; responses: Record<string, unknown>; security?: unknown }>
  >;
  components: {
    schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
    securitySchemes: Record<string, unknown>;
  };
  'x-problem-types': { kind: string; status: number; code: string; type: string }[];
}

describe('OpenAPI document and docs page', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('serves an OpenAPI 3.1 document built from the registered routes', async () => {
    const response = await fetch(`${api.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as OpenApiDoc;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'API de test', version: '1.2.3' });
    expect(Object.keys(doc.paths).sort()).toEqual(['/things', '/things/{id}']);
    const post = doc.paths['/things']?.post;
    expect(post?.security).toEqual([{ bearerAuth: [] }]);
    expect(JSON.stringify(post?.requestBody)).toContain('#/components/schemas/Thing');
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403', '413']);
    expect(JSON.stringify(post?.responses['400'])).toContain('application/problem+json');
    expect(doc.components.schemas.Thing?.required).toEqual(['title', 'amountCents']);
    expect(Object.keys(doc.components.schemas.Problem?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'type',
        'title',
        'status',
        'detail',
        'code',
        'instance',
        'correlationId',
        'errors',
      ]),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc['x-problem-types']).toContainEqual({
      kind: 'domainRefusal',
      type: '/api/docs#problem-domainRefusal',
      status: 422,
      title: 'Action refusée par les règles de gestion',
      code: 'DOMAIN_REFUSAL',
    });
  });

  it('serves the docs page, its script and style, from the same origin only', async () => {
    const page = await fetch(`${api.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script src="/api/docs/docs.js" defer></script>');
    expect(html).toContain('API de test');
    expect(html).not.toMatch(/https?:\/\//);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`${api.url}/api/docs/docs.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const source = await script.text();
    expect(source).toContain("fetch('/api/openapi.json')");
    expect(source).not.toContain('innerHTML');
    // Compiles (without running: it needs a browser).
    expect(() => new Script(source)).not.toThrow();
    const style = await fetch(`${api.url}/api/docs/docs.css`);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('names a module-level schema without .openapi() and mounts nothing after finish()', () => {
    const platform = createHttpPlatform({
      logger: captureLogs().logger,
      auth: { mode: 'embedded', secret: testSecret },
    });
    const early = z.object({ a: z.string().meta({ description: 'un champ' }) });
    platform.openapi.registerSchema('Early', early);
    platform.openapi.registerRoute({
      method: 'get',
      path: '/early',
      responses: { 200: { description: 'ok', content: { 'application/json': { schema: early } } } },
    });
    const doc = platform.openapi.document() as unknown as OpenApiDoc;
    expect(doc.components.schemas.Early?.properties?.a).toMatchObject({
      type: 'string',
      description: 'un champ',
    });
    expect(JSON.stringify(doc.paths['/early'])).toContain('#/components/schemas/Early');
    platform.finish();
    expect(() => platform.mount(Router())).toThrow(/finish/);
  });
});

describe('metrics', () => {
  it('writes the Prometheus text format, bigint exactly, labels escaped', () => {
    expect(
      formatPrometheus([
        {
          name: 'grants_projection_lag_events',
          help: 'Lag.\nSecond line',
          type: 'gauge',
          samples: [
            { labels: { projection_set: 'read-models' }, value: 12345678901234567890n },
            { labels: { projection_set: 'a"b\\c' }, value: 0.5 },
            { value: Number.POSITIVE_INFINITY },
          ],
        },
      ]),
    ).toBe(
      [
        '# HELP grants_projection_lag_events Lag.\\nSecond line',
        '# TYPE grants_projection_lag_events gauge',
        'grants_projection_lag_events{projection_set="read-models"} 12345678901234567890',
        'grants_projection_lag_events{projection_set="a\\"b\\\\c"} 0.5',
        'grants_projection_lag_events +Inf',
        '',
      ].join('\n'),
    );
    expect(() => formatPrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow();
  });

  it('serves /metrics from the projector and reports a failing collector without failing the scrape', async () => {
    const platform = createHttpPlatform({
      logger: captureLogs().logger,
      auth: { mode: 'embedded', secret: testSecret },
    });
    platform.mount(
      metricsRouter({
        projections: projectorMetrics({
          name: 'read-models',
          checkpoint: () => 40n,
          lag: () => Promise.resolve(2n),
          isCaughtUp: () => false,
        }),
        broken: () => Promise.reject(new Error('indisponible')),
      }),
    );
    const server = await listen(platform.finish(), '127.0.0.1', 0);
    try {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('grants_projection_lag_events{projection_set="read-models"} 2\n');
      expect(text).toContain('grants_projection_checkpoint_position{projection_set="read-models"} 40\n');
      expect(text).toContain('grants_projection_caught_up{projection_set="read-models"} 0\n');
      expect(text).toContain('grants_metrics_collector_up{collector="projections"} 1\n');
      expect(text).toContain('grants_metrics_collector_up{collector="broken"} 0\n');
    } finally {
      await server.close();
    }
  });
});
