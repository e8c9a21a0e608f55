import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevServerEnv, createTimeSkippingEnv } from '../support/temporal';
import { createFixtureActivities } from './fixtures/activities';
import type { greet, waitThirtyDays } from './fixtures/workflows';

const workflowsPath = new URL('./fixtures/workflows.ts', import.meta.url).pathname;

describe('the real Temporal dev server (temporal server start-dev)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow and its activity to completion', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'foundation-dev',
      workflowsPath,
      activities: createFixtureActivities(),
    });
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof greet>('greet', {
        taskQueue: 'foundation-dev',
        workflowId: 'greet-dev-server',
        args: ['CAMVS'],
      }),
    );
    expect(result).toBe('Bonjour CAMVS');
    const description = await env.client.workflow.getHandle('greet-dev-server').describe();
    expect(description.status.name).toBe('COMPLETED');
  });
});

describe('the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('fires a 30-day timer in seconds of wall time', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'foundation-ts',
      workflowsPath,
      activities: createFixtureActivities(),
    });
    const before = await env.currentTimeMs();
    const wallStart = performance.now();
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof waitThirtyDays>('waitThirtyDays', {
        taskQueue: 'foundation-ts',
        workflowId: 'sleep-30-days',
      }),
    );
    const wallMs = performance.now() - wallStart;
    const skippedDays = (Number(await env.currentTimeMs()) - Number(before)) / 86_400_000;
    expect(result).toBe('échéance atteinte');
    expect(skippedDays).toBeGreaterThanOrEqual(30);
    expect(wallMs).toBeLessThan(10_000);
  });
});
