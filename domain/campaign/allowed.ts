import {
  allowedFrom,
  notNowFrom,
  type ActingAs,
  type AllowedCommand,
  type RefusedCommand,
} from '../shared/decision';
import type { CampaignCommandType } from './commands';
import { campaignDecision } from './decide';
import { campaignRules } from './rules';
import type { CampaignState } from './state';

/** Which campaign commands are possible now, and by which roles. */
export const allowedCampaignCommands = (state: CampaignState): AllowedCommand<CampaignCommandType>[] =>
  allowedFrom(campaignRules, state);

/**
 * Why the actor's other campaign steps are not possible now: each command of its role that
 * allowedCampaignCommands does not open to it, with the code and French message decideCampaign
 * refuses it with (the campaign's status). Empty for a role that sends no campaign command.
 */
export const notNowCampaignCommands = (
  state: CampaignState,
  actor: ActingAs,
): RefusedCommand<CampaignCommandType>[] => notNowFrom(campaignDecision, state, actor);
