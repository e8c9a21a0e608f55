// `grants start` as an operator meets its mistakes: a real process, real ports. A setting that
// cannot be used stops it with exit code 2 and a French message naming the variable; an engine
// whose Temporal server went away still stops cleanly on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendants, freePort, waitFor } from '../support/processes';
import { hasProcfs } from '../support/procfs';

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

  it('TEMPORAL_ADDRESS where nothing listens: exit code 2 within the connection deadline, the variable named, no log created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grants-start-temporal-'));
    try {
      const closed = String(await freePort());
      const startedAt = Date.now();
      const started = grantsStart({
        ...(await ports()),
        GRANTS_DATA_DIR: dir,
        TEMPORAL_ADDRESS: `127.0.0.1:${closed}`,
      });
      expect(await started.exited, started.output()).toBe(2);
      expect(Date.now() - startedAt).toBeLessThan(30_000);
      expect(started.output()).toContain(`TEMPORAL_ADDRESS=127.0.0.1:${closed} ne répond pas`);
      expect(started.output()).not.toContain('Erreur :');
      expect(existsSync(join(dir, 'events.sqlite'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('GRANTS_DATA_DIR where no folder can be created (under /proc): exit code 2 at once, the variable named', (test) => {
    if (!hasProcfs(test)) return;
    // Node's recursive mkdir never returns there: the engine hung at 100 % CPU before saying anything.
    const result = spawnSync(process.execPath, [cli, 'start'], {
      env: { ...process.env, GRANTS_DATA_DIR: '/proc/grants-donnees' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.error, 'la commande doit se terminer').toBeUndefined();
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      'Le dossier de données /proc/grants-donnees (GRANTS_DATA_DIR) n’est pas un dossier qui peut être créé',
    );
    expect(result.stderr).toContain('Choisissez un dossier avec GRANTS_DATA_DIR.');
    expect(result.stderr).not.toContain('Erreur :');
  });

  it('TEMPORAL_ADDRESS or EVENTSTORE_CONNECTION_STRING not an address: exit code 2 at once, its password unsaid', () => {
    for (const [variable, value] of [
      ['TEMPORAL_ADDRESS', 'http://temporal:7233'],
      ['EVENTSTORE_CONNECTION_STRING', 'http://admin:motdepasse@kurrentdb:2113'],
    ] as const) {
      const result = spawnSync(process.execPath, [cli, 'start'], {
        env: { ...process.env, GRANTS_DATA_DIR: dataDir, [variable]: value },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${variable}=`);
      expect(result.stderr).toContain('Configuration invalide');
      expect(result.stderr).not.toContain('motdepasse');
    }
  });

  it.each([
    [
      'nothing listening',
      (port: string) => `esdb://admin:motdepasse@127.0.0.1:${port}?tls=false`,
      'injoignable',
    ],
    ['a malformed option', (port: string) => `esdb://127.0.0.1:${port}?tls=peut-etre`, 'illisible'],
  ])(
    'EVENTSTORE_CONNECTION_STRING with %s: exit code 2, the variable named, its password unsaid',
    async (_case, connectionString, said) => {
      const started = grantsStart({
        ...(await ports()),
        EVENTSTORE_CONNECTION_STRING: connectionString(String(await freePort())),
      });
      expect(await started.exited, started.output()).toBe(2);
      expect(started.output()).toContain(said);
      expect(started.output()).toContain('Vérifiez EVENTSTORE_CONNECTION_STRING');
      expect(started.output()).not.toContain('motdepasse');
      expect(started.output()).not.toContain('Erreur :');
    },
    60_000,
  );

  it('Temporal gone, /health asked, then Ctrl-C: stops cleanly with exit code 0', async () => {
    const env = await ports();
    const started = grantsStart(env);
    const apiUrl = `http://127.0.0.1:${env.GRANTS_HTTP_PORT}`;
    try {
      // Temporal seen up (the health as a whole is down: no worker polls, none started here).
      const temporalStatus = async (): Promise<string | undefined> => {
        const body = (await (await fetch(`${apiUrl}/health`)).json()) as {
          components: Record<string, { status: string }>;
        };
        return body.components.temporal?.status;
      };
      await waitFor(
        `GET /health on ${apiUrl}`,
        async () => ((await temporalStatus()) === 'up' ? true : undefined),
        120_000,
      );
      const temporal = descendants(started.pid).find((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev'),
      );
      expect(temporal).toBeDefined();
      process.kill(temporal ?? -1, 'SIGKILL');
      const res = await fetch(`${apiUrl}/health`);
      expect(res.status).toBe(503);
      expect(await temporalStatus()).toBe('down');
      started.kill('SIGINT');
      expect(await started.exited).toBe(0);
      expect(started.output()).toContain('Arrêté.');
      expect(started.output()).not.toContain('Channel has been shut down');
    } finally {
      started.kill('SIGKILL');
    }
  }, 180_000);
});
