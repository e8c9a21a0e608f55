// The embedded mode's demo sign-in mints a token for any role: only a browser on the engine's own
// machine gets one. Real HTTP, on the loopback and on this machine's network address.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRouter, isLoopback } from '../../services/console/router';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { captureLogs, problemOf, testSecret } from '../http-platform/support';

const networkAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && !a.internal && a.family === 'IPv4')?.address;

describe('demo sign-in of the embedded console', () => {
  let server: RunningHttpServer;
  let port: number;
  beforeAll(async () => {
    const platform = createHttpPlatform({
      logger: captureLogs().logger,
      auth: { mode: 'embedded', secret: testSecret },
    });
    platform.mount(
      consoleRouter({
        devTokens: {
          mint: (role, institution, porteurId) =>
            mintDevelopmentToken({
              secret: testSecret,
              role,
              ...(institution ? { institution } : {}),
              ...(porteurId ? { porteurId } : {}),
            }),
        },
      }),
    );
    // On every interface, as GRANTS_HTTP_HOST=0.0.0.0 would.
    server = await listen(platform.finish(), '0.0.0.0', 0);
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server.close());

  const signIn = (host: string, body: unknown) =>
    fetch(`http://${host}:${port}/console/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('gives a browser on this machine a token for the demo user it picks', async () => {
    const res = await signIn('127.0.0.1', { role: 'auditor' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token: string }).token.split('.')).toHaveLength(3);
    const config = (await (await fetch(`http://127.0.0.1:${port}/console/config.json`)).json()) as object;
    expect(config).toEqual({ devLogin: true });
  });

  it('says what a porteur or a funder must add to sign in', async () => {
    const porteur = await problemOf(await signIn('127.0.0.1', { role: 'porteur' }));
    expect(porteur).toMatchObject({ status: 400 });
    expect(JSON.stringify(porteur.errors)).toContain("l'identifiant de son association");
    const funder = await problemOf(await signIn('127.0.0.1', { role: 'funder' }));
    expect(JSON.stringify(funder.errors)).toContain('au nom de son institution');
  });

  it.skipIf(networkAddress === undefined)(
    'refuses a browser elsewhere on the network, and does not offer it (no network address here: skipped)',
    async () => {
      const res = await signIn(networkAddress!, { role: 'auditor' });
      expect(res.status).toBe(403);
      expect(await problemOf(res)).toMatchObject({
        code: 'DEV_LOGIN_LOCAL_ONLY',
        detail: expect.stringContaining('machine du moteur') as unknown,
      });
      const config = (await (
        await fetch(`http://${networkAddress}:${port}/console/config.json`)
      ).json()) as object;
      expect(config).toEqual({ devLogin: false });
    },
  );

  /** A request from this machine carrying these headers (Host among them), as a browser sends them. */
  const fromHere = (path: string, headers: Record<string, string>, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: body === undefined ? 'GET' : 'POST',
          headers: { 'content-type': 'application/json', ...headers },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  it('refuses a page of another site that reaches it through this machine (DNS rebinding, a proxy)', async () => {
    // Its name pointed at 127.0.0.1: the browser sends that name as Host, and as Origin.
    const rebinding = await fromHere(
      '/console/dev-login',
      { host: `attaquant.example:${port}`, origin: `http://attaquant.example:${port}` },
      { role: 'grant_manager' },
    );
    expect(rebinding.status).toBe(403);
    expect(JSON.parse(rebinding.body)).toMatchObject({
      code: 'DEV_LOGIN_LOCAL_ONLY',
      detail: expect.stringContaining(`http://127.0.0.1:${port}`) as unknown,
    });
    expect(JSON.parse(rebinding.body)).not.toHaveProperty('token');
    const offered = await fromHere('/console/config.json', { host: `attaquant.example:${port}` });
    expect(JSON.parse(offered.body)).toEqual({ devLogin: false });
    // A page of another origin posting to the loopback address itself.
    const foreign = await fromHere(
      '/console/dev-login',
      { host: `127.0.0.1:${port}`, origin: 'http://attaquant.example' },
      { role: 'grant_manager' },
    );
    expect(foreign.status).toBe(403);
    // The console itself, by any loopback name: its own origin.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const own = await fromHere(
        '/console/dev-login',
        { host, origin: `http://${host}` },
        { role: 'auditor' },
      );
      expect(own.status, host).toBe(200);
    }
  });

  it('serves its three vendor files and nothing else under their folder', async () => {
    const ok = await fetch(`http://127.0.0.1:${port}/console/vendor/preact.mjs`);
    expect(ok.status).toBe(200);
    // Names every object has (it answered 500, or 200 with a function's text).
    for (const name of ['constructor', 'hasOwnProperty', 'toString', '__proto__'])
      expect((await fetch(`http://127.0.0.1:${port}/console/vendor/${name}`)).status, name).toBe(404);
  });

  it('knows the loopback addresses, IPv4, IPv6 and IPv4-mapped', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopback(a), a).toBe(true);
    for (const a of ['192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '0.0.0.0', undefined])
      expect(isLoopback(a), String(a)).toBe(false);
  });
});
