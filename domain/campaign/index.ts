import { decideCampaign } from './decide';
import { initialCampaignState, evolveCampaign } from './state';

export * from './events';
export * from './commands';
export * from './state';
export * from './snapshot';
export { campaignDecision, decideCampaign } from './decide';
export { allowedCampaignCommands, notNowCampaignCommands } from './allowed';
export { campaignDeadlines } from './deadlines';

export const campaignDecider = {
  decide: decideCampaign,
  evolve: evolveCampaign,
  initialState: initialCampaignState,
};
