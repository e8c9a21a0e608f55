// strictDeep (services/http/platform/strictSchema.ts): the strict copy of a schema refuses unknown
// keys at every depth and otherwise parses as the original did: same defaults, refinements, metadata.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { strictDeep } from '../../services/http/platform/strictSchema';

const unknownKeys = (schema: z.ZodType, value: unknown): string[] => {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].join('.')) : [],
  );
};

describe('strictDeep', () => {
  const line = z.object({ year: z.number(), amountCents: z.number() });
  const schema = z.object({
    position: z.discriminatedUnion('decision', [
      z.object({ decision: z.literal('committed'), amountsByYear: z.array(line).min(1) }),
      z.object({ decision: z.literal('declined'), reason: z.string() }),
    ]),
    either: z.union([z.object({ a: z.string() }), z.string()]).optional(),
    byFunder: z.record(z.string(), z.object({ cents: z.number() })).optional(),
    pair: z.tuple([z.object({ x: z.number() })]).optional(),
    tags: z.array(z.string()).default([]),
    window: z
      .object({ from: z.number(), to: z.number() })
      .refine((w) => w.from <= w.to, { message: 'from après to', path: ['from'] })
      .meta({ description: 'Fenêtre' })
      .optional(),
    free: z.looseObject({ kept: z.string() }).optional(),
  });
  const strict = strictDeep(schema);

  it('refuses unknown keys at every depth, where the original dropped them', () => {
    const value = {
      position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: 1, extra: 1 }], x: 1 },
      either: { a: 'a', b: 1 },
      byFunder: { ETAT: { cents: 1, y: 1 } },
      pair: [{ x: 1, z: 1 }],
      window: { from: 1, to: 2, w: 1 },
      extra: true,
    };
    expect(schema.safeParse(value).success).toBe(true);
    expect(unknownKeys(strict, value).sort()).toEqual(
      [
        'byFunder.ETAT.y',
        'either.b',
        'extra',
        'pair.0.z',
        'position.amountsByYear.0.extra',
        'position.x',
        'window.w',
      ].sort(),
    );
  });

  it('parses a valid value as the original did: defaults, refinements, a catchall set on purpose', () => {
    const value = {
      position: { decision: 'declined', reason: 'r' },
      window: { from: 1, to: 2 },
      free: { kept: 'k', other: 1 },
    };
    expect(strict.parse(value)).toEqual(schema.parse(value));
    expect(strict.parse(value)).toMatchObject({ tags: [], free: { other: 1 } });
    expect(
      strict.safeParse({ ...value, window: { from: 3, to: 2 } }).error?.issues.map((i) => i.message),
    ).toEqual(['from après to']);
  });

  it('keeps metadata, returns what has nothing to tighten as it is, and the same copy each time', () => {
    const window = (strict.shape.window as z.ZodOptional<z.ZodType>).unwrap();
    expect(z.globalRegistry.get(window)).toMatchObject({ description: 'Fenêtre' });
    const already = z.strictObject({ a: z.array(z.strictObject({ b: z.string() })) });
    expect(strictDeep(already)).toBe(already);
    expect(strictDeep(schema)).toBe(strict);
    const both = z.intersection(z.object({ a: z.string() }), z.object({ b: z.string() }));
    expect(strictDeep(both).parse({ a: 'a', b: 'b' })).toEqual({ a: 'a', b: 'b' });
  });
});
