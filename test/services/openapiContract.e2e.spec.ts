// The OpenAPI document as an integrator reads it, checked against the whole engine (real HTTP, real
// JWTs, the Temporal dev server, a seeded demo): every operation named once, what each answers (bodies,
// headers, statuses) and what it takes (headers, whether a body is required), and the answers
// themselves, field for field, against the schemas the document is generated from.
import { request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { qpvReferenceSchema } from '../../domain/reference/qpv';
import { commandRoutes } from '../../services/commands/routes';
import { demoStages, seedDemo } from '../../services/demo/demoCampaign';
import {
  applicationDetailAnswer,
  applicationPageAnswer,
  campaignListAnswer,
  campaignSummaryAnswer,
  campaignViewAnswer,
  funderStatsAnswer,
  ledgerStatsAnswer,
  qpvStatsAnswer,
  reportListAnswer,
  stepAnswer,
  themeStatsAnswer,
} from '../../services/http/answerSchemas';
import { dossier } from '../support/fixtures';
import { openCampaignToday, startTestEngine, type RunningEngine } from './support/engine';

interface Parameter {
  $ref?: string;
  name?: string;
  in?: string;
}
interface Response {
  description: string;
  headers?: Record<string, { $ref?: string }>;
  content?: Record<string, { schema?: { $ref?: string } }>;
}
interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}
interface Problem {
  status: number;
  code: string;
  errors?: { in: string; path: string }[];
}

let e: RunningEngine;
let doc: Document;
let seeded: Awaited<ReturnType<typeof seedDemo>>;
const tokens: Record<'manager' | 'porteur' | 'etat' | 'council' | 'evaluator', string> = {
  manager: '',
  porteur: '',
  etat: '',
  council: '',
  evaluator: '',
};
const campaignId = 'camvs-contrat-openapi';
let created: Awaited<ReturnType<RunningEngine['call']>>;

const operations = (): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(
      ([method, op]) => [method.toUpperCase(), path, op] as [string, string, Operation],
    ),
  );
const operation = (method: string, path: string): Operation => {
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (op === undefined) throw new Error(`${method} ${path} absent du document`);
  return op;
};
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const tokenFor = (roles: readonly string[]) =>
  roles.includes('grant_manager')
    ? tokens.manager
    : roles.includes('porteur')
      ? tokens.porteur
      : roles.includes('funder')
        ? tokens.etat
        : tokens.council;

