// The aggregate under short, shared names (decider, eventDefinitions, allowedCommands, deadlines),
// for `import { campaign } from 'domain'` then `campaign.decider.decide(...)`.
export * from './index';
export {
  campaignDecider as decider,
  campaignEventDefinitions as eventDefinitions,
  allowedCampaignCommands as allowedCommands,
  campaignDeadlines as deadlines,
  initialCampaignState as initialState,
} from './index';
