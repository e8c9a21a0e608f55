import type { Deadline } from '../shared/deadlines';
import type { EnvelopeCommand } from './commands';
import type { EnvelopeState } from './state';

/** An envelope has no timers: reservations follow the applications' own deadlines. */
export const envelopeDeadlines = (_state: EnvelopeState): Deadline<EnvelopeCommand>[] => [];
