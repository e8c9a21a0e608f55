// GET /health gives each probe its time, then aborts it: no probe's call outlives the answer
// (a Temporal call left retrying on the engine's connection crashed the engine's stop with
// « Channel has been shut down »).
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logging/logger';
import { temporalBinaries } from '../../infra/temporal/binaries';
import { startDevServer, type RunningDevServer } from '../../infra/temporal/devServer';
import { healthRouter, temporalProbe, type HealthProbe } from '../../services/http/health';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { freePort } from '../support/processes';

async function serve(probes: HealthProbe[], timeoutMs: number): Promise<RunningHttpServer> {
  const app = express();
  app.use(healthRouter(probes, { timeoutMs }));
  return listen(app, '127.0.0.1', await freePort());
}

async function health(
  url: string,
): Promise<{ status: number; body: { components: Record<string, Record<string, unknown>> } }> {
  const res = await fetch(`${url}/health`);
  return {
    status: res.status,
    body: (await res.json()) as { components: Record<string, Record<string, unknown>> },
  };
}

/** Wraps a probe to see whether its check has ended. */
function watched(probe: HealthProbe): { probe: HealthProbe; settled: () => boolean } {
  let running = 0;
  return {
    probe: {
      name: probe.name,
      check: (signal) => {
        running += 1;
        return probe.check(signal).finally(() => (running -= 1));
      },
    },
    settled: () => running === 0,
  };
}

describe('healthRouter', () => {
  it('aborts the signal of a probe that times out, and reports it down', async () => {
    let aborted = false;
    const hanging = watched({
      name: 'lent',
      check: (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('annulé'));
          }),
        ),
    });
    const server = await serve([hanging.probe], 200);
    try {
      const { status, body } = await health(server.url);
      expect(status).toBe(503);
      expect(body.components.lent).toEqual({ status: 'down', error: 'pas de réponse en 200 ms' });
      expect(aborted).toBe(true);
      expect(hanging.settled()).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('temporalProbe', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'grants-health-'));
  let devServer: RunningDevServer | undefined;
  beforeAll(async () => {
    devServer = await startDevServer({
      cliPath: temporalBinaries().cli,
      dbFile: join(dataDir, 'temporal.sqlite'),
      port: await freePort(),
      uiPort: await freePort(),
      namespace: 'default',
      logger: createLogger({ level: 'warn', format: 'json', name: 'test-health' }),
    });
  });
  afterAll(async () => {
    await devServer?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is up while Temporal answers, then down at once when it is gone, leaving no call behind', async () => {
    const address = devServer?.address ?? '';
    const probe = watched(temporalProbe({ address, namespace: 'default' }));
    const server = await serve([probe.probe], 3_000);
    try {
      const up = await health(server.url);
      expect(up.status).toBe(200);
      expect(up.body.components.temporal).toEqual({ status: 'up', address, namespace: 'default' });

      await devServer?.stop();
      devServer = undefined;
      const startedAt = Date.now();
      const down = await health(server.url);
      expect(down.status).toBe(503);
      expect(down.body.components.temporal?.error).toMatch(/UNAVAILABLE/);
      // Not retried for seconds on a connection the engine may close meanwhile.
      expect(Date.now() - startedAt).toBeLessThan(2_000);
      expect(probe.settled()).toBe(true);
      // A retry timer left behind would throw « Channel has been shut down » here, failing the run.
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await server.close();
    }
  });

  it('is cancelled when a server takes the connection and never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    const probe = watched(temporalProbe({ address: `127.0.0.1:${port}`, namespace: 'default' }));
    const server = await serve([probe.probe], 300);
    try {
      const { status, body } = await health(server.url);
      expect(status).toBe(503);
      expect(body.components.temporal?.error).toBe('pas de réponse en 300 ms');
      // The abort cancelled the call and the probe closed its connection.
      await new Promise((r) => setTimeout(r, 100));
      expect(probe.settled()).toBe(true);
    } finally {
      await server.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
