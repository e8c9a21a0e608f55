// The aggregate under short, shared names (decider, eventDefinitions, allowedCommands, deadlines),
// for `import { envelope } from 'domain'` then `envelope.decider.decide(...)`.
export * from './index';
export {
  envelopeDecider as decider,
  envelopeEventDefinitions as eventDefinitions,
  allowedEnvelopeCommands as allowedCommands,
  envelopeDeadlines as deadlines,
  initialEnvelopeState as initialState,
} from './index';
