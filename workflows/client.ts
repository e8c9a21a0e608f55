// How the services talk to the workflows: every step is a Workflow Update named after its
// domain command, whose id is the command id (a resent request is recorded once). Submission
// and campaign creation start their workflow in the same call (update-with-start), once the
// domain has accepted them on the initial state: a refused creation starts nothing. A domain
// refusal comes back as a DomainRefusalError carrying the code and the French message; an
// aggregate never created (no workflow, or one still in its initial state) as AggregateNotFoundError.
// A step is awaited in two stages: until the workflow accepts it (its validator: a refusal answers
// at once), then for its outcome, at most `stepWaitMs`: an accepted step whose events the store does
// not take (the log down, locked) completes when it answers again, and is StepPendingError meanwhile.
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ApplicationCommand, ApplicationState } from '../domain/application';
import { applicationStreamName, decideApplication, initialApplicationState } from '../domain/application';
import type { CampaignCommand, CampaignState } from '../domain/campaign';
import { campaignStreamName, decideCampaign, initialCampaignState } from '../domain/campaign';
import type { AllowedCommand } from '../domain/shared/decision';
import type { DomainError } from '../domain/shared/errors';
import type { CommandMeta } from '../domain/shared/meta';
import { latestRuleRevision } from '../domain/shared/ruleRevisions';
import { temporalSilence } from '../infra/temporal/unreachable';
import type { applicationWorkflow } from './application/workflow';
import type { campaignWorkflow } from './campaign/workflow';
import { allowedForQuery, commandActor, viewQuery } from './shared/aggregateWorkflow';
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

/**
 * The workflow accepted the step but its events were not recorded within the wait (the event store
 * does not answer): nothing is lost, the step completes as soon as it answers again, once. A resend
 * under the same update id (Idempotency-Key) is the same step: it answers its outcome when there is one.
 */
