// `grants start` (what `npm start` runs) as a person would use it: a real process, real ports,
// the real Temporal dev server; Ctrl-C (SIGINT) must leave nothing behind, and a second start
// finds its data again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { connectToEngine, engineTemporalAddress } from '../../services/cli/temporalClient';
import { loadOrCreateDevSecret, mintDevelopmentToken } from '../../services/http/platform/auth';
import { createCampaignCommand } from '../support/fixtures';
import { descendants, freePort, isAlive, waitFor } from '../support/processes';

const cli = new URL('../../scripts/grants.mjs', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'grants-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  apiUrl: string;
  temporalPort: number;
  output: () => string;
  /** stderr alone. */
  errors: () => string;
}

/** `grants start` on the data directory, its ports free ones; not waited for. */
async function spawnStart(): Promise<Started> {
  const [http, temporal, ui] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, [cli, 'start'], {
    env: {
      ...process.env,
      GRANTS_DATA_DIR: dataDir,
      GRANTS_HTTP_PORT: String(http),
      TEMPORAL_DEV_SERVER_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(ui),
      GRANTS_LOG_FORMAT: 'json',
      GRANTS_LOG_LEVEL: 'warn',
      // The engine's verification of its log, at once rather than a minute after the start.
      GRANTS_INTEGRITY_CHECK_DELAY_SECONDS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
    errors += d.toString();
  });
  return {
    child,
    apiUrl: `http://127.0.0.1:${http}`,
    temporalPort: temporal,
    output: () => output,
    errors: () => errors,
  };
}

