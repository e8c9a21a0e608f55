// What driving the console as each role on the real engine turned up, in Debian's Chromium: the
// conseil citoyen (and a funder) sees every application waiting on it, not the API's first page of
// 50; a chart's row label cut to fit keeps the quartier's code and cuts its name; on a phone the
// evaluator's charts are drawn for its width (labels at 12 px, above their bars); a campaigns list
// that could not be had is said, with « Réessayer », never shown as « no campaign »; the auditor's tabs
// fit a 375 px phone (and 320 px, a 1280 px screen zoomed to 400 %); the installments held back by
// an overdue yearly report say so, and which year's; a campaign's closing is told by its last day
// included, as its window is; the funders come in one order on every list of an application; under
// the actions possible now, why the others are not (the API's `notNow`), folded, said once per reason,
// on an application's page and on a campaign's card.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, addYears, formatFrenchDate, parisDateOf } from '../../domain/calendar';
import { dossier } from '../support/fixtures';
import { chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  bringToInForce,
  campaignOfYear,
  campaignView,
  command,
  createOpenCampaign,
  declareEligible,
  giveAllPositions,
  type ApplicationDetail,
  submitApplication,
  todayInParis,
  tokenOf,
  waitForApplication,
} from './support/steps';

const campaignId = 'console-durcissement';
let world: ConsoleWorld;

/** The API's « what is possible instead », which the page shows already: never repeated under it. */
const repeatedEnding = /Possible maintenant pour vous|En attente de :|Plus aucune action n'est possible/;

/** The manager's `notNow` once the read models show `status`. */
async function notNowOf(id: string, status: string): Promise<NonNullable<ApplicationDetail['notNow']>> {
  const detail = await waitForApplication(world.engine, id, status, (d) => d.status === status);
  return detail.notNow ?? [];
}

const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

/** An element as evaluateAll hands it (the DOM's types are not in this project's lib). */
type Node = { nodeType: number; textContent: string | null };
type Element = { childNodes: ArrayLike<Node> };
/** Runs in the page: a text element's own words, without its <title> (the tooltip). */
const ownText = (elements: Element[]): string[] =>
  elements.map((e) =>
    Array.from(e.childNodes)
      .filter((n) => n.nodeType === 3)
      .map((n) => n.textContent ?? '')
      .join('')
      .trim(),
  );

/**
 * Signs in as the evaluator and waits until the quartiers chart shows the Provinces Françaises (the
 * application the chart tests submit); its labels.
 */
async function evaluatorSeesProvinces(page: Page) {
  await world.signInAs(page, demo.evaluator);
  const labels = page.locator('svg[data-chart="chart-qpv"] text.axis-label');
  await expect
    .poll(async () => (await labels.evaluateAll(ownText)).some((l) => l.includes('Provinces')), {
      timeout: 30_000,
    })
    .toBe(true);
  return labels;
}

