// The SCDL « subventions » export of a real funding year, checked against the schema's own rules
// (columns and their order, patterns, allowed values) and RFC 4180.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, eurosDecimal } from '../../services/audit/csv';
import {
  camvsAttribuants,
  PUBLICATION_THRESHOLD_CENTS,
  scdlCsv,
  scdlExport,
  scdlSubventionsColumns,
  type ScdlRow,
} from '../../services/audit/scdl';
import { MAUBEUGE, dossier } from '../domain/support/fixtures';
import {
  APPLICATION_A,
  APPLICATION_B,
  FundingWorld,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';
import { parseCsv } from './csvParse';

const header =
  'nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,rnaBeneficiaire,' +
  'objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,notificationUE,pourcentageSubvention,' +
  'dispositifAide';

/** The rules of schema.data.gouv.fr/scdl/subventions 2.1.1, field by field. */
function schemaProblems(record: Record<string, string>): string[] {
  const problems: string[] = [];
  const required = ['nomAttribuant', 'idAttribuant', 'dateConvention', 'nomBeneficiaire', 'objet', 'montant'];
  for (const field of [
    ...required,
    'nature',
    'conditionsVersement',
    'datesPeriodeVersement',
    'notificationUE',
  ]) {
    if ((record[field] ?? '') === '') problems.push(`${field} vide`);
  }
  const check = (field: string, pattern: RegExp) => {
    const value = record[field] ?? '';
    if (value !== '' && !pattern.test(value)) problems.push(`${field} = ${value}`);
  };
  check('idAttribuant', /^\d{14}$/);
  check('dateConvention', /^\d{4}-\d{2}-\d{2}$/);
  check('idBeneficiaire', /^\d{14}$/);
  check('rnaBeneficiaire', /^W\d{9}$/);
  check('montant', /^\d+(\.\d+)?$/);
  check('datesPeriodeVersement', /^[0-9]{4}-[0-9]{2}-[0-9]{2}(\/[0-9]{4}-[0-9]{2}-[0-9]{2})?$/);
  check(
    'nature',
    /^(aide en numéraire|aide en nature|aide en numéraire;aide en nature|aide en nature;aide en numéraire)$/,
  );
  check('notificationUE', /^(oui|non)$/);
  if ((record.objet ?? '').length >= 256) problems.push('objet trop long');
  const percent = Number(record.pourcentageSubvention);
  if (!(percent >= 0.01 && percent <= 1))
    problems.push(`pourcentageSubvention = ${record.pourcentageSubvention}`);
  if ((record.idBeneficiaire ?? '') === '' && (record.rnaBeneficiaire ?? '') === '')
    problems.push('bénéficiaire sans identifiant');
  return problems;
}

describe('SCDL « subventions » export', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
  });
  afterAll(() => t.close());

  it('writes the schema’s header, in its order, then one row per beneficiary and funder', async () => {
    const result = await scdlExport(t.store, { year: 2027 });
    const csv = scdlCsv(result.rows);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(header);
    expect(scdlSubventionsColumns.join(',')).toBe(header);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(lines.slice(1, -1)).toEqual([
      // B: one payment at signature, on 15 April — 'unique', on that date.
      'État,,2027-04-15,COPIL-2027-03,Les Jardins de Sous-le-Bois (fictive),,W593000002,Ateliers numériques parents-enfants,10000.00,aide en numéraire,unique,2027-04-15,,non,1.00,',
      // A: a two-year CPO in force on 2 June; advance at signature, the rest after each year's report
      // (the second year's due by 31 December 2029). The agglomeration and Maubeuge have public SIRETs.
      "Communauté d'Agglomération Maubeuge Val-de-Sambre,20004339600015,2027-06-02,COPIL-2027-05,Association Sambre Avenir (fictive),81234567800013,W593000001,Ateliers numériques parents-enfants,30000.00,aide en numéraire,échelonné,2027-06-02/2029-12-31,,non,1.00,",
      'Commune de Maubeuge,21590392300013,2027-06-02,COPIL-2027-05,Association Sambre Avenir (fictive),81234567800013,W593000001,Ateliers numériques parents-enfants,10000.00,aide en numéraire,échelonné,2027-06-02/2029-12-31,,non,1.00,',
      'État,,2027-06-02,COPIL-2027-05,Association Sambre Avenir (fictive),81234567800013,W593000001,Ateliers numériques parents-enfants,60000.00,aide en numéraire,échelonné,2027-06-02/2029-12-31,,non,1.00,',
    ]);
    expect(result.rows.map((r) => [r.applicationId, r.funder])).toEqual([
      [APPLICATION_B, 'ETAT'],
      [APPLICATION_A, 'EPCI'],
      [APPLICATION_A, MAUBEUGE],
      [APPLICATION_A, 'ETAT'],
    ]);
  });

  it('never invents a SIRET: the État’s stays empty, with a warning to complete it', async () => {
    const result = await scdlExport(t.store, { year: 2027 });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/idAttribuant inconnu pour « État » \(ETAT\)/);
    const withSiret = await scdlExport(t.store, {
      year: 2027,
      // A placeholder SIRET, as a deployment would supply the real one.
      attribuants: {
        ...camvsAttribuants,
        ETAT: { nom: 'Préfecture du Nord (exemple)', siret: '00000000000000' },
      },
    });
    expect(withSiret.warnings).toEqual([]);
    for (const row of withSiret.rows) expect(schemaProblems(row.record)).toEqual([]);
  });

  it('every row but the missing idAttribuant satisfies the schema', async () => {
    const result = await scdlExport(t.store, { year: 2027 });
    for (const row of result.rows) {
      const problems = schemaProblems(row.record);
      expect(problems).toEqual(row.funder === 'ETAT' ? ['idAttribuant vide'] : []);
    }
  });

  it('marks the rows whose publication is mandatory (an annual amount above 23 000 €) and can keep only them', async () => {
    const result = await scdlExport(t.store, { year: 2027 });
    const flag = (r: ScdlRow) => `${r.applicationId}/${r.funder}:${r.maxYearlyCents}:${r.aboveThreshold}`;
    expect(result.rows.map(flag)).toEqual([
      `${APPLICATION_B}/ETAT:1000000:false`,
      `${APPLICATION_A}/EPCI:1500000:false`,
      `${APPLICATION_A}/${MAUBEUGE}:500000:false`,
      // 30 000 € a year (60 000 € over the CPO): above the threshold.
      `${APPLICATION_A}/ETAT:3000000:true`,
    ]);
    const mandatory = await scdlExport(t.store, { year: 2027, aboveThresholdOnly: true });
    expect(mandatory.rows.map((r) => r.record.montant)).toEqual(['60000.00']);
    expect(PUBLICATION_THRESHOLD_CENTS).toBe(2_300_000);
  });

  it('takes a year by the date the convention entered into force; rejected applications never appear', async () => {
    const next = await scdlExport(t.store, { year: 2028 });
    expect(
      next.rows.map((r) => [
        r.record.dateConvention,
        r.record.nomBeneficiaire,
        r.record.montant,
        r.aboveThreshold,
      ]),
    ).toEqual([['2028-01-10', 'Association D (fictive)', '24000.00', true]]);
    expect((await scdlExport(t.store, { year: 2026 })).rows).toEqual([]);
    const all = [...(await scdlExport(t.store, { year: 2027 })).rows, ...next.rows];
    expect(all.some((r) => r.record.nomBeneficiaire.startsWith('Association C'))).toBe(false);
  });
});

