// The web console end to end, in Debian's Chromium driven by playwright-core: the real engine
// (Temporal dev server, workflows, SQLite event store, projections) behind the console's router,
// served with the platform's strict CSP from a second server that forwards /api to the engine
// (test/console/support/console.ts).
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFunderIds } from '../../domain';
import { addDays, addMonths, formatFrenchDate, fromEpochMs, parisDateOf } from '../../domain/calendar';
import { seedDemo } from '../../services/demo/demoCampaign';
import type { RunningEngine } from '../services/support/engine';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import { dossier } from '../support/fixtures';
import { editFirstEventInPlace } from '../audit/support';
import {
  command,
  createOpenCampaign,
  declareEligible,
  submitApplication,
  waitForApplication,
} from './support/steps';

/** `items` in the console's order of funders (docs/console.md); one funder's items keep theirs. */
const inFunderOrder = <T extends { funder: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => compareFunderIds(a.funder, b.funder));

const campaignId = 'console-e2e';
const today = parisDateOf(fromEpochMs(Date.now()));
/** The last day of the month after next: a due date whose day after is in another month (and a 1er). */
const coDecisionDue = addDays(`${addMonths(today, 2).slice(0, 7)}-01`, -1);

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
    await signInAs(page, demo.porteur);
    // Nothing filed yet: the porteur's own list says so in its own words.
    await page.locator('.empty').filter({ hasText: 'Aucune candidature en cours.' }).waitFor();
    await page.goto(`${base}/console/#/depot`);
    const f = page.locator('form.cerfa');
    await f.getByLabel('Nom de l’organisme *').fill('Association Sambre Avenir');
    await f.getByLabel('SIRET (14 chiffres)').fill('12345678900011');
    await f.getByLabel('Intitulé de l’action *').fill('Ateliers numériques à Sous-le-Bois');
    await f.getByLabel('Résumé *').fill('Initiation au numérique pour les familles, deux soirs par semaine.');
    await f.getByLabel('Thème (nomenclature nationale)').selectOption('1.1');
    await f.getByLabel('Bénéficiaires attendus').fill('80');
    await f
      .getByLabel('Comment les habitants co-construisent l’action')
      .fill('Un comité d’habitants choisit les thèmes des ateliers chaque trimestre.');
    const send = () => f.getByRole('button', { name: 'Déposer la candidature' }).click();
    const porteurToken = await engine.token({ role: 'porteur', porteurId: 'asso-sambre-avenir' });
    const filed = async () =>
      ((await engine.call('GET', '/api/applications', { token: porteurToken })).body as { total: number })
        .total;
    // The QPV picker lists the campaign's territory (GET /api/campaigns/:id), by name.
    await f.getByLabel('Sous-le-Bois (QN05990X)').check();
    // « 20.50 » could be twenty euros fifty or a typo: refused in the form, the field named, nothing sent.
    const cost = f.getByLabel('Coût total, année 1 (€) *');
    await cost.fill('20.50');
    await send();
    const alert = f.getByRole('alert');
    await alert.waitFor();
    // Nothing was sent: a point to correct, not a refusal.
    expect(await alert.textContent()).toContain(
      'À corriger avant l’envoi : Coût total, année 1 : « 20.50 » n’est pas un montant en euros lisible',
    );
    await expect(cost.getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('depot-cost-1');
    expect(await filed()).toBe(0);
    // French thousands: « 20.000 » is twenty thousand euros, « 5 000 € » too is read.
    await cost.fill('20.000');
    await f.getByLabel('Demandé à l’État, année 1 (€)').fill('10.000');
    await f.getByLabel('Demandé à l’intercommunalité (EPCI), année 1 (€)').fill('5 000 €');
    await f.getByLabel('Autres ressources, année 1 (€)').fill('5\u202f000');
    // The API's validation errors, all of them, each next to its field with the field's label: a
    // SIRET too short, an RNA number too short.
    await f.getByLabel('SIRET (14 chiffres)').fill('123');
    await f.getByLabel('Numéro RNA (W + 9 chiffres)').fill('W123');
    await send();
    await expect.poll(() => f.locator('.field-error').count()).toBe(2);
    const siret = f.getByLabel('SIRET (14 chiffres)');
    await expect(siret.getAttribute('aria-invalid')).resolves.toBe('true');
    const siretError = await siret.getAttribute('aria-describedby');
    expect(siretError).toContain('depot-siret-error');
    await expect(page.locator('#depot-siret-error').textContent()).resolves.toMatch(
      /^SIRET \(14 chiffres\) : .*14 chiffres/,
    );
    await expect(page.locator('#depot-rna-error').textContent()).resolves.toMatch(
      /^Numéro RNA \(W \+ 9 chiffres\) : /,
    );
    const summary = await alert.textContent();
    expect(summary).toContain('Refusé : 2 points à corriger');
    expect(summary).not.toMatch(/body\.|dossier\.|autre\(s\) erreur/);
    expect(
      await page.evaluate('document.activeElement && document.activeElement.getAttribute("aria-invalid")'),
    ).toBe('true');
    await page.screenshot({ path: join(artifacts, 'console-depot-erreurs.png'), fullPage: true });
    expect(await filed()).toBe(0);
    await siret.fill('12345678900011');
    await f.getByLabel('Numéro RNA (W + 9 chiffres)').fill('');
    await page.screenshot({ path: join(artifacts, 'console-depot.png'), fullPage: true });
    await send();
    await page.getByRole('heading', { name: 'Candidature déposée' }).waitFor();
    // The page changed: the focus is on its heading.
    await expect
      .poll(() => page.evaluate('document.activeElement && document.activeElement.tagName'))
      .toBe('H1');
    applicationId = (await page.locator('[role=status] strong').textContent()) ?? '';
    expect(applicationId).toMatch(/^[0-9A-Z]{26}$/);
    const filedState = (await waitForApplication(engine, applicationId, 'submitted', () => true))
      .state as unknown as { dossier: { budget: unknown[] } };
    expect(filedState.dossier.budget).toEqual([
      {
        year: 1,
        totalCostCents: 2_000_000,
        requested: expect.arrayContaining([
          { funder: 'ETAT', amountCents: 1_000_000 },
          { funder: 'EPCI', amountCents: 500_000 },
        ]) as unknown,
        otherResourcesCents: 500_000,
      },
    ]);

    await signInAs(page, 'Chargé de mission (agglomération)');
    await page
      .getByRole('link', { name: 'Ateliers numériques à Sous-le-Bois' })
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    await page.screenshot({ path: join(artifacts, 'console-file-attente.png'), fullPage: true });
    await openApplication(page, applicationId, 'form[data-action="eligible"]');
    await act(page, 'eligible', { 'Date limite de la co-décision (positions et avis) *': coDecisionDue });
    // The deadline shown is the due date given at the eligibility step (its last day), everywhere.
    const dueText = formatFrenchDate(coDecisionDue);
    await openApplication(page, applicationId, '[data-testid="deadline"]');
    await expect(page.getByTestId('deadline').getAttribute('data-value')).resolves.toBe(coDecisionDue);
    await expect(page.getByTestId('deadline').textContent()).resolves.toBe(
      `échéance : ${dueText} (co-décision)`,
    );
    await page
      .getByRole('heading', { name: `Co-décision des financeurs (jusqu’au ${dueText} inclus)` })
      .waitFor();

    for (const funder of ['Financeur — État', 'Financeur — Intercommunalité (EPCI)']) {
      await signInAs(page, funder);
      await page.locator(`a[href="#/candidatures/${applicationId}"]`).first().waitFor({ timeout: 15_000 });
      // Its queue: the same last day.
      await expect(
        page.locator(`tr[data-application="${applicationId}"] [data-field="deadline"]`).first().textContent(),
      ).resolves.toBe(dueText);
      await openApplication(page, applicationId, 'form[data-action="position"]');
      await expect(page.locator('form[data-action="position"] h3').textContent()).resolves.toMatch(
        /^Position de l’(État|intercommunalité \(EPCI\))$/,
      );
      // The API's hint (« Positions attendues jusqu'au … inclus ») and the header agree.
      await expect(page.locator('form[data-action="position"] .hint').textContent()).resolves.toContain(
        `jusqu’au ${dueText} inclus`,
      );
      await expect(page.getByTestId('deadline').textContent()).resolves.toContain(dueText);
      if (funder === 'Financeur — État') {
        // Its own decision named: the prefect's order, dated today (the field's default).
        const form = page.locator('form[data-action="position"]');
        await expect(
          form.getByLabel('Date de la décision de votre institution *').inputValue(),
        ).resolves.toMatch(/^\d{4}-\d{2}-\d{2}$/);
        await page.screenshot({ path: join(artifacts, 'console-position-financeur.png'), fullPage: true });
        await act(page, 'position', {
          'Conditions (engagement)': 'Bilan intermédiaire à six mois.',
          'Référence de la décision de votre institution (délibération, arrêté ; facultatif)':
            'Arrêté préfectoral 2027-118',
        });
        // Back on the page, the form shows the position recorded (its conditions too): sending it
        // again is a deliberate change, not a silent overwrite with the amounts asked.
        await openApplication(page, applicationId, '[data-testid="position-recorded"]');
        const position = page.locator('form[data-action="position"]');
        await expect(position.getByTestId('position-recorded').textContent()).resolves.toContain(
          'engagement (décision Arrêté préfectoral 2027-118) — ',
        );
        await expect(position.getByTestId('position-recorded').textContent()).resolves.toContain(
          'Bilan intermédiaire à six mois.',
        );
        await expect(position.getByLabel('Conditions (engagement)').inputValue()).resolves.toBe(
          'Bilan intermédiaire à six mois.',
        );
        await expect(position.getByRole('button', { name: 'Modifier la position' }).count()).resolves.toBe(1);
      } else await act(page, 'position');
    }
    await signInAs(page, 'Conseil citoyen');
    await openApplication(page, applicationId, 'form[data-action="opinion"]');
    // No opinion chosen for the council: « Favorable » is not sent unread.
    const opinion = page.locator('form[data-action="opinion"]');
    await expect(opinion.getByLabel('Avis *').inputValue()).resolves.toBe('');
    await opinion.getByLabel('Commentaire *').fill('Attendu par les habitants du quartier.');
    await opinion.getByRole('button', { name: 'Donner l’avis' }).click();
    await expect(opinion.locator('#opinion-opinion-error').textContent()).resolves.toBe('Avis : à remplir.');
    await act(page, 'opinion', { 'Avis *': 'reserved' });
    await openApplication(page, applicationId, '[data-testid="opinion-recorded"]');
    await expect(opinion.getByLabel('Avis *').inputValue()).resolves.toBe('reserved');
    await expect(opinion.getByLabel('Commentaire *').inputValue()).resolves.toBe(
      'Attendu par les habitants du quartier.',
    );

    await signInAs(page, 'Chargé de mission (agglomération)');
    await openApplication(page, applicationId, 'form[data-action="approval"]');
    await page.screenshot({ path: join(artifacts, 'console-candidature.png'), fullPage: true });
    await act(page, 'approval');
    await openApplication(page, applicationId, 'form[data-action="convention"]');
    await act(page, 'convention');

    // Signing binds for good: the dialog shows what is signed (amounts per funder and year, the
    // payment schedule); Escape cancels and nothing is sent.
    await signInAs(page, demo.porteur);
    await openApplication(page, applicationId, 'form[data-action="signature"]');
    await page.locator('form[data-action="signature"]').getByRole('button', { name: 'Signer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Signer la convention ?' });
    await dialog.waitFor();
    await expect(dialog.getByTestId('convention-amounts').textContent()).resolves.toMatch(
      /État.*Année 1.*10\s000,00\s€/s,
    );
    await expect(dialog.getByTestId('convention-schedule').locator('tbody tr').count()).resolves.toBe(4);
    await expect(dialog.getByTestId('convention-schedule').textContent()).resolves.toContain(
      'à l’entrée en vigueur (toutes les signatures)',
    );
    await expect(dialog.textContent()).resolves.toContain('Bilan intermédiaire à six mois.');
    await page.screenshot({ path: join(artifacts, 'console-signature-confirmation.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await waitForApplication(engine, applicationId, 'awaiting', () => true)).state.status).toBe(
      'awaiting_signatures',
    );
    for (const signer of [demo.porteur, 'Financeur — État', 'Financeur — Intercommunalité (EPCI)']) {
      await signInAs(page, signer);
      await openApplication(page, applicationId, 'form[data-action="signature"]');
      await act(page, 'signature');
    }
    await signInAs(page, 'Chargé de mission (agglomération)');
    await openApplication(page, applicationId, '[data-testid="status"]:has-text("vigueur")');
    await expect(page.title()).resolves.toBe(
      `Candidature ${applicationId} — Ateliers numériques à Sous-le-Bois — Console des subventions`,
    );
    // The names arrive after the page (the campaign, then its QPV reference): waited for, not raced.
    await expect.poll(() => page.locator('[data-field="qpv"]').textContent()).toBe('Sous-le-Bois (QN05990X)');
    await page.getByTestId('timeline').getByText('Convention en vigueur').first().waitFor();
    // Who did what: the last signature is its signatory's (role, institution, account), the entry
    // into force that follows from it the system's.
    const row = (what: string) => page.getByTestId('timeline').locator('tr', { hasText: what });
    await expect(row('Convention en vigueur').first().textContent()).resolves.toContain(
      'Système (automatique)',
    );
    await expect(row('Convention signée').last().textContent()).resolves.toMatch(
      /Financeur — Intercommunalité \(EPCI\) · \S+/,
    );
    // What each said, in a line: whose money, how much, on what decision; and the data as stored.
    await expect(row('Convention signée').last().textContent()).resolves.toContain(
      'Signée par l’intercommunalité (EPCI).',
    );
    const etat = row('Position d’un financeur').filter({ hasText: 'L’État s’engage pour' }).last();
    await expect(etat.textContent()).resolves.toMatch(
      /L’État s’engage pour [\d\s]+,00\s€ \(année 1 : [\d\s]+,00\s€.*\)\. Conditions : Bilan intermédiaire à six mois\. Décision : Arrêté préfectoral 2027-118\./s,
    );
    await expect(row('Versement ordonné').first().textContent()).resolves.toMatch(
      /, année 1 : [\d\s]+,\d\d\s€\./,
    );
    await etat.getByText('Données enregistrées').click();
    await expect(etat.locator('pre').textContent()).resolves.toContain(
      '"decisionReference": "Arrêté préfectoral 2027-118"',
    );
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
    await create.getByLabel('Enveloppe de l’État (vide : non partenaire) (€)').fill('100 000');
    await create.getByLabel('Codes QPV du territoire (un par ligne) *').fill('QN05990X');
    await create.getByLabel('Version du référentiel QPV *').fill('echantillon-camvs-1');
    await create.getByRole('button', { name: 'Créer la campagne' }).click();
    const alert = create.getByRole('alert');
    await alert.waitFor();
    // The engine's French, with the console's typographic apostrophe.
    expect(await alert.textContent()).toMatch(/Refusé :.*n’est pas possible/s);
  });

  it('offers to read a campaign again when its answer did not come, and shows it then', async () => {
    const page = await newPage();
    await signInAs(page, demo.manager);
    // The engine's answer while no worker reads the task queue (services/http/workersUnavailable.ts),
    // once: the next request goes through.
    await page.route(
      `**/api/campaigns/${campaignId}`,
      (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          headers: { 'Retry-After': '5' },
          body: JSON.stringify({
            type: 'about:blank',
            title: 'Service indisponible',
            status: 503,
            code: 'ENGINE_UNAVAILABLE',
            detail:
              'Aucun worker ne fait avancer les dossiers pour le moment : l’état de la campagne ne peut être lu. Réessayez dans un instant.',
          }),
        }),
      { times: 1 },
    );
    await page.goto(`${base}/console/#/campagnes`);
    const failed = page.locator(`[data-campaign-error="${campaignId}"]`);
    await failed.waitFor();
    expect(await failed.textContent()).toContain(
      `La campagne ${campaignId} n’a pas pu être lue : Aucun worker ne fait avancer les dossiers`,
    );
    await failed.getByRole('button', { name: 'Réessayer' }).click();
    await expect
      .poll(() =>
        page.locator(`[data-campaign="${campaignId}"] [data-field="campaign-status"]`).textContent(),
      )
      .toBe('ouverte');
    expect(await failed.count()).toBe(0);
  });

  it('shows the evaluator the numbers the query API gives', async () => {
    const evaluator = await engine.token({ role: 'evaluator' });
    const summary = (await engine.call('GET', `/api/campaigns/${campaignId}/summary`, { token: evaluator }))
      .body as {
      applications: number;
      amounts: { requestedCents: number; awardedCents: number; recoveredCents: number };
    };
    const funders = (
      await engine.call('GET', `/api/stats/funders?campaignId=${campaignId}`, { token: evaluator })
    ).body as {
      items: {
        funder: string;
        amounts: { requestedCents: number; awardedCents: number; paidCents: number };
      }[];
    };
    const page = await newPage();
    await signInAs(page, 'Évaluateur');
    await page.locator('[data-kpi="applications"]').waitFor();
    const euros = (cents: number) =>
      new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
    expect(await page.locator('[data-kpi="applications"]').textContent()).toBe(
      new Intl.NumberFormat('fr-FR').format(summary.applications),
    );
    expect(await page.locator('[data-kpi="requested"]').textContent()).toBe(
      euros(summary.amounts.requestedCents),
    );
    expect(await page.locator('[data-kpi="awarded"]').textContent()).toBe(
      euros(summary.amounts.awardedCents),
    );
    // What porteurs must repay, beside what was paid: the paid figure alone read as money kept.
    expect(await page.locator('[data-kpi="recovered"]').textContent()).toBe(
      euros(summary.amounts.recoveredCents),
    );
    const rects = page.locator('svg[data-chart="chart-funders"] rect');
    const bars: number[] = [];
    for (let i = 0; i < (await rects.count()); i += 1)
      bars.push(Number(await rects.nth(i).getAttribute('data-value')));
    // In the console's order of funders, not the API's (by code).
    expect(bars).toEqual(
      inFunderOrder(funders.items).flatMap((f) => [
        f.amounts.requestedCents,
        f.amounts.awardedCents,
        f.amounts.paidCents,
      ]),
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
    expect(await page.getByTestId('verify-next-steps').count()).toBe(0);
    expect(
      await page.locator('[data-testid="asof-result"] [data-field="integrity"]').textContent(),
    ).toContain('intacte');

    // The same application's first event edited in the file: the verification says so and what to do
    // next, and a replay of that stream is flagged; then the file is put back as it was.
    const stream = `application-${applicationId}`;
    const edit = editFirstEventInPlace(engine.eventsFile, stream);
    try {
      await page.getByRole('button', { name: 'Vérifier l’intégrité du journal' }).click();
      await expect
        .poll(() => page.getByTestId('verify').textContent())
        .toMatch(new RegExp(`^Altération détectée dans le journal entier.*flux ${stream}, révision 0`));
      const steps = page.getByTestId('verify-next-steps').getByRole('listitem');
      expect(await steps.count()).toBe(5);
      expect(await steps.nth(2).textContent()).toContain('grants audit verify --against');
      await page.getByRole('button', { name: 'Rejouer' }).click();
      await expect
        .poll(() => page.locator('[data-testid="asof-result"] [data-field="integrity"]').textContent())
        .toContain('Altération détectée dans le flux');
      await page.screenshot({ path: join(artifacts, 'console-audit-altere.png'), fullPage: true });
      // The verification just made is the engine's verdict: the ledger's figures come with a warning.
      await page.getByRole('tab', { name: 'Grand livre' }).click();
      await page.getByRole('button', { name: 'Afficher' }).click();
      await expect
        .poll(() => page.getByTestId('ledger-integrity').textContent())
        .toMatch(/^La dernière vérification du journal entier .* l’a trouvé altéré : .*n’en publiez rien/);
      // And beside an open-data file drawn from that log, which must not go out as it is (the État's
      // SIRET is not known here: the file is taken incomplete, as an auditor reviewing it would).
      await page.getByLabel('Accepter un fichier incomplet', { exact: false }).check();
      await page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' }).click();
      await expect
        .poll(() => page.getByTestId('scdl-integrity').textContent())
        .toMatch(/^La dernière vérification du journal entier .* l’a trouvé altéré : .*n’en publiez rien/);
      await page.getByRole('tab', { name: 'Candidature' }).click();
    } finally {
      edit.restore();
    }
    await page.getByRole('button', { name: 'Vérifier l’intégrité du journal' }).click();
    await expect.poll(() => page.getByTestId('verify').textContent()).toMatch(/aucune altération/);
    // The status of this export, not the last one's (cleared when the form is sent, before the file).
    const file = page.waitForResponse((r) => r.url().includes('/api/audit/exports/scdl.csv'));
    await page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' }).click();
    await file;
    await page.getByTestId('scdl-status').waitFor();
    expect(await page.getByTestId('scdl-integrity').count()).toBe(0);
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

  it('names its icon, a console file allowed by the CSP (browsers ask for /favicon.ico otherwise)', async () => {
    const page = await newPage();
    await page.goto(`${base}/console/`);
    const href = await page.locator('link[rel="icon"]').getAttribute('href');
    const icon = await page.request.get(new URL(href ?? '', page.url()).href);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toMatch(/^image\/svg\+xml/);
    expect(await icon.text()).not.toMatch(/<script|style=/);
    expect(cspViolations).toEqual([]);
  });

  it('puts the grant manager’s own work first, the files waiting on others next, and finished ones apart, as in the porteur’s list', async () => {
    const live = await submitApplication(engine, campaignId, { title: 'Atelier vélo solidaire' });
    const gone = await submitApplication(engine, campaignId, { title: 'Brocante du quartier' });
    const toRule = await submitApplication(engine, campaignId, { title: 'Jardin de la Tour' });
    await declareEligible(engine, live);
    await command(engine, 'porteur', `/api/applications/${gone}/withdraw`, { reason: 'Projet reporté.' });
    await waitForApplication(engine, gone, 'withdrawn', (d) => d.status === 'withdrawn');
    await waitForApplication(engine, live, 'co-decision', (d) => d.status === 'co_decision');
    await waitForApplication(engine, toRule, 'under review', (d) => d.status === 'under_review');
    const page = await newPage();
    await signInAs(page, demo.manager);
    // Its eligibility to rule on (no deadline) comes first, in its own list.
    const mine = page.getByTestId('queue-mine');
    await mine.locator(`tr[data-application="${toRule}"]`).waitFor({ timeout: 15_000 });
    expect(await mine.locator(`tr[data-application="${live}"]`).count()).toBe(0);
    const others = page.getByTestId('queue-others');
    await others.locator(`tr[data-application="${live}"]`).waitFor();
    // The convention in force of the first test is still followed (its reports): it stays.
    await others.locator(`tr[data-application="${applicationId}"]`).waitFor();
    expect(await others.locator(`tr[data-application="${toRule}"]`).count()).toBe(0);
    expect(await page.locator(`tr[data-application="${gone}"]`).count()).toBe(0);
    const finished = page.getByTestId('finished');
    await finished.getByText('Dossiers terminés', { exact: false }).first().click();
    await finished.locator(`tr[data-application="${gone}"]`).waitFor();
    await expect(finished.locator(`tr[data-application="${gone}"]`).textContent()).resolves.toContain(
      'Retirée',
    );
    expect(await finished.locator(`tr[data-application="${live}"]`).count()).toBe(0);
    await page.screenshot({ path: join(artifacts, 'console-file-attente-terminees.png'), fullPage: true });
    // The porteur's list too: its files under way, the withdrawn one folded apart with its status.
    await signInAs(page, demo.porteur);
    await page.locator(`tr[data-application="${live}"]`).first().waitFor({ timeout: 15_000 });
    expect(await page.locator(`tr[data-application="${gone}"]`).count()).toBe(0);
    const porteurFinished = page.getByTestId('finished');
    await porteurFinished.getByText('Mes dossiers terminés', { exact: false }).first().click();
    await expect(
      porteurFinished.locator(`tr[data-application="${gone}"]`).textContent({ timeout: 15_000 }),
    ).resolves.toContain('Retirée');
    expect(await porteurFinished.locator(`tr[data-application="${live}"]`).count()).toBe(0);
    expect(cspViolations).toEqual([]);
  });

  it('signs in the demo porteur as one the demo seed creates: its seeded application is listed', async () => {
    const seeded = await seedDemo(engine.engine.grants, { count: 1 });
    const id = seeded.applications[0]?.id ?? '';
    await waitForApplication(engine, id, 'seeded', (d) => d.status === 'under_review');
    const page = await newPage();
    await signInAs(page, demo.porteur);
    await page.locator(`tr[data-application="${id}"]`).waitFor({ timeout: 15_000 });
    expect(await page.getByText('Aucune candidature en cours.').count()).toBe(0);
    expect(cspViolations).toEqual([]);
  });
  it('follows a hash changed right after the sign-in, before the page listens for it', async () => {
    // The route changed between the signed-in page's first render and its effects (a link followed
    // at once): the queue stayed on screen under « #/campagnes » (CI's 30 s waits for a campaign card).
    const page = await newPage();
    await page.goto(`${base}/console/`);
    await page.evaluate("sessionStorage.clear(); location.hash = '#/';");
    await page.reload();
    await page.getByLabel(demo.manager, { exact: true }).check();
    await page.evaluate(`new Promise((resolve) => {
      const watch = new MutationObserver(() => {
        if (!document.querySelector('[data-testid="who"]')) return;
        watch.disconnect();
        location.hash = '#/campagnes';
        resolve();
      });
      watch.observe(document.body, { childList: true, subtree: true });
      [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Se connecter').click();
    })`);
    await expect
      .poll(() => page.locator('main h1').first().textContent(), { timeout: 10_000 })
      .toBe('Campagnes (AMI)');
  });

  it('titles each page, focuses its heading, refuses another porteur’s file with a heading and a way back, and fits a phone', async () => {
    const other = await engine.token({ role: 'porteur', porteurId: 'asso-autre' });
    const answer = await engine.call('POST', '/api/applications', {
      token: other,
      body: {
        campaignId,
        dossier: dossier({ title: 'Chorale des Provinces', durationYears: 1, perYear: { ETAT: 500_000 } }),
      },
    });
    expect(answer.status).toBeLessThan(300);
    const othersId = (answer.body as { state: { applicationId: string } }).state.applicationId;
    const page = await newPage();
    await signInAs(page, demo.porteur);
    // Signed in: the focus is on the page's heading, the tab says where one is.
    await expect
      .poll(() => page.evaluate('document.activeElement && document.activeElement.tagName'))
      .toBe('H1');
    await expect(page.title()).resolves.toBe('Mes candidatures — Console des subventions');
    await page.goto(`${base}/console/#/candidatures/${othersId}`);
    await page.getByRole('heading', { level: 1, name: 'Candidature non accessible' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('un autre porteur');
    await expect(page.title()).resolves.toBe(`Candidature ${othersId} — Console des subventions`);
    await page.getByRole('link', { name: 'Revenir à la liste' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mes candidatures' }).waitFor();

    // 390 px wide: the application page (the grant manager's, with every table) does not scroll sideways.
    await signInAs(page, demo.manager);
    await page.setViewportSize({ width: 390, height: 844 });
    await openApplication(page, applicationId, '[data-testid="timeline"]');
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(artifacts, 'console-candidature-390.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });
});
