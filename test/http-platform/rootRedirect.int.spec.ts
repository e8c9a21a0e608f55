// The engine's address itself (http://127.0.0.1:3000/), as a person types it in a browser: the API
// (createApi, over real HTTP) sends them to the console with a 302, rather than a 404 problem.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infra/eventstore';
import type { EventStore } from '../../infra/eventstore/port';
import { openReadModelDatabase } from '../../infra/projections/database';
import { createApi } from '../../services/http/api';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { noWorkflowsClient } from '../support/noWorkflows';
import { testSecret } from './support';

let dir: string;
let eventStore: EventStore;
let readModels: Database;
let server: RunningHttpServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grants-root-'));
  eventStore = openSqliteEventStore({
    file: join(dir, 'events.sqlite'),
    registry: createGrantsEventRegistry(),
  });
  readModels = openReadModelDatabase(join(dir, 'read-models.sqlite'));
  const api = createApi({
    logger: pino({ level: 'silent' }),
    auth: { mode: 'embedded', secret: testSecret },
    grants: noWorkflowsClient('redirection de la racine'),
    eventStore,
    readModels,
    probes: [],
    metrics: {},
  });
  server = await listen(api, '127.0.0.1', 0);
});
afterAll(async () => {
  await server?.close();
  readModels?.close();
  await eventStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /', () => {
  it('redirects to the console (302 /console/), for GET and HEAD', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(`${server.url}/`, { method, redirect: 'manual' });
      expect(res.status, method).toBe(302);
      expect(res.headers.get('location'), method).toBe('/console/');
    }
  });

  it('lands, followed as a browser does, on the console’s page', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${server.url}/console/`);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('leaves the other unknown paths a 404 problem', async () => {
    const res = await fetch(`${server.url}/accueil`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
  });
});
