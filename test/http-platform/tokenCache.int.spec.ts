// Verified tokens are kept (auth.ts) so the signature and claims are not checked on every request:
// a kept token is trusted until its exp and no longer, a token that failed is never kept, and the
// role is still checked on every request.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { createAuthenticator, mintDevelopmentToken } from '../../services/http/platform/auth';
import { UnauthenticatedError } from '../../services/http/platform/problem';
import { type TestApi, problemOf, startTestApi, testSecret } from './support';

const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof UnauthenticatedError) return error.code;
    throw error;
  }
};

describe('verified token cache', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2027-03-01T10:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reuses a verified token, and checks it again once past its exp (expired: refused)', async () => {
    const auth = createAuthenticator({ mode: 'embedded', secret: testSecret }, pino({ level: 'silent' }));
    const token = await mintDevelopmentToken({ secret: testSecret, role: 'evaluator', expiresIn: '60s' });
    const first = await auth.verify(token);
    // The same principal object: the second call did not verify the token again.
    expect(await auth.verify(token)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);

    vi.setSystemTime(new Date('2027-03-01T10:00:59Z'));
    expect(await auth.verify(token)).toBe(first);
    // Past exp the cache lets go; jose's 5 s of clock tolerance are its own to grant.
    vi.setSystemTime(new Date('2027-03-01T10:01:02Z'));
    expect(await auth.verify(token)).not.toBe(first);
    vi.setSystemTime(new Date('2027-03-01T10:01:10Z'));
    expect(await codeOf(auth.verify(token))).toBe('TOKEN_EXPIRED');
    expect(await codeOf(auth.verify(token))).toBe('TOKEN_EXPIRED');
  });

  it('never keeps a token whose signature is wrong, even beside a kept one', async () => {
    const auth = createAuthenticator({ mode: 'embedded', secret: testSecret }, pino({ level: 'silent' }));
    const good = await mintDevelopmentToken({ secret: testSecret, role: 'grant_manager' });
    await auth.verify(good);
    const forged = await mintDevelopmentToken({
      secret: 'un-autre-secret-un-autre-secret-0123456789',
      role: 'grant_manager',
    });
    const [header, payload, signature = ''] = good.split('.');
    const tampered = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [forged, forged, tampered, tampered])
      expect(await codeOf(auth.verify(bad))).toBe('TOKEN_INVALID');
  });

  it('keeps at most the configured number of tokens, and none when told so', async () => {
    const auth = createAuthenticator({ mode: 'embedded', secret: testSecret }, pino({ level: 'silent' }), {
      verifiedTokens: { maxEntries: 1 },
    });
    const a = await mintDevelopmentToken({ secret: testSecret, role: 'auditor', subject: 'a' });
    const b = await mintDevelopmentToken({ secret: testSecret, role: 'auditor', subject: 'b' });
    const first = await auth.verify(a);
    await auth.verify(b);
    expect(await auth.verify(a)).not.toBe(first);

    const none = createAuthenticator({ mode: 'embedded', secret: testSecret }, pino({ level: 'silent' }), {
      verifiedTokens: { maxEntries: 0 },
    });
    expect(await none.verify(a)).not.toBe(await none.verify(a));
  });
});

describe('over HTTP', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('checks the role on every request of a kept token, and logs each refusal', async () => {
    const token = await mintDevelopmentToken({ secret: testSecret, role: 'evaluator' });
    const post = (id: string) =>
      fetch(`${api.url}/things`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-correlation-id': id,
        },
        body: JSON.stringify({ title: 'Une chose', amountCents: 1 }),
      });
    expect((await fetch(`${api.url}/whoami`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    for (const id of ['refus-1', 'refus-2']) {
      const response = await post(id);
      expect(response.status).toBe(403);
      expect(await problemOf(response)).toMatchObject({ code: 'ROLE_NOT_ALLOWED', correlationId: id });
      expect(
        api.logs.lines().some((l) => l.correlationId === id && l.msg === 'accès refusé : rôle non autorisé'),
      ).toBe(true);
    }
  });

  it('refuses and logs a bad token every time', async () => {
    const forged = await mintDevelopmentToken({
      secret: 'un-autre-secret-un-autre-secret-0123456789',
      role: 'grant_manager',
    });
    for (const id of ['faux-1', 'faux-2']) {
      const response = await fetch(`${api.url}/whoami`, {
        headers: { authorization: `Bearer ${forged}`, 'x-correlation-id': id },
      });
      expect(response.status).toBe(401);
      expect(
        api.logs
          .lines()
          .some(
            (l) =>
              l.correlationId === id &&
              l.level === 40 &&
              (l.auth as { code?: string }).code === 'TOKEN_INVALID',
          ),
      ).toBe(true);
    }
  });
});
