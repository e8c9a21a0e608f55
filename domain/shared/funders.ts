import { z } from 'zod';

/** INSEE commune code: 5 digits, or 2A/2B + 3 digits for Corsica. */
export const inseeCodeSchema = z
  .string()
  .regex(/^(\d{5}|2[AB]\d{3})$/, 'Code INSEE de commune attendu (5 caractères)');
export type InseeCode = z.infer<typeof inseeCodeSchema>;

export const institutionalFunders = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI'] as const;

/**
 * The order people read funders in, everywhere: the État, the Région, the Département, the CAF, the
 * intercommunalité, then the communes by INSEE code (the console's compareFunders, lib.js).
 */
export function compareFunderIds(a: string, b: string): number {
  const rank = (f: string): number => {
    const i = (institutionalFunders as readonly string[]).indexOf(f);
    return i === -1 ? institutionalFunders.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A funding institution: ETAT, REGION, DEPARTEMENT, CAF, EPCI or COMMUNE-<INSEE code>. */
export const funderIdSchema = z
  .string()
  .regex(
    /^(ETAT|REGION|DEPARTEMENT|CAF|EPCI|COMMUNE-(\d{5}|2[AB]\d{3}))$/,
    'Financeur attendu : ETAT, REGION, DEPARTEMENT, CAF, EPCI ou COMMUNE-<code INSEE>',
  );
export type FunderId = z.infer<typeof funderIdSchema>;

export const communeFunderId = (insee: InseeCode): FunderId => `COMMUNE-${insee}`;
