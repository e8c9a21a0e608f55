// The funders' envelopes: one stream per campaign and funder, shared by every application of
// the campaign. Read, decide with the domain's envelope decider, append at the exact revision
// read; another writer in between → read again and decide again. The exact expectation is what
// makes overspending impossible whatever the concurrency.
import { Context } from '@temporalio/activity';
import {
  decideEnvelope,
  envelopeStreamName,
  evolveEnvelope,
  initialEnvelopeState,
  type EnvelopeCommand,
  type EnvelopeEvent,
  type EnvelopeState,
} from '../../domain/envelope';
import type { DomainError } from '../../domain/shared/errors';
import type { FunderId } from '../../domain/shared/funders';
import { WrongExpectedVersionError } from '../../infra/eventstore/errors';
import type { ActivityDeps, AppendEventsInput } from './index';
import { deterministicEventId, workflowOf } from './eventIds';

export interface EnvelopeStepInput {
  campaignId: string;
  funder: FunderId;
  command: EnvelopeCommand;
  metadata: AppendEventsInput['metadata'];
}

export type EnvelopeStepOutput = { ok: true; revision: string } | { ok: false; error: DomainError };

const maxAttempts = 50;

/** An envelope's state as of a revision: what this worker last folded of that stream. */
interface FoldedEnvelope {
  state: EnvelopeState;
  revision: bigint | undefined;
}

export function createEnvelopeActivities(deps: ActivityDeps) {
  // Every application of a campaign writes to the same envelope streams: folding each stream from
  // its first event at every step would cost the square of its length. Keep the fold and read only
  // what was appended since (by this worker or any other: the store is the truth, this is a cache).
  const folded = new Map<string, FoldedEnvelope>();

  async function current(stream: string): Promise<FoldedEnvelope> {
    const known = folded.get(stream) ?? { state: initialEnvelopeState, revision: undefined };
    const newer = await deps.eventStore.readStream(stream, {
      from: known.revision === undefined ? 'start' : known.revision + 1n,
    });
    if (newer.length === 0) return known;
    const next = {
      state: newer.reduce<EnvelopeState>(
        (s, e) => evolveEnvelope(s, { type: e.type, data: e.data } as EnvelopeEvent),
        known.state,
      ),
      revision: newer.at(-1)?.revision,
    };
    folded.set(stream, next);
    return next;
  }

  /**
   * A retried activity's own write: an earlier attempt appended, then its answer was lost (the
   * worker or the Temporal server killed, the activity timed out). Its events carry the ids that
   * attempt derived from the revision it read; decided again on the stream that now holds them, a
   * step that may happen once (OpenEnvelope) was refused, and the campaign's creation stopped with
   * half its envelopes opened. Returns the revision of that write's last event, if there is one.
   */
  async function ownWrite(
    stream: string,
    info: ReturnType<typeof Context.current>['info'],
  ): Promise<bigint | undefined> {
    const { workflowId, runId } = workflowOf(info);
    const idAt = (readRevision: bigint, index: number) =>
      deterministicEventId(workflowId, runId, info.activityId, String(readRevision), index);
    const events = await deps.eventStore.readStream(stream);
    for (let i = 0; i < events.length; i += 1) {
      const read = (events[i]?.revision ?? 0n) - 1n;
      if (events[i]?.id !== idAt(read, 0)) continue;
      let last = i;
      while (events[last + 1]?.id === idAt(read, last + 1 - i)) last += 1;
      return events[last]?.revision;
    }
    return undefined;
  }

  return {
    async applyToEnvelope(input: EnvelopeStepInput): Promise<EnvelopeStepOutput> {
      const stream = envelopeStreamName(input.campaignId, input.funder);
      const info = Context.current().info;
      if (info.attempt > 1) {
        const written = await ownWrite(stream, info);
        if (written !== undefined) return { ok: true, revision: String(written) };
      }
      for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
        const { state, revision } = await current(stream);
        const decision = decideEnvelope(input.command, state, {
          actor: input.metadata.actor,
          at: input.metadata.occurredAt,
          commandId: input.metadata.causationId,
        });
        if (!decision.ok) return { ok: false, error: decision.error };
        if (decision.events.length === 0) return { ok: true, revision: String(revision ?? -1n) };
        try {
          const { workflowId, runId } = workflowOf(info);
          const result = await deps.eventStore.append(
            stream,
            decision.events.map((event, index) => ({
              // Attempt and revision are part of the identity: a new decision after a conflict
              // is a different write, while a retried activity re-reads and finds its own write.
              id: deterministicEventId(workflowId, runId, info.activityId, String(revision ?? -1n), index),
              type: event.type,
              data: event.data,
              metadata: { ...input.metadata, workflowId, runId },
            })),
            { expectedRevision: revision === undefined ? 'no_stream' : revision },
          );
          return { ok: true, revision: String(result.nextExpectedRevision) };
        } catch (error) {
          if (error instanceof WrongExpectedVersionError) {
            deps.logger.debug({ stream, attempt }, 'enveloppe modifiée entre-temps : nouvelle lecture');
            continue;
          }
          throw error;
        }
      }
      throw new Error(`Enveloppe ${stream} : trop de conflits d'écriture (${maxAttempts} tentatives).`);
    },
  };
}
