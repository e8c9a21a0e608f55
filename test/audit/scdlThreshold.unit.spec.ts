// The 23 000 € publication threshold on hand-made rows: the two rules, the strict « dépasse », and
// how the cumulative rule recognises one beneficiary across dossiers (SIRET, RNA, else its name).
import { describe, expect, it } from 'vitest';
import { withPublicationObligation, type ScdlColumn, type ScdlRowDraft } from '../../services/audit/scdl';

function draft(
  applicationId: string,
  funder: string,
  maxYearlyCents: number,
  beneficiary: { nom: string; siret?: string; rna?: string },
): ScdlRowDraft {
  const record = {
    nomBeneficiaire: beneficiary.nom,
    idBeneficiaire: beneficiary.siret ?? '',
    rnaBeneficiaire: beneficiary.rna ?? '',
  } as Record<ScdlColumn, string>;
  return { record, applicationId, funder, totalCents: maxYearlyCents, maxYearlyCents };
}

const rulesOf = (drafts: ScdlRowDraft[]) =>
  withPublicationObligation(drafts, 2027).map(
    (r) => `${r.applicationId}:${r.beneficiaryYearCents}:${r.publicationRules.join('+') || '-'}`,
  );

describe('SCDL publication threshold', () => {
  it('is strictly above 23 000 € a year, for one convention', () => {
    expect(
      rulesOf([
        draft('a', 'ETAT', 2_300_000, { nom: 'A', siret: '81234567800013' }),
        draft('b', 'ETAT', 2_300_001, { nom: 'B', siret: '81234567800021' }),
      ]),
    ).toEqual(['a:2300000:-', 'b:2300001:convention_annual_amount']);
  });

  it('adds up one funder’s conventions with one beneficiary, linked by SIRET or RNA', () => {
    expect(
      rulesOf([
        draft('a', 'EPCI', 1_000_000, { nom: 'Asso', siret: '81234567800013', rna: 'W593000001' }),
        draft('b', 'EPCI', 1_000_000, { nom: 'Asso (autre libellé)', rna: 'W593000001' }),
        draft('c', 'EPCI', 500_000, { nom: 'Asso', siret: '81234567800013' }),
        // Another funder, another beneficiary: each on its own.
        draft('d', 'ETAT', 1_000_000, { nom: 'Asso', siret: '81234567800013' }),
        draft('e', 'EPCI', 1_000_000, { nom: 'Asso', siret: '81234567800021' }),
      ]),
    ).toEqual([
      'a:2500000:funder_beneficiary_total',
      'b:2500000:funder_beneficiary_total',
      'c:2500000:funder_beneficiary_total',
      'd:1000000:-',
      'e:1000000:-',
    ]);
  });

  it('names both rules when both hold', () => {
    expect(
      rulesOf([
        draft('a', 'EPCI', 3_000_000, { nom: 'Asso', siret: '81234567800013' }),
        draft('b', 'EPCI', 500_000, { nom: 'Asso', siret: '81234567800013' }),
      ]),
    ).toEqual([
      'a:3500000:convention_annual_amount+funder_beneficiary_total',
      'b:3500000:funder_beneficiary_total',
    ]);
  });

  it('falls back on the name, spacing and case aside, for a beneficiary without SIRET or RNA', () => {
    expect(
      rulesOf([
        draft('a', 'CAF', 1_200_000, { nom: 'Les  Amis du Val' }),
        draft('b', 'CAF', 1_200_000, { nom: 'les amis du val ' }),
        draft('c', 'CAF', 1_200_000, { nom: 'Les Amis du Val', siret: '81234567800013' }),
      ]),
    ).toEqual(['a:2400000:funder_beneficiary_total', 'b:2400000:funder_beneficiary_total', 'c:1200000:-']);
  });
});
