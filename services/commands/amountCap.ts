// The largest sum of money a command may carry. The domain caps each amount at what a double holds
// exactly (Number.MAX_SAFE_INTEGER cents); sums of such amounts — a dossier's years, a campaign's
// totals — would not be exact. No grant, budget or envelope of a contrat de ville comes near a
// billion euros: a figure beyond it is a typing mistake, refused before any rule runs. Checked at
// the API rather than in the domain's command schemas, which the workflows replay (docs/workflows.md).
import { formatEuros } from '../../domain/shared/money';
import { ValidationError, type FieldError } from '../http/platform/problem';

export const MAX_COMMAND_AMOUNT_CENTS = 100_000_000_000;

/** Every money field of the body (the domain names them all `…Cents`) above the cap, by path. */
function amountsBeyondCap(value: unknown, path: (string | number)[] = []): FieldError[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => amountsBeyondCap(item, [...path, i]));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) => {
    const at = [...path, key];
    if (key.endsWith('Cents') && typeof field === 'number' && field > MAX_COMMAND_AMOUNT_CENTS)
      return [
        {
          in: 'body' as const,
          path: at.join('.'),
          pointer: `#/${at.join('/')}`,
          code: 'too_big',
          message: `Montant trop élevé : ${formatEuros(MAX_COMMAND_AMOUNT_CENTS)} au plus.`,
        },
      ];
    return amountsBeyondCap(field, at);
  });
}

/** Throws a 400 naming each amount above the cap. */
export function assertAmountsWithinCap(body: unknown): void {
  const errors = amountsBeyondCap(body);
  if (errors.length > 0) throw new ValidationError(errors);
}
