// Bearer JWTs through real HTTP: development tokens (HS256), a provider's JWKS served by a local
// server, and every refusal as a logged 401/403 problem.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../infra/config/config';
import { listen, type RunningHttpServer } from '../../services/http/server';
import {
  devSecretFileName,
  loadOrCreateDevSecret,
  mintDevelopmentToken,
  resolveAuthSettings,
} from '../../services/http/platform/auth';
import { type TestApi, problemOf, startTestApi, testSecret } from './support';

const hs256 = (claims: Record<string, unknown>, secret = testSecret, expires: string | number = '1h') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('grants-embedded')
    .setAudience('grants-api')
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));

describe('authentication with development tokens', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const whoami = (token: string | undefined, correlationId = randomUUID()) =>
    fetch(`${api.url}/whoami`, {
      headers: {
        'x-correlation-id': correlationId,
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    });

  it('accepts a minted token and exposes the principal', async () => {
    const funder = await mintDevelopmentToken({
      secret: testSecret,
      role: 'funder',
      institution: 'COMMUNE-59392',
      name: 'Mme Test',
    });
    const response = await whoami(funder);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      subject: 'dev-funder-COMMUNE-59392',
      role: 'funder',
      institution: 'COMMUNE-59392',
      name: 'Mme Test',
    });
    const porteur = await mintDevelopmentToken({
      secret: testSecret,
      role: 'porteur',
      porteurId: '21590392300013',
      subject: 'p-1',
    });
    expect(await (await whoami(porteur)).json()).toEqual({
      subject: 'p-1',
      role: 'porteur',
      porteurId: '21590392300013',
    });
  });

  it('refuses to mint a token the API would refuse', async () => {
    await expect(mintDevelopmentToken({ secret: testSecret, role: 'funder' })).rejects.toThrow(/institution/);
    await expect(
      mintDevelopmentToken({ secret: testSecret, role: 'funder', institution: 'COMMUNE-123' }),
    ).rejects.toThrow();
    await expect(mintDevelopmentToken({ secret: testSecret, role: 'porteur' })).rejects.toThrow(/porteurId/);
  });

  it.each([
    ['no token', undefined, 'TOKEN_MISSING'],
    ['garbage', 'not-a-jwt', 'TOKEN_INVALID'],
  ])('401 for %s, with WWW-Authenticate, logged', async (_label, token, code) => {
    const correlationId = randomUUID();
    const response = await whoami(token, correlationId);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await problemOf(response)).toMatchObject({
      status: 401,
      code,
      correlationId,
      type: '/api/docs#problem-unauthenticated',
    });
    expect(
      api.logs
        .lines()
        .some(
          (l) =>
            l.correlationId === correlationId &&
            l.level === 40 &&
            (l.auth as { code?: string })?.code === code,
        ),
    ).toBe(true);
  });

  it('401 for a malformed Authorization header', async () => {
    const response = await fetch(`${api.url}/whoami`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(await problemOf(response)).toMatchObject({ status: 401, code: 'TOKEN_MALFORMED' });
  });

  it('401 for an expired token, a wrong secret, another issuer, alg none, and claims that do not fit', async () => {
    const cases: [string, string, string][] = [
      ['expired', await hs256({ sub: 'a', role: 'auditor' }, testSecret, '10 minutes ago'), 'TOKEN_EXPIRED'],
      [
        'wrong secret',
        await hs256({ sub: 'a', role: 'auditor' }, 'un-autre-secret-un-autre-secret-0000'),
        'TOKEN_INVALID',
      ],
      [
        'other issuer',
        await new SignJWT({ sub: 'a', role: 'auditor' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('someone-else')
          .setAudience('grants-api')
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(testSecret)),
        'TOKEN_INVALID',
      ],
      [
        'no exp',
        await new SignJWT({ sub: 'a', role: 'auditor' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('grants-embedded')
          .setAudience('grants-api')
          .sign(new TextEncoder().encode(testSecret)),
        'TOKEN_INVALID',
      ],
      [
        'alg none',
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a', role: 'auditor', iss: 'grants-embedded', aud: 'grants-api', exp: 9999999999 })).toString('base64url')}.`,
        'TOKEN_INVALID',
      ],
      ['unknown role', await hs256({ sub: 'a', role: 'mayor' }), 'TOKEN_CLAIMS_INVALID'],
      ['funder without institution', await hs256({ sub: 'a', role: 'funder' }), 'TOKEN_CLAIMS_INVALID'],
      [
        'bad institution',
        await hs256({ sub: 'a', role: 'funder', institution: 'MAIRIE' }),
        'TOKEN_CLAIMS_INVALID',
      ],
      ['no subject', await hs256({ role: 'auditor' }), 'TOKEN_CLAIMS_INVALID'],
    ];
    for (const [label, token, code] of cases) {
      const response = await whoami(token);
      expect(response.status, label).toBe(401);
      expect((await problemOf(response)).code, label).toBe(code);
    }
    // A refused choice lists what is accepted, not zod's « Entrée invalide ».
    const detailOf = async (claims: Record<string, unknown>) =>
      (await problemOf(await whoami(await hs256(claims)))).detail;
    expect(await detailOf({ sub: 'a', role: 'mayor' })).toBe(
      'Le jeton ne porte pas les informations attendues (role : Valeur inconnue : « mayor ». Valeurs possibles : ' +
        'porteur, funder, grant_manager, citizen_council, auditor, evaluator.).',
    );
    expect(await detailOf({ sub: 'a' })).toMatch(/role : Champ obligatoire\. Valeurs possibles : porteur, /);
  });

  it('403 for a role that may not act, logged with who tried', async () => {
    const evaluator = await mintDevelopmentToken({ secret: testSecret, role: 'evaluator', subject: 'eva-1' });
    const correlationId = randomUUID();
    const response = await fetch(`${api.url}/things`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${evaluator}`,
        'content-type': 'application/json',
        'x-correlation-id': correlationId,
      },
      body: JSON.stringify({ title: 'Atelier', amountCents: 1 }),
    });
    expect(response.status).toBe(403);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ code: 'ROLE_NOT_ALLOWED', type: '/api/docs#problem-forbidden' });
    expect(problem.detail).toMatch(/évaluateur.*chargé de mission/);
    const logged = api.logs
      .lines()
      .find((l) => l.correlationId === correlationId && l.msg === 'accès refusé : rôle non autorisé');
    expect(logged?.auth).toMatchObject({ subject: 'eva-1', role: 'evaluator', allowed: ['grant_manager'] });
  });

  it('fails closed on a route that reads the principal without authenticate', async () => {
    const response = await fetch(`${api.url}/no-auth-mounted`);
    expect(response.status).toBe(401);
  });
});

describe('authentication against a provider’s JWKS', () => {
  let jwks: RunningHttpServer;
  let api: TestApi;
  let sign: (claims: Record<string, unknown>, options?: { issuer?: string; kid?: string }) => Promise<string>;
  let signWithStrangerKey: (claims: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const stranger = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
    const provider = express();
    provider.get('/.well-known/jwks.json', (_req, res) => {
      res.json({ keys: [jwk] });
    });
    jwks = await listen(provider, '127.0.0.1', 0);
    api = await startTestApi({
      mode: 'jwks',
      jwksUrl: `${jwks.url}/.well-known/jwks.json`,
      issuer: 'https://idp.example',
      audience: 'grants',
    });
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'key-1' })
        .setIssuer(options.issuer ?? 'https://idp.example')
        .setAudience('grants')
        .setExpirationTime('5m')
        .sign(privateKey);
    signWithStrangerKey = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
        .setIssuer('https://idp.example')
        .setAudience('grants')
        .setExpirationTime('5m')
        .sign(stranger.privateKey);
  });
  afterAll(async () => {
    await api.close();
    await jwks.close();
  });

  const whoami = (token: string) =>
    fetch(`${api.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });

  it('accepts a token signed by the provider’s key', async () => {
    const response = await whoami(await sign({ sub: 'oidc|42', role: 'grant_manager', institution: 'ETAT' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ subject: 'oidc|42', role: 'grant_manager', institution: 'ETAT' });
  });

  it('refuses another key, another issuer, and a development token', async () => {
    const stranger = await whoami(await signWithStrangerKey({ sub: 'x', role: 'auditor' }));
    expect((await problemOf(stranger)).code).toBe('TOKEN_INVALID');
    const otherIssuer = await whoami(
      await sign({ sub: 'x', role: 'auditor' }, { issuer: 'https://evil.example' }),
    );
    expect((await problemOf(otherIssuer)).code).toBe('TOKEN_INVALID');
    const development = await whoami(await mintDevelopmentToken({ secret: testSecret, role: 'auditor' }));
    expect((await problemOf(development)).code).toBe('TOKEN_INVALID');
  });

  it('503, not 401, when the provider cannot be reached', async () => {
    const closed = await listen(express(), '127.0.0.1', 0);
    await closed.close();
    const offline = await startTestApi({ mode: 'jwks', jwksUrl: `${closed.url}/jwks.json` });
    try {
      const response = await fetch(`${offline.url}/whoami`, {
        headers: { authorization: `Bearer ${await sign({ sub: 'x', role: 'auditor' })}` },
      });
      expect(response.status).toBe(503);
      // When to come back, and, in the log, why the provider could not be read.
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await problemOf(response)).toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
      expect(JSON.stringify(offline.logs.lines())).toContain('ECONNREFUSED');
    } finally {
      await offline.close();
    }
  });
});

describe('the development secret', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grants-secret-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created once, 0600, and the same for processes starting together', async () => {
    const dataDir = join(dir, 'data');
    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDevSecret(dataDir)));
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]?.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dataDir, devSecretFileName)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateDevSecret(dataDir)).toBe(secrets[0]);
  });

  it('tightens loose permissions and refuses an empty file', async () => {
    const dataDir = join(dir, 'loose');
    const secret = await loadOrCreateDevSecret(dataDir);
    chmodSync(join(dataDir, devSecretFileName), 0o644);
    expect(await loadOrCreateDevSecret(dataDir)).toBe(secret);
    expect(statSync(join(dataDir, devSecretFileName)).mode & 0o777).toBe(0o600);
    writeFileSync(join(dataDir, devSecretFileName), '\n');
    await expect(loadOrCreateDevSecret(dataDir)).rejects.toThrow(/supprimez ce fichier/);
  });

  it('resolveAuthSettings: JWKS wins, a configured secret must be long, else the file', async () => {
    const dataDir = join(dir, 'settings');
    expect(
      await resolveAuthSettings({ dataDir, auth: { jwtSecret: testSecret, jwksUrl: 'https://idp/jwks' } }),
    ).toEqual({
      mode: 'jwks',
      jwksUrl: 'https://idp/jwks',
    });
    expect(
      await resolveAuthSettings({ dataDir, auth: { jwtSecret: testSecret, jwksUrl: undefined } }),
    ).toEqual({
      mode: 'embedded',
      secret: testSecret,
    });
    await expect(
      resolveAuthSettings({ dataDir, auth: { jwtSecret: 'court', jwksUrl: undefined } }),
    ).rejects.toBeInstanceOf(ConfigError);
    const fromFile = await resolveAuthSettings({
      dataDir,
      auth: { jwtSecret: undefined, jwksUrl: undefined },
    });
    expect(fromFile).toEqual({ mode: 'embedded', secret: await loadOrCreateDevSecret(dataDir) });
  });
});
