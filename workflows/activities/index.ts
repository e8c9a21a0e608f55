// Activities: the workflows' only way to the outside world. Built by a factory from their
// dependencies (event store, clock, logger) and imported type-only by workflow code.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { systemActor } from '../../domain/shared/deadlines';
import type { Role } from '../../domain/shared/roles';
import type { EventStore } from '../../infra/eventstore/port';
import { EventValidationError } from '../../infra/eventstore/errors';
import type { Logger } from '../../infra/logging/logger';
import { deterministicEventId, workflowOf } from './eventIds';
import { createEnvelopeActivities } from './envelopes';

export interface ActivityDeps {
  eventStore: EventStore;
  logger: Logger;
  clock?: () => Date;
}

export interface AppendEventsInput {
  stream: string;
  /** 'no_stream' or an exact revision as a decimal string. */
  expectedRevision: string;
  events: { type: string; data: unknown }[];
  /**
   * From this index on, the events follow from the step by the domain's rules (Result.followUpsFrom):
   * recorded with the system as actor, the step's command still their cause (causationId).
   */
  followUpsFrom?: number;
  metadata: {
    correlationId: string;
    causationId: string;
    actor: { id: string; role: Role; institution?: string | undefined };
    occurredAt: string;
  };
}

export interface AppendEventsOutput {
  nextExpectedRevision: string;
  position: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    /**
     * Appends the events a workflow step decided. Ids derive from the activity's identity, so a
     * retry after a lost acknowledgement repeats them and the store answers with the original
     * result instead of writing twice.
     */
    async appendEvents(input: AppendEventsInput): Promise<AppendEventsOutput> {
      const info = Context.current().info;
      const { workflowId, runId } = workflowOf(info);
      try {
        const result = await deps.eventStore.append(
          input.stream,
          input.events.map((event, index) => ({
            id: deterministicEventId(workflowId, runId, info.activityId, index),
            type: event.type,
            data: event.data,
            metadata: {
              ...input.metadata,
              ...(input.followUpsFrom !== undefined && index >= input.followUpsFrom
                ? { actor: systemActor }
                : {}),
              workflowId,
              runId,
            },
          })),
          {
            expectedRevision:
              input.expectedRevision === 'no_stream' ? 'no_stream' : BigInt(input.expectedRevision),
          },
        );
        return {
          nextExpectedRevision: String(result.nextExpectedRevision),
          position: String(result.position),
        };
      } catch (error) {
        // Retrying cannot fix an event that does not fit its schema: fail the step at once.
        if (error instanceof EventValidationError) {
          throw ApplicationFailure.nonRetryable(error.message, 'InvalidEvent', { path: error.path });
        }
        throw error;
      }
    },
    ...createEnvelopeActivities(deps),
  };
}

export type GrantsActivities = ReturnType<typeof createActivities>;
export type AppendActivities = Pick<GrantsActivities, 'appendEvents'>;
