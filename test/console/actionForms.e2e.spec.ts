// What a reviewer found in three action forms, driven in Debian's Chromium on the real engine: a
// yearly report sent back for corrections reopens as the corrected report of its year, the
// corrections asked listed in the form and the fields starting from the report filed (another year
// chosen, a blank report of that year); the close dialog says to whom the porteur still owes a
// repayment (« à l’État »), in words that read; a funding plan line the API refuses is shown under
// its own field of the committee's form (the line of the plan sent, lines at 0 € left out), the
// field invalid and focused.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addYears, formatFrenchDate } from '../../domain/calendar';
import { chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  bringToInForce,
  campaignOfYear,
  command,
  createOpenCampaign,
  declareEligible,
  giveAllPositions,
  submitApplication,
  todayInParis,
  waitForApplication,
  type Plan,
} from './support/steps';

const campaignId = 'console-formulaires';
let world: ConsoleWorld;

const euro = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
/** Cents as the console writes them (lib.js money). */
const euros = (cents: number) => euro.format(cents / 100);
/** The page's text with its no-break and thin spaces read as spaces, its runs of blanks as one. */
const spaced = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

const activeId = (page: Page) =>
  page.evaluate<string | null>('document.activeElement && document.activeElement.id');

/**
 * A convention (ETAT 10 000 €, EPCI 5 000 € a year by default) whose years all ended, the last five
 * days ago: its reports are expected now; the advances of year 1 (half of each grant) were paid at
 * the signature.
 */
async function reportsExpected(plan: Plan): Promise<string> {
  const years = plan.durationYears ?? 1;
  const start = addDays(addYears(todayInParis(), -years), -5);
  const id = await bringToInForce(
    world.engine,
    await campaignOfYear(world.engine, `${campaignId}-cr`, start),
    plan,
    start,
  );
  await waitForApplication(world.engine, id, 'reports expected', (d) =>
    Array.from({ length: years }, (_, i) => i + 1).every((year) =>
      (d.state.reports ?? []).some((r) => r.year === year && r.status === 'expected'),
    ),
  );
  return id;
}

/** The porteur's report of year 1, with what was spent per funder (cents). */
const fileReport = (id: string, spent: Record<string, number>, extra: Record<string, unknown> = {}) =>
  command(world.engine, 'porteur', `/api/applications/${id}/reports`, {
    year: 1,
    spentByFunder: Object.entries(spent).map(([funder, amountCents]) => ({ funder, amountCents })),
    beneficiariesReached: 90,
    narrative: 'Ateliers tenus comme prévu.',
    ...extra,
  });

