import { allowedFrom, type AllowedCommand } from '../shared/decision';
import type { CampaignCommandType } from './commands';
import { campaignRules } from './rules';
import type { CampaignState } from './state';

/** Which campaign commands are possible now, and by which roles. */
export const allowedCampaignCommands = (state: CampaignState): AllowedCommand<CampaignCommandType>[] =>
  allowedFrom(campaignRules, state);
