// The engine listens on its HTTP port before it starts anything else: while the Temporal server, the
// worker and the projector start, a caller is told so (503 ENGINE_STARTING, Retry-After) rather than
// finding nothing there; once started, the same port serves the API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { createLogger } from '../../infra/logging/logger';
import { startEngine, type Engine } from '../../services/engine';
import { freePort, waitFor } from '../support/processes';

const dataDir = mkdtempSync(join(tmpdir(), 'grants-starting-'));
let engine: Engine | undefined;
afterAll(async () => {
  await engine?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the HTTP port while the engine starts', () => {
  it('answers 503 ENGINE_STARTING until the API is ready, then the API', async () => {
    const port = await freePort();
    const config = loadConfig({
      GRANTS_DATA_DIR: dataDir,
      GRANTS_HTTP_PORT: String(port),
      TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      EVENTSTORE_SQLITE_SYNCHRONOUS: 'NORMAL',
    });
    const logger = createLogger({ level: 'error', format: 'json' });
    let started = false;
    const starting = startEngine(config, logger).then((e) => {
      started = true;
      engine = e;
      return e;
    });
    const url = `http://127.0.0.1:${port}`;

    const early = await waitFor('le port HTTP', () => fetch(`${url}/health`), 20_000, 20);
    expect(started, 'le port HTTP répond avant la fin du démarrage').toBe(false);
    expect(early.status).toBe(503);
    expect(early.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(early.headers.get('retry-after')).toBe('5');
    expect(early.headers.get('x-correlation-id')).toBeTruthy();
    const problem = (await early.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      status: 503,
      code: 'ENGINE_STARTING',
      instance: '/health',
      type: '/api/docs#problem-unavailable',
    });
    expect(problem.detail).toMatch(/^Le moteur démarre : /);

    const running = await starting;
    expect(running.apiUrl).toBe(url);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('up');
  });
});
