// The SCDL « subventions » export of a real funding year, checked against the schema's own rules
// (columns and their order, patterns, allowed values) and RFC 4180.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, eurosDecimal } from '../../services/audit/csv';
import { formatEuros } from '../../domain/shared/money';
import { attribuantDirectory } from '../../services/audit/attribuants';
import { resolveInstant } from '../../services/audit/asOf';
import {
  PUBLICATION_THRESHOLD_CENTS,
  scdlCsv,
  scdlExport,
  scdlFileName,
  scdlIncompleteSummary,
  scdlSubventionsColumns,
  type ScdlRow,
} from '../../services/audit/scdl';
import { MAUBEUGE, dossier } from '../domain/support/fixtures';
import {
  APPLICATION_A,
  APPLICATION_B,
  FundingWorld,
  on,
  openTestStore,
  playFundingYear,
  type TestStore,
  jardinsWithoutSiretWarning,
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
      'Commune de Maubeuge,21590392300013,2027-06-02,DCM-2027-041,Association Sambre Avenir (fictive),81234567800013,W593000001,Ateliers numériques parents-enfants,10000.00,aide en numéraire,échelonné,2027-06-02/2029-12-31,,non,1.00,',
      'État,,2027-06-02,COPIL-2027-05,Association Sambre Avenir (fictive),81234567800013,W593000001,Ateliers numériques parents-enfants,60000.00,aide en numéraire,échelonné,2027-06-02/2029-12-31,,non,1.00,',
    ]);
    expect(result.rows.map((r) => [r.applicationId, r.funder])).toEqual([
      [APPLICATION_B, 'ETAT'],
      [APPLICATION_A, 'EPCI'],
      [APPLICATION_A, MAUBEUGE],
      [APPLICATION_A, 'ETAT'],
    ]);
  });

  it('never invents a SIRET: the État’s stays empty, the export says it is incomplete and what to complete', async () => {
    const result = await scdlExport(t.store, { year: 2027 });
    expect(result.complete).toBe(false);
    expect(result.missingIdAttribuant).toEqual([{ funder: 'ETAT', nomAttribuant: 'État', rows: 2 }]);
    // One warning for the funder: its SIRET, and « État » is only a generic label; then B's beneficiary.
    expect(result.warnings.slice(1)).toEqual([jardinsWithoutSiretWarning]);
    expect(result.warnings[0]).toMatch(
      /^idAttribuant inconnu pour « État » \(ETAT\) : le schéma exige son SIRET/,
    );
    expect(result.warnings[0]).toContain('« État » n’est qu’un libellé générique');
    expect(result.warnings[0]).toContain('GRANTS_ATTRIBUANTS_FILE');
    expect(scdlIncompleteSummary(result)).toBe(
      'Export SCDL des conventions de 2027 incomplet : idAttribuant, le SIRET du financeur que le schéma rend ' +
        'obligatoire, est inconnu pour « État » (ETAT, 2 lignes).',
    );
    const withSiret = await scdlExport(t.store, {
      year: 2027,
      // A placeholder SIRET, as a deployment would supply the real one.
      attribuants: attribuantDirectory({
        ETAT: { nom: 'Préfecture du Nord (exemple)', siret: '00000000000000' },
      }),
    });
    expect(withSiret.warnings).toEqual([jardinsWithoutSiretWarning]);
    expect(withSiret.complete).toBe(true);
    expect(withSiret.missingIdAttribuant).toEqual([]);
    for (const row of withSiret.rows) expect(schemaProblems(row.record)).toEqual([]);
  });

  it('asks only for the SIRET of a funder the directory names without one', async () => {
    const named = await scdlExport(t.store, {
      year: 2027,
      attribuants: attribuantDirectory({ ETAT: { nom: 'Préfecture du Nord (exemple)' } }),
    });
    expect(named.warnings).toEqual([
      'idAttribuant inconnu pour « Préfecture du Nord (exemple) » (ETAT) : le schéma exige son SIRET ; ' +
        'renseignez-le dans le fichier des attribuants (GRANTS_ATTRIBUANTS_FILE, ou --attribuants pour ' +
        'grants export) ; aucun identifiant n’est inventé.',
      jardinsWithoutSiretWarning,
    ]);
    expect(named.warnings[0]).not.toContain('générique');
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
    const flag = (r: ScdlRow) =>
      `${r.applicationId}/${r.funder}:${r.maxYearlyCents}:${r.aboveThreshold}:${r.publicationRules.join('+')}`;
    expect(result.rows.map(flag)).toEqual([
      `${APPLICATION_B}/ETAT:1000000:false:`,
      `${APPLICATION_A}/EPCI:1500000:false:`,
      `${APPLICATION_A}/${MAUBEUGE}:500000:false:`,
      // 30 000 € a year (60 000 € over the CPO): above the threshold.
      `${APPLICATION_A}/ETAT:3000000:true:convention_annual_amount`,
    ]);
    expect(result.rows[3]?.publicationReason).toBe(
      `Publication obligatoire : le montant annuel de la convention (${formatEuros(3_000_000)}) dépasse ${formatEuros(2_300_000)}.`,
    );
    expect(result.rows[0]?.publicationReason).toBeNull();
    expect(result.publicationThresholdCents).toBe(2_300_000);
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

  it('draws the file again as the log stood at a past instant (record time): what came later is not in it', async () => {
    const beneficiaries = (rows: readonly ScdlRow[]) => [
      ...new Set(rows.map((r) => `${r.record.nomBeneficiaire} ${r.record.dateConvention}`)),
    ];
    const today = await scdlExport(t.store, { year: 2027 });
    expect(beneficiaries(today.rows)).toEqual([
      'Les Jardins de Sous-le-Bois (fictive) 2027-04-15',
      'Association Sambre Avenir (fictive) 2027-06-02',
    ]);
    expect(today).not.toHaveProperty('asOf');
    // On 1 May, only the Jardins' convention was in force (since 15 April).
    const may = await scdlExport(t.store, { year: 2027, asOf: resolveInstant('2027-05-01')! });
    expect(beneficiaries(may.rows)).toEqual(['Les Jardins de Sous-le-Bois (fictive) 2027-04-15']);
    expect(may.rows).toEqual(today.rows.filter((r) => r.applicationId === APPLICATION_B));
    expect(may.asOf).toBe('2027-05-01T21:59:59.999Z');
    expect(scdlFileName(may)).toBe('subventions-2027-au-2027-05-01.csv');
    expect(scdlFileName(today)).toBe('subventions-2027.csv');
    // The day before its last signature, nothing yet; D's 2028 convention from the day it was signed.
    expect((await scdlExport(t.store, { year: 2027, asOf: on('2027-04-14') })).rows).toEqual([]);
    expect((await scdlExport(t.store, { year: 2028, asOf: on('2028-01-09') })).rows).toEqual([]);
    expect((await scdlExport(t.store, { year: 2028, asOf: on('2028-01-10') })).rows).toHaveLength(1);
  });
});

