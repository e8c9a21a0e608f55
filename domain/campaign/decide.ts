import { formatFrenchInstantDate } from '../calendar';
import { decideWith, type DecisionSpec } from '../shared/decision';
import { domainError, type DomainError } from '../shared/errors';
import type { CommandMeta } from '../shared/meta';
import type { Result } from '../shared/result';
import { campaignCommandSchema, type CampaignCommand, type ParsedCampaignCommand } from './commands';
import type { CampaignEvent } from './events';
import { campaignRules } from './rules';
import type { CampaignState } from './state';

/**
 * One code per situation; the message says where the campaign stands. It reads only the command's
 * type, so the refusal can be announced before a command is written (notNowCampaignCommands).
 */
function wrongStatus(
  state: CampaignState,
  command: Pick<ParsedCampaignCommand, 'type'>,
  label: string,
): DomainError {
  switch (state.status) {
    case 'not_created':
      return domainError(
        'CAMPAIGN_NOT_CREATED',
        `La campagne n'existe pas encore : ${label} n'est pas possible.`,
      );
    case 'draft':
      return domainError(
        command.type === 'CreateCampaign' ? 'CAMPAIGN_ALREADY_CREATED' : 'CAMPAIGN_NOT_OPEN',
        `La campagne ${state.year} est créée mais pas encore ouverte : ${label} n'est pas possible.`,
      );
    case 'open':
      return domainError(
        command.type === 'CreateCampaign' ? 'CAMPAIGN_ALREADY_CREATED' : 'CAMPAIGN_ALREADY_OPEN',
        `La campagne ${state.year} est ouverte depuis le ${formatFrenchInstantDate(state.openedAt)} : ${label} n'est pas possible.`,
      );
    case 'closed':
      return domainError(
        command.type === 'CreateCampaign' ? 'CAMPAIGN_ALREADY_CREATED' : 'CAMPAIGN_CLOSED',
        `La campagne ${state.year} est close depuis le ${formatFrenchInstantDate(state.closedAt)} : ${label} n'est plus possible.`,
      );
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** The campaign's decision: decide runs it, notNowCampaignCommands reads its refusals. */
export const campaignDecision = {
  commandName: 'La commande',
  commandSchema: campaignCommandSchema,
  rules: campaignRules,
  wrongStatus,
} satisfies DecisionSpec<ParsedCampaignCommand, CampaignState, CampaignEvent>;

export function decideCampaign(
  command: CampaignCommand,
  state: CampaignState,
  meta: CommandMeta,
): Result<CampaignEvent> {
  return decideWith<ParsedCampaignCommand, CampaignState, CampaignEvent>(
    campaignDecision,
    command,
    state,
    meta,
  );
}
