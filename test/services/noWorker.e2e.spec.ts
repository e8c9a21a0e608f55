// The API apart from the workers (GRANTS_START_WORKER=false, as grants-api in docker-compose.yml):
// when no worker polls the engine's task queue, a command does not hang waiting for one. It answers
// at once 503 ENGINE_UNAVAILABLE with Retry-After, and nothing is sent to Temporal (no workflow
// started, nothing in the log): a worker coming back later has nothing to deliver. GET /health says
// the workers are missing. Once a worker polls again, the same command goes through.
// Real HTTP, real JWTs, the real Temporal dev server; the worker started here is the engine's own.
import { WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignStreamName } from '../../domain/campaign';
import { createLogger } from '../../infra/logging/logger';
import { createActivities } from '../../workflows/activities';
import { createGrantsWorker } from '../../workflows/worker';
import { createCampaignCommand } from '../support/fixtures';
import { startTestEngine, type RunningEngine } from './support/engine';
import { postWithin } from './support/postWithin';

let e: RunningEngine;
let manager = '';
const campaignId = 'sans-worker';
const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId });

let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;

beforeAll(async () => {
  e = await startTestEngine({ GRANTS_START_WORKER: 'false' });
  manager = await e.token({ role: 'grant_manager', subject: 'gestionnaire-sans-worker' });
}, 120_000);
afterAll(async () => {
  if (worker !== undefined) {
    worker.worker.shutdown();
    await worker.running;
    await worker.connection.close();
  }
  await e?.stop();
});

/** The creation, given up after `ms`: a request that hangs fails an assertion, not the test's timeout. */
const createWithin = (ms: number) =>
  postWithin(e.url, ms, '/api/campaigns', { token: manager, body: campaign });

async function workflowExists(): Promise<boolean> {
  try {
    await e.engine.client.workflow.getHandle(campaignStreamName(campaignId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

describe('a command while no worker polls the task queue', () => {
  it('answers 503 ENGINE_UNAVAILABLE at once, sends nothing, and goes through once a worker polls', async () => {
    const refused = await createWithin(8_000);
    expect(refused.status).toBe(503);
    // At once: the presence question (3 s at most) and the answer, far from a step's 20 s wait.
    expect(refused.ms).toBeLessThan(6_000);
    expect(refused.headers?.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers?.get('retry-after')).toMatch(/^\d+$/);
    const problem = refused.body as { code: string; detail: string; status: number };
    expect(problem.code).toBe('ENGINE_UNAVAILABLE');
    expect(problem.status).toBe(503);
    expect(problem.detail).toMatch(/aucun worker/i);
    expect(problem.detail).toMatch(/rien n’a été enregistré/i);

    // Nothing reached Temporal nor the log: a worker coming back has nothing to deliver.
    expect(await workflowExists()).toBe(false);
    expect(await e.engine.eventStore.headPosition()).toBe(0n);

    const health = await e.call('GET', '/health');
    expect(health.status).toBe(503);
    expect(
      (health.body as { components: Record<string, { status: string }> }).components.worker?.status,
    ).toBe('down');

    // The campaign's own terms are its workflow's state: with no worker to answer the query, said at
    // once too (a request left hanging fails on its deadline here).
    const readCampaign = () =>
      fetch(`${e.url}/api/campaigns/${campaignId}`, {
        headers: { authorization: `Bearer ${manager}` },
        signal: AbortSignal.timeout(8_000),
      });
    const unreadable = await readCampaign();
    expect(unreadable.status).toBe(503);
    expect(unreadable.headers.get('retry-after')).toBe('10');
    const readProblem = (await unreadable.json()) as { code: string; detail: string };
    expect(readProblem.code).toBe('ENGINE_UNAVAILABLE');
    expect(readProblem.detail).toMatch(/l’état de la campagne ne peut être lu/);

    // A worker polls again (the engine's own, in this process, on the same log).
    const logger = createLogger({ level: 'error', format: 'json' });
    const connection = await NativeConnection.connect({ address: e.engine.temporalAddress });
    const started = await createGrantsWorker({
      connection,
      namespace: 'default',
      taskQueue: 'grants',
      stickyCacheSize: 10,
      activities: createActivities({ eventStore: e.engine.eventStore, logger }),
      logger,
    });
    worker = { worker: started, running: started.run(), connection };

    // A refusal is not remembered: the next request asks again, once the worker's poll is seen.
    let created = await createWithin(30_000);
    for (let i = 0; i < 50 && created.status === 503; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      created = await createWithin(30_000);
    }
    expect(created.status).toBe(201);
    expect(await workflowExists()).toBe(true);
    expect((await readCampaign()).status).toBe(200);
    expect(await e.engine.eventStore.headPosition()).toBeGreaterThan(0n);
    const healthAfter = await e.call('GET', '/health');
    expect(
      (healthAfter.body as { components: Record<string, { status: string }> }).components.worker?.status,
    ).toBe('up');
  }, 120_000);
});