describe('SCDL publication threshold per funder and beneficiary', () => {
  let t: TestStore;
  const H = '01JQA00000000000000000000H';
  const J = '01JQA00000000000000000000J';
  const K = '01JQA00000000000000000000K';
  const M = '01JQA00000000000000000000M';
  const familles = { name: 'Maison des Familles (fictive)', contactRef: 'contact-familles' };

  beforeAll(async () => {
    t = openTestStore();
    const world = new FundingWorld(t);
    await world.createAndOpenCampaign();
    const annual = dossier(1, { EPCI: 1_200_000 }, 1_000_000);
    // The same association three times: SIRET and RNA, then its RNA only, then its SIRET only.
    const h = world.application(H, 'porteur-familles');
    await h.submit('2027-02-10', {
      ...dossier(1, { EPCI: 1_200_000, [MAUBEUGE]: 500_000 }, 1_000_000),
      porteur: { ...familles, siret: '81234567800054', rna: 'W593000010' },
    });
    const j = world.application(J, 'porteur-familles');
    await j.submit('2027-02-11', { ...annual, porteur: { ...familles, rna: 'W593000010' } });
    const m = world.application(M, 'porteur-familles');
    await m.submit('2027-02-12', { ...annual, porteur: { ...familles, siret: '81234567800054' } });
    const k = world.application(K, 'porteur-autre');
    await k.submit('2027-02-13', {
      ...annual,
      porteur: { name: 'Autre Association (fictive)', siret: '81234567800062', contactRef: 'contact-autre' },
    });
    for (const app of [h, j, k]) await app.eligible('2027-02-20', '2027-04-30');
    await m.eligible('2027-02-20', '2027-12-15');
    await h.commit(MAUBEUGE, '2027-03-01');
    for (const app of [h, j, k, m]) {
      await app.commit('EPCI', '2027-03-01');
      await app.opinion('2027-03-02');
    }
    await h.approve('2027-03-20', 'COPIL-2027-03-H');
    await j.approve('2027-03-20', 'COPIL-2027-03-J');
    await k.approve('2027-03-20', 'COPIL-2027-03-K');
    await m.approve('2027-11-15', 'COPIL-2027-11-M');
    for (const app of [h, j, k]) {
      await app.draft('2027-03-25', '2027-04-01', '2027-04-30');
      await app.signByPorteur('2027-04-01');
      await app.sign('EPCI', '2027-04-10');
    }
    await h.sign(MAUBEUGE, '2027-04-12');
    // Signed in 2028: an award of another year, which the 2027 total leaves out.
    await m.draft('2027-11-20', '2028-01-01', '2028-01-31');
    await m.signByPorteur('2027-12-20');
    await m.sign('EPCI', '2028-01-05');
  });
  afterAll(() => t.close());

  const flag = (r: ScdlRow) =>
    `${r.applicationId}/${r.funder}:${r.beneficiaryYearCents}/${r.beneficiaryApplications.length}:${r.publicationRules.join('+') || '-'}`;

  it('makes every convention mandatory when one funder awards one beneficiary more than 23 000 € in the year', async () => {
    const result = await scdlExport(t.store, { year: 2027 });
    expect(result.rows.map(flag)).toEqual([
      `${K}/EPCI:1200000/1:-`,
      // 12 000 € + 12 000 €: each under the threshold, together above it. Maubeuge's 5 000 € is its own.
      `${J}/EPCI:2400000/2:funder_beneficiary_total`,
      // In force on 12 April, when Maubeuge signed.
      `${H}/EPCI:2400000/2:funder_beneficiary_total`,
      `${H}/${MAUBEUGE}:500000/1:-`,
    ]);
    const h = result.rows.find((r) => r.applicationId === H && r.funder === 'EPCI');
    expect(h?.aboveThreshold).toBe(true);
    expect(h?.maxYearlyCents).toBe(1_200_000);
    expect(h?.publicationReason).toBe(
      `Publication obligatoire : ce financeur attribue à ce bénéficiaire ${formatEuros(2_400_000)} par an sur 2 ` +
        `conventions entrées en vigueur en 2027, plus de ${formatEuros(2_300_000)} (cumul).`,
    );
    expect(h?.beneficiaryApplications).toEqual([H, J]);
    // One warning for the beneficiary, though its dossiers identified it differently.
    expect(result.warnings.filter((w) => w.startsWith('Publication obligatoire par cumul'))).toEqual([
      `Publication obligatoire par cumul : « Communauté d'Agglomération Maubeuge Val-de-Sambre » (EPCI) attribue à ` +
        `« Maison des Familles (fictive) » ${formatEuros(2_400_000)} par an sur 2 conventions entrées en vigueur en ` +
        `2027 (candidatures ${H}, ${J}), plus de ${formatEuros(2_300_000)} : chacune est à publier, même sous ce ` +
        'seuil à elle seule.',
    ]);
  });

  it('keeps the conventions mandatory by cumul when only the mandatory rows are asked for', async () => {
    const mandatory = await scdlExport(t.store, { year: 2027, aboveThresholdOnly: true });
    expect(mandatory.rows.map((r) => [r.applicationId, r.funder, r.record.montant])).toEqual([
      [J, 'EPCI', '12000.00'],
      [H, 'EPCI', '12000.00'],
    ]);
  });

  it('counts only the awards of the year: a convention in force the next year is that year’s', async () => {
    const next = await scdlExport(t.store, { year: 2028 });
    expect(next.rows.map(flag)).toEqual([`${M}/EPCI:1200000/1:-`]);
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
