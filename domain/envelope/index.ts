import { decideEnvelope } from './decide';
import { evolveEnvelope, initialEnvelopeState } from './state';

export * from './events';
export * from './commands';
export * from './state';
export { decideEnvelope } from './decide';
export { allowedEnvelopeCommands, allowedEnvelopeCommands as allowedCommands } from './allowed';
export { envelopeDeadlines, envelopeDeadlines as deadlines } from './deadlines';
export { envelopeEventDefinitions as eventDefinitions } from './events';

export const envelopeDecider = {
  decide: decideEnvelope,
  evolve: evolveEnvelope,
  initialState: initialEnvelopeState,
};
export { envelopeDecider as decider };
