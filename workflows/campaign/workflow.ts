// One workflow per yearly AMI campaign (workflow id = its stream, `campaign-<id>`): creation,
// opening and closing of the submission window (by hand or by timer), envelope adjustments.
// It opens and adjusts each funder's envelope stream, which applications reserve from.
import { allHandlersFinished, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import {
  allowedCampaignCommands,
  campaignCommandSchema,
  campaignDeadlines,
  decideCampaign,
  evolveCampaign,
  initialCampaignState,
  type CampaignCommand,
  type CampaignEvent,
  type CampaignState,
} from '../../domain/campaign';
import { refusal, runAggregate, type CarriedAggregate } from '../shared/aggregateWorkflow';
import { envelopeStep } from '../shared/envelopeStep';

/**
 * The Temporal patch under which a fresh run whose creation step was refused ends at once (the same
 * id in both aggregate workflows). Runs started before it wait on, as they always did.
 */
const creationRefusedPatch = 'end-run-when-creation-refused';

export interface CampaignWorkflowInput {
  campaignId: string;
  carried?: CarriedAggregate<CampaignState>;
}

export const campaignCommandTypes = campaignCommandSchema.options.map((o) => o.shape.type.value);

export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignState> {
  const run = runAggregate<CampaignCommand, CampaignState, CampaignEvent>(
    {
      stream: workflowInfo().workflowId,
      commandTypes: campaignCommandTypes,
      decide: decideCampaign,
      evolve: evolveCampaign,
      allowedCommands: allowedCampaignCommands,
      deadlines: campaignDeadlines,
      // A campaign stays reachable for envelope adjustments during the whole contrat de ville.
      isFinished: () => false,
      // Lowering an envelope below what applications already hold is refused by the envelope
      // itself: ask it first, and record the campaign's adjustment only once it agreed.
      beforeAppend: async (events, _before, step) => {
        for (const event of events) {
          if (event.type !== 'FunderEnvelopeAdjusted') continue;
          const refused = await envelopeStep(step, input.campaignId, event.data.funder, {
            type: 'AdjustEnvelope',
            amountCents: event.data.amountCents,
            reason: event.data.reason,
          });
          if (refused) return refused;
        }
        return undefined;
      },
      afterAppend: async (events, _before, _after, step) => {
        for (const event of events) {
          if (event.type !== 'CampaignCreated') continue;
          for (const { funder, envelopeCents } of event.data.funders) {
            const refused = await envelopeStep(step, input.campaignId, funder, {
              type: 'OpenEnvelope',
              campaignId: input.campaignId,
              funder,
              amountCents: envelopeCents,
            });
            if (refused) throw refusal(refused);
          }
        }
      },
    },
    input.carried ?? { state: initialCampaignState, revision: null, firedDeadlines: [] },
    (carried) => continueAsNew<typeof campaignWorkflow>({ campaignId: input.campaignId, carried }),
  );
  // runAggregate has registered the update handlers, so the creation step this run was started with
  // (update-with-start, same workflow task) has been validated and, if accepted, is under way. None
  // under way on a fresh run: the creation was refused and nothing exists. The client decides
  // creations before it starts anything, but the workflow has the last word (its clock, a caller
  // going around the client): end now rather than wait for ever for an aggregate that does not
  // exist; the id stays free for a new run. A refused update leaves no trace in the history, an
  // accepted one does, so a replay takes the same branch. Behind a patch: runs started before this
  // check waited on, and must replay so.
  if (input.carried === undefined && allHandlersFinished() && patched(creationRefusedPatch))
    return initialCampaignState;
  return await run;
}
