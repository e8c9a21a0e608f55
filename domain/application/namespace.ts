// The aggregate under short, shared names (decider, eventDefinitions, allowedCommands, deadlines),
// for `import { application } from 'domain'` then `application.decider.decide(...)`.
export * from './index';
export {
  applicationDecider as decider,
  applicationEventDefinitions as eventDefinitions,
  allowedApplicationCommands as allowedCommands,
  applicationDeadlines as deadlines,
  initialApplicationState as initialState,
} from './index';
