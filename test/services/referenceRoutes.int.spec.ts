// GET /api/reference/qpv/:version over real HTTP, without Temporal: the QPV references the engine
// knows (today the domain's demonstration sample), a 404 problem for a version it does not know,
// 401 without a token, and every role may read it.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qpvSampleCamvs } from '../../domain/reference/qpv';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken, type Role } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { referenceRouter } from '../../services/queries/referenceRoutes';

const secret = 'secret-de-test-secret-de-test-0123456789';
let server: RunningHttpServer;

beforeAll(async () => {
  const platform = createHttpPlatform({
    logger: pino({ level: 'silent' }),
    auth: { mode: 'embedded', secret },
  });
  platform.mount(
    referenceRouter({
      authenticate: platform.authenticate,
      requireRole: (...roles) => platform.requireRole(...roles),
      docs: platform.openapi,
    }),
  );
  server = await listen(platform.finish(), '127.0.0.1', 0);
});
afterAll(async () => {
  await server?.close();
});

const tokenOf = (role: Role): Promise<string> =>
  mintDevelopmentToken({
    secret,
    role,
    ...(role === 'funder' ? { institution: 'ETAT' } : {}),
    ...(role === 'porteur' ? { porteurId: '21590392300013' } : {}),
  });

async function get(path: string, token?: string) {
  const response = await fetch(`${server.url}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown> & { entries?: unknown[]; detail?: string },
  };
}

describe('GET /api/reference/qpv/:version', () => {
  it('answers the demonstration sample whole, to every role', async () => {
    const roles: Role[] = ['porteur', 'grant_manager', 'funder', 'citizen_council', 'auditor', 'evaluator'];
    for (const role of roles) {
      const res = await get(`/api/reference/qpv/${qpvSampleCamvs.version}`, await tokenOf(role));
      expect(res.status, role).toBe(200);
      expect(res.body, role).toEqual(qpvSampleCamvs);
    }
    const res = await get(`/api/reference/qpv/${qpvSampleCamvs.version}`, await tokenOf('evaluator'));
    expect(res.body).toMatchObject({ version: 'echantillon-camvs-1', placeholder: true });
    expect(res.body.entries).toContainEqual(
      expect.objectContaining({ code: 'QN05990X', name: 'Sous-le-Bois' }),
    );
  });

  it('answers an unknown version with a 404 problem in French', async () => {
    const res = await get('/api/reference/qpv/QP2024-officiel', await tokenOf('evaluator'));
    expect(res.status).toBe(404);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'QPV_REFERENCE_NOT_FOUND' });
    expect(res.body.detail).toBe(
      'Le référentiel des quartiers prioritaires « QP2024-officiel » est inconnu du moteur.',
    );
  });

  it('refuses a request without a valid token (401)', async () => {
    expect((await get(`/api/reference/qpv/${qpvSampleCamvs.version}`)).status).toBe(401);
    expect((await get(`/api/reference/qpv/${qpvSampleCamvs.version}`, 'not.a.jwt')).status).toBe(401);
  });

  it('is documented in the OpenAPI document', async () => {
    const res = await fetch(`${server.url}/api/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/reference/qpv/{version}');
  });
});
