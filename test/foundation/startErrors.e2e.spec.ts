// `grants start` as an operator meets its mistakes: a real process, real ports. A setting that
// cannot be used stops it with exit code 2 and a French message naming the variable; an engine
// whose Temporal server went away still stops cleanly on Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendants, freePort, waitFor } from '../support/processes';

const cli = new URL('../../scripts/grants.mjs', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'grants-start-errors-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function ports(): Promise<Record<string, string>> {
  return {
    GRANTS_HTTP_PORT: String(await freePort()),
    TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
  };
}

function grantsStart(env: Record<string, string>): {
  exited: Promise<number | null>;
  output: () => string;
  pid: number;
  kill: (signal: NodeJS.Signals) => void;
} {
  const child = spawn(process.execPath, [cli, 'start'], {
    env: {
      ...process.env,
      GRANTS_DATA_DIR: dataDir,
      GRANTS_LOG_FORMAT: 'json',
      GRANTS_LOG_LEVEL: 'warn',
      // Neither is needed here, and the worker's first start bundles the workflows (slow).
      GRANTS_START_WORKER: 'false',
      GRANTS_START_PROJECTOR: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return {
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    output: () => output,
    pid: child.pid ?? -1,
    kill: (signal) => child.kill(signal),
  };
}

async function hold(port: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(Number(port), '127.0.0.1', resolve));
  return server;
}

describe('grants start: the operator’s mistakes', () => {
  it('the Temporal UI port taken: exit code 2, TEMPORAL_UI_PORT named', async () => {
    const env = await ports();
    const holder = await hold(env.TEMPORAL_UI_PORT ?? '');
    try {
      const started = grantsStart(env);
      expect(await started.exited).toBe(2);
      expect(started.output()).toContain(`Le port ${env.TEMPORAL_UI_PORT} (interface web de Temporal)`);
      expect(started.output()).toContain('TEMPORAL_UI_PORT');
      expect(started.output()).not.toContain('déjà pris ?');
    } finally {
      holder.close();
    }
  }, 60_000);

  it('GRANTS_HTTP_HOST not an address of this machine: exit code 2, the variable named', async () => {
    const started = grantsStart({ ...(await ports()), GRANTS_HTTP_HOST: '10.99.99.99' });
    expect(await started.exited).toBe(2);
    expect(started.output()).toContain(
      'L’adresse 10.99.99.99 n’est pas celle d’une interface de cette machine',
    );
    expect(started.output()).toContain('GRANTS_HTTP_HOST');
    expect(started.output()).not.toContain('EADDRNOTAVAIL');
  }, 120_000);

  it('Temporal gone, /health asked, then Ctrl-C: stops cleanly with exit code 0', async () => {
    const env = await ports();
    const started = grantsStart(env);
    const apiUrl = `http://127.0.0.1:${env.GRANTS_HTTP_PORT}`;
    try {
      await waitFor(
        `GET /health on ${apiUrl}`,
        async () => ((await fetch(`${apiUrl}/health`)).status === 200 ? true : undefined),
        120_000,
      );
      const temporal = descendants(started.pid).find((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev'),
      );
      expect(temporal).toBeDefined();
      process.kill(temporal ?? -1, 'SIGKILL');
      const res = await fetch(`${apiUrl}/health`);
      expect(res.status).toBe(503);
      started.kill('SIGINT');
      expect(await started.exited).toBe(0);
      expect(started.output()).toContain('Arrêté.');
      expect(started.output()).not.toContain('Channel has been shut down');
    } finally {
      started.kill('SIGKILL');
    }
  }, 180_000);
});
