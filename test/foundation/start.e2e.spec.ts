// `grants start` (what `npm start` runs) as a person would use it: a real process, real ports,
// the real Temporal dev server; Ctrl-C (SIGINT) must leave nothing behind, and a second start
// finds its data again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevSecret, mintDevelopmentToken } from '../../services/http/platform/auth';
import { createCampaignCommand } from '../support/fixtures';
import { descendants, freePort, isAlive, waitFor } from '../support/processes';

const cli = new URL('../../scripts/grants.mjs', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'grants-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  apiUrl: string;
  output: () => string;
}

async function start(): Promise<Started> {
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
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const apiUrl = `http://127.0.0.1:${http}`;
  // Fail at once, with its output, if `grants start` gives up instead of waiting out the timeout.
  const exitedEarly = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`grants start exited early (code ${code}):\n${output}`))),
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
    throw new Error(`${String(error)}\n${output}`);
  });
  return { child, apiUrl, output: () => output };
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

    const tree = await interrupt(first);
    expect(first.output()).not.toContain('en erreur');
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
});