export class StepPendingError extends Error {
  readonly kind = 'step_pending';
  constructor(
    /** The application's or campaign's id. */
    readonly id: string,
    readonly commandId: string,
    readonly waitedMs: number,
  ) {
    super(`étape ${commandId} acceptée, toujours sans issue après ${waitedMs} ms`);
    this.name = 'StepPendingError';
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

export interface GrantsClientOptions {
  /**
   * The business clock (epoch ms) the client decides against before it asks a workflow: a creation
   * on the initial state, a step on an ended workflow's last state. The workflows' clock: the wall
   * clock (default), or a time-skipping test server's.
   */
  now?: () => number | Promise<number>;
  /** How long a step accepted by its workflow is waited for before StepPendingError (default 20 s). */
  stepWaitMs?: number;
}

/** The state of an aggregate nothing was ever recorded for: it does not exist. */
const unborn = (state: { status: string }): boolean =>
  state.status === initialCampaignState.status || state.status === initialApplicationState.status;

/**
 * The refusals that mean « this aggregate does not exist yet »: a step sent to an id whose workflow
 * is still in its initial state (one started before creations were decided here) is answered as
 * for an unknown id.
 */
const notCreatedCodes: ReadonlySet<string> = new Set(['CAMPAIGN_NOT_CREATED', 'NOT_SUBMITTED']);

export function createGrantsClient(
  client: Client,
  taskQueue: string,
  options: GrantsClientOptions = {},
): GrantsClient {
  const now = options.now ?? Date.now;
  const stepWaitMs = options.stepWaitMs ?? 20_000;
  /**
   * The outcome of an accepted (or refused) step, waited for at most stepWaitMs: the deadline ends the
   * poll's gRPC call itself, so no poll outlives the request. A refusal's outcome came with the
   * acceptance answer: result() throws it at once.
   */
  const outcomeOf = async <T>(id: string, handle: WorkflowUpdateHandle<T>): Promise<T> => {
    try {
      return await client.withDeadline(Date.now() + stepWaitMs, () => handle.result());
    } catch (error) {
      // Accepted, the step is durable in its workflow's history: Temporal gone silent while its outcome
      // was awaited does not undo it (it is taken up when the server or a worker is back).
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || temporalSilence(error) !== undefined)
        throw new StepPendingError(id, handle.updateId, stepWaitMs);
      throw error;
    }
  };
  /** The meta the workflow's validator decides with: the actor as it crosses, the latest rules. */
  const metaOf = async (context: StepContext): Promise<CommandMeta> => ({
    actor: commandActor(context.actor),
    at: new Date(await now()).toISOString(),
    commandId: context.commandId,
    ruleRevision: latestRuleRevision,
  });
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
  const workflowTypes = { application: 'applicationWorkflow', campaign: 'campaignWorkflow' } as const;
  /**
   * A creation: decided here on the initial state first (refuseCreation), then sent with its
   * workflow's start (the workflow there already is, if any).
   */
  const create = async <S>(
    kind: 'application' | 'campaign',
    id: string,
    decision: Decision,
    command: { type: string },
    context: StepContext,
  ): Promise<AggregateView<S>> => {
    const workflowId = workflowIdOf(kind, id);
    await refuseCreation(decision, () => client.workflow.getHandle(workflowId).query(viewQuery));
    return translate(id, async () =>
      outcomeOf(
        id,
        await client.workflow.startUpdateWithStart<
          typeof applicationWorkflow | typeof campaignWorkflow,
          AggregateView<S>,
          [StepInput]
        >(command.type, {
          args: [input(command, context)],
          updateId: context.commandId,
          waitForStage: WorkflowUpdateStage.ACCEPTED,
          startWorkflowOperation: new WithStartWorkflowOperation(workflowTypes[kind], {
            workflowId,
            taskQueue,
            args: kind === 'application' ? [{ applicationId: id }] : [{ campaignId: id }],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        }),
      ),
    );
  };
  /** A step of an aggregate's workflow; on one that has ended, why it cannot be taken (whyClosed). */
  const act = <S extends { status: string }>(
    kind: 'application' | 'campaign',
    id: string,
    command: { type: string },
    context: StepContext,
    decide: (state: S) => Promise<Decision>,
  ): Promise<AggregateView<S>> => {
    const handle = client.workflow.getHandle(workflowIdOf(kind, id));
    return translate(
      id,
      async () =>
        outcomeOf(
          id,
          await handle.startUpdate<AggregateView<S>, [StepInput]>(command.type, {
            args: [input(command, context)],
            updateId: context.commandId,
            waitForStage: WorkflowUpdateStage.ACCEPTED,
          }),
        ),
      async () => whyClosed((await handle.query(viewQuery)) as AggregateView<S>, decide, id, context),
    );
  };

  return {
    createCampaign: async (command, context) =>
      create<CampaignState>(
        'campaign',
        command.campaignId,
        decideCampaign(command, initialCampaignState, await metaOf(context)),
        command,
        context,
      ),
    campaignCommand: (campaignId, command, context) =>
      act<CampaignState>('campaign', campaignId, command, context, async (state) =>
        decideCampaign(command, state, await metaOf(context)),
      ),
    campaignView: (campaignId) =>
      translate(campaignId, () =>
        client.workflow.getHandle(campaignStreamName(campaignId)).query(viewQuery).then(existing(campaignId)),
      ) as Promise<AggregateView<CampaignState>>,
    submitApplication: async (command, context) =>
      create<ApplicationState>(
        'application',
        command.applicationId,
        decideApplication(command, initialApplicationState, await metaOf(context)),
        command,
        context,
      ),
    applicationCommand: (applicationId, command, context) =>
      act<ApplicationState>('application', applicationId, command, context, async (state) =>
        decideApplication(command, state, await metaOf(context)),
      ),
    applicationView: (applicationId) =>
      translate(applicationId, () =>
        client.workflow
          .getHandle(applicationStreamName(applicationId))
          .query(viewQuery)
          .then(existing(applicationId)),
      ) as Promise<AggregateView<ApplicationState>>,
    allowedFor: (kind, id, actor) =>
      translate(id, () => client.workflow.getHandle(workflowIdOf(kind, id)).query(allowedForQuery, actor)),
  };
}

type Decision = { ok: true } | { ok: false; error: DomainError };

/** A view read from a workflow still in its initial state is no aggregate: not found. */
const existing =
  (id: string) =>
  <V extends AggregateView<unknown>>(view: V): V => {
    if (unborn(view.state as { status: string })) throw new AggregateNotFoundError(id);
    return view;
  };

/**
 * A creation is decided here first, on the initial state, with the meta the workflow's validator
 * uses: one the rules refuse is answered without starting a workflow (update-with-start would start
 * it, then refuse the update, and leave it waiting for ever). Except when the aggregate already
 * exists: a resend of a recorded creation (Idempotency-Key: the same update id) gets its first
 * answer from its workflow even though the rules would now refuse it (the window closed since), and
 * a creation over an existing one gets the workflow's own refusal (already created).
 */
async function refuseCreation(
  decision: Decision,
  currentView: () => Promise<AggregateView<unknown>>,
): Promise<void> {
  if (decision.ok) return;
  const view = await currentView().catch(() => undefined);
  if (view !== undefined && !unborn(view.state as { status: string })) return;
  throw new DomainRefusalError(decision.error);
}

/**
 * Why a step sent to a workflow that has ended cannot be taken, from its last state: not found when
 * nothing was ever created there (a refused creation that ended its workflow); a stale If-Match
 * first, as on a live workflow (412); then the domain's own refusal, or TERMINAL_STATE.
 */
async function whyClosed<S extends { status: string }>(
  view: AggregateView<S>,
  decide: (state: S) => Promise<Decision>,
  id: string,
  context: StepContext,
): Promise<Error> {
  if (unborn(view.state)) return new AggregateNotFoundError(id);
  if (context.expectedRevision !== undefined && context.expectedRevision !== view.revision)
    return new RevisionMismatchError(context.expectedRevision, view.revision);
  const decision = await decide(view.state);
  if (!decision.ok) return new DomainRefusalError(decision.error);
  return new DomainRefusalError({
    code: 'TERMINAL_STATE',
    message: 'Ce dossier est terminé : plus aucune action n’est possible.',
  });
}

/**
 * Turns Temporal's errors into the three the services answer with: refusal (422), stale revision
 * (412) and not found (404). A workflow that has ended (terminal outcome) takes no more updates, yet
 * its state stays readable: `onClosed` (whyClosed) asks the domain, with that state, why the step
 * is impossible, so the person gets the same answer as for any other impossible step.
 */
async function translate<T>(id: string, call: () => Promise<T>, onClosed?: () => Promise<Error>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AggregateNotFoundError || error instanceof StepPendingError) throw error;
    const refusal = failureDetails<DomainError>(error, domainRefusalType);
    if (refusal) {
      // A workflow still in its initial state refuses every step but its creation: it does not exist.
      if (notCreatedCodes.has(refusal.code)) throw new AggregateNotFoundError(id);
      throw new DomainRefusalError(refusal);
    }
    const mismatch = failureDetails<RevisionMismatch>(error, revisionMismatchType);
    if (mismatch) throw new RevisionMismatchError(mismatch.expected, mismatch.current);
    if (error instanceof WorkflowNotFoundError) {
      // No state to read (no such workflow): not found.
      throw (await onClosed?.().catch(() => undefined)) ?? new AggregateNotFoundError(id);
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
