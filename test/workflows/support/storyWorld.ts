// The set-up shared by the story spec files: a time-skipping server, the harness, and one worker
// running for the whole file (a Temporal worker runs once, so every story of the file shares it).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowStory, type WorkflowStory } from '../../support/fixtures';
import { createTimeSkippingEnv } from '../../support/temporal';
import { createHarness, type Harness } from './harness';

export interface StoryWorld {
  env: TestWorkflowEnvironment;
  h: Harness;
  story: WorkflowStory;
  stop(): Promise<void>;
}

export async function startStoryWorld(): Promise<StoryWorld> {
  const env = await createTimeSkippingEnv();
  const h = await createHarness(env);
  const running = h.worker.run();
  return {
    env,
    h,
    story: workflowStory(h),
    stop: async () => {
      h.worker.shutdown();
      await running;
      await h.close();
      await env.teardown();
    },
  };
}
