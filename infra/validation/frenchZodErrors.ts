// zod's French messages, with the commonest cases said as a person would say them (the HTTP API's
// 400s, the configuration, the CLI's files): « Champ obligatoire. » rather than « Entrée invalide :
// chaîne de caractères attendu, indéfini reçu », number bounds and lengths in words rather than
// « Trop petit : nombre doit être >=1 », and a refused choice (an enum, a literal, a union of
// literals, a discriminated union's discriminator) listing the accepted values rather than
// « Entrée invalide ».
import { z } from 'zod';

const zodFrench = z.locales.fr().localeError;

/** How many accepted values a refusal lists before giving up: past that, a list is no help. */
const MAX_LISTED_VALUES = 30;

const quoted = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** « Valeurs possibles : a, b, c. », or « x attendu. » for a single one. */
export function acceptedValues(values: readonly unknown[]): string {
  if (values.length === 1) return `${quoted(values[0])} attendu.`;
  return `Valeurs possibles : ${values.map(quoted).join(', ')}.`;
}

/**
 * A refused choice: the value given (when it is text; « Champ obligatoire. » when absent), then what is
 * accepted. Past MAX_LISTED_VALUES the list is left out.
 */
export function refusedChoice(input: unknown, values: readonly unknown[]): string | undefined {
  if (values.length === 0 || values.length > MAX_LISTED_VALUES) return undefined;
  const given =
    input === undefined
      ? 'Champ obligatoire. '
      : typeof input === 'string'
        ? `Valeur inconnue : « ${input} ». `
        : '';
  return `${given}${acceptedValues(values)}`;
}

/**
 * A discriminated union whose discriminator (`decision`, `role`) named none of its options: zod puts
 * the options in the issue and the whole object as its input.
 */
function unmatchedDiscriminator(
  issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidUnion>,
): string | undefined {
  const options = (issue as { options?: readonly unknown[] }).options;
  if (issue.discriminator === undefined || options === undefined) return undefined;
  const value =
    typeof issue.input === 'object' && issue.input !== null
      ? (issue.input as Record<string, unknown>)[issue.discriminator]
      : undefined;
  return refusedChoice(value, options);
}

const count = (n: number | bigint, one: string, many: string): string =>
  `${String(n)} ${Number(n) > 1 ? many : one}`;

/** Sizes of strings and lists, in words: « 200 caractères au plus. » */
function sizeMessage(
  issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>,
): string | undefined {
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  const unit =
    issue.origin === 'string'
      ? count(bound, 'caractère', 'caractères')
      : issue.origin === 'array' || issue.origin === 'set'
        ? count(bound, 'élément', 'éléments')
        : undefined;
  if (unit === undefined) return undefined;
  if (issue.exact === true) return `Exactement ${unit}.`;
  if (issue.code === 'too_small') {
    // An empty string is the usual case: a field sent blank (`campaignId=`).
    if (issue.origin === 'string' && Number(bound) === 1) return 'Champ vide.';
    return issue.inclusive === false ? `Plus de ${unit}.` : `${unit} au moins.`;
  }
  return issue.inclusive === false ? `Moins de ${unit}.` : `${unit} au plus.`;
}

export const frenchZodErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Champ obligatoire.';
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'Nombre entier attendu.';
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'Nombre attendu.';
  if (issue.code === 'too_small' && (issue.origin === 'number' || issue.origin === 'int'))
    return `Doit être ${issue.inclusive === false ? 'supérieur à' : 'au moins'} ${String(issue.minimum)}.`;
  if (issue.code === 'too_big' && (issue.origin === 'number' || issue.origin === 'int'))
    return `Doit être ${issue.inclusive === false ? 'inférieur à' : 'au plus'} ${String(issue.maximum)}.`;
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const message = sizeMessage(issue);
    if (message !== undefined) return message;
  }
  if (issue.code === 'invalid_value') {
    const message = refusedChoice(issue.input, issue.values);
    if (message !== undefined) return message;
  }
  if (issue.code === 'invalid_union') {
    // zod says only « Entrée invalide » for these two: say what is accepted.
    const discriminator = unmatchedDiscriminator(issue);
    if (discriminator !== undefined) return discriminator;
    // A union of literals (z.union([z.literal('a'), z.literal('b')])): every branch refused the value.
    const choices = issue.errors.every(
      (branch) => branch.length === 1 && branch[0]?.code === 'invalid_value' && branch[0].path.length === 0,
    )
      ? issue.errors.flatMap((branch) => (branch[0]?.code === 'invalid_value' ? branch[0].values : []))
      : [];
    const literals = choices.length > 0 ? refusedChoice(issue.input, choices) : undefined;
    if (literals !== undefined) return literals;
    // zod says only « Entrée invalide ». A branch whose type fitted the input knows what is wrong
    // with the value: say that, from the one that got furthest into it (the list's refused element
    // rather than the single value's « not one of »). Its issues were already worded by this map.
    const depth = (branch: readonly z.core.$ZodIssue[]) => Math.max(...branch.map((i) => i.path.length));
    const fitting = issue.errors
      .filter(
        (branch) =>
          branch.length > 0 && !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
      )
      .sort((a, b) => depth(b) - depth(a));
    const first = fitting[0]?.[0];
    if (first !== undefined) return first.message;
  }
  return zodFrench(issue);
};
