import { decideEnvelope } from './decide';
import { evolveEnvelope, initialEnvelopeState } from './state';

export * from './events';
export * from './commands';
export * from './state';
export { decideEnvelope } from './decide';
export { allowedEnvelopeCommands } from './allowed';
export { envelopeDeadlines } from './deadlines';

export const envelopeDecider = {
  decide: decideEnvelope,
  evolve: evolveEnvelope,
  initialState: initialEnvelopeState,
};
