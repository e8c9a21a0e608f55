import { allowedFrom, type AllowedCommand } from '../shared/decision';
import type { EnvelopeCommandType } from './commands';
import { envelopeRules } from './rules';
import type { EnvelopeState } from './state';

export const allowedEnvelopeCommands = (state: EnvelopeState): AllowedCommand<EnvelopeCommandType>[] =>
  allowedFrom(envelopeRules, state);