async function start(): Promise<Started> {
  const started = await spawnStart();
  const { child, apiUrl, output } = started;
  // Fail at once, with its output, if `grants start` gives up instead of waiting out the timeout.
  const exitedEarly = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`grants start exited early (code ${code}):\n${output()}`))),
  );
  exitedEarly.catch(() => undefined);
  const healthy = waitFor(
    `GET /health on ${apiUrl}`,
    async () => {
      const res = await fetch(`${apiUrl}/health`);
      return res.status === 200 ? true : undefined;
    },
    // Cold start bundles the workflows (webpack) on a 2-core machine that may be busy.
    240_000,
  );
  await Promise.race([healthy, exitedEarly]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\n${output()}`);
  });
  return started;
}

/** The embedded mode keeps its development secret under the data directory. */
async function managerToken(): Promise<string> {
  return mintDevelopmentToken({ secret: await loadOrCreateDevSecret(dataDir), role: 'grant_manager' });
}

async function interrupt(started: Started): Promise<number[]> {
  const tree = descendants(started.child.pid ?? -1);
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
  started.child.kill('SIGINT');
  const code = await exited;
  expect(code).toBe(0);
  return tree;
}

describe('grants start', () => {
  it('answers /health with Temporal and the event store up, prints its URLs, and stops cleanly on Ctrl-C', async () => {
    const first = await start();
    const health = (await (await fetch(`${first.apiUrl}/health`)).json()) as {
      status: string;
      components: Record<string, { status: string }>;
    };
    expect(health.status).toBe('up');
    expect(health.components.temporal?.status).toBe('up');
    expect(health.components.eventStore?.status).toBe('up');
    // The engine checks its own log after it starts, and says so on /health and /metrics.
    const integrity = await waitFor(
      'the engine’s verification of its log',
      async () => {
        const answer = (await (await fetch(`${first.apiUrl}/health`)).json()) as typeof health;
        const component = answer.components.integrity as
          { verdict?: string; everyHours?: number } | undefined;
        return component?.verdict === 'intact' ? component : undefined;
      },
      30_000,
    );
    expect(integrity.everyHours).toBe(24);
    expect(await (await fetch(`${first.apiUrl}/metrics`)).text()).toContain('\ngrants_log_integrity_ok 1\n');
    expect(first.output()).toContain(first.apiUrl);
    expect(first.output()).toContain('Temporal Web');
    const consolePage = await fetch(`${first.apiUrl}/console/`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain('lang="fr"');

    // Something to find again: a campaign, in Temporal (its workflow) and in the event store.
    const token = await managerToken();
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId: 'persisted' });
    const created = await fetch(`${first.apiUrl}/api/campaigns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(campaign),
    });
    expect(created.status).toBe(201);

    // A CLI command run from a shell without the engine's port setting (grants seed demo) finds its
    // Temporal server through the lock, not at the default port.
    const shell = loadConfig({ GRANTS_DATA_DIR: dataDir });
    expect(shell.temporal.devServerPort).not.toBe(first.temporalPort);
    expect(engineTemporalAddress(shell)).toBe(`127.0.0.1:${first.temporalPort}`);
    const reached = await connectToEngine(shell);
    await reached.close();

    const tree = await interrupt(first);
    expect(first.output()).not.toContain('en erreur');
    // The engine logs to stdout, in JSON here; the Temporal SDK's own lines go through the same
    // logger (its start-up chatter below warn left out): nothing in plain text on stderr.
    expect(first.errors()).toBe('');
    for (const line of first
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{')))
      expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect(tree.length).toBeGreaterThan(0); // the dev server was a child of ours
    await waitFor(
      'children to exit',
      () => Promise.resolve(tree.every((p) => !isAlive(p)) || undefined),
      15_000,
    );
    expect(existsSync(join(dataDir, 'temporal.sqlite'))).toBe(true);
    expect(existsSync(join(dataDir, 'events.sqlite'))).toBe(true);

    // A second start finds its data again: the campaign's workflow still answers, its events are there.
    const second = await start();
    expect(((await (await fetch(`${second.apiUrl}/health`)).json()) as { status: string }).status).toBe('up');
    const opened = await fetch(`${second.apiUrl}/api/campaigns/persisted/open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(opened.status).toBe(200);
    expect(((await opened.json()) as { revision: string }).revision).toBe('1');
    const secondTree = await interrupt(second);
    await waitFor(
      'children to exit',
      () => Promise.resolve(secondTree.every((p) => !isAlive(p)) || undefined),
      15_000,
    );
  }, 600_000);
  it('refuses a second engine on the same data directory, and after a kill -9 stops the dead one’s Temporal server', async () => {
    const first = await start();
    const firstTree = descendants(first.child.pid ?? -1);
    expect(firstTree.length).toBeGreaterThan(0);

    // A second engine on the same files, other ports: refused before anything starts.
    const second = await spawnStart();
    const code = await new Promise<number | null>((resolve) => second.child.once('exit', resolve));
    expect(code, second.output()).toBe(2);
    expect(second.output()).toContain(
      `Un moteur tourne déjà sur le dossier de données ${dataDir} (processus ${first.child.pid})`,
    );
    expect(second.output()).toContain('GRANTS_DATA_DIR');
    await expect(fetch(`${second.apiUrl}/health`)).rejects.toThrow();
    expect(((await (await fetch(`${first.apiUrl}/health`)).json()) as { status: string }).status).toBe('up');

    // Killed outright: its Temporal server outlives it, holding the database and its port.
    const killed = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await killed;
    expect(firstTree.some((p) => isAlive(p))).toBe(true);

    // The next start stops that leftover first, then starts whole.
    const third = await start();
    expect(firstTree.filter((p) => isAlive(p))).toEqual([]);
    expect(third.output()).toContain('serveur Temporal laissé par un moteur arrêté brutalement');
    const thirdTree = await interrupt(third);
    await waitFor(
      'children to exit',
      () => Promise.resolve(thirdTree.every((p) => !isAlive(p)) || undefined),
      15_000,
    );
  }, 600_000);
  it('obeys a Ctrl-C sent while it starts: what had started stops in order, nothing more starts, nothing is left', async () => {
    const starting = await spawnStart();
    // The Temporal server is its first child: the start-up is under way.
    const tree = await waitFor(
      'the Temporal server to be started',
      () => {
        const children = descendants(starting.child.pid ?? -1);
        return Promise.resolve(children.length > 0 ? children : undefined);
      },
      60_000,
    );
    const exited = new Promise<number | null>((resolve) => starting.child.once('exit', resolve));
    starting.child.kill('SIGINT');
    expect(await exited, starting.output()).toBe(0);
    expect(starting.output()).toContain('Arrêt demandé (SIGINT)');
    expect(starting.output()).toContain('Arrêté.');
    await waitFor(
      'children to exit',
      () => Promise.resolve(tree.every((p) => !isAlive(p)) || undefined),
      15_000,
    );
    expect(existsSync(join(dataDir, 'engine.lock'))).toBe(false);
  }, 600_000);
});
