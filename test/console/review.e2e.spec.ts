// What a user review of the console asked for, in Debian's Chromium on the real engine: a session
// that ends sends the person back to the sign-in page with the reason and reopens their page after;
// a step that is over no longer shows its deadline; recoveries ordered show next to what was paid,
// and the porteur is told what to repay to whom; installments are named by what they are; a funder
// knows the list's amount is every funder's; the deposit form offers the campaign's themes only and
// takes the organisation from its previous dossier; the header names the association and keeps
// « Se déconnecter » on one line; the audit and dashboard pages fit a 390 px phone.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, addYears } from '../../domain/calendar';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  acceptReport,
  bringToCommittee,
  bringToInForce,
  campaignOfYear,
  command,
  createOpenCampaign,
  tokenOf,
  todayInParis,
  waitForApplication,
} from './support/steps';

const campaignId = 'console-review';
/** The screenshots a reviewer looks at (besides test/artifacts). */
const shots = process.env.CONSOLE_REVIEW_SHOTS ?? artifacts;
const today = todayInParis();
const euros = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);

let world: ConsoleWorld;

/** The page's width fits the viewport: nothing scrolls sideways. */
const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

/** A token the API refuses (its signature altered), its claims still readable and not expired. */
const spoiled = (page: Page) =>
  page.evaluate(`(() => {
    const key = 'grants-console-token';
    const [head, body, signature = ''] = (sessionStorage.getItem(key) ?? '').split('.');
    sessionStorage.setItem(key, head + '.' + body + '.' + (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1));
  })()`);

