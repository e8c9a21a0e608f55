// zod's refusals as a person would say them (infra/validation/frenchZodErrors.ts): a refused choice
// lists what is accepted, a union says what its fitting branch found, lengths are said in words.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { frenchZodErrors } from '../../infra/validation/frenchZodErrors';

const messageOf = (schema: z.ZodType, value: unknown): string[] => {
  const parsed = schema.safeParse(value, { error: frenchZodErrors });
  if (parsed.success) throw new Error(`accepté : ${JSON.stringify(value)}`);
  return parsed.error.issues.map((i) => i.message);
};

describe('frenchZodErrors', () => {
  it('lists the accepted values of a refused choice, naming the value given', () => {
    expect(messageOf(z.enum(['submitted', 'deadline']), 'date')).toEqual([
      'Valeur inconnue : « date ». Valeurs possibles : submitted, deadline.',
    ]);
    expect(messageOf(z.literal('true'), 'oui')).toEqual(['Valeur inconnue : « oui ». true attendu.']);
    expect(messageOf(z.enum(['a', 'b']), 3)).toEqual(['Valeurs possibles : a, b.']);
  });

  it('says what the fitting branch of a union found, not « Entrée invalide »', () => {
    const oneOrMany = z.union([z.enum(['a', 'b']), z.array(z.enum(['a', 'b']))]);
    expect(messageOf(oneOrMany, 'c')).toEqual(['Valeur inconnue : « c ». Valeurs possibles : a, b.']);
    // A list: its refused element, not the single value's « not one of ».
    expect(messageOf(oneOrMany, ['a', 'c'])).toEqual(['Valeur inconnue : « c ». Valeurs possibles : a, b.']);
    // No branch fits the type: zod's own word is all there is to say.
    expect(messageOf(z.union([z.string(), z.number()]), true)).toEqual(['Entrée invalide']);
  });

  it('lists the options of a discriminated union whose discriminator names none, and of a union of literals', () => {
    const position = z.object({
      position: z.discriminatedUnion('decision', [
        z.object({ decision: z.literal('committed'), amountCents: z.number() }),
        z.object({ decision: z.literal('declined'), reason: z.string() }),
      ]),
    });
    const parsed = position.safeParse({ position: { decision: 'maybe' } }, { error: frenchZodErrors });
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['position', 'decision'],
        message: 'Valeur inconnue : « maybe ». Valeurs possibles : committed, declined.',
      }),
    ]);
    expect(messageOf(position, { position: { reason: 'x' } })).toEqual([
      'Champ obligatoire. Valeurs possibles : committed, declined.',
    ]);
    expect(messageOf(position, { position: { decision: 3 } })).toEqual([
      'Valeurs possibles : committed, declined.',
    ]);
    // An enum option among literal ones: its values are listed too.
    const role = z.discriminatedUnion('role', [
      z.object({ role: z.literal('porteur') }),
      z.object({ role: z.enum(['auditor', 'evaluator']) }),
    ]);
    expect(messageOf(role, { role: 'mayor' })).toEqual([
      'Valeur inconnue : « mayor ». Valeurs possibles : porteur, auditor, evaluator.',
    ]);
    expect(messageOf(z.union([z.literal('a'), z.literal('b'), z.literal(3)]), 'c')).toEqual([
      'Valeur inconnue : « c ». Valeurs possibles : a, b, 3.',
    ]);
    expect(messageOf(z.object({ kind: z.enum(['a', 'b']) }), {})).toEqual([
      'Champ obligatoire. Valeurs possibles : a, b.',
    ]);
  });

  it('says lengths in words, and an empty string empty', () => {
    expect(messageOf(z.string().min(1), '')).toEqual(['Champ vide.']);
    expect(messageOf(z.string().min(3), 'ab')).toEqual(['3 caractères au moins.']);
    expect(messageOf(z.string().max(200), 'x'.repeat(201))).toEqual(['200 caractères au plus.']);
    expect(messageOf(z.string().max(1), 'xy')).toEqual(['1 caractère au plus.']);
    expect(messageOf(z.string().length(5), '123')).toEqual(['Exactement 5 caractères.']);
    expect(messageOf(z.array(z.string()).min(1), [])).toEqual(['1 élément au moins.']);
    expect(messageOf(z.array(z.string()).max(2), ['a', 'b', 'c'])).toEqual(['2 éléments au plus.']);
  });

  it('keeps its earlier wordings', () => {
    expect(messageOf(z.object({ a: z.string() }), {})).toEqual(['Champ obligatoire.']);
    expect(messageOf(z.number().min(1), 0)).toEqual(['Doit être au moins 1.']);
    expect(messageOf(z.number().int(), 1.5)).toEqual(['Nombre entier attendu.']);
  });
});
