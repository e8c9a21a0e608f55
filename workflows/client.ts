// How the services talk to the workflows: every step is a Workflow Update named after its
// domain command, whose id is the command id (a resent request is recorded once). Submission
// and campaign creation start their workflow in the same call (update-with-start). A domain
// refusal comes back as a DomainRefusalError carrying the code and the French message.
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ApplicationCommand, ApplicationState } from '../domain/application';
import { applicationStreamName, decideApplication } from '../domain/application';
import type { CampaignCommand, CampaignState } from '../domain/campaign';
import { campaignStreamName, decideCampaign } from '../domain/campaign';
import type { AllowedCommand } from '../domain/shared/decision';
import type { DomainError } from '../domain/shared/errors';
import type { applicationWorkflow } from './application/workflow';
import type { campaignWorkflow } from './campaign/workflow';
import { allowedForQuery, viewQuery } from './shared/aggregateWorkflow';
import {
  domainRefusalType,
  revisionMismatchType,
  type AggregateView,
  type RevisionMismatch,
  type StepActor,
  type StepInput,
} from './shared/protocol';

export type { AggregateView, StepActor };

/** A step the domain refused: answer 422 with its code and French message. */
export class DomainRefusalError extends Error {
  readonly kind = 'domain';
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** DomainError.field: the command's field the refusal is about (the body's, under the same name). */
  readonly field: DomainError['field'];
  constructor(error: DomainError) {
    super(error.message);
    this.name = 'DomainRefusalError';
    this.code = error.code;
    this.details = error.details;
    this.field = error.field;
  }
}

/** No workflow for that id: the application or campaign does not exist. */
export class AggregateNotFoundError extends Error {
  readonly kind = 'not_found';
  constructor(readonly id: string) {
    super(`« ${id} » est introuvable.`);
    this.name = 'AggregateNotFoundError';
  }
}

/** The step was sent against a revision the aggregate has left (If-Match): nothing was written. */
export class RevisionMismatchError extends Error {
  readonly kind = 'revision_mismatch';
  constructor(
    readonly expected: string,
    readonly current: string | null,
  ) {
    super(`révision attendue ${expected}, actuelle ${current ?? 'aucune'}`);
    this.name = 'RevisionMismatchError';
  }
}

export interface StepContext {
  actor: StepActor;
  commandId: string;
  correlationId?: string | undefined;
  /** StepInput.expectedRevision: act only on this revision. */
  expectedRevision?: string | undefined;
  /** StepInput.requestDigest: handed back with the outcome. */
  requestDigest?: string | undefined;
}

export interface GrantsClient {
  createCampaign(
    command: Extract<CampaignCommand, { type: 'CreateCampaign' }>,
    context: StepContext,
  ): Promise<AggregateView<CampaignState>>;
  campaignCommand(
    campaignId: string,
    command: CampaignCommand,
    context: StepContext,
  ): Promise<AggregateView<CampaignState>>;
  campaignView(campaignId: string): Promise<AggregateView<CampaignState>>;
  submitApplication(
    command: Extract<ApplicationCommand, { type: 'SubmitApplication' }>,
    context: StepContext,
  ): Promise<AggregateView<ApplicationState>>;
  applicationCommand(
    applicationId: string,
    command: ApplicationCommand,
    context: StepContext,
  ): Promise<AggregateView<ApplicationState>>;
  applicationView(applicationId: string): Promise<AggregateView<ApplicationState>>;
  allowedFor(
    kind: 'application' | 'campaign',
    id: string,
    actor: { role: string; institution?: string },
  ): Promise<AllowedCommand[]>;
}

