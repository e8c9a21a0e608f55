// The payment schedule drafted with the convention, and the evaluator's note on « attribué » and
// « réservé », in Debian's Chromium on the real engine (test/console/support/console.ts).
// The form that drafts a convention shows the schedule as an editable table prefilled with the
// default rule for the awarded plan (domain/application/convention.ts, defaultPaymentSchedule); left
// as it is, no schedule is sent; changed, it is checked as it is typed (an unbalanced funder-year is
// refused before anything is sent, the funder and year named), confirmed in a dialog that shows what
// will be recorded, and recorded as typed. After a termination, the evaluator's dashboard says why a
// funder's award exceeds its envelope's reservation, with the summary API's own figures.
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultPaymentSchedule,
  withInstallmentIds,
  type ScheduleLine,
} from '../../domain/application/convention';
import type { Installment, PlanLine } from '../../domain/application/events';
import { institutionalFunders } from '../../domain/shared/funders';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  bringToCommittee,
  bringToInForce,
  command,
  createOpenCampaign,
  todayInParis,
  waitForApplication,
  type ApplicationDetail,
  type Plan,
} from './support/steps';

const campaignId = 'console-echeancier';
const today = todayInParis();
const euros = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
/** Every kind of space as one plain space (French money is written with no-break spaces). */
const plain = (text: string | null | undefined) => (text ?? '').replace(/\s+/gu, ' ').trim();
/** What a person types back from cents, as the form prefills it (« 5000,00 »). */
const typed = (cents: number) => (cents / 100).toFixed(2).replace('.', ',');
const triggerValue = (t: ScheduleLine['trigger']) =>
  t.kind === 'signature' ? 'signature' : `report-${t.reportYear}`;
const triggerWords = (t: ScheduleLine['trigger']) =>
  t.kind === 'signature'
    ? 'à l’entrée en vigueur (toutes les signatures)'
    : `après l’acceptation du compte rendu de l’année ${t.reportYear}`;
const names: Record<string, string> = { ETAT: 'État', EPCI: 'Intercommunalité (EPCI)' };
/** The page's width fits the viewport: nothing scrolls sideways. */
const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');
const activeLabel = (page: Page) =>
  page.evaluate<string | null>('document.activeElement && document.activeElement.getAttribute("aria-label")');

/** A control as evaluateAll hands it (the DOM's types are not in this project's lib). */
type Control = { getAttribute(name: string): string | null; value: string };
/** Run in the page: self-contained (playwright sends their source, not their closure). */
const labelsAndValues = (controls: Control[]): [string | null, string][] =>
  controls.map((c) => [c.getAttribute('aria-label'), c.value]);
const values = (controls: Control[]): string[] => controls.map((c) => c.value);
const attributes = (elements: Control[], name: string): (string | null)[] =>
  elements.map((e) => e.getAttribute(name));

interface ConventionView {
  convention?: { installments: Installment[] };
}
const conventionOf = (d: ApplicationDetail) => (d.state as unknown as ConventionView).convention;

let world: ConsoleWorld;

/** Approved as asked: the plan (per funder and year), as the committee recorded it. */
async function approved(plan: Plan): Promise<{ id: string; award: PlanLine[] }> {
  const id = await bringToCommittee(world.engine, campaignId, plan);
  const years = plan.durationYears ?? 1;
  const award = Object.entries(plan.perYear ?? {}).flatMap(([funder, amountCents]) =>
    Array.from({ length: years }, (_, i) => ({ funder, year: i + 1, amountCents })),
  );
  await command(world.engine, 'manager', `/api/applications/${id}/committee-decision`, {
    decision: 'approved',
    decisionReference: `COPIL-${id.slice(-6)}`,
    decisionDate: today,
    plan: award,
  });
  await waitForApplication(world.engine, id, 'approved', (d) => d.status === 'approved');
  // The plan as the state keeps it (by funder, then year): the order of the default schedule.
  return { id, award: [...award].sort((a, b) => a.funder.localeCompare(b.funder) || a.year - b.year) };
}