async function submit(): Promise<string> {
  const res = await e.call('POST', '/api/applications', {
    token: tokens.porteur,
    body: { campaignId, dossier: dossier({ durationYears: 2, perYear: { ETAT: 1_000_000, EPCI: 500_000 } }) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.headers.get('location')).toBe(
    `/api/applications/${(res.body as { state: { applicationId: string } }).state.applicationId}`,
  );
  return (res.body as { state: { applicationId: string } }).state.applicationId;
}

/** A GET answered once the read models hold what `ready` waits for. */
async function getWhen(path: string, token: string, ready: (body: unknown) => boolean) {
  const until = Date.now() + 30_000;
  for (;;) {
    const res = await e.call('GET', path, { token });
    if (res.status === 200 && ready(res.body)) return res;
    if (Date.now() > until)
      throw new Error(`${path} : ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  e = await startTestEngine();
  tokens.manager = await e.token({ role: 'grant_manager' });
  tokens.porteur = await e.token({ role: 'porteur', porteurId: 'asso-openapi' });
  tokens.etat = await e.token({ role: 'funder', institution: 'ETAT' });
  tokens.council = await e.token({ role: 'citizen_council' });
  tokens.evaluator = await e.token({ role: 'evaluator' });
  created = await openCampaignToday(e, tokens.manager, campaignId);
  seeded = await seedDemo(e.engine.grants, { count: demoStages.length });
  doc = (await e.call('GET', '/api/openapi.json')).body as Document;
}, 240_000);
afterAll(async () => {
  await e?.stop();
});

describe('the document', () => {
  it('names every operation once, commands after their step', () => {
    const all = operations();
    expect(all.length).toBeGreaterThanOrEqual(41);
    const ids = all.map(([method, path, op]) => op.operationId ?? `${method} ${path} sans operationId`);
    expect(ids.filter((id) => !/^[a-z][A-Za-z]+$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const byPath = Object.fromEntries(
      commandRoutes.map((r) => [openApiPath(r.path), operation('POST', openApiPath(r.path)).operationId]),
    );
    expect(byPath).toMatchObject({
      '/api/applications': 'submitApplication',
      '/api/applications/{id}/eligibility': 'declareEligibility',
      '/api/applications/{id}/positions': 'recordFunderPosition',
      '/api/applications/{id}/citizen-opinion': 'giveCitizenOpinion',
      '/api/campaigns': 'createCampaign',
    });
    expect(operation('GET', '/api/applications').operationId).toBe('listApplications');
    expect(operation('GET', '/api/campaigns/{id}/summary').operationId).toBe('getCampaignSummary');
    expect(operation('GET', '/api/audit/ledger').operationId).toBe('listLedgerEntries');
  });

  it('holds together: OpenAPI 3.1, every $ref resolves, every path parameter declared, every answer described', () => {
    expect(doc.openapi).toBe('3.1.0');
    const text = JSON.stringify(doc);
    const refs = new Set([...text.matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1] ?? ''));
    expect(refs.size).toBeGreaterThan(10);
    for (const ref of refs) {
      const target = ref
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc);
      expect(target, ref).toBeDefined();
    }
    const parameter = (p: Parameter): Parameter =>
      p.$ref === undefined ? p : (doc.components.parameters?.[p.$ref.split('/').pop() ?? ''] as Parameter);
    for (const [method, path, op] of operations()) {
      const declared = (op.parameters ?? []).map(parameter);
      for (const [, name] of path.matchAll(/\{(\w+)\}/g))
        expect(
          declared.some((p) => p.in === 'path' && p.name === name),
          `${method} ${path} {${name}}`,
        ).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${method} ${path} ${status}`).not.toBe('');
        if (status.startsWith('2'))
          expect(response.content, `${method} ${path} ${status}: corps décrit`).toBeDefined();
      }
    }
  });

  it('describes each command’s answer, headers and body as the route takes them', () => {
    for (const r of commandRoutes) {
      const path = openApiPath(r.path);
      const op = operation('POST', path);
      const creation = !r.path.includes(':id');
      const ok = op.responses[String(r.status ?? 200)];
      expect(ok?.content?.['application/json']?.schema?.$ref, path).toBe('#/components/schemas/StepAnswer');
      expect(Object.keys(ok?.headers ?? {}), path).toEqual(creation ? ['ETag', 'Location'] : ['ETag']);
      expect(
        op.parameters?.flatMap((p) => p.$ref ?? []),
        path,
      ).toEqual([
        ...(creation ? [] : ['#/components/parameters/IfMatch']),
        '#/components/parameters/IdempotencyKey',
      ]);
      expect(op.requestBody?.required, path).toBe(!r.body.safeParse({}).success);
    }
    expect(operation('POST', '/api/campaigns').responses['201']).toBeDefined();
    expect(operation('POST', '/api/applications/{id}/withdraw').requestBody?.required).toBe(false);
    expect(operation('POST', '/api/applications/{id}/eligibility').requestBody?.required).toBe(true);
    expect(doc.components.schemas?.StepAnswer).toMatchObject({ required: ['state', 'revision', 'allowed'] });
  });

  it('claims 413 and 415 on every JSON body, 500 and 503 everywhere, and never 409 nor 428', () => {
    for (const [method, path, op] of operations()) {
      const statuses = Object.keys(op.responses);
      const where = `${method} ${path}`;
      expect(statuses, where).toEqual(expect.arrayContaining(['500']));
      if (path !== '/metrics') expect(statuses, where).toContain('503');
      expect(statuses, where).not.toContain('409');
      expect(statuses, where).not.toContain('428');
      expect(statuses, where).not.toContain('405');
      if (op.requestBody?.content['application/json'] !== undefined)
        expect(statuses, where).toEqual(expect.arrayContaining(['413', '415']));
      // Every route but the public probes takes a bearer token.
      expect(op.security === undefined, where).toBe(path === '/health' || path === '/metrics');
    }
  });

  it('says which GET routes answer 304 to If-None-Match, and they do', async () => {
    const conditional = operations()
      .filter(([, , op]) => op.responses['304'] !== undefined)
      .map(([method, path]) => `${method} ${path}`)
      .sort();
    expect(conditional).toEqual(
      [
        '/api/applications',
        '/api/applications/{id}',
        '/api/campaigns',
        '/api/campaigns/{id}',
        '/api/campaigns/{id}/summary',
        '/api/stats/funders',
        '/api/stats/ledger',
        '/api/stats/qpv',
        '/api/stats/themes',
      ].map((path) => `GET ${path}`),
    );
    for (const entry of conditional) {
      const op = operation('GET', entry.slice(4));
      expect(
        op.parameters?.map((p) => p.$ref),
        entry,
      ).toContain('#/components/parameters/IfNoneMatch');
      expect(Object.keys(op.responses['200']?.headers ?? {}), entry).toEqual(['ETag']);
    }
    const id = seeded.applications[0]?.id ?? '';
    for (const path of [
      `/api/applications/${id}`,
      `/api/campaigns/${seeded.campaignId}`,
      '/api/campaigns',
      `/api/campaigns/${seeded.campaignId}/summary`,
      '/api/stats/qpv',
    ]) {
      // The demo is still being projected: an answer may change between two requests, not ten times.
      // Both requests through node:http: fetch asks for gzip (another representation, another tag) and
      // adds `Cache-Control: no-cache` to a conditional request, when Express's freshness check (the
      // details' 304) answers in full, as RFC 9111 lets it.
      const auth = { authorization: `Bearer ${tokens.manager}` };
      let again: Awaited<ReturnType<typeof plainRequest>> | undefined;
      for (let attempt = 0; attempt < 10 && again?.status !== 304; attempt += 1) {
        const first = await plainRequest('GET', path, auth);
        expect(first.status, path).toBe(200);
        const etag = first.headers.etag;
        expect(etag, path).toMatch(/^"[^"]+"$/);
        again = await plainRequest('GET', path, { ...auth, 'if-none-match': etag ?? '' });
        if (again.status !== 304) await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(again?.status, path).toBe(304);
      expect(again?.body, path).toBe('');
    }
  });

  it('documents /health and /metrics, as they answer', async () => {
    expect(operation('GET', '/health').operationId).toBe('getHealth');
    expect(operation('GET', '/metrics').operationId).toBe('getMetrics');
    const health = await e.call('GET', '/health');
    expect([200, 503]).toContain(health.status);
    expect(health.body).toMatchObject({ status: expect.stringMatching(/^(up|down)$/) as unknown });
    const metrics = await fetch(`${e.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
  });
});

describe('the answers, against the schemas the document is generated from', () => {
  /** Parsed as documented and nothing lost: a field the schema lacks would be stripped by the parse. */
  const expectDescribed = (schema: z.ZodType, body: unknown, where: string) => {
    const parsed = schema.safeParse(body);
    expect(parsed.error?.issues, where).toBeUndefined();
    expect(parsed.data, where).toEqual(body);
  };

  it('answers every query route with what its schema describes, field for field', async () => {
    const { campaignId: demo, running } = seeded;
    await getWhen(
      `/api/applications?campaignId=${demo}`,
      tokens.manager,
      (body) => (body as { total: number }).total === seeded.applications.length,
    );
    await getWhen(
      '/api/reports/overdue',
      tokens.manager,
      (body) => (body as { items: unknown[] }).items.length > 0,
    );
    const routes: [string, string, z.ZodType][] = [
      ['/api/applications', `/api/applications?campaignId=${demo}&limit=3`, applicationPageAnswer],
      ['/api/campaigns', '/api/campaigns', campaignListAnswer],
      ['/api/campaigns/{id}', `/api/campaigns/${demo}`, campaignViewAnswer],
      ['/api/campaigns/{id}/summary', `/api/campaigns/${demo}/summary`, campaignSummaryAnswer],
      ['/api/campaigns/{id}/summary', `/api/campaigns/${running.campaignId}/summary`, campaignSummaryAnswer],
      ['/api/stats/qpv', '/api/stats/qpv', qpvStatsAnswer],
      ['/api/stats/funders', '/api/stats/funders', funderStatsAnswer],
      ['/api/stats/themes', '/api/stats/themes', themeStatsAnswer],
      ['/api/stats/ledger', '/api/stats/ledger', ledgerStatsAnswer],
      ['/api/stats/ledger', '/api/stats/ledger?yearOf=convention', ledgerStatsAnswer],
      ['/api/reports/overdue', '/api/reports/overdue', reportListAnswer],
      ['/api/reports/upcoming', '/api/reports/upcoming?withinDays=366', reportListAnswer],
      ['/api/reference/qpv/{version}', '/api/reference/qpv/echantillon-camvs-1', qpvReferenceSchema],
      ...[...seeded.applications, ...running.applications].map(
        (a) =>
          ['/api/applications/{id}', `/api/applications/${a.id}`, applicationDetailAnswer] as [
            string,
            string,
            z.ZodType,
          ],
      ),
    ];
    for (const [documented, url, schema] of routes) {
      expect(
        operation('GET', documented).responses['200']?.content?.['application/json'],
        documented,
      ).toBeDefined();
      const res = await e.call('GET', url, { token: tokens.manager });
      expect(res.status, url).toBe(200);
      expectDescribed(schema, res.body, url);
    }
    const page = (
      await e.call('GET', `/api/applications?campaignId=${demo}&limit=3`, { token: tokens.manager })
    ).body as { items: unknown[]; nextCursor: string | null };
    expect(page.items).toHaveLength(3);
    expect(page.nextCursor).not.toBeNull();
    // Evaluators get the detail without the dossier as filed: `state` is optional in the schema.
    const forEvaluator = await e.call('GET', `/api/applications/${seeded.applications[0]?.id ?? ''}`, {
      token: tokens.evaluator,
    });
    expect(forEvaluator.body).not.toHaveProperty('state');
    expectDescribed(applicationDetailAnswer, forEvaluator.body, 'évaluateur');
  }, 120_000);

  it('answers a creation with StepAnswer, its ETag and Location', () => {
    expectDescribed(stepAnswer, created.body, 'POST /api/campaigns');
    expect(created.headers.get('location')).toBe(`/api/campaigns/${campaignId}`);
    expect(created.headers.get('etag')).toBe(`"${(created.body as { revision: string }).revision}"`);
  });
});

describe('a command sent with no body at all', () => {
  const noBody = (path: string, token: string, headers: Record<string, string> = {}) =>
    fetch(`${e.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers } });

  it('reads as {} where the body has no required field, and names each missing field where it has', async () => {
    const id = await submit();
    // Closing the campaign would end the test's submissions; withdrawing is the application's last step.
    const routes = commandRoutes
      .filter((r) => r.path !== '/api/campaigns/:id/close')
      .sort((a, b) => Number(a.path.endsWith('/withdraw')) - Number(b.path.endsWith('/withdraw')));
    for (const r of routes) {
      const path = r.path.replace(':id', r.kind === 'campaign' ? campaignId : id).replace(':year', '1');
      const res = await noBody(path, tokenFor(r.roles));
      const problem = (res.status >= 400 ? await res.json() : undefined) as Problem | undefined;
      const where = `${r.path} → ${res.status} ${JSON.stringify(problem)}`;
      const required = operation('POST', openApiPath(r.path)).requestBody?.required;
      if (required === true) {
        expect(res.status, where).toBe(400);
        expect(problem?.code, where).toBe('VALIDATION_FAILED');
        // Each error names a field of the body, never the body as a whole.
        expect(problem?.errors?.length, where).toBeGreaterThan(0);
        expect(
          problem?.errors?.filter((f) => f.in !== 'body' || f.path === ''),
          where,
        ).toEqual([]);
      } else {
        expect(required, where).toBe(false);
        expect(problem?.code, where).not.toBe('VALIDATION_FAILED');
        expect([200, 201, 422], where).toContain(res.status);
      }
    }
    const withdrawn = await e.call('GET', `/api/applications/${id}`, { token: tokens.porteur });
    expect((withdrawn.body as { state: { status: string } }).state.status).toBe('withdrawn');
  }, 120_000);

  it('answers the withdrawal 200 with its StepAnswer, sent as curl -X POST sends it (no Content-Length)', async () => {
    const id = await submit();
    const res = await plainRequest('POST', `/api/applications/${id}/withdraw`, {
      authorization: `Bearer ${tokens.porteur}`,
    });
    expect(res.status, res.body).toBe(200);
    expect(res.headers.etag).toMatch(/^"\d+"$/);
    expectDescribedStep(JSON.parse(res.body));
  });

  it('reads an empty request of any declared type as {}, still refuses a body of another type (415)', async () => {
    const id = await submit();
    const empty = await noBody(`/api/applications/${id}/withdraw`, tokens.porteur, {
      'content-type': 'text/plain',
    });
    expect(empty.status).toBe(200);
    const typed = await fetch(`${e.url}/api/applications/${id}/citizen-opinion`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.council}`, 'content-type': 'text/plain' },
      body: 'favourable',
    });
    expect(typed.status).toBe(415);
    const position = await noBody(`/api/applications/${id}/positions`, tokens.etat);
    expect(((await position.json()) as Problem).errors?.map((f) => f.path)).toEqual(['position']);
  });
});

/** A request with only the headers given (no body, no Content-Length, no Cache-Control), as curl sends it. */
function plainRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${e.url}${path}`, { method, headers });
    req.on('response', (answer) => {
      let body = '';
      answer.on('data', (chunk: Buffer) => (body += chunk.toString()));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function expectDescribedStep(body: unknown): void {
  const parsed = stepAnswer.safeParse(body);
  expect(parsed.error?.issues).toBeUndefined();
  expect(parsed.data).toEqual(body);
}

describe('OPTIONS', () => {
  it('answers from the document: every method of the path, 404 where none', async () => {
    const options = (path: string) => fetch(`${e.url}${path}`, { method: 'OPTIONS' });
    for (const [path, allow] of [
      ['/api/applications', 'GET, HEAD, POST, OPTIONS'],
      ['/api/applications/01JA8Q3X3N6M0W9Y6Z1C2B3D4E', 'GET, HEAD, OPTIONS'],
      ['/api/applications/01JA8Q3X3N6M0W9Y6Z1C2B3D4E/withdraw', 'POST, OPTIONS'],
      ['/api/campaigns', 'GET, HEAD, POST, OPTIONS'],
      ['/api/audit/verify', 'POST, OPTIONS'],
      ['/health', 'GET, HEAD, OPTIONS'],
    ]) {
      const res = await options(path ?? '');
      expect(res.status, path).toBe(204);
      expect(res.headers.get('allow'), path).toBe(allow);
    }
    const unknown = await options('/api/nowhere');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Problem).code).toBe('ROUTE_NOT_FOUND');
  });
});
