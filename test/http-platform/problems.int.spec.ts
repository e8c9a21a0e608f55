// Every refusal is an RFC 9457 problem document, through real HTTP; nothing the client sends can
// produce a 500, and a 500 never shows its stack or message.
import { request } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { Router } from 'express';
import { createHttpPlatform } from '../../services/http/platform/app';
import { listen } from '../../services/http/server';
import { type TestApi, captureLogs, problemOf, startTestApi, testSecret } from './support';

describe('problem details', () => {
  let api: TestApi;
  let managerToken: string;

  beforeAll(async () => {
    api = await startTestApi();
    managerToken = await mintDevelopmentToken({
      secret: testSecret,
      role: 'grant_manager',
      institution: 'EPCI',
    });
  });
  afterAll(() => api.close());

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${managerToken}`, ...headers },
      body,
    });

  it('accepts a valid body', async () => {
    const response = await post('/things', JSON.stringify({ title: 'Atelier', amountCents: 120000 }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ title: 'Atelier', amountCents: 120000 });
  });

  it('400 names every bad field, in French, with its path and pointer', async () => {
    const response = await post(
      '/things',
      JSON.stringify({ title: 'A', amountCents: 1.5, porteur: { siret: '123' }, extra: true }),
      { 'x-correlation-id': 'req-400' },
    );
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({
      type: '/api/docs#problem-validation',
      title: 'Requête invalide',
      status: 400,
      code: 'VALIDATION_FAILED',
      instance: '/things',
      correlationId: 'req-400',
    });
    const errors = problem.errors as {
      in: string;
      path: string;
      pointer: string;
      code: string;
      message: string;
    }[];
    expect(errors.map((e) => e.path).sort()).toEqual(['amountCents', 'extra', 'porteur.siret', 'title']);
    expect(errors.find((e) => e.path === 'extra')).toMatchObject({
      in: 'body',
      pointer: '#/extra',
      code: 'unrecognized_keys',
      message: expect.stringMatching(/non reconnu/) as unknown,
    });
    expect(errors.find((e) => e.path === 'porteur.siret')).toMatchObject({
      pointer: '#/porteur/siret',
      message: 'SIRET à 14 chiffres attendu',
    });
    expect(errors.find((e) => e.path === 'title')?.message).toBe('3 caractères au moins.');
    expect(errors.find((e) => e.path === 'amountCents')?.message).toMatch(/entier attendu/);
    expect(problem.detail).toMatch(/^body\./);
  });

  it('says a missing field, a number out of bounds or not whole as a person would', async () => {
    const messages = async (body: unknown) => {
      const problem = await problemOf(await post('/things', JSON.stringify(body)));
      return Object.fromEntries(
        (problem.errors as { path: string; message: string }[]).map((e) => [e.path, e.message]),
      );
    };
    expect(await messages({ amountCents: 1 })).toEqual({ title: 'Champ obligatoire.' });
    expect(await messages({ title: 'Atelier', amountCents: -5 })).toEqual({
      amountCents: 'Doit être au moins 0.',
    });
    expect(await messages({ title: 'Atelier', amountCents: 1.5 })).toEqual({
      amountCents: 'Nombre entier attendu.',
    });
    expect(await messages({ title: 'Atelier', amountCents: 'cent' })).toEqual({
      amountCents: 'Nombre attendu.',
    });
  });

  it('400 for an unknown field nested in a strict object', async () => {
    const response = await post(
      '/things',
      JSON.stringify({ title: 'Atelier', amountCents: 1, porteur: { siret: '12345678901234', rna: 'W1' } }),
    );
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([
      expect.objectContaining({ path: 'porteur.rna', pointer: '#/porteur/rna', code: 'unrecognized_keys' }),
    ]);
  });

  it('400 for params and query together, each error in its place', async () => {
    const response = await fetch(`${api.url}/things/abc?verbose=maybe&unknown=1`);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    const errors = problem.errors as { in: string; path: string }[];
    expect(errors.map((e) => `${e.in}:${e.path}`).sort()).toEqual([
      'params:id',
      'query:unknown',
      'query:verbose',
    ]);
  });

  it('400 in French for a ZodError a handler let through without validate.ts', async () => {
    const response = await post('/raw-zod', JSON.stringify({ count: 'three' }));
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([
      {
        in: 'body',
        path: 'count',
        pointer: '#/count',
        code: 'invalid_type',
        message: 'Entrée invalide : nombre attendu',
      },
    ]);
  });

  it('400 in French for a ZodError with a refused choice, listing what is accepted', async () => {
    const response = await post('/raw-zod-choice', JSON.stringify({ position: { decision: 'peut-être' } }));
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([
      expect.objectContaining({
        path: 'position.decision',
        code: 'invalid_union',
        message: 'Valeurs possibles : committed, declined.',
      }),
      expect.objectContaining({ path: 'opinion', message: 'Valeurs possibles : favourable, unfavourable.' }),
    ]);
  });

  it('400 for malformed JSON', async () => {
    const response = await post('/things', '{"title": "Atelier",');
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({
      code: 'MALFORMED_JSON',
      type: '/api/docs#problem-malformedJson',
    });
  });

  it('400 for JSON that is not an object, saying so (null is JSON, just not a body)', async () => {
    for (const body of ['null', '42', '"texte"']) {
      const problem = await problemOf(await post('/things', body));
      expect(problem).toMatchObject({ code: 'MALFORMED_JSON' });
      expect(problem.detail).toBe(`Le corps de la requête doit être un objet JSON ({ … }), pas ${body}.`);
    }
  });

  it('413 for a body over the limit', async () => {
    const response = await post('/things', JSON.stringify({ title: 'x'.repeat(300 * 1024), amountCents: 1 }));
    expect(response.status).toBe(413);
    expect(await problemOf(response)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('never answers 500 to bad input', async () => {
    const bodies: [string, Record<string, string>][] = [
      ['null', {}],
      ['[]', {}],
      ['"texte"', {}],
      ['42', {}],
      ['{"__proto__": {"admin": true}, "title": "Atelier", "amountCents": 1}', {}],
      ['{"constructor": {"prototype": {}}}', {}],
      ['['.repeat(5000) + ']'.repeat(5000), {}],
      ['{"title": "\ud800", "amountCents": 1e400}', {}],
      ['{}', { 'content-type': 'application/json; charset=latin1' }],
      ['\xff\xfe', {}],
      ['', {}],
    ];
    for (const [body, headers] of bodies) {
      const response = await post('/things', body, headers);
      expect(response.status, body.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(response.status, body.slice(0, 40)).toBeLessThan(500);
      await problemOf(response);
    }
  });

  it('400 for a body that is not in its Content-Encoding, 415 for an encoding not decoded; never a 500', async () => {
    const body = JSON.stringify({ title: 'Atelier', amountCents: 1 });
    // Compressed as announced: read as any other body.
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const response = await post('/things', compress(Buffer.from(body)), { 'content-encoding': encoding });
      expect(response.status, encoding).toBe(201);
    }
    const corrupt: [string, string | Buffer][] = [
      ['br', '{}'],
      ['deflate', '{}'],
      ['gzip', '{}'],
      ['gzip', gzipSync(Buffer.from(body)).subarray(0, 20)],
      ['GZip', Buffer.concat([gzipSync(Buffer.from(body)).subarray(0, 12), Buffer.from('garbage')])],
    ];
    for (const [encoding, sent] of corrupt) {
      const response = await post('/things', sent, {
        'content-encoding': encoding,
        'x-correlation-id': 'encodage-corrompu',
      });
      expect(response.status, encoding).toBe(400);
      const problem = await problemOf(response);
      expect(problem, encoding).toMatchObject({
        type: '/api/docs#problem-badRequest',
        code: 'BODY_DECOMPRESSION_FAILED',
      });
      expect(problem.detail).toContain(`Content-Encoding (« ${encoding.toLowerCase()} »)`);
    }
    for (const encoding of ['compress', 'identity, gzip', 'x-zip']) {
      const response = await post('/things', body, {
        'content-encoding': encoding,
        'x-correlation-id': 'encodage-inconnu',
      });
      expect(response.status, encoding).toBe(415);
      const problem = await problemOf(response);
      expect(problem, encoding).toMatchObject({
        type: '/api/docs#problem-unsupportedMediaType',
        code: 'UNSUPPORTED_CONTENT_ENCODING',
      });
      expect(problem.detail).toMatch(
        /^Content-Encoding « .+ » non pris en charge : .*identity, gzip, deflate, br/,
      );
    }
    const latin1 = await post('/things', body, { 'content-type': 'application/json; charset=latin1' });
    expect(latin1.status).toBe(415);
    expect((await problemOf(latin1)).detail).toBe(
      'Jeu de caractères « latin1 » non pris en charge : envoyez du JSON en UTF-8.',
    );
    // Refusals, not bugs: logged at info as such, never as an unexpected error.
    const logged = api.logs
      .lines()
      .filter((l) => l.correlationId === 'encodage-corrompu' || l.correlationId === 'encodage-inconnu');
    expect(logged.filter((l) => l.msg === 'requête refusée')).toHaveLength(corrupt.length + 3);
    expect(logged.filter((l) => l.msg === 'erreur inattendue')).toEqual([]);
  });

  it('answers a client error of the body parser’s family with its own status, 400 when it has no problem type', async () => {
    for (const [status, expected, code] of [
      [400, 400, 'UNREADABLE_REQUEST'],
      [403, 403, 'FORBIDDEN'],
      [413, 413, 'PAYLOAD_TOO_LARGE'],
      [415, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [418, 400, 'UNREADABLE_REQUEST'],
    ] as const) {
      const response = await post(`/client-error/${status}`, '{}');
      expect(response.status, String(status)).toBe(expected);
      const problem = await problemOf(response);
      expect(problem, String(status)).toMatchObject({ status: expected, code });
      expect(problem.detail).not.toContain('intergiciel');
    }
  });

  it('415 for a body that is not JSON', async () => {
    const response = await post('/things', 'title=Atelier', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(415);
    expect(await problemOf(response)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('415 for a body sent without Content-Type (curl -H "content-type:"), not « body : Champ obligatoire »', async () => {
    const body = JSON.stringify({ title: 'Atelier', amountCents: 1 });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // fetch would label a string body text/plain: node:http sends only the headers given.
      const req = request(`${api.url}/things`, {
        method: 'POST',
        headers: { authorization: `Bearer ${managerToken}`, 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status, answer.body).toBe(415);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'Corps envoyé sans Content-Type : envoyez du JSON (Content-Type: application/json).',
    });
  });

  it('503 with Retry-After when the views lag behind a write', async () => {
    const response = await post('/things/1/lagging', '{}');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await problemOf(response)).toMatchObject({
      code: 'READ_MODEL_LAGGING',
      type: '/api/docs#problem-unavailable',
    });
  });

  it('400, not 500, for a path parameter whose %-encoding is broken', async () => {
    for (const path of ['/things/%ZZ', '/things/%E0', '/things/%ZZ/append']) {
      const response = await fetch(`${api.url}${path}`, { method: path.endsWith('append') ? 'POST' : 'GET' });
      expect(response.status, path).toBe(400);
      expect(await problemOf(response)).toMatchObject({
        code: 'MALFORMED_PATH',
        detail: expect.stringContaining('mal encodé') as unknown,
      });
    }
  });

  it('405 with Allow for a documented path asked with another method, naming the methods it takes', async () => {
    const list = await fetch(`${api.url}/things`, { headers: { 'x-correlation-id': 'req-405' } });
    expect(list.status).toBe(405);
    expect(list.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await problemOf(list)).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      type: '/api/docs#problem-methodNotAllowed',
      detail: '/things ne répond pas à GET : seulement à POST.',
      correlationId: 'req-405',
    });
    const one = await fetch(`${api.url}/things/42/`, { method: 'DELETE' });
    expect(one.status).toBe(405);
    expect(one.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    // Below a documented path, or undocumented: still an unknown route.
    expect((await fetch(`${api.url}/things/42/43`, { method: 'DELETE' })).status).toBe(404);
  });

  it('404 problem for an unknown route, and for a missing resource with its own code', async () => {
    const route = await fetch(`${api.url}/nowhere?x=1`);
    expect(route.status).toBe(404);
    expect(await problemOf(route)).toMatchObject({ code: 'ROUTE_NOT_FOUND', instance: '/nowhere?x=1' });
    const thing = await fetch(`${api.url}/things/42`);
    expect(thing.status).toBe(404);
    expect(await problemOf(thing)).toMatchObject({
      code: 'THING_NOT_FOUND',
      detail: 'La chose 42 n’existe pas.',
      type: '/api/docs#problem-notFound',
    });
  });

  it('422 carries the domain code and French message', async () => {
    const response = await post('/things/1/refuse', '{}');
    expect(response.status).toBe(422);
    expect(await problemOf(response)).toMatchObject({
      status: 422,
      code: 'ENVELOPE_EXCEEDED',
      detail: 'L’enveloppe du financeur est dépassée de 1 200 €.',
      type: '/api/docs#problem-domainRefusal',
    });
  });

  it('ETag / If-Match: a strong tag read as a revision, `*` as any, a weak tag 412, anything else 400', async () => {
    const get = await fetch(`${api.url}/things/1`);
    expect(get.headers.get('etag')).toBe('"3"');
    const put = (ifMatch?: string) =>
      fetch(`${api.url}/things/1`, {
        method: 'PUT',
        headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
      });
    expect(await (await put(' "3" ')).json()).toEqual({ kind: 'revision', revision: '3' });
    expect(await (await put('*')).json()).toEqual({ kind: 'any' });
    expect(await (await put()).json()).toEqual({ kind: 'absent' });
    const weak = await put('W/"3"');
    expect(weak.status).toBe(412);
    expect((await problemOf(weak)).code).toBe('IF_MATCH_WEAK');
    for (const unreadable of ['"1", "3"', '3', '"-1"', '"03"']) {
      const refused = await put(unreadable);
      expect(refused.status, unreadable).toBe(400);
      expect((await problemOf(refused)).code).toBe('IF_MATCH_INVALID');
    }
  });

  it('the store’s concurrency error is 409 without If-Match, 412 with it', async () => {
    const plain = await post('/things/1/append', '{}');
    expect(plain.status).toBe(409);
    expect(await problemOf(plain)).toMatchObject({ code: 'CONCURRENCY_CONFLICT' });
    const conditional = await post('/things/1/append', '{}', { 'if-match': '"2"' });
    expect(conditional.status).toBe(412);
  });

  it('500 without stack or internal message, logged with its stack', async () => {
    for (const path of ['/boom', '/async-boom']) {
      const response = await fetch(`${api.url}${path}`, {
        headers: { 'x-correlation-id': `boom-${path.length}` },
      });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toMatch(/secret|détail interne|at .*\.ts|stack/);
      expect(JSON.parse(text)).toMatchObject({
        status: 500,
        code: 'INTERNAL_ERROR',
        detail: 'Une erreur interne est survenue.',
      });
      const logged = api.logs
        .lines()
        .find((l) => l.msg === 'erreur inattendue' && l.correlationId === `boom-${path.length}`);
      expect((logged?.err as { stack?: string } | undefined)?.stack).toMatch(/at /);
    }
  });

  it('sets the security headers and no x-powered-by', async () => {
    const response = await fetch(`${api.url}/things/1`);
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('echoes a sane correlation id, replaces an unsafe one with a ULID, binds it to the logs', async () => {
    const sane = await fetch(`${api.url}/things/1`, {
      headers: { 'x-correlation-id': 'console-01J9Z.abc:1' },
    });
    expect(sane.headers.get('x-correlation-id')).toBe('console-01J9Z.abc:1');
    for (const unsafe of ['../../etc/passwd', 'a'.repeat(200), 'deux mots']) {
      const response = await fetch(`${api.url}/nowhere`, { headers: { 'x-correlation-id': unsafe } });
      const id = response.headers.get('x-correlation-id');
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect((await problemOf(response)).correlationId).toBe(id);
    }
    const generated = await fetch(`${api.url}/things/1`);
    const id = generated.headers.get('x-correlation-id');
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(
      api.logs
        .lines()
        .some(
          (l) => l.correlationId === id && (l.res as { statusCode?: number } | undefined)?.statusCode === 200,
        ),
    ).toBe(true);
    await fetch(`${api.url}/logged`, { headers: { 'x-correlation-id': 'par-req-log' } });
    const lines = api.logs.lines().filter((l) => l.correlationId === 'par-req-log');
    expect(lines.map((l) => l.msg)).toEqual([
      'ligne écrite par req.log',
      expect.stringMatching(/^GET \/logged → 200 \(\d+ ms\)$/),
    ]);
  });

  it('logs a read at debug, a write that succeeded at info (the decisions), a failure by its kind', async () => {
    const levelOf = (id: string) => api.logs.lines().find((l) => l.correlationId === id && 'res' in l)?.level;
    await fetch(`${api.url}/things/1`, { headers: { 'x-correlation-id': 'lecture' } });
    const written = await post('/things', JSON.stringify({ title: 'Atelier', amountCents: 1 }), {
      'x-correlation-id': 'ecriture',
    });
    expect(written.status).toBe(201);
    await post('/things', '{', { 'x-correlation-id': 'refus' });
    expect([levelOf('lecture'), levelOf('ecriture'), levelOf('refus')]).toEqual([20, 30, 30]);
  });

  it('logs at warn a health check answering 503 (it reports an outage) and a 503 with Retry-After (announced), another 503 at error', async () => {
    const logs = captureLogs();
    const platform = createHttpPlatform({
      logger: logs.logger,
      auth: { mode: 'embedded', secret: testSecret },
    });
    const router = Router();
    router.get(['/health', '/elsewhere'], (_req, res) => void res.status(503).json({ status: 'down' }));
    router.get(
      '/later',
      (_req, res) => void res.status(503).set('Retry-After', '5').json({ status: 'later' }),
    );
    platform.mount(router);
    const server = await listen(platform.finish(), '127.0.0.1', 0);
    try {
      for (const path of ['/health', '/elsewhere', '/later'])
        await fetch(`${server.url}${path}`, { headers: { 'x-correlation-id': path.slice(1) } });
    } finally {
      await server.close();
    }
    const levelOf = (id: string) => logs.lines().find((l) => l.correlationId === id && 'res' in l)?.level;
    expect([levelOf('health'), levelOf('elsewhere'), levelOf('later')]).toEqual([40, 50, 40]);
  });
});
