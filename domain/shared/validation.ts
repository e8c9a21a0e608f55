import { z } from 'zod';
import { domainError, type DomainError } from './errors';

// Per-call French messages: a global z.config() would change every other caller's messages.
const french = z.locales.fr();

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: DomainError };

/**
 * What was parsed, as the refusal's subject: « La commande », « Les métadonnées de la commande »
 * (`plural`). Feminine: the message agrees with it.
 */
export interface ParsedSubject {
  subject: string;
  plural?: boolean;
}

export function parseWith<T>(schema: z.ZodType<T>, input: unknown, what: ParsedSubject): Parsed<T> {
  // Bare first: zod parses far slower when given any params (infra/validation/safeParseInFrench.ts);
  // the French messages are only needed to word a refusal.
  const bare = schema.safeParse(input);
  if (bare.success) return { ok: true, value: bare.data };
  const parsed = schema.safeParse(input, { error: french.localeError });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const summary = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path} : ${i.message}` : i.message))
    .join(' ; ');
  return {
    ok: false,
    error: domainError(
      'INVALID_COMMAND',
      `${what.subject} ${what.plural ? 'sont incomplètes ou mal formées' : 'est incomplète ou mal formée'} (${summary}). Corrigez ces champs puis renvoyez-${what.plural ? 'les' : 'la'}.`,
      {
        issues,
      },
    ),
  };
}
