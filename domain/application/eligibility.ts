// Automatic findings shown to the grant manager before the eligibility ruling (recevabilité).
// Each rule is small and pure; the findings are stored in the events so that an auditor sees what
// the grant manager saw, even after the rules change.
import { z } from 'zod';
import { themeLabel, themeOpenedBy, type ThemeCode } from '../reference/themes';
import { formatEuros, sumCents } from '../shared/money';
import type { Dossier } from './dossier';
import { countOf, frenchDecimal } from '../shared/french';

export const findingSchema = z.object({
  id: z.string(),
  label: z.string(),
  outcome: z.enum(['pass', 'fail', 'warn']),
  detail: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;
export type FindingOutcome = Finding['outcome'];

/** The campaign terms an application is judged against, frozen at submission. */
export const campaignTermsAtSubmissionSchema = z.object({
  campaignYear: z.number().int(),
  maxDurationYears: z.number().int().min(1).max(4),
  publicShareCapPercent: z.number().min(0).max(100),
  territoryQpvCodes: z.array(z.string()),
  funders: z.array(z.string()),
  themes: z.array(z.string()),
  /** The QPV reference the campaign was built on (absent from applications filed before it was kept). */
  qpvReferenceVersion: z.string().min(1).optional(),
});
export type CampaignTermsAtSubmission = z.infer<typeof campaignTermsAtSubmissionSchema>;

export interface EligibilityRule {
  id: string;
  label: string;
  evaluate: (
    dossier: Dossier,
    terms: CampaignTermsAtSubmission,
  ) => { outcome: FindingOutcome; detail: string };
}

/** Below this many characters the residents' involvement is considered barely described. */
export const RESIDENTS_INVOLVEMENT_MIN_CHARS = 80;

/** SIRET key (Luhn), with La Poste's establishments (SIREN 356000000) summing digits instead. */
export function siretChecksumValid(siret: string): boolean {
  if (!/^\d{14}$/.test(siret)) return false;
  const digits = [...siret].map(Number);
  if (siret.startsWith('356000000')) return sumCents(digits) % 5 === 0;
  let sum = 0;
  digits.forEach((d, i) => {
    const doubled = i % 2 === 0 ? d * 2 : d;
    sum += doubled > 9 ? doubled - 9 : doubled;
  });
  return sum % 10 === 0;
}

export const eligibilityRules: readonly EligibilityRule[] = [
  {
    id: 'qpv-territory',
    label: 'Au moins un quartier prioritaire du territoire',
    evaluate: (d, t) => {
      const inside = d.action.qpvCodes.filter((c) => t.territoryQpvCodes.includes(c));
      return inside.length > 0
        ? { outcome: 'pass', detail: `Quartiers du territoire visés : ${inside.join(', ')}.` }
        : {
            outcome: 'fail',
            detail: "Aucun des quartiers visés n'appartient au territoire du contrat de ville.",
          };
    },
  },
  {
    id: 'qpv-outside-territory',
    label: 'Quartiers visés hors du territoire',
    evaluate: (d, t) => {
      const outside = d.action.qpvCodes.filter((c) => !t.territoryQpvCodes.includes(c));
      return outside.length === 0
        ? { outcome: 'pass', detail: 'Tous les quartiers visés sont sur le territoire.' }
        : { outcome: 'warn', detail: `Quartiers hors territoire : ${outside.join(', ')}.` };
    },
  },
  {
    id: 'residents-involvement',
    label: 'Implication des habitants décrite',
    evaluate: (d) => {
      const length = d.action.residentsInvolvement.trim().length;
      if (length === 0)
        return { outcome: 'fail', detail: "La co-construction avec les habitants n'est pas décrite." };
      if (length < RESIDENTS_INVOLVEMENT_MIN_CHARS)
        return {
          outcome: 'warn',
          detail: `Description très courte (${length} caractères) de l'implication des habitants.`,
        };
      return { outcome: 'pass', detail: "L'implication des habitants est décrite." };
    },
  },
  {
    id: 'public-share-cap',
    label: 'Part de financement public dans le plafond de la campagne',
    evaluate: (d, t) => {
      const cost = sumCents(d.budget.map((b) => b.totalCostCents));
      const requested = sumCents(d.budget.flatMap((b) => b.requested.map((r) => r.amountCents)));
      const percent = cost === 0 ? 100 : Math.round((requested * 1000) / cost) / 10;
      const detail = `Demandé aux financeurs : ${formatEuros(requested)} sur un coût total de ${formatEuros(cost)} (${frenchDecimal(percent)} %) ; plafond de la campagne : ${frenchDecimal(t.publicShareCapPercent)} %.`;
      return requested * 100 <= t.publicShareCapPercent * cost
        ? { outcome: 'pass', detail }
        : { outcome: 'fail', detail };
    },
  },
  {
    id: 'duration-max',
    label: 'Durée dans le maximum de la campagne',
    evaluate: (d, t) =>
      d.durationYears <= t.maxDurationYears
        ? {
            outcome: 'pass',
            detail: `${countOf(d.durationYears, 'an', 'ans')}, maximum ${t.maxDurationYears}.`,
          }
        : {
            outcome: 'fail',
            detail: `${d.durationYears} ans demandés, la campagne en permet au plus ${t.maxDurationYears}.`,
          },
  },
  {
    id: 'theme-in-campaign',
    label: 'Thème ouvert par la campagne',
    evaluate: (d, t) =>
      themeOpenedBy(d.action.theme, t.themes as ThemeCode[])
        ? { outcome: 'pass', detail: `${d.action.theme} ${themeLabel(d.action.theme)}.` }
        : {
            outcome: 'warn',
            detail: `Le thème ${d.action.theme} ${themeLabel(d.action.theme)} ne figure pas parmi ceux de l'appel.`,
          },
  },
  {
    id: 'beneficiaries',
    label: 'Bénéficiaires attendus indiqués',
    evaluate: (d) =>
      d.action.expectedBeneficiaries > 0
        ? { outcome: 'pass', detail: `${d.action.expectedBeneficiaries} bénéficiaires attendus.` }
        : { outcome: 'warn', detail: "Le nombre de bénéficiaires attendus n'est pas indiqué." },
  },
  {
    id: 'porteur-siret',
    label: 'SIRET du porteur valide (nécessaire au versement)',
    evaluate: (d) => {
      const siret = d.porteur.siret;
      if (siret === undefined)
        return {
          outcome: 'warn',
          detail: 'Seul le numéro RNA est indiqué : le SIRET sera nécessaire pour verser la subvention.',
        };
      return siretChecksumValid(siret)
        ? { outcome: 'pass', detail: `SIRET ${siret}.` }
        : { outcome: 'warn', detail: `La clé de contrôle du SIRET ${siret} est incorrecte : vérifiez-le.` };
    },
  },
];

export const evaluateEligibility = (dossier: Dossier, terms: CampaignTermsAtSubmission): Finding[] =>
  eligibilityRules.map((r) => ({ id: r.id, label: r.label, ...r.evaluate(dossier, terms) }));
