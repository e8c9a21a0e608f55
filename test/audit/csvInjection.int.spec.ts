// CSV injection: text someone typed must reach an auditor's spreadsheet as text, never as a formula
// (OWASP « CSV injection »), through the writer and through a real ledger export. The SCDL open data
// is the exception: its values are published exactly (« +Emploi » is a name), and the JSON variant's
// warnings point out those a spreadsheet would take for formulas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvExactField, csvField, looksLikeFormula } from '../../services/audit/csv';
import { ledgerCsv } from '../../services/audit/ledgerCsv';
import { scdlCsv, scdlExport } from '../../services/audit/scdl';
import { dossier } from '../domain/support/fixtures';
import { FundingWorld, openTestStore, type TestStore } from './support';
import { parseCsv } from './csvParse';

const HOSTILE_NAME = '=HYPERLINK("http://evil.example","Asso test")';
const HOSTILE_TITLE = "@SUM(1+1)*cmd|' /C calc'!A0";
const HOSTILE_REFERENCE = "-2+3+cmd|' /C calc'!A0";

describe('CSV writer against formulas', () => {
  it('writes text a spreadsheet would run after an apostrophe, and leaves numbers alone', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+33 3 27 00 00 00')).toBe("'+33 3 27 00 00 00");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tcmd')).toBe("'\tcmd");
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    // Amounts and ordinary text as they are.
    expect(csvField('-150.00')).toBe('-150.00');
    expect(csvField('+12')).toBe('+12');
    expect(csvField('Atelier = fête')).toBe('Atelier = fête');
    expect(csvField('2027-04-01')).toBe('2027-04-01');
  });

  it('writes open-data values exactly, only quoted where RFC 4180 needs it', () => {
    expect(csvExactField('+Emploi')).toBe('+Emploi');
    expect(csvExactField('=HYPERLINK("http://x","y")')).toBe('"=HYPERLINK(""http://x"",""y"")"');
    expect(looksLikeFormula('+Emploi')).toBe(true);
    expect(looksLikeFormula('-150.00')).toBe(false);
    expect(looksLikeFormula('Emploi +')).toBe(false);
  });
});

describe('exports of hostile text', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = openTestStore();
    const world = new FundingWorld(t);
    await world.createAndOpenCampaign();
    const d = dossier(1, { EPCI: 2_500_000 }, 1_000_000);
    const f = world.application('01JQA00000000000000000000F', 'porteur-f');
    await f.submit('2027-02-10', {
      ...d,
      porteur: { name: HOSTILE_NAME, siret: '81234567800047', contactRef: 'c-f' },
      action: { ...d.action, title: HOSTILE_TITLE },
    });
    await f.eligible('2027-02-20', '2027-04-30');
    await f.commit('EPCI', '2027-03-01');
    await f.opinion('2027-03-02');
    await f.approve('2027-03-20', HOSTILE_REFERENCE);
    await f.draft('2027-03-25', '2027-04-01', '2027-04-30');
    await f.signByPorteur('2027-04-01');
    await f.sign('EPCI', '2027-04-02');
    // An association whose real name starts with a plus sign.
    const g = world.application('01JQA00000000000000000000G', 'porteur-g');
    await g.submit('2027-02-11', {
      ...d,
      porteur: { name: '+Emploi', rna: 'W593000077', contactRef: 'c-g' },
    });
    await g.eligible('2027-02-20', '2027-04-30');
    await g.commit('EPCI', '2027-03-01');
    await g.opinion('2027-03-02');
    await g.approve('2027-03-20', 'DEL-2027-044');
    await g.draft('2027-03-25', '2027-04-01', '2027-04-30');
    await g.signByPorteur('2027-04-01');
    await g.sign('EPCI', '2027-04-03');
  });
  afterAll(() => t.close());

  it('keeps the ledger CSV safe to open: a formula-like decision reference is written after an apostrophe', async () => {
    let csv = '';
    for await (const chunk of ledgerCsv(t.store)) csv += chunk;
    const [header, ...rows] = parseCsv(csv);
    const reference = header!.indexOf('reference');
    const references = rows.map((r) => r[reference]);
    expect(references).toContain(`'${HOSTILE_REFERENCE}`);
    expect(references).not.toContain(HOSTILE_REFERENCE);
    // No field of the ledger starts with a formula character.
    for (const row of rows) for (const field of row) expect(field, field).not.toMatch(/^[=+@\t\r]|^-(?!\d)/);
  });

  it('publishes SCDL values exactly, « +Emploi » and hostile text alike, never prefixed', async () => {
    const result = await scdlExport(t.store, { year: 2027 });
    const [columns, ...rows] = parseCsv(scdlCsv(result.rows));
    const records = rows.map((row) => Object.fromEntries(columns!.map((c, i) => [c, row[i]])));
    const byName = (name: string) => records.find((r) => r.nomBeneficiaire === name);
    expect(byName('+Emploi')?.rnaBeneficiaire).toBe('W593000077');
    expect(byName(HOSTILE_NAME)?.objet).toBe(HOSTILE_TITLE);
    expect(byName(HOSTILE_NAME)?.referenceDecision).toBe(HOSTILE_REFERENCE);
    expect(records.map((r) => r.nomBeneficiaire)).not.toContain(`'+Emploi`);
  });

  it('warns, in the JSON variant, of the values a spreadsheet would read as formulas', async () => {
    const { rows, warnings } = await scdlExport(t.store, { year: 2027 });
    const line = (name: string) => rows.findIndex((r) => r.record.nomBeneficiaire === name) + 2;
    const formulas = warnings.filter((w) => w.includes('formule de tableur'));
    expect(formulas).toEqual([
      expect.stringContaining(
        `referenceDecision « ${HOSTILE_REFERENCE} » (ligne ${line(HOSTILE_NAME)} du CSV)`,
      ),
      expect.stringContaining(`nomBeneficiaire « =HYPERLINK("http://evil.example","Asso test") »`),
      expect.stringContaining(`objet « ${HOSTILE_TITLE} »`),
      expect.stringContaining(`nomBeneficiaire « +Emploi » (ligne ${line('+Emploi')} du CSV)`),
    ]);
    expect(formulas[0]).toContain('le fichier garde la valeur exacte');
  });
});
