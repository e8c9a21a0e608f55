// What a security review of the platform found: a provider's tokens checked for the audience and
// issuer the configuration names, and every refusal of who acts (403) logged with who was refused.
import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken, resolveAuthSettings } from '../../services/http/platform/auth';
import { ForbiddenError } from '../../services/http/platform/problem';
import { type TestApi, captureLogs, problemOf, startTestApi, testSecret } from './support';

describe('a provider’s tokens: the configured issuer and audience', () => {
  let jwks: RunningHttpServer;
  let sign: (
    claims: Record<string, unknown>,
    options: { issuer: string; audience: string },
  ) => Promise<string>;
  const opened: TestApi[] = [];

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
    const provider = express();
    provider.get('/jwks.json', (_req, res) => {
      res.json({ keys: [jwk] });
    });
    jwks = await listen(provider, '127.0.0.1', 0);
    sign = (claims, { issuer, audience }) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime('5m')
        .sign(privateKey);
  });
  afterAll(async () => {
    for (const api of opened) await api.close();
    await jwks.close();
  });

  const whoami = (api: TestApi, token: string) =>
    fetch(`${api.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });

  it('refuses a token the provider signed for another application, as the configuration asks', async () => {
    const settings = await resolveAuthSettings({
      dataDir: '/nonexistent',
      auth: {
        jwtSecret: undefined,
        jwksUrl: `${jwks.url}/jwks.json`,
        jwtIssuer: 'https://idp.example',
        jwtAudience: 'grants',
      },
    });
    const api = await startTestApi(settings);
    opened.push(api);
    const claims = { sub: 'oidc|7', role: 'auditor' };
    const ours = await whoami(api, await sign(claims, { issuer: 'https://idp.example', audience: 'grants' }));
    expect(ours.status).toBe(200);
    // The same provider, the same keys, the same claims: issued for another application.
    const otherApplication = await whoami(
      api,
      await sign(claims, { issuer: 'https://idp.example', audience: 'intranet-rh' }),
    );
    expect(await problemOf(otherApplication)).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    const otherIssuer = await whoami(
      api,
      await sign(claims, { issuer: 'https://autre-idp.example', audience: 'grants' }),
    );
    expect(await problemOf(otherIssuer)).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    expect(api.logs.lines().some((l) => String(l.msg).startsWith('Audience des jetons non vérifiée'))).toBe(
      false,
    );
  });

  it('says at start-up that the audience is not checked when none is configured', async () => {
    const api = await startTestApi(
      await resolveAuthSettings({
        dataDir: '/nonexistent',
        auth: { jwtSecret: undefined, jwksUrl: `${jwks.url}/jwks.json` },
      }),
    );
    opened.push(api);
    const warning = api.logs
      .lines()
      .find((l) => String(l.msg).startsWith('Audience des jetons non vérifiée'));
    expect(warning?.level).toBe(40);
  });
});

describe('refusals of who acts', () => {
  let server: RunningHttpServer;
  const logs = captureLogs();

  beforeAll(async () => {
    const platform = createHttpPlatform({
      logger: logs.logger,
      auth: { mode: 'embedded', secret: testSecret },
    });
    const router = Router();
    // As the query and audit routes refuse a file that is not the caller's, after the role check.
    router.get('/files/:id', platform.authenticate, platform.requireRole('porteur'), () => {
      throw new ForbiddenError('Cette candidature appartient à un autre porteur de projet.', 'NOT_OWNER');
    });
    platform.mount(router);
    server = await listen(platform.finish(), '127.0.0.1', 0);
  });
  afterAll(() => server.close());

  it('logs a 403 with who was refused and what they asked, never the token', async () => {
    const token = await mintDevelopmentToken({
      secret: testSecret,
      role: 'porteur',
      porteurId: 'asso-voisine',
      subject: 'p-17',
    });
    const correlationId = randomUUID();
    const response = await fetch(`${server.url}/files/01ABC`, {
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': correlationId },
    });
    expect(await problemOf(response)).toMatchObject({ status: 403, code: 'NOT_OWNER' });
    const lines = logs.lines().filter((l) => l.correlationId === correlationId);
    const refusal = lines.find((l) => l.level === 40 && l.auth !== undefined);
    expect(refusal?.auth).toEqual({
      code: 'NOT_OWNER',
      method: 'GET',
      path: '/files/01ABC',
      subject: 'p-17',
      role: 'porteur',
      porteurId: 'asso-voisine',
    });
    const signature = token.split('.')[2] ?? '';
    expect(signature.length).toBeGreaterThan(20);
    expect(lines.some((l) => JSON.stringify(l).includes(signature))).toBe(false);
  });
});
