// CSV injection: text a porteur typed must reach an auditor's spreadsheet as text, never as a
// formula (OWASP « CSV injection »), through the writer and through a real SCDL export.
import { afterAll, describe, expect, it } from 'vitest';
import { csvField } from '../../services/audit/csv';
import { scdlCsv, scdlExport } from '../../services/audit/scdl';
import { dossier } from '../domain/support/fixtures';
import { FundingWorld, openTestStore, type TestStore } from './support';
import { parseCsv } from './csvParse';

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
});

describe('SCDL export of a hostile name', () => {
  let t: TestStore;
  afterAll(() => t.close());

  it('keeps a porteur’s formula-like name and title as text in the file', async () => {
    t = openTestStore();
    const world = new FundingWorld(t);
    await world.createAndOpenCampaign();
    const d = dossier(1, { EPCI: 2_500_000 }, 1_000_000);
    const e = world.application('01JQA00000000000000000000F', 'porteur-f');
    await e.submit('2027-02-10', {
      ...d,
      porteur: {
        name: '=HYPERLINK("http://evil.example","Asso test")',
        siret: '81234567800047',
        contactRef: 'c-f',
      },
      action: { ...d.action, title: "@SUM(1+1)*cmd|' /C calc'!A0" },
    });
    await e.eligible('2027-02-20', '2027-04-30');
    await e.commit('EPCI', '2027-03-01');
    await e.opinion('2027-03-02');
    await e.approve('2027-03-20', 'DEL-2027-043');
    await e.draft('2027-03-25', '2027-04-01', '2027-04-30');
    await e.signByPorteur('2027-04-01');
    await e.sign('EPCI', '2027-04-02');

    const csv = scdlCsv((await scdlExport(t.store, { year: 2027 })).rows);
    const [columns, row] = parseCsv(csv);
    const record = Object.fromEntries(columns!.map((c, i) => [c, row![i]]));
    expect(record.nomBeneficiaire).toBe('\'=HYPERLINK("http://evil.example","Asso test")');
    expect(record.objet?.startsWith("'@SUM(1+1)")).toBe(true);
    expect(record.montant).toBe('25000.00');
    // No field of the file starts with a formula character.
    for (const field of row!) expect(field, field).not.toMatch(/^[=+@\t\r]|^-(?!\d)/);
  });
});