describe.skipIf(chromiumPath === undefined)('console action forms (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('reopens a report sent back as the corrected report of its year: the corrections listed, the fields as filed', async () => {
    const id = await reportsExpected({ title: 'Repair café des Provinces', durationYears: 2 });
    await fileReport(
      id,
      { ETAT: 800_000, EPCI: 0 },
      {
        beneficiariesReached: 42,
        narrative: 'Douze séances de réparation tenues.',
        documentRefs: ['cr-annee-1.pdf', 'factures.pdf'],
      },
    );
    const dueDate = addDays(todayInParis(), 20);
    await command(world.engine, 'manager', `/api/applications/${id}/reports/1/review`, {
      decision: 'changes_requested',
      comments: ['Joindre les feuilles de présence', 'Détailler les dépenses de personnel'],
      dueDate,
    });
    await waitForApplication(world.engine, id, 'changes requested', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.status === 'changes_requested'),
    );

    const page = await world.newPage();
    await world.signInAs(page, demo.porteur);
    await world.openApplication(page, id, 'form[data-action="report"]');
    const form = page.locator('form[data-action="report"]');
    // It says which report this is: not a blank yearly report.
    await expect(form.locator('#report-title').textContent()).resolves.toBe(
      'Déposer le compte rendu corrigé (année 1)',
    );
    // The corrections asked, in the form itself, with their date.
    const asked = form.getByTestId('report-corrections');
    await expect(asked.locator('li').allTextContents()).resolves.toEqual([
      'Joindre les feuilles de présence',
      'Détailler les dépenses de personnel',
    ]);
    await expect(asked.textContent().then(spaced)).resolves.toContain(
      `attendu jusqu’au ${formatFrenchDate(dueDate)} inclus`,
    );
    // Before the fields: read before correcting them.
    const [correctionsTop, firstFieldTop] = await Promise.all([
      asked.boundingBox().then((b) => b?.y ?? Infinity),
      form
        .getByLabel('Année de convention')
        .boundingBox()
        .then((b) => b?.y ?? -Infinity),
    ]);
    expect(correctionsTop).toBeLessThan(firstFieldTop);
    // The fields start from the report filed (0 € spent is a value, not an empty field).
    await expect(form.getByLabel('Année de convention').inputValue()).resolves.toBe('1');
    await expect(form.getByLabel('Dépensé sur la subvention de l’État (€) *').inputValue()).resolves.toBe(
      '8000,00',
    );
    await expect(
      form.getByLabel('Dépensé sur la subvention de l’intercommunalité (EPCI) (€) *').inputValue(),
    ).resolves.toBe('0,00');
    await expect(form.getByLabel('Bénéficiaires touchés *').inputValue()).resolves.toBe('42');
    await expect(form.getByLabel('Bilan qualitatif *').inputValue()).resolves.toBe(
      'Douze séances de réparation tenues.',
    );
    await expect(form.getByLabel('Références des pièces jointes (une par ligne)').inputValue()).resolves.toBe(
      'cr-annee-1.pdf\nfactures.pdf',
    );

    // Year 2, not filed yet, is another report: a blank one; back to year 1, its corrections again.
    const narrative = form.getByLabel('Bilan qualitatif *');
    await form.getByLabel('Année de convention').selectOption('2');
    await expect
      .poll(() => form.locator('#report-title').textContent())
      .toBe('Déposer le compte rendu financier annuel');
    expect(await asked.count()).toBe(0);
    await expect(narrative.inputValue()).resolves.toBe('');
    await expect(form.getByLabel('Dépensé sur la subvention de l’État (€) *').inputValue()).resolves.toBe('');
    await form.getByLabel('Année de convention').selectOption('1');
    await expect
      .poll(() => form.locator('#report-title').textContent())
      .toBe('Déposer le compte rendu corrigé (année 1)');
    await expect(asked.locator('li').count()).resolves.toBe(2);
    await expect(narrative.inputValue()).resolves.toBe('Douze séances de réparation tenues.');

    // Corrected and filed again: what was not touched is sent as it was.
    await world.act(page, 'report', {
      'Références des pièces jointes (une par ligne)': 'cr-annee-1.pdf\nfactures.pdf\nfeuilles-presence.pdf',
    });
    const filed = await waitForApplication(world.engine, id, 'report filed again', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.status === 'submitted'),
    );
    expect(filed.state.reports?.find((r) => r.year === 1)?.report).toMatchObject({
      beneficiariesReached: 42,
      narrative: 'Douze séances de réparation tenues.',
      documentRefs: ['cr-annee-1.pdf', 'factures.pdf', 'feuilles-presence.pdf'],
      spentByFunder: expect.arrayContaining([
        { funder: 'ETAT', amountCents: 800_000 },
        { funder: 'EPCI', amountCents: 0 },
      ]) as unknown,
    });
    expect(world.cspViolations).toEqual([]);
  });

  it('says in the close dialog to which funder the porteur still owes a repayment: « à l’État »', async () => {
    // Half of each grant paid at the signature; less spent: the rest is to repay once accepted.
    const [alone, both] = await Promise.all([
      reportsExpected({ title: 'Permanence numérique de Louvroil', perYear: { ETAT: 1_000_000 } }),
      reportsExpected({ title: 'Chantier jeunes de Jeumont' }),
    ]);
    await fileReport(alone, { ETAT: 400_000 });
    await fileReport(both, { ETAT: 400_000, EPCI: 200_000 });
    for (const id of [alone, both]) {
      await command(world.engine, 'manager', `/api/applications/${id}/reports/1/review`, {
        decision: 'accepted',
      });
      await waitForApplication(world.engine, id, 'closable', (d) =>
        d.allowed.some((a) => a.type === 'CloseApplication'),
      );
    }

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    /** The close dialog's repayment sentence. */
    const owed = async (id: string) => {
      await world.openApplication(page, id, 'form[data-action="close"]');
      const form = page.locator('form[data-action="close"]');
      await form.getByRole('button', { name: 'Clôturer' }).click();
      const dialog = page.getByRole('dialog', { name: 'Clôturer le dossier ?' });
      await dialog.waitFor();
      const text = spaced(await dialog.getByTestId('close-repayment').textContent());
      await dialog.getByRole('button', { name: 'Annuler' }).click();
      await dialog.waitFor({ state: 'hidden' });
      return text;
    };
    // The porteur repays the État; it was « par le porteur(l’État) ».
    await expect(owed(alone)).resolves.toBe(
      spaced(
        `${euros(100_000)} restent à reverser par le porteur à l’État : la clôture n’efface pas ce reversement.`,
      ),
    );
    // To several funders: how much to each, the État first.
    await expect(owed(both)).resolves.toBe(
      spaced(
        `${euros(150_000)} restent à reverser par le porteur : ${euros(100_000)} à l’État et ` +
          `${euros(50_000)} à l’intercommunalité (EPCI) ; la clôture n’efface pas ce reversement.`,
      ),
    );
    expect(world.cspViolations).toEqual([]);
  });

  it('shows a refused plan line under its funder’s and year’s field, invalid and focused', async () => {
    const id = await submitApplication(world.engine, campaignId, { title: 'Jardin partagé du Bois' });
    await declareEligible(world.engine, id);
    await giveAllPositions(world.engine, id, { title: '', perYear: { ETAT: 1_000_000, EPCI: 500_000 } });
    await waitForApplication(world.engine, id, 'at committee', (d) =>
      d.allowed.some((a) => a.type === 'RecordCommitteeApproval'),
    );

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="approval"]');
    const form = page.locator('form[data-action="approval"]');
    const etat = form.getByLabel('État, année 1 (€)', { exact: true });
    const epci = form.getByLabel('Intercommunalité (EPCI), année 1 (€)', { exact: true });
    const send = async () => {
      await form.getByRole('button', { name: 'Enregistrer l’approbation' }).click();
      await form.getByRole('alert').waitFor();
    };
    const errorUnder = async (name: string) =>
      spaced(await form.locator(`[id="approval-plan|${name}|1-error"]`).textContent());

    // More than the État committed: the API refuses the plan's first line.
    await etat.fill('99 000');
    await send();
    const etatRefusal = `État, année 1 : ${euros(9_900_000)} attribués par l’État, dont l’engagement n’est que de ${euros(1_000_000)}. Le plan ne peut pas dépasser l’engagement du financeur.`;
    const summary = spaced(await form.getByRole('alert').textContent());
    expect(summary).toBe(spaced(`Refusé : ${etatRefusal}`));
    expect(summary).not.toContain('ligne 1');
    await expect(etat.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(etat.getAttribute('aria-describedby')).resolves.toBe('approval-plan|ETAT|1-error');
    await expect(errorUnder('ETAT')).resolves.toBe(spaced(etatRefusal));
    await expect.poll(() => activeId(page)).toBe('approval-plan|ETAT|1');
    // The summary links to the field.
    await expect(form.getByRole('alert').locator('a').getAttribute('href')).resolves.toBe(
      '#approval-plan|ETAT|1',
    );

    // The État's line left at 0 € is not sent: the API's first line is now the EPCI's.
    await etat.fill('0');
    await epci.fill('99 000');
    await send();
    await expect.poll(() => epci.getAttribute('aria-invalid')).toBe('true');
    await expect(errorUnder('EPCI')).resolves.toBe(
      spaced(
        `Intercommunalité (EPCI), année 1 : ${euros(9_900_000)} attribués par l’intercommunalité (EPCI), dont l’engagement n’est que de ${euros(500_000)}. Le plan ne peut pas dépasser l’engagement du financeur.`,
      ),
    );
    await expect(etat.getAttribute('aria-invalid')).resolves.toBeNull();
    await expect(form.locator('[id="approval-plan|ETAT|1-error"]').count()).resolves.toBe(0);
    await expect.poll(() => activeId(page)).toBe('approval-plan|EPCI|1');
    // What was typed is kept.
    await expect(etat.inputValue()).resolves.toBe('0');
    await expect(epci.inputValue()).resolves.toBe('99 000');
    expect(world.cspViolations).toEqual([]);
  });
});
