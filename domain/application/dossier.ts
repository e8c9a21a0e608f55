// The dossier a porteur files (modelled on CERFA 12156). Personal data stays out: contacts live in
// an erasable store elsewhere and the dossier only carries `contactRef`, an opaque reference.
// Association names, SIRET and RNA are public data. Objects are strict so a stray 'email' field
// is refused rather than silently stored in the history.
import { z } from 'zod';
import { qpvCodeSchema } from '../reference/qpv';
import { actionThemeCodeSchema } from '../reference/themes';
import { funderIdSchema } from '../shared/funders';
import { centsSchema } from '../shared/money';

export const siretSchema = z.string().regex(/^\d{14}$/, 'SIRET : 14 chiffres');
export const rnaSchema = z.string().regex(/^W\d{9}$/, 'RNA : W suivi de 9 chiffres');
export const yearIndexSchema = z.number().int().min(1).max(4);

export const porteurIdentitySchema = z
  .strictObject({
    /** Legal name of the organisation (public). */
    name: z.string().trim().min(1).max(300),
    siret: siretSchema.optional(),
    rna: rnaSchema.optional(),
    /** Opaque reference to the contact person in the erasable store; never a name or an email. */
    contactRef: z.string().min(1).max(200),
  })
  .refine((p) => p.siret !== undefined || p.rna !== undefined, {
    message: 'Indiquez le SIRET et/ou le numéro RNA du porteur',
    path: ['siret'],
  });

export const requestedAmountSchema = z.strictObject({ funder: funderIdSchema, amountCents: centsSchema });

export const budgetYearSchema = z.strictObject({
  /** 1 … durationYears, relative to the action's start. */
  year: yearIndexSchema,
  totalCostCents: centsSchema,
  requested: z.array(requestedAmountSchema),
  /** Own funds, sales, other grants: everything not requested from the campaign's funders. */
  otherResourcesCents: centsSchema,
});
export type BudgetYear = z.infer<typeof budgetYearSchema>;

export const actionSchema = z.strictObject({
  title: z.string().trim().min(1).max(300),
  summary: z.string().trim().min(1).max(5000),
  theme: actionThemeCodeSchema,
  /** Targeted quartiers prioritaires. */
  qpvCodes: z.array(qpvCodeSchema).min(1),
  expectedBeneficiaries: z.number().int().nonnegative(),
  /** How residents co-build the action (required by the contrat de ville; may be short or empty). */
  residentsInvolvement: z.string().max(5000),
});

export const dossierSchema = z.strictObject({
  porteur: porteurIdentitySchema,
  action: actionSchema,
  durationYears: yearIndexSchema,
  budget: z.array(budgetYearSchema).min(1).max(4),
});
export type Dossier = z.infer<typeof dossierSchema>;

// Version 1 of ApplicationSubmitted predates otherResourcesCents: budgets then had to be fully
// covered by the requested amounts. Kept only to read old events (see the upcaster in events.ts).
export const budgetYearV1Schema = z.strictObject({
  year: yearIndexSchema,
  totalCostCents: centsSchema,
  requested: z.array(requestedAmountSchema),
});

export const requestedFor = (dossier: Dossier, funder: string, year: number): number =>
  dossier.budget.find((b) => b.year === year)?.requested.find((r) => r.funder === funder)?.amountCents ?? 0;

/** Funders asked for something in at least one year, in order of first appearance. */
export function solicitedFunders(dossier: Dossier): string[] {
  const funders: string[] = [];
  for (const year of dossier.budget)
    for (const r of year.requested)
      if (r.amountCents > 0 && !funders.includes(r.funder)) funders.push(r.funder);
  return funders;
}