describe('SCDL export of awkward text', () => {
  let t: TestStore;
  afterAll(() => t.close());

  it('quotes commas, quotes and line breaks per RFC 4180 and keeps objet under 256 characters', async () => {
    t = openTestStore();
    const world = new FundingWorld(t);
    await world.createAndOpenCampaign();
    const title = `Atelier « Bien vivre, ensemble » ${'très long '.repeat(30)}`.trim().slice(0, 300);
    const d = dossier(1, { EPCI: 2_500_000 }, 1_000_000);
    const e = world.application('01JQA00000000000000000000E', 'porteur-e');
    await e.submit('2027-02-10', {
      ...d,
      porteur: { name: 'Association "Les Amis", du Val', siret: '81234567800047', contactRef: 'contact-e' },
      action: { ...d.action, title },
    });
    await e.eligible('2027-02-20', '2027-04-30');
    await e.commit('EPCI', '2027-03-01');
    await e.opinion('2027-03-02');
    await e.approve('2027-03-20', 'DEL-2027-042, séance du 20 mars');
    await e.draft('2027-03-25', '2027-04-01', '2027-04-30');
    await e.signByPorteur('2027-04-01');
    await e.sign('EPCI', '2027-04-02');

    const result = await scdlExport(t.store, { year: 2027 });
    const csv = scdlCsv(result.rows);
    const [columns, row, ...rest] = parseCsv(csv);
    expect(rest).toEqual([]);
    expect(columns).toEqual([...scdlSubventionsColumns]);
    const record = Object.fromEntries(columns!.map((c, i) => [c, row![i]]));
    expect(record.nomBeneficiaire).toBe('Association "Les Amis", du Val');
    expect(record.referenceDecision).toBe('DEL-2027-042, séance du 20 mars');
    expect(record.objet).toHaveLength(255);
    expect(record.objet?.endsWith('…')).toBe(true);
    expect(record.montant).toBe('25000.00');
    expect(result.rows[0]?.aboveThreshold).toBe(true);
    expect(csv).toContain('"Association ""Les Amis"", du Val"');
    expect(schemaProblems(record as Record<string, string>)).toEqual([]);
  });
});

describe('CSV helpers', () => {
  it('quotes only what must be quoted', () => {
    expect(csvField('simple')).toBe('simple');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('dit "oui"')).toBe('"dit ""oui"""');
    expect(csvField('deux\r\nlignes')).toBe('"deux\r\nlignes"');
    expect(csvField('')).toBe('');
  });

  it('writes euros with a dot and two decimals, from integer cents', () => {
    expect(eurosDecimal(0)).toBe('0.00');
    expect(eurosDecimal(5)).toBe('0.05');
    expect(eurosDecimal(4_780_020)).toBe('47800.20');
    expect(eurosDecimal(-150)).toBe('-1.50');
    expect(() => eurosDecimal(0.5)).toThrow(RangeError);
  });
});
