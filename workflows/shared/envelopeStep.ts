// One step on a funder's envelope, asked of the envelope activity on behalf of a workflow step
// (same actor, correlation and causation). Returns the envelope's refusal, if any.
import { proxyActivities } from '@temporalio/workflow';
import type { EnvelopeCommand } from '../../domain/envelope';
import type { DomainError } from '../../domain/shared/errors';
import type { FunderId } from '../../domain/shared/funders';
import type { GrantsActivities } from '../activities';
import type { ResolvedStep } from './aggregateWorkflow';

const { applyToEnvelope } = proxyActivities<GrantsActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '10 seconds' },
});

export async function envelopeStep(
  step: ResolvedStep,
  campaignId: string,
  funder: FunderId,
  command: EnvelopeCommand,
): Promise<DomainError | undefined> {
  const result = await applyToEnvelope({
    campaignId,
    funder,
    command,
    metadata: {
      correlationId: step.correlationId,
      causationId: step.commandId,
      actor: { id: step.actor.id, role: step.actor.role, institution: step.actor.institution },
      occurredAt: step.occurredAt ?? step.at,
    },
  });
  return result.ok ? undefined : result.error;
}
