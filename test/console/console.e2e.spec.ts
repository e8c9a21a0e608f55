// The web console end to end, in Debian's Chromium driven by playwright-core: the real engine
// (Temporal dev server, workflows, SQLite event store, projections) behind the console's router,
// served with the platform's strict CSP from a second server that forwards /api to the engine
// (test/console/support/console.ts).
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromEpochMs, parisDateOf } from '../../domain/calendar';
import type { RunningEngine } from '../services/support/engine';
import { artifacts, chromiumPath, startConsoleWorld, type ConsoleWorld } from './support/console';
import { createOpenCampaign } from './support/steps';

const campaignId = 'console-e2e';
const today = parisDateOf(fromEpochMs(Date.now()));

let world: ConsoleWorld;
let engine: RunningEngine;
let base: string;
let cspViolations: string[];

describe.skipIf(chromiumPath === undefined)('web console (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    ({ engine, base, cspViolations } = world);
    await createOpenCampaign(engine, campaignId);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  const newPage = (): Promise<Page> => world.newPage();
  const signInAs = (page: Page, label: string) => world.signInAs(page, label);
  const openApplication = (page: Page, id: string, ready: string) => world.openApplication(page, id, ready);
  const act = (page: Page, action: string, fill: Record<string, string> = {}) =>
    world.act(page, action, fill);

  let applicationId = '';

  it('takes an application from the porteur’s submission to a convention in force, every actor through the console', async () => {
    const page = await newPage();
    await signInAs(page, 'Porteur de projet — asso-1');
    await page.goto(`${base}/console/#/depot`);
    const f = page.locator('form.cerfa');
    await f.getByLabel('Nom de l’organisme *').fill('Association Sambre Avenir');
    await f.getByLabel('SIRET (14 chiffres)').fill('12345678900011');
    await f.getByLabel('Intitulé de l’action *').fill('Ateliers numériques à Sous-le-Bois');
    await f.getByLabel('Résumé *').fill('Initiation au numérique pour les familles, deux soirs par semaine.');
    await f.getByLabel('Thème (nomenclature nationale)').selectOption('1.1');
    // The QPV picker lists the campaign's territory (GET /api/campaigns/:id).
    await f.getByLabel('QN05990X').check();
    await f.getByLabel('Bénéficiaires attendus').fill('80');
    await f
      .getByLabel('Comment les habitants co-construisent l’action')
      .fill('Un comité d’habitants choisit les thèmes des ateliers chaque trimestre.');
    await f.getByLabel('Coût total, année 1 (€) *').fill('30 000');
    await f.getByLabel('Demandé à État, année 1 (€)').fill('10 000');
    await f.getByLabel('Demandé à Intercommunalité (EPCI), année 1 (€)').fill('5 000');
    await f.getByLabel('Autres ressources, année 1 (€)').fill('15 000');
    await page.screenshot({ path: join(artifacts, 'console-depot.png'), fullPage: true });
    await f.getByRole('button', { name: 'Déposer la candidature' }).click();
    await page.getByRole('heading', { name: 'Candidature déposée' }).waitFor();
    applicationId = (await page.locator('[role=status] strong').textContent()) ?? '';
    expect(applicationId).toMatch(/^[0-9A-Z]{26}$/);

    await signInAs(page, 'Chargé de mission (agglomération)');
    await page
      .getByRole('link', { name: 'Ateliers numériques à Sous-le-Bois' })
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    await page.screenshot({ path: join(artifacts, 'console-file-attente.png'), fullPage: true });
    await openApplication(page, applicationId, 'form[data-action="eligible"]');
    await act(page, 'eligible');

    for (const funder of ['Financeur — État', 'Financeur — Intercommunalité (EPCI)']) {
      await signInAs(page, funder);
      await page.locator(`a[href="#/candidatures/${applicationId}"]`).first().waitFor({ timeout: 15_000 });
      await openApplication(page, applicationId, 'form[data-action="position"]');
      await act(page, 'position');
    }
    await signInAs(page, 'Conseil citoyen');
    await openApplication(page, applicationId, 'form[data-action="opinion"]');
    await act(page, 'opinion', { 'Commentaire *': 'Attendu par les habitants du quartier.' });

    await signInAs(page, 'Chargé de mission (agglomération)');
    await openApplication(page, applicationId, 'form[data-action="approval"]');
    await page.screenshot({ path: join(artifacts, 'console-candidature.png'), fullPage: true });
    await act(page, 'approval');
    await openApplication(page, applicationId, 'form[data-action="convention"]');
    await act(page, 'convention');

    for (const signer of [
      'Porteur de projet — asso-1',
      'Financeur — État',
      'Financeur — Intercommunalité (EPCI)',
    ]) {
      await signInAs(page, signer);
      await openApplication(page, applicationId, 'form[data-action="signature"]');
      await act(page, 'signature');
    }
    await signInAs(page, 'Chargé de mission (agglomération)');
    await openApplication(page, applicationId, '[data-testid="status"]:has-text("vigueur")');
    await page.getByTestId('timeline').getByText('Convention en vigueur').first().waitFor();
    await page.screenshot({ path: join(artifacts, 'console-en-vigueur.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  }, 120_000);

  it('shows a refused action’s French message in place', async () => {
    const page = await newPage();
    await signInAs(page, 'Chargé de mission (agglomération)');
    await page.goto(`${base}/console/#/campagnes`);
    // The open campaign offers no « Ouvrir » (only the actions possible now); creating it a second
    // time is refused by the rules, and the refusal shows in the form.
    await page.locator(`[data-campaign="${campaignId}"] [data-field="campaign-status"]`).waitFor();
    expect(await page.locator(`form[data-action="open-${campaignId}"]`).count()).toBe(0);
    const create = page.locator('form[data-action="create-campaign"]');
    await create.getByLabel('Identifiant (lettres, chiffres, tirets) *').fill(campaignId);
    await create.getByLabel('Enveloppe État (vide : non partenaire) (€)').fill('100 000');
    await create.getByLabel('Codes QPV du territoire (un par ligne) *').fill('QN05990X');
    await create.getByLabel('Version du référentiel QPV *').fill('echantillon-camvs-1');
    await create.getByRole('button', { name: 'Créer la campagne' }).click();
    const alert = create.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Refusé :.*n'est pas possible/s);
  });

  it('shows the evaluator the numbers the query API gives', async () => {
    const evaluator = await engine.token({ role: 'evaluator' });
    const summary = (await engine.call('GET', `/api/campaigns/${campaignId}/summary`, { token: evaluator }))
      .body as {
      applications: number;
      amounts: { requestedCents: number; awardedCents: number };
    };
    const funders = (
      await engine.call('GET', `/api/stats/funders?campaignId=${campaignId}`, { token: evaluator })
    ).body as { items: { amounts: { requestedCents: number; awardedCents: number; paidCents: number } }[] };
    const page = await newPage();
    await signInAs(page, 'Évaluateur');
    await page.locator('[data-kpi="applications"]').waitFor();
    const euros = (cents: number) =>
      new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
    expect(await page.locator('[data-kpi="applications"]').textContent()).toBe(String(summary.applications));
    expect(await page.locator('[data-kpi="requested"]').textContent()).toBe(
      euros(summary.amounts.requestedCents),
    );
    expect(await page.locator('[data-kpi="awarded"]').textContent()).toBe(
      euros(summary.amounts.awardedCents),
    );
    const rects = page.locator('svg[data-chart="chart-funders"] rect');
    const bars: number[] = [];
    for (let i = 0; i < (await rects.count()); i += 1)
      bars.push(Number(await rects.nth(i).getAttribute('data-value')));
    expect(bars).toEqual(
      funders.items.flatMap((f) => [f.amounts.requestedCents, f.amounts.awardedCents, f.amounts.paidCents]),
    );
    await page.screenshot({ path: join(artifacts, 'console-tableau-de-bord.png'), fullPage: true });
  });

  it('shows the auditor the state as of a date, as the audit API replays it, and the integrity check', async () => {
    const auditor = await engine.token({ role: 'auditor' });
    const asOf = (
      await engine.call('GET', `/api/audit/applications/${applicationId}/as-of?at=${today}&time=record`, {
        token: auditor,
      })
    ).body as { eventsApplied: number; streamLength: number };
    const page = await newPage();
    await signInAs(page, 'Auditeur');
    await page.goto(`${base}/console/#/audit/${applicationId}`);
    await page.getByLabel('Horloge').selectOption('record');
    await page.getByRole('button', { name: 'Rejouer' }).click();
    const applied = page.locator('[data-testid="asof-result"] [data-field="eventsApplied"]');
    await applied.waitFor();
    expect(await applied.textContent()).toBe(`${asOf.eventsApplied} / ${asOf.streamLength}`);
    expect(await page.locator('[data-field="status"]').textContent()).toBe('Convention en vigueur');
    await page.getByRole('button', { name: 'Vérifier l’intégrité du journal' }).click();
    await expect(page.getByTestId('verify').textContent()).resolves.toMatch(/aucune altération/);
    // The log's digest up to a position, as the audit API computes it.
    const digest = (await engine.call('GET', '/api/audit/digest?upTo=3', { token: auditor })).body as {
      digest: string;
    };
    await page.getByLabel('Empreinte du journal jusqu’à la position').fill('3');
    await page.getByRole('button', { name: 'Calculer l’empreinte' }).click();
    await expect(page.getByTestId('digest').textContent()).resolves.toContain(
      `jusqu’à la position 3 (3 événements) : ${digest.digest}`,
    );
    await page.getByTestId('timeline').waitFor();
    await page.screenshot({ path: join(artifacts, 'console-audit.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });
});