describe.skipIf(chromiumPath === undefined)('console after the user review (Chromium)', () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('sends a person whose session ended to the sign-in page with the reason, and reopens their page after', async () => {
    const id = await bringToCommittee(world.engine, campaignId, { title: 'Café des parents' });
    await waitForApplication(world.engine, id, 'co-decision', (d) => d.status === 'co_decision');
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="approval"]');
    // The API refuses the token (401) on the next request: no « jeton expiré » left on the page.
    await spoiled(page);
    await page.reload();
    const reason = page.getByTestId('session-ended');
    await reason.waitFor();
    await expect(reason.textContent()).resolves.toBe('Votre session a expiré : reconnectez-vous.');
    // The sign-in form renders with the reason, a frame apart on a loaded machine: waited for.
    await expect
      .poll(() =>
        page.getByRole('heading', { name: 'Se connecter comme utilisateur de démonstration' }).count(),
      )
      .toBe(1);
    expect(await page.evaluate("sessionStorage.getItem('grants-console-token')")).toBeNull();
    await page.screenshot({ path: join(shots, 'session-expiree-1280.png'), fullPage: true });
    // The same person signs in again: the application's page reopens.
    await page.getByLabel(demo.manager, { exact: true }).check();
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: 'Café des parents' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/candidatures/${id}`);
    expect(await page.getByTestId('session-ended').count()).toBe(0);

    // A refusal in the middle of a page (the porteur's list reloaded): the same, never « Aucune candidature ».
    await world.signInAs(page, demo.porteur);
    await page.locator(`tr[data-application="${id}"]`).waitFor({ timeout: 15_000 });
    await spoiled(page);
    await page.getByRole('button', { name: 'Actualiser' }).click();
    await page.getByTestId('session-ended').waitFor();
    expect(await page.getByText('Aucune candidature').count()).toBe(0);
    expect(await page.locator('.refusal').count()).toBe(0);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, 'session-expiree-390.png'), fullPage: true });
    // Someone else signs in: their own home page, not the previous person's.
    await page.getByLabel(demo.manager, { exact: true }).check();
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: 'File d’attente' }).waitFor();
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('titles a co-decision that is over « terminée », with its outcome, and no deadline', async () => {
    const id = await bringToCommittee(world.engine, campaignId, { title: 'Radio des jeunes' });
    await command(world.engine, 'manager', `/api/applications/${id}/committee-decision`, {
      decision: 'rejected',
      decisionReference: 'COPIL-REJET-1',
      decisionDate: today,
      reasons: ['Action déjà financée par ailleurs.'],
    });
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, '[data-testid="status"]:has-text("Rejetée")');
    const section = page.getByTestId('codecision');
    await expect(section.locator('h2').textContent()).resolves.toBe('Co-décision des financeurs (terminée)');
    await expect(section.locator('[data-field="codecision-outcome"]').textContent()).resolves.toContain(
      'rejet du comité de pilotage',
    );
    expect(await section.getByText('jusqu’au').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'codecision-rejetee-1280.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 90_000);

  it('shows a recovery next to what was paid, tells the porteur what to repay to whom, and names each installment', async () => {
    // A two-year CPO whose first year is over: its report spends 3 000 € of the État's 5 000 € advance.
    const plan = { title: 'Jardins partagés', durationYears: 2, perYear: { ETAT: 1_000_000, EPCI: 500_000 } };
    const start = addMonths(addYears(today, -1), -1);
    const id = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, campaignId, start),
      plan,
      start,
    );
    await waitForApplication(world.engine, id, 'report 1 expected', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.status === 'expected'),
    );
    await command(world.engine, 'porteur', `/api/applications/${id}/reports`, {
      year: 1,
      spentByFunder: [
        { funder: 'ETAT', amountCents: 300_000 },
        { funder: 'EPCI', amountCents: 250_000 },
      ],
      beneficiariesReached: 40,
      narrative: 'Une saison sur deux tenue.',
    });
    await acceptReport(world.engine, id, 1);
    const detail = await waitForApplication(
      world.engine,
      id,
      'recovery ordered',
      (d) => d.amounts.recoveredCents > 0,
    );
    expect(detail.state.recoveries).toEqual([
      expect.objectContaining({ funder: 'ETAT', year: 1, amountCents: 200_000 }),
    ]);

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, '[data-installment]');
    await expect(page.getByTestId('amounts').textContent()).resolves.toMatch(
      new RegExp(
        `versé ${euros(detail.amounts.paidCents)} · à reverser ${euros(200_000)}`.replace(/\s/g, '\\s'),
      ),
    );
    await expect(page.getByTestId('codecision').locator('h2').textContent()).resolves.toBe(
      'Co-décision des financeurs (terminée)',
    );
    // Installments by what they are, not their ids.
    const kinds = await page.locator('tr[data-installment] td:first-child').allTextContents();
    expect(kinds).toEqual(
      expect.arrayContaining(['Avance année 1', 'Solde année 1', 'Avance année 2', 'Solde année 2']),
    );
    for (const i of detail.state.installments ?? [])
      expect(await page.getByText(i.id, { exact: true }).count()).toBe(0);
    // The grant manager is not the one who repays: no notice for them.
    expect(await page.getByTestId('repayment').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'reversement-gestionnaire-1280.png'), fullPage: true });

    await world.signInAs(page, demo.porteur);
    await world.openApplication(page, id, '[data-testid="repayment"]');
    await expect(page.getByTestId('repayment').textContent()).resolves.toMatch(
      new RegExp(`${euros(200_000)} à l’État`.replace(/\s/g, '\\s')),
    );
    await page.screenshot({ path: join(shots, 'reversement-porteur-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'reversement-porteur-390.png'), fullPage: true });

    // A funder: the list shows what was asked of it, as the page does (not every funder's total).
    await page.setViewportSize({ width: 1280, height: 900 });
    await world.signInAs(page, demo.etat);
    const row = page.locator(`tr[data-application="${id}"]`).first();
    await row.waitFor({ timeout: 15_000 });
    await expect(page.locator('table.queue th.num').first().textContent()).resolves.toBe('Demandé à l’État');
    expect((await row.locator('td.num').textContent())?.trim()).toMatch(
      new RegExp(`^${euros(2_000_000)}$`.replace(/\s/g, '\\s')),
    );
    await world.openApplication(page, id, '[data-testid="amounts"]');
    await expect(page.getByTestId('amounts').textContent()).resolves.toMatch(
      new RegExp(`dont ${euros(2_000_000)} demandés à l’État`.replace(/\s/g, '\\s')),
    );
    await page.screenshot({ path: join(shots, 'financeur-candidature-1280.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 150_000);

  it('offers the campaign’s themes only, marks the residents’ part recommended, and takes the organisation from the last dossier', async () => {
    const porteurToken = await tokenOf(world.engine, 'porteur');
    const latest = (
      (await world.engine.call('GET', '/api/applications?limit=1', { token: porteurToken })).body as {
        items: { id: string; porteur: { name: string; siret: string | null } }[];
      }
    ).items[0];
    if (!latest) throw new Error('the demo porteur has no application yet');
    const campaign = (
      (await world.engine.call('GET', `/api/campaigns/${campaignId}`, { token: porteurToken })).body as {
        state: { themes: string[] };
      }
    ).state;
    const page = await world.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await world.signInAs(page, demo.porteur);
    // The header names the association by its dossier, not its identifier.
    await expect
      .poll(() => page.getByTestId('who').textContent())
      .toBe(`Porteur de projet — ${latest.porteur.name}`);
    await page.goto(`${world.base}/console/#/depot`);
    const form = page.locator('form.cerfa');
    await form.locator('#depot-campaignId').selectOption(campaignId);
    await expect(form.getByLabel('Nom de l’organisme *').inputValue()).resolves.toBe(latest.porteur.name);
    await expect(form.getByLabel('SIRET (14 chiffres)').inputValue()).resolves.toBe(
      latest.porteur.siret ?? '',
    );
    const offered = await form
      .locator('#depot-theme option')
      .evaluateAll((o) => o.map((x) => (x as unknown as { value: string }).value));
    expect(offered).toEqual(campaign.themes);
    const residents = form.getByLabel('Comment les habitants co-construisent l’action (recommandé)');
    await expect(residents.getAttribute('aria-describedby')).resolves.toContain('depot-residents-help');
    await expect(page.locator('#depot-residents-help').textContent()).resolves.toContain('recevabilité');
    await page.screenshot({ path: join(shots, 'depot-1280.png'), fullPage: true });
    // The header: « Se déconnecter » on one line, beside the person's name.
    const button = page.getByRole('button', { name: 'Se déconnecter' });
    const box = await button.boundingBox();
    const lineHeight = Number(
      await page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('button.signout')).lineHeight)",
      ),
    );
    expect(box?.height ?? 0).toBeLessThan(lineHeight * 2);
    // …and on the same row as the navigation (one header row on a laptop).
    const link = await page.getByRole('link', { name: 'Mes candidatures' }).boundingBox();
    const middle = (b: { y: number; height: number } | null) => (b ? b.y + b.height / 2 : NaN);
    expect(Math.abs(middle(box) - middle(link))).toBeLessThan(24);
    await page.locator('header.top').screenshot({ path: join(shots, 'entete-1280.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'depot-390.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 90_000);

  it('puts a file whose yearly report is overdue first in the manager’s queue, with the day it was due', async () => {
    // A one-year convention that ended months ago: its report is overdue, its deadline gone from
    // the list's nextDeadline.
    const start = addMonths(today, -20);
    const id = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, campaignId, start),
      { title: 'Atelier vélo' },
      start,
    );
    const detail = await waitForApplication(world.engine, id, 'report 1 overdue', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.overdue === true),
    );
    const due = detail.state.reports?.find((r) => r.year === 1)?.dueDate;
    expect(due).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const page = await world.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await world.signInAs(page, demo.manager);
    const row = page.locator(`tr[data-application="${id}"]`);
    await row.waitFor({ timeout: 15_000 });
    await expect
      .poll(() => row.locator('[data-field="deadline"]').getAttribute('data-value'), { timeout: 10_000 })
      .toBe(due);
    await expect(row.textContent()).resolves.toContain('En retard');
    expect(await row.getAttribute('class')).toBe('overdue');
    // Its table: every overdue row before any other, this one among them.
    const rows = row.locator('xpath=ancestor::tbody').locator('tr');
    const late = await rows.evaluateAll((trs) =>
      trs.map((tr) => (tr as unknown as { className: string }).className === 'overdue'),
    );
    expect(late.indexOf(false) === -1 || late.lastIndexOf(true) < late.indexOf(false)).toBe(true);
    await page.screenshot({ path: join(shots, 'file-retard-1280.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('fits the auditor’s and the evaluator’s pages on a 390 px phone', async () => {
    const page = await world.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await world.signInAs(page, demo.auditor);
    await page.getByRole('tab', { name: 'Campagne et enveloppes' }).click();
    const panel = page.getByRole('tabpanel');
    // The campaign where an application still holds the État's commitment (its co-decision runs).
    await panel.getByLabel('Campagne', { exact: true }).selectOption(campaignId);
    await panel.getByLabel('Horloge').selectOption('record');
    await panel.getByRole('button', { name: 'Rejouer la campagne' }).click();
    await page.getByTestId('campaign-asof').waitFor();
    await page.getByLabel('Financeur', { exact: true }).selectOption('ETAT');
    await page.getByRole('button', { name: 'Rejouer l’enveloppe' }).click();
    await page.getByTestId('reservations').waitFor();
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'audit-enveloppe-390.png'), fullPage: true });
    await page.getByRole('tab', { name: 'Grand livre' }).click();
    await page.getByRole('button', { name: 'Afficher' }).click();
    await page.getByTestId('ledger').waitFor();
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'audit-grand-livre-390.png'), fullPage: true });

    await world.signInAs(page, demo.evaluator);
    await page.locator('[data-kpi="applications"]').waitFor();
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'tableau-de-bord-390.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 90_000);
});