export function createGrantsClient(client: Client, taskQueue: string): GrantsClient {
  const input = (command: { type: string }, context: StepContext): StepInput => ({
    command,
    actor: context.actor,
    commandId: context.commandId,
    correlationId: context.correlationId,
    ...(context.expectedRevision === undefined ? {} : { expectedRevision: context.expectedRevision }),
    ...(context.requestDigest === undefined ? {} : { requestDigest: context.requestDigest }),
  });
  const workflowIdOf = (kind: 'application' | 'campaign', id: string): string =>
    kind === 'application' ? applicationStreamName(id) : campaignStreamName(id);

  return {
    createCampaign: (command, context) =>
      translate(command.campaignId, () =>
        client.workflow.executeUpdateWithStart<
          typeof campaignWorkflow,
          AggregateView<CampaignState>,
          [StepInput]
        >(command.type, {
          args: [input(command, context)],
          updateId: context.commandId,
          startWorkflowOperation: new WithStartWorkflowOperation<typeof campaignWorkflow>(
            'campaignWorkflow',
            {
              workflowId: campaignStreamName(command.campaignId),
              taskQueue,
              args: [{ campaignId: command.campaignId }],
              workflowIdConflictPolicy: 'USE_EXISTING',
            },
          ),
        }),
      ),
    campaignCommand: (campaignId, command, context) =>
      translate(
        campaignId,
        () =>
          client.workflow
            .getHandle(campaignStreamName(campaignId))
            .executeUpdate<AggregateView<CampaignState>, [StepInput]>(command.type, {
              args: [input(command, context)],
              updateId: context.commandId,
            }),
        async () => {
          const view = (await client.workflow
            .getHandle(campaignStreamName(campaignId))
            .query(viewQuery)) as AggregateView<CampaignState>;
          return decideCampaign(command, view.state, metaOf(context));
        },
      ),
    campaignView: (campaignId) =>
      translate(campaignId, () =>
        client.workflow.getHandle(campaignStreamName(campaignId)).query(viewQuery),
      ) as Promise<AggregateView<CampaignState>>,
    submitApplication: (command, context) =>
      translate(command.applicationId, () =>
        client.workflow.executeUpdateWithStart<
          typeof applicationWorkflow,
          AggregateView<ApplicationState>,
          [StepInput]
        >(command.type, {
          args: [input(command, context)],
          updateId: context.commandId,
          startWorkflowOperation: new WithStartWorkflowOperation<typeof applicationWorkflow>(
            'applicationWorkflow',
            {
              workflowId: applicationStreamName(command.applicationId),
              taskQueue,
              args: [{ applicationId: command.applicationId }],
              workflowIdConflictPolicy: 'USE_EXISTING',
            },
          ),
        }),
      ),
    applicationCommand: (applicationId, command, context) =>
      translate(
        applicationId,
        () =>
          client.workflow
            .getHandle(applicationStreamName(applicationId))
            .executeUpdate<AggregateView<ApplicationState>, [StepInput]>(command.type, {
              args: [input(command, context)],
              updateId: context.commandId,
            }),
        async () => {
          const view = (await client.workflow
            .getHandle(applicationStreamName(applicationId))
            .query(viewQuery)) as AggregateView<ApplicationState>;
          return decideApplication(command, view.state, metaOf(context));
        },
      ),
    applicationView: (applicationId) =>
      translate(applicationId, () =>
        client.workflow.getHandle(applicationStreamName(applicationId)).query(viewQuery),
      ) as Promise<AggregateView<ApplicationState>>,
    allowedFor: (kind, id, actor) =>
      translate(id, () => client.workflow.getHandle(workflowIdOf(kind, id)).query(allowedForQuery, actor)),
  };
}

const metaOf = (context: StepContext) => ({
  actor: context.actor,
  at: new Date().toISOString(),
  commandId: context.commandId,
});

/**
 * Turns Temporal's errors into the two the services answer with: refusal (422) and not found (404).
 * A workflow that has ended (terminal outcome) takes no more updates, yet its state stays readable:
 * `decideOnClosed` asks the domain, with that state, why the step is impossible, so the person gets
 * the same French refusal as for any other impossible step.
 */
async function translate<T>(
  id: string,
  call: () => Promise<T>,
  decideOnClosed?: () => Promise<{ ok: true } | { ok: false; error: DomainError }>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const refusal = failureDetails<DomainError>(error, domainRefusalType);
    if (refusal) throw new DomainRefusalError(refusal);
    const mismatch = failureDetails<RevisionMismatch>(error, revisionMismatchType);
    if (mismatch) throw new RevisionMismatchError(mismatch.expected, mismatch.current);
    if (error instanceof WorkflowNotFoundError) {
      const decision = await decideOnClosed?.().catch(() => undefined);
      if (decision && !decision.ok) throw new DomainRefusalError(decision.error);
      if (decision?.ok) {
        throw new DomainRefusalError({
          code: 'TERMINAL_STATE',
          message: 'Ce dossier est terminé : plus aucune action n’est possible.',
        });
      }
      throw new AggregateNotFoundError(id);
    }
    throw error;
  }
}

/** The details of a workflow's ApplicationFailure of that type (a refusal, a revision mismatch), if it is one. */
function failureDetails<T>(error: unknown, type: string): T | undefined {
  const failure = error instanceof WorkflowUpdateFailedError ? error.cause : error;
  if (!(failure instanceof ApplicationFailure) || failure.type !== type) return undefined;
  const [details] = failure.details ?? [];
  return details as T;
}