describe.skipIf(chromiumPath === undefined)('console hardening (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('lists all 51 applications waiting on the conseil citoyen, not the API’s first page of 50', async () => {
    const wanted = 51;
    // A few at a time: each is a workflow of its own on the test's Temporal server.
    for (let i = 0; i < wanted; i += 8)
      await Promise.all(
        Array.from({ length: Math.min(8, wanted - i) }, async (_, k) => {
          const id = await submitApplication(world.engine, campaignId, {
            title: `Action de quartier n° ${i + k + 1}`,
            perYear: { ETAT: 100_000 },
          });
          await declareEligible(world.engine, id);
        }),
      );
    const council = await tokenOf(world.engine, 'council');
    // The read models follow the log: wait until the API counts them all.
    await expect
      .poll(
        async () => {
          const answer = await world.engine.call(
            'GET',
            '/api/applications?waitingOn=citizen_council&limit=1',
            { token: council },
          );
          return (answer.body as { total: number }).total;
        },
        { timeout: 30_000, interval: 300 },
      )
      .toBe(wanted);

    const page = await world.newPage();
    await world.signInAs(page, demo.council);
    const waiting = page
      .locator('table')
      .filter({ has: page.locator('caption', { hasText: 'attendent votre réponse' }) })
      .locator('tbody tr');
    await waiting.first().waitFor();
    await expect.poll(() => waiting.count()).toBe(wanted);
    // Nothing was cut: no « … affichées sur … ».
    expect(await page.getByText('affichées sur', { exact: false }).count()).toBe(0);
    expect(world.cspViolations).toEqual([]);
    // 51 submissions and eligibility rulings, each a workflow step: 10 s alone, over 60 s beside
    // another suite on two cores.
  }, 120_000);

  it('cuts a long quartier name in the chart, never its code', async () => {
    const base = dossier({ title: 'Chantiers d’insertion aux Provinces', durationYears: 1 });
    await command(world.engine, 'porteur', '/api/applications', {
      campaignId,
      // « Provinces Françaises – De Joyeuse (QN05994X) »: 44 characters, more than a label takes.
      dossier: { ...base, action: { ...base.action, qpvCodes: ['QN05994X'] } },
    });
    const page = await world.newPage();
    const labels = await evaluatorSeesProvinces(page);
    const label = (await labels.evaluateAll(ownText)).find((l) => l.includes('Provinces')) ?? '';
    expect(label).toMatch(/^Provinces Françaises.*… \(QN05994X\)$/);
    expect(label.length).toBeLessThanOrEqual(42);
    // The whole name stays in the tooltip and in the data table.
    await expect(
      page.locator('table[data-table="chart-qpv"] tr[data-row="QN05994X"] th').textContent(),
    ).resolves.toBe('Provinces Françaises – De Joyeuse (QN05994X)');
    expect(world.cspViolations).toEqual([]);
  });

  it('draws the evaluator’s charts for a 375 px phone: labels at their 12 px, above their bars', async () => {
    // After the quartier above: the quartiers chart has a row with a long name.
    const page = await world.newPage();
    const qpvLabels = await evaluatorSeesProvinces(page);
    /** The height a chart's text takes on the screen, in CSS pixels (12 px text: about 14). */
    const textHeight = async (selector: string) =>
      (await page.locator(selector).first().boundingBox())?.height ?? 0;
    const layout = (figure: string) =>
      page.locator(`figure[data-figure="${figure}"]`).getAttribute('data-layout');
    await expect.poll(() => layout('chart-qpv')).toBe('beside');
    expect(await textHeight('svg[data-chart="chart-qpv"] text.axis-label')).toBeGreaterThanOrEqual(11);

    await page.setViewportSize({ width: 375, height: 800 });
    // Scaled down from the laptop's drawing, the labels were 5 px high: drawn for the phone, 12 px.
    await expect.poll(() => layout('chart-qpv')).toBe('stacked');
    await expect.poll(() => layout('chart-funders')).toBe('stacked');
    for (const text of [
      'svg[data-chart="chart-qpv"] text.axis-label',
      'svg[data-chart="chart-qpv"] text.bar-value',
      'svg[data-chart="chart-funders"] text.axis-label',
      'svg[data-chart="chart-cpo"] text.axis-label',
    ])
      expect(await textHeight(text), text).toBeGreaterThanOrEqual(11);
    // A label on a line of its own has room for the whole name.
    expect(await qpvLabels.evaluateAll(ownText)).toContain('Provinces Françaises – De Joyeuse (QN05994X)');
    await expect.poll(() => scrollWidth(page)).toBeLessThanOrEqual(375);
    // A tablet: the half-screen charts, one per line, were scaled up to 18 px labels.
    await page.setViewportSize({ width: 900, height: 800 });
    await expect.poll(() => layout('chart-funders')).toBe('beside');
    const tablet = await textHeight('svg[data-chart="chart-funders"] text.axis-label');
    expect(tablet).toBeGreaterThanOrEqual(11);
    expect(tablet).toBeLessThanOrEqual(16);
    expect(world.cspViolations).toEqual([]);
  });

  it('says when the campaigns list could not be had, and asks again, instead of « no campaign »', async () => {
    const page = await world.newPage();
    // The platform failing that one request, as a restarting engine or a dropped connection would.
    let refused = 0;
    await page.route('**/api/campaigns', async (route) => {
      refused += 1;
      await route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Service indisponible',
          status: 503,
          detail: 'Le moteur redémarre : réessayez dans un instant.',
        }),
      });
    });
    await world.signInAs(page, demo.evaluator);
    const alert = page.getByTestId('campaigns-error');
    await alert.waitFor();
    expect(refused).toBeGreaterThan(0);
    await expect(alert.textContent()).resolves.toContain(
      'La liste des campagnes n’a pas pu être chargée : Le moteur redémarre : réessayez dans un instant.',
    );
    // It said there was none.
    expect(await page.getByText('Aucune campagne pour l’instant.').count()).toBe(0);
    await page.unroute('**/api/campaigns');
    await alert.getByRole('button', { name: 'Réessayer' }).click();
    await alert.waitFor({ state: 'detached' });
    await expect
      .poll(() =>
        page.locator('#f-campaign option').evaluateAll((os) => os.map((o) => (o as { value: string }).value)),
      )
      .toContain(campaignId);
    expect(world.cspViolations).toEqual([]);
  });

  it('keeps the auditor’s tabs within a 375 px and a 320 px wide screen', async () => {
    const page = await world.newPage();
    await world.signInAs(page, demo.auditor);
    const tabs = page.getByRole('tab');
    await tabs.first().waitFor();
    for (const width of [375, 320]) {
      await page.setViewportSize({ width, height: 800 });
      await expect.poll(() => scrollWidth(page)).toBeLessThanOrEqual(width);
      for (const name of ['Candidature', 'Campagne et enveloppes', 'Grand livre']) {
        const box = await page.getByRole('tab', { name }).boundingBox();
        expect(box, name).not.toBeNull();
        expect((box?.x ?? 0) + (box?.width ?? 0), `${name} à ${width} px`).toBeLessThanOrEqual(width);
      }
    }
    // Still a tab list one moves through with the arrows.
    await page.getByRole('tab', { name: 'Candidature' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(() => page.evaluate('document.activeElement && document.activeElement.textContent.trim()'))
      .toBe('Campagne et enveloppes');
    expect(world.cspViolations).toEqual([]);
  });

  it('says the installments are suspended while a yearly report is overdue, and which year’s', async () => {
    // A two-year CPO whose first year ended eight months ago: its report, due two months ago, is late.
    const plan = { title: 'Médiation de rue à Louvroil', durationYears: 2, perYear: { ETAT: 800_000 } };
    const start = addMonths(addYears(todayInParis(), -1), -8);
    const id = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, `${campaignId}-retard`, start),
      plan,
      start,
    );
    const detail = await waitForApplication(world.engine, id, 'report 1 overdue', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.overdue === true),
    );
    const held = (detail.state.installments ?? []).filter((i) => i.status === 'scheduled');
    expect(held.length).toBeGreaterThan(0);
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, '[data-installment]');
    for (const i of held)
      await expect(
        page.locator(`tr[data-installment="${i.id}"] td`).last().textContent(),
        i.id,
      ).resolves.toBe('suspendu : compte rendu de l’année 1 en retard');
    // Paid at the signature: nothing held back there.
    for (const i of (detail.state.installments ?? []).filter((x) => x.status === 'ordered'))
      await expect(page.locator(`tr[data-installment="${i.id}"] td`).last().textContent()).resolves.toMatch(
        /^ordonné/,
      );
    await expect(page.getByTestId('payments-suspended').textContent()).resolves.toContain(
      'Versements suspendus : le compte rendu de l’année 1 est en retard',
    );
    expect(world.cspViolations).toEqual([]);
  });

  it('tells a campaign’s automatic closing by its last day included, as its window', async () => {
    const view = await campaignView(world.engine, campaignId);
    const closesAt = (view.state as unknown as { submissionWindow: { closesAt: string } }).submissionWindow
      .closesAt;
    // closesAt is midnight in Paris at the start of the day after the last day of submission.
    const dayAfter = parisDateOf(closesAt);
    const lastDay = formatFrenchDate(parisDateOf(new Date(Date.parse(closesAt) - 1).toISOString()));
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await page.goto(`${world.base}/console/#/campagnes`);
    const card = page.locator(`[data-campaign="${campaignId}"]`);
    await card.locator('form[data-action^="close-"] .hint').waitFor();
    await expect(card.locator('[data-field="submission-window"]').textContent()).resolves.toContain(
      `au ${lastDay} inclus`,
    );
    const hint = (await card.locator('form[data-action^="close-"] .hint').textContent()) ?? '';
    expect(hint).toContain(`${lastDay} inclus`);
    expect(hint).not.toContain(formatFrenchDate(dayAfter));
    expect(world.cspViolations).toEqual([]);
  });

  it('tells a grant manager why the opening of an open campaign is not possible, folded on its card; nothing to an evaluator', async () => {
    const view = await campaignView(world.engine, campaignId);
    // The API's message: where the campaign stands, the step, what is possible instead.
    const opening = view.notNow?.find((n) => n.type === 'OpenCampaign');
    expect(opening?.code).toBe('CAMPAIGN_ALREADY_OPEN');
    expect(opening?.message).toContain('Possible maintenant pour vous');
    const evaluator = await world.engine.token({ role: 'evaluator' });
    const asEvaluator = await world.engine.call('GET', `/api/campaigns/${campaignId}`, { token: evaluator });
    expect((asEvaluator.body as { notNow?: unknown[] }).notNow ?? []).toEqual([]);

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await page.goto(`${world.base}/console/#/campagnes`);
    const card = page.locator(`[data-campaign="${campaignId}"]`);
    await card.locator('form[data-action^="close-"]').waitFor();
    const why = card.getByTestId('not-now');
    // Under the actions possible now (closing, an envelope), closed: they come first.
    expect(await why.count()).toBe(1);
    await expect(why.evaluate((e: { tagName: string }) => e.tagName)).resolves.toBe('DETAILS');
    await expect(why.getAttribute('open')).resolves.toBeNull();
    const summary = why.locator('summary');
    await expect(summary.textContent()).resolves.toBe('Pourquoi pas les autres actions ?');
    await summary.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => why.getAttribute('open')).toBe('');
    const items = await why.locator('li').allTextContents();
    const opened = items.find((i) => i.startsWith('Ouverture de la campagne'));
    expect(opened, JSON.stringify(items)).toMatch(
      /^Ouverture de la campagne : La campagne \d{4} est ouverte depuis le \d{1,2}(er)? \S+ \d{4} : l’ouverture de la campagne n’est pas possible\.$/,
    );
    for (const item of items) expect(item).not.toMatch(repeatedEnding);

    // The evaluator has no campaign card, so no refusals.
    const other = await world.newPage();
    await world.signInAs(other, demo.evaluator);
    await other.goto(`${world.base}/console/#/campagnes`);
    await other
      .locator(`section.dashboard #f-campaign option[value="${campaignId}"]`)
      .waitFor({ state: 'attached' });
    await expect(other.getByTestId('not-now').count()).resolves.toBe(0);
    await expect(other.getByText('Pourquoi', { exact: false }).count()).resolves.toBe(0);
    expect(world.cspViolations).toEqual([]);
  });

  it('lists the funders of an application in one order everywhere: the État first', async () => {
    // The dossier asks the EPCI first; the EPCI commits first: neither makes it come first.
    const plan = { title: 'Jardins partagés de Montplaisir', perYear: { EPCI: 300_000, ETAT: 700_000 } };
    const start = addMonths(todayInParis(), 1);
    const inForce = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, `${campaignId}-ordre`, start),
      plan,
      start,
    );
    await waitForApplication(world.engine, inForce, 'in force', (d) => d.status === 'in_force');
    // Asked of the État first, but the EPCI commits first: the console's approval form follows.
    const atCommittee = await submitApplication(world.engine, campaignId, {
      title: 'Chantier éducatif à Sous-le-Bois',
      perYear: { ETAT: 600_000, EPCI: 200_000 },
    });
    await declareEligible(world.engine, atCommittee);
    await giveAllPositions(world.engine, atCommittee, {
      title: '',
      perYear: { EPCI: 200_000, ETAT: 600_000 },
    });
    await waitForApplication(world.engine, atCommittee, 'at committee', (d) =>
      d.allowed.some((a) => a.type === 'RecordCommitteeApproval'),
    );

    const etat = 'État';
    const epci = 'Intercommunalité (EPCI)';
    const page = await world.newPage();
    /** The funders named by each element, in the order they come. */
    const named = async (selector: string) =>
      (await page.locator(selector).allTextContents())
        .map((t) => (t.includes(epci) ? epci : t.includes(etat) ? etat : null))
        .filter((f) => f !== null);
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, atCommittee, 'form[data-action="approval"]');
    expect(await named('form[data-action="approval"] label')).toEqual([etat, epci]);
    await world.act(page, 'approval');
    await page.locator('#award-title').waitFor();
    expect(await named('[aria-labelledby="award-title"] li')).toEqual([etat, epci]);
    expect(await named('[data-testid="codecision"] tbody tr')).toEqual([etat, epci]);

    await world.openApplication(page, inForce, '[data-installment]');
    expect(await named('[data-testid="codecision"] tbody tr')).toEqual([etat, epci]);
    expect(await named('[aria-labelledby="award-title"] li')).toEqual([etat, epci]);
    const installments = await named('tr[data-installment]');
    expect(installments.indexOf(epci)).toBeGreaterThan(installments.lastIndexOf(etat));
    expect(world.cspViolations).toEqual([]);
  });

  it('tells a grant manager why the other actions are not possible now, once, folded under the possible ones', async () => {
    const id = await submitApplication(world.engine, campaignId, { title: 'Atelier vélo de Louvroil' });
    const refused = await notNowOf(id, 'under_review');
    // The API's message for each: where the file stands, the step, what is possible instead.
    const approval = refused.find((n) => n.type === 'RecordCommitteeApproval');
    expect(approval?.code).toBe('UNDER_REVIEW');
    expect(approval?.message).toContain('Possible maintenant pour vous');

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="eligible"]');
    const why = page.getByTestId('not-now');
    // Under the actions possible now, closed: they come first.
    expect(await page.locator('section.actions [data-testid="not-now"]').count()).toBe(1);
    await expect(why.evaluate((e: { tagName: string }) => e.tagName)).resolves.toBe('DETAILS');
    await expect(why.getAttribute('open')).resolves.toBeNull();
    const summary = why.locator('summary');
    await expect(summary.textContent()).resolves.toBe('Pourquoi pas les autres actions ?');
    // Opened with the keyboard.
    await summary.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => why.getAttribute('open')).toBe('');
    // All refused for one reason, the stage of the file: one sentence naming them, not eight alike.
    expect(await why.locator('li').count()).toBe(0);
    const sentence = (await why.locator('p').textContent()) ?? '';
    expect(sentence).toMatch(
      /^La candidature est en cours d’instruction \(recevabilité\) : l’approbation du comité de pilotage, le rejet par le comité de pilotage, la rédaction de la convention, .+ et la résiliation de la convention ne sont pas possibles à ce stade\.$/,
    );
    expect(sentence).not.toMatch(repeatedEnding);
    expect(await why.locator('p').isVisible()).toBe(true);

    // In co-decision nothing is the manager's: first why the committee's decision waits (the funders),
    // then the stage that stops the rest.
    await declareEligible(world.engine, id);
    await notNowOf(id, 'co_decision');
    await world.openApplication(page, id, '[data-testid="codecision"]');
    await expect(summary.textContent()).resolves.toBe('Pourquoi aucune action ?');
    await summary.click();
    const items = await why.locator('li').allTextContents();
    expect(items).toHaveLength(3);
    expect(items[0]).toMatch(
      /^Approbation du comité de pilotage et rejet par le comité de pilotage : En attente de la position de : État, Intercommunalité \(EPCI\) \(jusqu’au .+\)\. Le comité pourra statuer quand tous se seront prononcés/,
    );
    // The eligibility ruling is a step passed, the convention one to come: said apart.
    expect(items[1]).toBe(
      'La recevabilité est prononcée et la candidature est en co-décision des financeurs : la déclaration de recevabilité, la déclaration d’irrecevabilité et la demande de compléments ne sont plus possibles.',
    );
    expect(items[2]).toMatch(
      /^La candidature est en co-décision des financeurs \(jusqu’au .+\) : la rédaction de la convention, .+ ne sont pas possibles à ce stade\.$/,
    );
    await expect(why.locator('li strong').first().textContent()).resolves.toBe(
      'Approbation du comité de pilotage et rejet par le comité de pilotage',
    );
    for (const item of items) expect(item).not.toMatch(repeatedEnding);
    expect(world.cspViolations).toEqual([]);
  });

  it('says in one sentence that nothing more is possible on a withdrawn application; nothing to an evaluator', async () => {
    const id = await submitApplication(world.engine, campaignId, { title: 'Fête de quartier à Jeumont' });
    await command(world.engine, 'porteur', `/api/applications/${id}/withdraw`, { reason: 'Projet reporté.' });
    const refused = await notNowOf(id, 'withdrawn');
    expect(refused.length).toBeGreaterThan(5);
    expect(new Set(refused.map((n) => n.code))).toEqual(new Set(['TERMINAL_STATE']));

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, '[data-testid="outcome"]');
    const why = page.getByTestId('not-now');
    await expect(why.locator('summary').textContent()).resolves.toBe('Pourquoi aucune action ?');
    await why.locator('summary').click();
    expect(await why.locator('li').count()).toBe(0);
    await expect(why.locator('p').textContent()).resolves.toMatch(
      /^La candidature a été retirée par le porteur le \d{1,2}(er)? \S+ \d{4} : plus aucune action n’est possible\.$/,
    );

    // An evaluator reads no file, so no refusals; an auditor sends no command.
    for (const who of [demo.evaluator, demo.auditor]) {
      const other = await world.newPage();
      await world.signInAs(other, who);
      await world.openApplication(other, id, '[data-testid="status"]');
      await expect(other.getByText('Actions possibles maintenant').count(), who).resolves.toBe(1);
      await expect(other.getByTestId('not-now').count(), who).resolves.toBe(0);
      await expect(other.getByText('Pourquoi', { exact: false }).count(), who).resolves.toBe(0);
    }
    expect(world.cspViolations).toEqual([]);
  });
});
