// One workflow per application (workflow id = its stream, `application-<ULID>`), started at
// submission and alive until a terminal outcome: eligibility, co-decision, convention, yearly
// reports, payments, closure. The state is the fold of the events it wrote; every step goes
// through the domain's decide. Funders' envelopes are kept in step with the application: a
// commitment reserves before it is recorded (and is refused if the envelope cannot hold it), a
// rejection, lapse or withdrawal releases once recorded.
import { allHandlersFinished, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import {
  allowedApplicationCommands,
  applicationCommandTypes,
  applicationDeadlines,
  decideApplication,
  evolveApplication,
  expectedReservations,
  initialApplicationState,
  isTerminal,
  withCurrentShape,
  type ApplicationCommand,
  type ApplicationEvent,
  type ApplicationState,
  type YearAmount,
} from '../../domain/application';
import { refusal, runAggregate, type CarriedAggregate, type ResolvedStep } from '../shared/aggregateWorkflow';
import { envelopeStep } from '../shared/envelopeStep';

/**
 * The Temporal patch under which a fresh run whose creation step was refused ends at once (the same
 * id in both aggregate workflows). Runs started before it wait on, as they always did.
 */
const creationRefusedPatch = 'end-run-when-creation-refused';

export interface ApplicationWorkflowInput {
  applicationId: string;
  carried?: CarriedAggregate<ApplicationState>;
}

export async function applicationWorkflow(input: ApplicationWorkflowInput): Promise<ApplicationState> {
  const run = runAggregate<ApplicationCommand, ApplicationState, ApplicationEvent>(
    {
      stream: workflowInfo().workflowId,
      commandTypes: applicationCommandTypes,
      decide: decideApplication,
      evolve: evolveApplication,
      allowedCommands: allowedApplicationCommands,
      deadlines: applicationDeadlines,
      isFinished: (state) => isTerminal(state.status) && applicationDeadlines(state).length === 0,
      beforeAppend: async (events, before, step) => {
        const after = events.reduce(evolveApplication, before);
        const campaignId = campaignOf(after);
        if (campaignId === undefined) return undefined;
        const held = reservationsByFunder(before);
        for (const { funder, amountsByYear } of expectedReservations(after)) {
          if (sameAmounts(held.get(funder), amountsByYear)) continue;
          const refused = await envelopeStep(step, campaignId, funder, {
            type: 'ReserveFunds',
            funder,
            applicationId: applicationIdOf(after),
            amountsByYear,
          });
          if (refused) return refused;
        }
        return undefined;
      },
      afterAppend: async (_events, before, after, step) => {
        const campaignId = campaignOf(after);
        if (campaignId === undefined) return;
        const kept = reservationsByFunder(after);
        // The release follows from what was recorded, whoever sent the step (a porteur
        // withdrawing, a funder turning its commitment into a decline: roles the envelope does
        // not let release funds): the workflow does it, the causation id still names the step.
        const consequence: ResolvedStep = { ...step, actor: { id: 'system', role: 'system' } };
        for (const funder of reservationsByFunder(before).keys()) {
          if (kept.has(funder)) continue;
          const refused = await envelopeStep(consequence, campaignId, funder, {
            type: 'ReleaseFunds',
            applicationId: applicationIdOf(after),
            reason: `Candidature ${statusLabel(after)}`,
          });
          if (refused) throw refusal(refused);
        }
      },
    },
    input.carried === undefined
      ? { state: initialApplicationState, revision: null, firedDeadlines: [] }
      : { ...input.carried, state: withCurrentShape(input.carried.state) },
    (carried) => continueAsNew<typeof applicationWorkflow>({ applicationId: input.applicationId, carried }),
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
    return initialApplicationState;
  return await run;
}

function campaignOf(state: ApplicationState): string | undefined {
  return state.status === 'not_submitted' ? undefined : state.campaignId;
}

function applicationIdOf(state: ApplicationState): string {
  return state.status === 'not_submitted' ? '' : state.applicationId;
}

function reservationsByFunder(state: ApplicationState): Map<string, YearAmount[]> {
  return new Map(expectedReservations(state).map((r) => [r.funder, r.amountsByYear]));
}

function sameAmounts(a: YearAmount[] | undefined, b: YearAmount[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  const key = (list: YearAmount[]) =>
    [...list]
      .sort((x, y) => x.year - y.year)
      .map((l) => `${l.year}:${l.amountCents}`)
      .join(',');
  return key(a) === key(b);
}

const statusLabels: Partial<Record<ApplicationState['status'], string>> = {
  withdrawn: 'retirée',
  ineligible: 'irrecevable',
  rejected: 'rejetée par le comité de pilotage',
  lapsed: 'caduque',
  closed: 'clôturée',
  terminated: 'résiliée',
};
const statusLabel = (state: ApplicationState): string => statusLabels[state.status] ?? 'sans engagement';
