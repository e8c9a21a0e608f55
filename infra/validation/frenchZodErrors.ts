// zod's French messages, with the commonest cases said as a person would say them (the HTTP API's
// 400s, the configuration, the CLI's files): « Champ
// obligatoire. » rather than « Entrée invalide : chaîne de caractères attendu, indéfini reçu », and
// number bounds in words rather than « Trop petit : nombre doit être >=1 ».
import { z } from 'zod';

const zodFrench = z.locales.fr().localeError;

export const frenchZodErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Champ obligatoire.';
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'Nombre entier attendu.';
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'Nombre attendu.';
  if (issue.code === 'too_small' && (issue.origin === 'number' || issue.origin === 'int'))
    return `Doit être ${issue.inclusive === false ? 'supérieur à' : 'au moins'} ${String(issue.minimum)}.`;
  if (issue.code === 'too_big' && (issue.origin === 'number' || issue.origin === 'int'))
    return `Doit être ${issue.inclusive === false ? 'inférieur à' : 'au plus'} ${String(issue.maximum)}.`;
  return zodFrench(issue);
};
