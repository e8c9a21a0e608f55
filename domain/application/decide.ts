import { formatFrenchDate, formatFrenchInstantDate } from '../calendar';
import { decideWith, type DecisionSpec } from '../shared/decision';
import { domainError, type DomainError } from '../shared/errors';
import type { CommandMeta } from '../shared/meta';
import type { Result } from '../shared/result';
import { applicationCommandSchema, type ApplicationCommand, type ParsedApplicationCommand } from './commands';
import type { ApplicationEvent } from './events';
import { applicationRules } from './rules';
import { isTerminal, type ApplicationState } from './state';
import { concernedFunders } from './queries';

/**
 * How far along the lifecycle each open status is. A command whose own statuses all come before the
 * application's is a step already passed (« n'est plus possible »), not one still to come (« pas
 * encore »): an approved file's eligibility ruling is over, not awaited. Complements are part of
 * the review, so both share a rank.
 */
const stageRank: Partial<Record<ApplicationState['status'], number>> = {
  not_submitted: 0,
  under_review: 1,
  awaiting_complements: 1,
  co_decision: 2,
  approved: 3,
  awaiting_signatures: 4,
  in_force: 5,
};

/** True when every status the command runs in lies before `status` in the lifecycle. */
function stepPassed(status: ApplicationState['status'], type: ParsedApplicationCommand['type']): boolean {
  const now = stageRank[status];
  const ranks = applicationRules[type].statuses.map((s) => stageRank[s as ApplicationState['status']]);
  return now !== undefined && ranks.every((rank) => rank !== undefined && rank < now);
}

/**
 * One code per situation; the message says where the application stands. It reads only the command's
 * type, so the refusal can be announced before a command is written (notNowApplicationCommands).
 */
function wrongStatus(
  state: ApplicationState,
  command: Pick<ParsedApplicationCommand, 'type'>,
  label: string,
): DomainError {
  const details = { status: state.status, command: command.type };
  if (command.type === 'SubmitApplication' && state.status !== 'not_submitted' && !isTerminal(state.status)) {
    return domainError(
      'ALREADY_SUBMITTED',
      `Cette candidature a déjà été déposée : ${label} n'est plus possible.`,
      details,
    );
  }
  switch (state.status) {
    case 'not_submitted':
      return domainError(
        'NOT_SUBMITTED',
        `La candidature n'a pas encore été déposée : ${label} n'est pas possible.`,
        details,
      );
    case 'under_review':
      return domainError(
        'UNDER_REVIEW',
        `La candidature est en cours d'instruction (recevabilité) : ${label} n'est pas possible à ce stade.`,
        details,
      );
    case 'awaiting_complements':
      return domainError(
        'COMPLEMENTS_PENDING',
        `La candidature est en attente de compléments jusqu'au ${formatFrenchDate(state.request.dueDate)} : ${label} n'est pas encore possible.`,
        details,
      );
    case 'co_decision':
      if (stepPassed(state.status, command.type))
        return domainError(
          'CO_DECISION_IN_PROGRESS',
          `La recevabilité est prononcée et la candidature est en co-décision des financeurs : ${label} n'est plus possible.`,
          details,
        );
      return domainError(
        'CO_DECISION_IN_PROGRESS',
        `La candidature est en co-décision des financeurs (jusqu'au ${formatFrenchDate(state.coDecision.dueDate)}) : ${label} n'est pas possible à ce stade.`,
        details,
      );
    case 'approved':
      if (stepPassed(state.status, command.type))
        return domainError(
          'CONVENTION_NOT_DRAFTED',
          `Le comité de pilotage a approuvé le financement le ${formatFrenchDate(state.award.decisionDate)} : ${label} n'est plus possible.`,
          details,
        );
      return domainError(
        'CONVENTION_NOT_DRAFTED',
        `Le comité de pilotage a approuvé le financement le ${formatFrenchDate(state.award.decisionDate)} mais la convention n'est pas encore rédigée : ${label} n'est pas encore possible.`,
        details,
      );
    case 'awaiting_signatures':
      if (stepPassed(state.status, command.type))
        return domainError(
          'SIGNATURES_PENDING',
          `La convention est rédigée et attend des signatures jusqu'au ${formatFrenchDate(state.convention.signatureDueDate)} : ${label} n'est plus possible.`,
          details,
        );
      return domainError(
        'SIGNATURES_PENDING',
        `La convention attend des signatures jusqu'au ${formatFrenchDate(state.convention.signatureDueDate)} : ${label} n'est pas possible à ce stade.`,
        details,
      );
    case 'in_force':
      return domainError(
        'CONVENTION_IN_FORCE',
        `La convention est en vigueur depuis le ${formatFrenchInstantDate(state.enteredIntoForceAt)} : ${label} n'est plus possible${command.type === 'WithdrawApplication' ? ' ; pour y mettre fin, demandez sa résiliation au chargé de mission' : ''}.`,
        details,
      );
    case 'withdrawn':
      return terminal(
        `a été retirée par le porteur le ${formatFrenchInstantDate(state.withdrawnAt)}`,
        label,
        details,
      );
    case 'ineligible':
      return terminal('a été déclarée irrecevable', label, details);
    case 'rejected':
      return terminal(
        `a été rejetée par le comité de pilotage le ${formatFrenchDate(state.rejection.decisionDate)}`,
        label,
        details,
      );
    case 'lapsed':
      return terminal(
        `est caduque : la convention n'a pas été signée dans le délai (au plus tard le ${formatFrenchDate(state.convention.signatureDueDate)})`,
        label,
        details,
      );
    case 'closed':
      return terminal(`a été clôturée le ${formatFrenchInstantDate(state.closedAt)}`, label, details);
    case 'terminated':
      return terminal(`a été résiliée le ${formatFrenchInstantDate(state.terminatedAt)}`, label, details);
    default: {
      const never: never = state;
      return never;
    }
  }
}

const terminal = (what: string, label: string, details: Record<string, unknown>): DomainError =>
  domainError('TERMINAL_STATE', `La candidature ${what} : ${label} n'est plus possible.`, details);

/** The application's decision: decide runs it, notNowApplicationCommands reads its refusals. */
export const applicationDecision = {
  commandName: 'La commande',
  commandSchema: applicationCommandSchema,
  rules: applicationRules,
  wrongStatus,
  parties: (s: ApplicationState) =>
    s.status === 'not_submitted' ? undefined : { owner: s.porteurId, institutions: concernedFunders(s) },
} satisfies DecisionSpec<ParsedApplicationCommand, ApplicationState, ApplicationEvent>;

/**
 * Decides what a command records, or why not. Pure: time comes from meta.at, the campaign from the
 * command. An accepted command may record no event (an idempotent no-op); apply `evolve` to the
 * events in order to get the next state.
 */
export function decideApplication(
  command: ApplicationCommand,
  state: ApplicationState,
  meta: CommandMeta,
): Result<ApplicationEvent> {
  return decideWith<ParsedApplicationCommand, ApplicationState, ApplicationEvent>(
    applicationDecision,
    command,
    state,
    meta,
  );
}
