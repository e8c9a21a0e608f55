// A creation the rules refuse must not leave a workflow behind, waiting for ever for an aggregate
// that does not exist. The client decides the creation on the initial state before it starts
// anything; and should the workflow itself refuse its very first step (the client's clock and the
// workflow's on either side of a deadline), the workflow ends at once, its history replayable.
// Afterwards the id reads as unknown (AggregateNotFoundError), as an id never used.
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationStreamName, type ApplicationCommand } from '../../domain/application';
import { campaignStreamName, toCampaignSnapshot, type CampaignCommand } from '../../domain/campaign';
import type { DomainError } from '../../domain/shared/errors';
import type { applicationWorkflow } from '../../workflows/application/workflow';
import type { campaignWorkflow } from '../../workflows/campaign/workflow';
import {
  AggregateNotFoundError,
  DomainRefusalError,
  RevisionMismatchError,
  type StepActor,
} from '../../workflows/client';
import type { StepInput } from '../../workflows/shared/protocol';
import { workflowsPath } from '../../workflows/worker';
import { actors, createCampaignCommand, dossier } from '../support/fixtures';
import { as, type Harness } from './support/harness';
import { startStoryWorld, type StoryWorld } from './support/storyWorld';

// One worker for the whole file (a Temporal worker runs once).
let world: StoryWorld;
let env: TestWorkflowEnvironment;
let h: Harness;
beforeAll(async () => {
  world = await startStoryWorld();
  ({ env, h } = world);
});
afterAll(async () => {
  await world?.stop();
});

const nowMs = async () => Number(await env.currentTimeMs());

/** The workflow's status, or 'absent' when Temporal has never heard of it. */
async function statusOf(workflowId: string): Promise<string> {
  try {
    return (await env.client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'absent';
    throw error;
  }
}

/** The domain refusal an update failed with (the workflow's own, not the client's). */
function refusalOf(error: unknown): DomainError | undefined {
  const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || cause.type !== 'DomainRefusal') return undefined;
  return cause.details?.[0] as DomainError;
}

