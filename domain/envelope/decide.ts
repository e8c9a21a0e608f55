import { ofTheFunder } from '../reference/funders';
import { decideWith } from '../shared/decision';
import { domainError, type DomainError } from '../shared/errors';
import type { CommandMeta } from '../shared/meta';
import type { Result } from '../shared/result';
import { envelopeCommandSchema, type EnvelopeCommand, type ParsedEnvelopeCommand } from './commands';
import type { EnvelopeEvent } from './events';
import { envelopeRules } from './rules';
import type { EnvelopeState } from './state';

function wrongStatus(state: EnvelopeState, _command: ParsedEnvelopeCommand, label: string): DomainError {
  switch (state.status) {
    case 'not_opened':
      return domainError(
        'ENVELOPE_NOT_OPENED',
        `L'enveloppe n'est pas encore ouverte : ${label} n'est pas possible.`,
      );
    case 'open':
      return domainError(
        'ENVELOPE_ALREADY_OPENED',
        `L'enveloppe ${ofTheFunder(state.funder)} est déjà ouverte : ${label} n'est pas possible ; ajustez-la plutôt.`,
      );
    default: {
      const never: never = state;
      return never;
    }
  }
}

export function decideEnvelope(
  command: EnvelopeCommand,
  state: EnvelopeState,
  meta: CommandMeta,
): Result<EnvelopeEvent> {
  return decideWith<ParsedEnvelopeCommand, EnvelopeState, EnvelopeEvent>(
    { commandName: 'La commande', commandSchema: envelopeCommandSchema, rules: envelopeRules, wrongStatus },
    command,
    state,
    meta,
  );
}
