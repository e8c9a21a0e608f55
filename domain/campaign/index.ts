import { decideCampaign } from './decide';
import { initialCampaignState, evolveCampaign } from './state';

export * from './events';
export * from './commands';
export * from './state';
export * from './snapshot';
export { decideCampaign } from './decide';
export { allowedCampaignCommands, allowedCampaignCommands as allowedCommands } from './allowed';
export { campaignDeadlines, campaignDeadlines as deadlines } from './deadlines';
export { campaignEventDefinitions as eventDefinitions } from './events';

export const campaignDecider = {
  decide: decideCampaign,
  evolve: evolveCampaign,
  initialState: initialCampaignState,
};
export { campaignDecider as decider };
