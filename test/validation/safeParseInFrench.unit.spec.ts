// safeParseInFrench (infra/validation/safeParseInFrench.ts): valid input parsed bare, a refusal
// worded in French by the error map given (frenchZodErrors by default), the same outcome otherwise
// as zod's safeParse with that map.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { frenchZodErrors } from '../../infra/validation/frenchZodErrors';
import { safeParseInFrench } from '../../infra/validation/safeParseInFrench';

const schema = z.object({
  year: z.number().int().min(1).max(4),
  funder: z.enum(['ETAT', 'REGION']),
  label: z
    .string()
    .trim()
    .transform((s) => s.toUpperCase()),
});

describe('safeParseInFrench', () => {
  it('gives the parsed (transformed) data of valid input', () => {
    const parsed = safeParseInFrench(schema, { year: 2, funder: 'ETAT', label: '  ami 2027 ', extra: 1 });
    expect(parsed).toEqual({ success: true, data: { year: 2, funder: 'ETAT', label: 'AMI 2027' } });
  });

  it('words a refusal in French, every issue with its path, as safeParse with the map would', () => {
    const input = { year: 9, funder: 'CAF' };
    const parsed = safeParseInFrench(schema, input);
    expect(parsed.success).toBe(false);
    const issues = parsed.error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toEqual([
      ['year', expect.stringMatching(/4/)],
      ['funder', 'Valeur inconnue : « CAF ». Valeurs possibles : ETAT, REGION.'],
      ['label', 'Champ obligatoire.'],
    ]);
    expect(parsed.error?.issues).toEqual(schema.safeParse(input, { error: frenchZodErrors }).error?.issues);
  });

  it('uses the error map given instead of the default', () => {
    const parsed = safeParseInFrench(z.string(), 3, () => 'Texte attendu ici.');
    expect(parsed.error?.issues.map((i) => i.message)).toEqual(['Texte attendu ici.']);
  });
});