/** The bodies the page POSTs to /convention. */
function conventionPosts(page: Page): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  page.on('request', (r: Request) => {
    if (r.method() === 'POST' && /\/api\/applications\/[^/]+\/convention$/.test(r.url()))
      bodies.push(JSON.parse(r.postData() ?? '{}') as Record<string, unknown>);
  });
  return bodies;
}

describe.skipIf(chromiumPath === undefined)('the payment schedule and the envelopes’ note (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('prefills the default schedule and, left unchanged, sends none: the default rule is recorded', async () => {
    const { id, award } = await approved({
      title: 'Café des parents',
      perYear: { ETAT: 1_000_001, EPCI: 500_000 },
    });
    const page = await world.newPage();
    const posts = conventionPosts(page);
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="convention"]');
    const form = page.locator('form[data-action="convention"]');
    const defaults = defaultPaymentSchedule(award);
    // Exactly the rule's lines (the État's odd cent goes to the balance), in its order for each
    // funder, the funders in the console's order (the État first, as the domain lists them).
    const inConsoleOrder = [...defaults].sort(
      (a, b) =>
        institutionalFunders.indexOf(a.funder as (typeof institutionalFunders)[number]) -
        institutionalFunders.indexOf(b.funder as (typeof institutionalFunders)[number]),
    );
    const shown = await form.locator('tr.line input').evaluateAll(labelsAndValues);
    const perGroup = new Map<string, number>();
    expect(shown).toEqual(
      inConsoleOrder.map((l) => {
        const n = (perGroup.get(`${l.funder}${l.year}`) ?? 0) + 1;
        perGroup.set(`${l.funder}${l.year}`, n);
        return [`Montant (€) — ${names[l.funder]}, année ${l.year}, ligne ${n}`, typed(l.amountCents)];
      }),
    );
    await expect(form.locator('tr.line select').evaluateAll(values)).resolves.toEqual(
      inConsoleOrder.map((l) => triggerValue(l.trigger)),
    );
    await expect(form.locator('tr.line [data-field="kind"]').allTextContents()).resolves.toEqual([
      'Avance année 1',
      'Solde année 1',
      'Avance année 1',
      'Solde année 1',
    ]);
    await expect(form.getByTestId('schedule-check').getAttribute('data-state')).resolves.toBe('default');

    await form.getByRole('button', { name: 'Rédiger la convention' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rédiger la convention ?' });
    await dialog.waitFor();
    await expect(dialog.getByTestId('schedule-kind').textContent()).resolves.toContain(
      'Échéancier par défaut',
    );
    await expect(dialog.getByTestId('convention-schedule-recap').locator('tbody tr').count()).resolves.toBe(
      4,
    );
    await dialog.getByRole('button', { name: 'Confirmer' }).click();
    await page.getByRole('status').filter({ hasText: 'Action enregistrée' }).waitFor();
    expect(posts).toHaveLength(1);
    expect(Object.keys(posts[0] ?? {}).sort()).toEqual(['signatureDueDate', 'startDate']);
    const detail = await waitForApplication(
      world.engine,
      id,
      'convention drafted',
      (d) => d.status === 'awaiting_signatures',
    );
    expect(conventionOf(detail)?.installments).toEqual(withInstallmentIds(defaults));
    expect(world.cspViolations).toEqual([]);
  });

  it('lets the grant manager change the schedule (30 % / 70 %), refuses an unbalanced one before sending, and records it', async () => {
    const { id, award } = await approved({
      title: 'Médiation sociale de nuit',
      durationYears: 2,
      perYear: { ETAT: 1_000_000, EPCI: 500_000 },
    });
    const page = await world.newPage();
    const posts = conventionPosts(page);
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="convention"]');
    const form = page.locator('form[data-action="convention"]');
    const amount = (funder: string, year: number, line: number) =>
      form.getByLabel(`Montant (€) — ${names[funder]}, année ${year}, ligne ${line}`, { exact: true });
    const when = (funder: string, year: number, line: number) =>
      form.getByLabel(`Quand — ${names[funder]}, année ${year}, ligne ${line}`, { exact: true });
    const check = form.getByTestId('schedule-check');
    await expect(amount('ETAT', 1, 1).inputValue()).resolves.toBe('5000,00');
    await expect(when('ETAT', 2, 1).inputValue()).resolves.toBe('report-1');

    // The keyboard adds a line to a funder-year, lands on its amount, and removes it again. A year 2
    // line may only wait for the report of year 1 (an advance) or of year 2 (a balance).
    await form.getByRole('button', { name: 'Ajouter une ligne — Intercommunalité (EPCI), année 2' }).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => activeLabel(page))
      .toBe('Montant (€) — Intercommunalité (EPCI), année 2, ligne 3');
    await expect(
      when('EPCI', 2, 3)
        .locator('option')
        .allTextContents()
        .then((o) => o.map(plain)),
    ).resolves.toEqual(['compte rendu de l’année 1 accepté', 'compte rendu de l’année 2 accepté']);
    await expect(check.getAttribute('data-state')).resolves.toBe('problems');
    await expect(check.textContent()).resolves.toContain(
      'Montant, Intercommunalité (EPCI), année 2, ligne 3 : à remplir (ou supprimez la ligne).',
    );
    await form
      .getByRole('button', { name: 'Supprimer la ligne 3 — Intercommunalité (EPCI), année 2' })
      .focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => activeLabel(page)).toBe('Ajouter une ligne — Intercommunalité (EPCI), année 2');
    await expect(check.getAttribute('data-state')).resolves.toBe('default');

    // An advance of 3 000 € against a balance left at 5 000 €: the live check names the funder and
    // year, and the form refuses it before sending.
    await amount('ETAT', 1, 1).fill('3 000');
    const unbalanced = `État, année 1 : l’échéancier prévoit ${euros(800_000)} pour ${euros(1_000_000)} attribués.`;
    await expect.poll(async () => plain(await check.textContent())).toContain(plain(unbalanced));
    await expect(
      form.locator('tbody[data-group="ETAT-1"] tr.group').textContent().then(plain),
    ).resolves.toContain(plain(`(manque ${euros(200_000)})`));
    await expect(amount('ETAT', 1, 1).getAttribute('aria-invalid')).resolves.toBe('true');
    await form.getByRole('button', { name: 'Rédiger la convention' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(plain(await alert.textContent())).toContain(plain(unbalanced));
    // The focus follows the alert's rendering: on a loaded machine, a frame or two later.
    await expect.poll(() => activeLabel(page)).toBe('Montant (€) — État, année 1, ligne 1');
    expect(await form.locator('dialog[open]').count()).toBe(0);
    expect(posts).toEqual([]);
    expect((await waitForApplication(world.engine, id, 'still approved', () => true)).status).toBe(
      'approved',
    );

    // 30 % / 70 %: the check says the schedule is complete and changed.
    await amount('ETAT', 1, 2).fill('7 000');
    await expect.poll(() => check.getAttribute('data-state')).toBe('changed');
    await expect(
      form.locator('tbody[data-group="ETAT-1"] [data-field="scheduled"]').textContent(),
    ).resolves.toBe(euros(1_000_000));
    const expected: ScheduleLine[] = defaultPaymentSchedule(award).map((l) =>
      l.funder === 'ETAT' && l.year === 1
        ? { ...l, amountCents: l.trigger.kind === 'signature' ? 300_000 : 700_000 }
        : l,
    );

    // Were the server to refuse it anyway, its refusal shows in the form: a schedule altered on its
    // way (one cent more) is refused by the engine itself.
    await page.route('**/api/applications/*/convention', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { paymentSchedule: ScheduleLine[] };
      body.paymentSchedule[0]!.amountCents += 1;
      await route.continue({ postData: JSON.stringify(body) });
    });
    await form.getByRole('button', { name: 'Rédiger la convention' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rédiger la convention ?' });
    await dialog.getByRole('button', { name: 'Confirmer' }).click();
    await alert.waitFor();
    await expect
      .poll(async () => plain(await alert.textContent()))
      .toContain('Échéancier de paiement incohérent');
    await expect(form.locator('#convention-schedule-error').textContent()).resolves.toContain(
      'Intercommunalité (EPCI), année 1',
    );
    await page.unroute('**/api/applications/*/convention');
    expect((await waitForApplication(world.engine, id, 'still approved', () => true)).status).toBe(
      'approved',
    );

    // The dialog shows the schedule that will be recorded; confirmed, it is.
    await form.getByRole('button', { name: 'Rédiger la convention' }).click();
    await dialog.waitFor();
    await expect(dialog.getByTestId('schedule-kind').textContent()).resolves.toContain('Échéancier modifié');
    const recap = dialog.getByTestId('convention-schedule-recap');
    const recorded = withInstallmentIds(expected);
    for (const i of recorded) {
      const cells = await recap.locator(`tr[data-schedule-line="${i.id}"] td`).allTextContents();
      expect([cells[0], cells[2], cells[3]].map(plain)).toEqual(
        [names[i.funder] ?? i.funder, euros(i.amountCents), triggerWords(i.trigger)].map(plain),
      );
    }
    await expect(recap.locator(`tr[data-schedule-line="ETAT-y1-1"] td`).nth(1).textContent()).resolves.toBe(
      'Avance année 1',
    );
    await page.screenshot({ path: join(artifacts, 'echeancier-confirmation.png') });
    await dialog.getByRole('button', { name: 'Confirmer' }).click();
    await page.getByRole('status').filter({ hasText: 'Action enregistrée' }).waitFor();
    expect(posts.at(-1)?.paymentSchedule).toEqual(expected);

    // The API's state, and the application's page showing it.
    const detail = await waitForApplication(
      world.engine,
      id,
      'convention drafted',
      (d) => d.status === 'awaiting_signatures',
    );
    expect(conventionOf(detail)?.installments).toEqual(recorded);
    await world.openApplication(page, id, '[data-testid="convention-schedule"]');
    const table = page.getByTestId('convention-schedule');
    await expect(table.locator('tbody tr').count()).resolves.toBe(recorded.length);
    for (const i of conventionOf(detail)?.installments ?? []) {
      const cells = (await table.locator(`tr[data-schedule-line="${i.id}"] td`).allTextContents()).map(plain);
      expect(cells[0]).toBe(names[i.funder]);
      expect(cells[2]).toBe(plain(euros(i.amountCents)));
      expect(cells[3]).toBe(plain(triggerWords(i.trigger)));
    }
    expect(world.cspViolations).toEqual([]);
  });

  it('fits the schedule on a 390 px phone, every control labelled', async () => {
    const { id } = await approved({
      title: 'Jardins partagés',
      durationYears: 2,
      perYear: { ETAT: 800_000, EPCI: 400_000 },
    });
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="convention"]');
    const form = page.locator('form[data-action="convention"]');
    // Every input and select of the table is named by its funder, year and line.
    const labels = await form
      .locator('table.schedule-editor input, table.schedule-editor select')
      .evaluateAll(attributes, 'aria-label');
    expect(labels.length).toBe(16);
    expect(labels.filter((l) => !/^(Montant \(€\)|Quand) — .+, année \d, ligne \d$/.test(l ?? ''))).toEqual(
      [],
    );
    await page.setViewportSize({ width: 1280, height: 900 });
    await form.screenshot({ path: join(artifacts, 'echeancier-1280.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await form.getByLabel('Montant (€) — État, année 2, ligne 1', { exact: true }).fill('1 000');
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await form.screenshot({ path: join(artifacts, 'echeancier-390.png') });
    expect(world.cspViolations).toEqual([]);
  });

  it('explains on the evaluator’s dashboard why a funder’s award exceeds its reservation after a termination', async () => {
    const dashboardCampaign = 'console-echeancier-resiliation';
    await createOpenCampaign(world.engine, dashboardCampaign);
    // In force since today: the advances (half of each grant) were paid at the signature.
    const id = await bringToInForce(
      world.engine,
      dashboardCampaign,
      { title: 'Atelier vélo solidaire', perYear: { ETAT: 1_000_000, EPCI: 500_000 } },
      today,
    );
    const evaluator = await world.engine.token({ role: 'evaluator' });
    type Summary = {
      byFunder: {
        funder: string;
        funderName: string;
        amounts: { awardedCents: number };
        envelope: { reservedCents: number } | null;
      }[];
    };
    const summaryWhen = async (what: string, ready: (s: Summary) => boolean): Promise<Summary> => {
      const until = Date.now() + 30_000;
      for (;;) {
        const answer = await world.engine.call('GET', `/api/campaigns/${dashboardCampaign}/summary`, {
          token: evaluator,
        });
        if (answer.status === 200 && ready(answer.body as Summary)) return answer.body as Summary;
        if (Date.now() > until) throw new Error(`${what}: ${JSON.stringify(answer.body)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const etatOf = (s: Summary) => s.byFunder.find((f) => f.funder === 'ETAT');
    await summaryWhen(
      'the award reserved',
      (s) =>
        etatOf(s)?.envelope?.reservedCents === 1_000_000 && etatOf(s)?.amounts.awardedCents === 1_000_000,
    );

    const page = await world.newPage();
    await world.signInAs(page, demo.evaluator);
    const openDashboard = async () => {
      await page.getByLabel('Campagne', { exact: true }).selectOption(dashboardCampaign);
      await page
        .locator('table[data-table="chart-envelopes"] tr[data-row="ETAT"]')
        .waitFor({ state: 'attached' });
    };
    await openDashboard();
    // In force, everything awarded is reserved: nothing to explain.
    expect(await page.getByTestId('awarded-vs-reserved').count()).toBe(0);

    // Terminated: the État's porteur justified 3 000 € of the 5 000 € paid, the EPCI's nothing of
    // its 2 500 €: the envelopes keep 3 000 € and 0 €, the awards stay 10 000 € and 5 000 €.
    await command(world.engine, 'manager', `/api/applications/${id}/terminate`, {
      reason: 'porteur_dissolved',
      comment: 'Association dissoute par son assemblée générale.',
      justified: [{ funder: 'ETAT', year: 1, amountCents: 300_000 }],
    });
    const summary = await summaryWhen(
      'the reservations down to what was paid',
      (s) =>
        etatOf(s)?.envelope?.reservedCents === 300_000 &&
        s.byFunder.find((f) => f.funder === 'EPCI')?.envelope?.reservedCents === 0,
    );
    await page.reload();
    await page.getByTestId('who').waitFor();
    await openDashboard();
    const note = page.getByTestId('awarded-vs-reserved');
    await note.waitFor();
    expect(plain(await note.textContent())).toContain('après une résiliation ou une clôture');
    // One line per funder whose award exceeds its reservation, with the API's figures as they are.
    const above = summary.byFunder.filter(
      (f) => f.envelope && f.amounts.awardedCents > f.envelope.reservedCents,
    );
    expect(above.map((f) => f.funder).sort()).toEqual(['EPCI', 'ETAT']);
    // In the console's order of funders (the État first), not the API's (by code).
    await expect(note.locator('li').evaluateAll(attributes, 'data-funder')).resolves.toEqual([
      'ETAT',
      'EPCI',
    ]);
    for (const f of above)
      await expect(note.locator(`li[data-funder="${f.funder}"]`).textContent().then(plain)).resolves.toBe(
        plain(
          `${f.funderName} : ${euros(f.amounts.awardedCents)} attribués, ${euros(f.envelope?.reservedCents ?? 0)} réservés.`,
        ),
      );
    await page
      .locator('section[aria-labelledby="envelopes-title"]')
      .screenshot({ path: join(artifacts, 'tableau-attribue-reserve-1280.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page
      .locator('section[aria-labelledby="envelopes-title"]')
      .screenshot({ path: join(artifacts, 'tableau-attribue-reserve-390.png') });
    expect(world.cspViolations).toEqual([]);
  });
});