/** Starts the workflow with its creation step as the client would, minus the client's own check. */
function startWithCreation(
  workflow: 'campaignWorkflow' | 'applicationWorkflow',
  id: string,
  command: CampaignCommand | ApplicationCommand,
  actor: StepActor,
): Promise<unknown> {
  const input: StepInput = { command, actor, commandId: ulid() };
  const start =
    workflow === 'campaignWorkflow'
      ? new WithStartWorkflowOperation<typeof campaignWorkflow>('campaignWorkflow', {
          workflowId: campaignStreamName(id),
          taskQueue: h.taskQueue,
          args: [{ campaignId: id }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        })
      : new WithStartWorkflowOperation<typeof applicationWorkflow>('applicationWorkflow', {
          workflowId: applicationStreamName(id),
          taskQueue: h.taskQueue,
          args: [{ applicationId: id }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
  return env.client.workflow.executeUpdateWithStart(command.type, {
    args: [input],
    updateId: input.commandId,
    startWorkflowOperation: start as WithStartWorkflowOperation<typeof campaignWorkflow>,
  });
}

/** Waits (a little, in real time) for the workflow to leave the Running status. */
async function settled(workflowId: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const status = await statusOf(workflowId);
    if (status !== 'RUNNING') return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  return statusOf(workflowId);
}

const withDuplicateFunder = (
  command: Extract<CampaignCommand, { type: 'CreateCampaign' }>,
): Extract<CampaignCommand, { type: 'CreateCampaign' }> => ({
  ...command,
  funders: [...command.funders, { funder: 'ETAT', envelopeCents: 1_000_000 }],
});

describe('a refused creation', () => {
  it('is refused by the client before anything is started', async () => {
    const command = withDuplicateFunder(createCampaignCommand(await nowMs(), { campaignId: 'refus-client' }));
    const refused = await h.grants.createCampaign(command, as(actors.manager)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainRefusalError);
    expect((refused as DomainRefusalError).code).toBe('DUPLICATE_FUNDER');
    expect(await statusOf(campaignStreamName('refus-client'))).toBe('absent');
    await expect(h.grants.campaignView('refus-client')).rejects.toBeInstanceOf(AggregateNotFoundError);
  });

  it('refused by the workflow itself, ends its workflow, which replays and reads as unknown', async () => {
    const campaignId = 'refus-workflow';
    const workflowId = campaignStreamName(campaignId);
    const valid = createCampaignCommand(await nowMs(), { campaignId });
    const refused = await startWithCreation(
      'campaignWorkflow',
      campaignId,
      withDuplicateFunder(valid),
      actors.manager,
    ).catch((e: unknown) => e);
    expect(refusalOf(refused)?.code).toBe('DUPLICATE_FUNDER');
    expect(await settled(workflowId)).toBe('COMPLETED');
    expect(await env.client.workflow.getHandle(workflowId).result()).toEqual({ status: 'not_created' });

    // Its history replays with the current code (the patch branch it took).
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory({ workflowsPath }, history, workflowId);

    await expect(h.grants.campaignView(campaignId)).rejects.toBeInstanceOf(AggregateNotFoundError);
    await expect(
      h.grants.campaignCommand(campaignId, { type: 'OpenCampaign' }, as(actors.manager)),
    ).rejects.toBeInstanceOf(AggregateNotFoundError);

    // The id is free: the corrected creation starts a new run, which keeps running.
    const created = await h.grants.createCampaign(valid, as(actors.manager));
    expect(created.state.status).toBe('draft');
    expect(await statusOf(workflowId)).toBe('RUNNING');
    expect((await h.grants.campaignView(campaignId)).revision).toBe('0');
  });

  it('of an application by its workflow (window not open yet) ends that workflow too', async () => {
    const campaignId = 'refus-depot';
    await h.grants.createCampaign(
      createCampaignCommand(await nowMs(), { campaignId, opensInDays: 10 }),
      as(actors.manager),
    );
    const campaign = toCampaignSnapshot((await h.grants.campaignView(campaignId)).state)!;
    const applicationId = ulid();
    const submit: ApplicationCommand = {
      type: 'SubmitApplication',
      applicationId,
      campaign,
      dossier: dossier(),
    };
    // The client says so first, starting nothing…
    const byClient = await h.grants
      .submitApplication({ ...submit, applicationId: ulid() }, as(actors.porteur()))
      .catch((e: unknown) => e);
    expect((byClient as DomainRefusalError).code).toBe('SUBMISSION_WINDOW_CLOSED');
    // …and the workflow, asked directly, ends.
    const refused = await startWithCreation(
      'applicationWorkflow',
      applicationId,
      submit,
      actors.porteur(),
    ).catch((e: unknown) => e);
    expect(refusalOf(refused)?.code).toBe('SUBMISSION_WINDOW_CLOSED');
    expect(await settled(applicationStreamName(applicationId))).toBe('COMPLETED');
    await expect(h.grants.applicationView(applicationId)).rejects.toBeInstanceOf(AggregateNotFoundError);
    await expect(
      h.grants.applicationCommand(applicationId, { type: 'WithdrawApplication' }, as(actors.porteur())),
    ).rejects.toBeInstanceOf(AggregateNotFoundError);
  });
});

describe('an accepted creation', () => {
  it('keeps its workflow running; resent with its command id once the rules would refuse it, it gets its first answer', async () => {
    const campaignId = 'renvoi';
    const t = await nowMs();
    await h.grants.createCampaign(
      createCampaignCommand(t, { campaignId, opensInDays: 0, closesInDays: 3 }),
      as(actors.manager),
    );
    await env.sleep(3_600_000);
    const campaign = toCampaignSnapshot((await h.grants.campaignView(campaignId)).state)!;
    expect(campaign.status).toBe('open');
    const applicationId = ulid();
    const context = { ...as(actors.porteur()), requestDigest: 'empreinte-1' };
    const submit = { type: 'SubmitApplication' as const, applicationId, campaign, dossier: dossier() };
    const first = await h.grants.submitApplication(submit, context);
    expect(first.state.status).toBe('under_review');
    expect(await statusOf(applicationStreamName(applicationId))).toBe('RUNNING');

    // The window has closed since: the same request again (Idempotency-Key) is answered as the first.
    await env.sleep(4 * 86_400_000);
    const closed = toCampaignSnapshot((await h.grants.campaignView(campaignId)).state)!;
    expect(closed.status).toBe('closed');
    const resent = await h.grants.submitApplication({ ...submit, campaign: closed }, context);
    expect(resent).toMatchObject({ revision: first.revision, requestDigest: 'empreinte-1' });
    expect(resent.state.status).toBe('under_review');
  });
});

describe('If-Match on an application whose workflow has ended', () => {
  it('a stale revision is a RevisionMismatchError, the current one the refusal of the final state', async () => {
    const campaignId = 'fini';
    await h.grants.createCampaign(
      createCampaignCommand(await nowMs(), { campaignId, opensInDays: 0 }),
      as(actors.manager),
    );
    await env.sleep(3_600_000);
    const campaign = toCampaignSnapshot((await h.grants.campaignView(campaignId)).state)!;
    const applicationId = ulid();
    await h.grants.submitApplication(
      { type: 'SubmitApplication', applicationId, campaign, dossier: dossier() },
      as(actors.porteur()),
    );
    const withdrawn = await h.grants.applicationCommand(
      applicationId,
      { type: 'WithdrawApplication' },
      as(actors.porteur()),
    );
    expect(withdrawn.revision).toBe('1');
    expect(await settled(applicationStreamName(applicationId))).toBe('COMPLETED');

    const withdrawAgain = (expectedRevision: string) =>
      h.grants
        .applicationCommand(
          applicationId,
          { type: 'WithdrawApplication' },
          { ...as(actors.porteur()), expectedRevision },
        )
        .catch((e: unknown) => e);
    const stale = await withdrawAgain('0');
    expect(stale).toBeInstanceOf(RevisionMismatchError);
    expect(stale).toMatchObject({ expected: '0', current: '1' });
    const current = await withdrawAgain('1');
    expect(current).toBeInstanceOf(DomainRefusalError);
    expect((current as DomainRefusalError).code).toBe('TERMINAL_STATE');
  });
});
