// The Temporal server gone (killed, restarting): the routes that call it answered 500 « Une erreur
// interne est survenue » after the SDK's retries. They answer 503 ENGINE_UNAVAILABLE with Retry-After,
// in French: what is down, whether a step may have gone through, what to do. The grants client here
// is the engine's, on a real Temporal connection to an address where nothing listens (without the
// SDK's retries, so the refusal comes at once); real HTTP and JWTs. The read models are not needed:
// both routes reach Temporal before them.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Database } from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReadModelDatabase } from '../../infra/projections/database';
import { commandRouter } from '../../services/commands/routes';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { queryRouter } from '../../services/queries/routes';
import { createGrantsClient } from '../../workflows/client';
import { tempDir } from '../projections/support';
import { historyLog } from '../readModels/support/readModels';

const secret = 'secret-de-test-secret-de-test-0123456789';

/** A loopback port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

interface Problem {
  status: number;
  code?: string;
  detail?: string;
}

let temp: ReturnType<typeof tempDir>;
let db: Database;
let connection: Connection;
let server: RunningHttpServer;
let manager = '';

beforeAll(async () => {
  temp = tempDir();
  db = openReadModelDatabase(join(temp.dir, 'read-models.sqlite'));
  connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}`, interceptors: [] });
  const grants = createGrantsClient(new Client({ connection }), 'file-sans-serveur');
  const platform = createHttpPlatform({
    logger: pino({ level: 'silent' }),
    auth: { mode: 'embedded', secret },
  });
  const guards = {
    authenticate: platform.authenticate,
    requireRole: (...roles: Parameters<typeof platform.requireRole>) => platform.requireRole(...roles),
  };
  platform.mount(queryRouter({ db, log: historyLog([]), grants, ...guards }));
  platform.mount(commandRouter({ grants, ...guards }));
  server = await listen(platform.finish(), '127.0.0.1', 0);
  manager = await mintDevelopmentToken({ secret, role: 'grant_manager' });
});
afterAll(async () => {
  await server?.close();
  await connection?.close();
  db?.close();
  temp?.cleanup();
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${manager}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { response, problem: (await response.json()) as Problem };
}

const eligibility = { decision: 'ineligible', reasons: ['Aucun quartier prioritaire visé.'] };

describe('the Temporal server not answering', () => {
  it('answers a read of a campaign 503 ENGINE_UNAVAILABLE, saying what is down and to retry', async () => {
    const { response, problem } = await call('GET', '/api/campaigns/camvs-2027');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(problem.code).toBe('ENGINE_UNAVAILABLE');
    expect(problem.detail).toBe(
      'Le serveur Temporal (les workflows des dossiers) ne répond pas : cet état ne peut être lu pour le moment. ' +
        'Réessayez dans un instant ; si cela dure, le moteur est à redémarrer (son état : GET /health).',
    );
  });

  it('answers a step 503, saying it may not have gone through and how to resend it safely', async () => {
    const keyed = await call(
      'POST',
      '/api/applications/01JQA00000000000000000000A/eligibility',
      { 'Idempotency-Key': 'recevabilite-1' },
      eligibility,
    );
    expect(keyed.response.status).toBe(503);
    expect(keyed.problem.code).toBe('ENGINE_UNAVAILABLE');
    expect(keyed.problem.detail).toContain(
      'l’action n’a peut-être pas été transmise, ou sa réponse s’est perdue',
    );
    expect(keyed.problem.detail).toContain('Renvoyez la même requête avec la même Idempotency-Key');

    const unkeyed = await call(
      'POST',
      '/api/applications/01JQA00000000000000000000A/eligibility',
      {},
      eligibility,
    );
    expect(unkeyed.response.status).toBe(503);
    expect(unkeyed.problem.detail).toContain('Avant de la renvoyer, consultez le dossier');
  });
});
