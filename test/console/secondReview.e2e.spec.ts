// What a second review of the console found, in Debian's Chromium on the real engine: « Rédiger la
// convention » started year 1 ten days from today (an AMI of next year approved in November had its
// year 1 in this year's exercise), not on 1 January of the campaign's year; the checks made before
// anything is sent read « Refusé » (nothing was sent, nothing refused) and the deposit form let an
// application go without a quartier; the SCDL export's year was called « Exercice » although it is
// the year conventions came into force, and an empty file did not say where the conventions were;
// on a phone the lists hid the deadline and « En retard » beyond the screen's edge; the envelopes
// chart's title did not agree and did not say what is left; the funder's position form did not say
// what is left of its envelope.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Locator, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, addYears } from '../../domain/calendar';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  bringToCommittee,
  bringToInForce,
  campaignOfYear,
  campaignView,
  command,
  createOpenCampaign,
  declareEligible,
  submitApplication,
  todayInParis,
  waitForApplication,
} from './support/steps';

const campaignId = 'console-seconde-relecture';
const today = todayInParis();
const thisYear = Number(today.slice(0, 4));
const euros = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
/** Every kind of space as one plain space (French money is written with no-break spaces). */
const plain = (text: string | null | undefined) => (text ?? '').replace(/\s+/gu, ' ').trim();
/** The page's width fits the viewport: nothing scrolls sideways. */
const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

interface EnvelopeUse {
  amountCents: number;
  reservedCents: number;
  remainingCents: number;
}
/**
 * A funder's envelope once the read models have caught up with what was reserved: two reads a moment
 * apart that agree.
 */
async function settledEnvelope(token: string, funder: string): Promise<EnvelopeUse> {
  let last = await envelopeOf(token, funder);
  for (let i = 0; i < 50; i += 1) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await envelopeOf(token, funder);
    if (now.reservedCents === last.reservedCents && now.amountCents === last.amountCents) return now;
    last = now;
  }
  return last;
}

/** A funder's envelope as GET /api/campaigns/:id/summary gives it to `token`. */
async function envelopeOf(token: string, funder: string): Promise<EnvelopeUse> {
  const answer = await world.engine.call('GET', `/api/campaigns/${campaignId}/summary`, { token });
  expect(answer.status).toBe(200);
  const mine = (
    answer.body as { byFunder: { funder: string; envelope: EnvelopeUse | null }[] }
  ).byFunder.find((f) => f.funder === funder);
  if (!mine?.envelope) throw new Error(`no envelope for ${funder} in ${campaignId}`);
  return mine.envelope;
}

/** The nodes of the page's accessibility tree as Chromium builds it (DevTools protocol): role and name. */
async function accessibilityTree(page: Page): Promise<{ role: string; name: string }[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      // A role's and a name's values are strings (AXValue of type role, computedString).
      nodes: { ignored?: boolean; role?: { value?: string }; name?: { value?: string } }[];
    };
    return nodes
      .filter((n) => !n.ignored)
      .map((n) => ({ role: n.role?.value ?? '', name: plain(n.name?.value) }));
  } finally {
    await cdp.detach();
  }
}

// The console's CSP refuses an inline script: axe is run through the DevTools protocol (as
// accessibility.e2e.spec.ts does).
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** The WCAG A/AA violations of impact « serious » or « critical » axe finds on the page: rule and targets. */
async function seriousViolations(page: Page): Promise<string[]> {
  if ((await page.evaluate('typeof axe')) === 'undefined') await page.evaluate(axeSource);
  return page.evaluate<string[]>(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((r) => r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' : ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`);
}

let world: ConsoleWorld;
let campaignYear: number;

describe.skipIf(chromiumPath === undefined)('console after the second review (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    // Next year's AMI (the default), as the reviewer's AMI 2027 approved in November 2026.
    await createOpenCampaign(world.engine, campaignId);
    campaignYear = (await campaignView(world.engine, campaignId)).state.year;
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('pre-fills the convention’s start with 1 January of the campaign’s year, and a signature deadline to come', async () => {
    expect(campaignYear).not.toBe(thisYear);
    const plan = { title: 'Ludothèque itinérante', durationYears: 2 };
    const id = await bringToCommittee(world.engine, campaignId, plan);
    await command(world.engine, 'manager', `/api/applications/${id}/committee-decision`, {
      decision: 'approved',
      decisionReference: 'COPIL-LUDO',
      decisionDate: today,
      plan: ['ETAT', 'EPCI'].flatMap((funder) =>
        [1, 2].map((year) => ({ funder, year, amountCents: funder === 'ETAT' ? 1_000_000 : 500_000 })),
      ),
    });
    await waitForApplication(world.engine, id, 'approved', (d) =>
      d.allowed.some((a) => a.type === 'DraftConvention'),
    );

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="convention"]');
    const form = page.locator('form[data-action="convention"]');
    const start = form.getByLabel('Début de la première année *');
    const due = form.getByLabel('Date limite de signature *');
    await expect(start.inputValue()).resolves.toBe(`${campaignYear}-01-01`);
    await expect(page.locator('#convention-startDate-help').textContent().then(plain)).resolves.toContain(
      `AMI ${campaignYear} : l’année 1 est l’exercice ${campaignYear}`,
    );
    // The domain wants a deadline to come, within a year.
    const dueDate = await due.inputValue();
    expect(dueDate > today).toBe(true);
    expect(dueDate <= addYears(today, 1)).toBe(true);

    // As pre-filled, the domain takes it.
    await world.act(page, 'convention');
    const drafted = (await waitForApplication(
      world.engine,
      id,
      'convention drafted',
      (d) => d.status === 'awaiting_signatures',
    )) as unknown as { state: { convention?: { startDate: string; signatureDueDate: string } } };
    expect(drafted.state.convention).toMatchObject({
      startDate: `${campaignYear}-01-01`,
      signatureDueDate: dueDate,
    });
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('says « À corriger » for the checks before sending, « Refusé » for the API’s; the deposit asks for a quartier', async () => {
    const id = await submitApplication(world.engine, campaignId, { title: 'Atelier vélo' });
    await waitForApplication(world.engine, id, 'in review', (d) =>
      d.allowed.some((a) => a.type === 'DeclareIneligible'),
    );
    const page = await world.newPage();
    const posted: string[] = [];
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/api/'))
        posted.push(new URL(r.url()).pathname);
    });
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="ineligible"]');
    const ineligible = page.locator('form[data-action="ineligible"]');
    await ineligible.getByRole('button', { name: 'Déclarer irrecevable' }).click();
    const checked = ineligible.getByRole('alert');
    await checked.waitFor();
    await expect(checked.textContent().then(plain)).resolves.toBe(
      'À corriger avant l’envoi : Motifs (un par ligne) : à remplir.',
    );
    expect(posted).toEqual([]);

    // The deposit form, empty: every point named, nothing sent, the quartiers among them.
    await world.signInAs(page, demo.porteur);
    await page.goto(`${world.base}/console/#/depot`);
    const f = page.locator('form.cerfa');
    await f.getByLabel('Intitulé de l’action *').waitFor();
    await f.getByRole('button', { name: 'Déposer la candidature' }).click();
    const summary = f.getByRole('alert');
    await summary.waitFor();
    const said = plain(await summary.textContent());
    expect(said).toMatch(/^\d+ points à corriger avant l’envoi :/);
    expect(said).not.toContain('Refusé');
    expect(await summary.locator('li').allTextContents()).toContain(
      'Cochez au moins un quartier prioritaire.',
    );
    await expect(page.locator('#depot-qpv-error').textContent()).resolves.toBe(
      'Cochez au moins un quartier prioritaire.',
    );
    await expect(page.locator('#depot-qpv').getAttribute('aria-describedby')).resolves.toBe(
      'depot-qpv-error',
    );
    // In the form's order: the quartiers after the summary of the action, before the budget.
    const items = (await summary.locator('li').allTextContents()).map(plain);
    expect(items.indexOf('Cochez au moins un quartier prioritaire.')).toBeGreaterThan(
      items.indexOf('Résumé : à remplir.'),
    );
    expect(items.indexOf('Cochez au moins un quartier prioritaire.')).toBeLessThan(
      items.indexOf('Coût total, année 1 : à remplir.'),
    );
    await page.screenshot({ path: join(artifacts, 'seconde-relecture-depot-vide.png') });

    // Filled but for a quartier: that one point, said before sending.
    await f.getByLabel('Nom de l’organisme *').fill('Association Sambre Avenir');
    await f.getByLabel('Intitulé de l’action *').fill('Atelier vélo des Provinces');
    await f.getByLabel('Résumé *').fill('Réparer et apprendre à réparer son vélo, deux soirs par semaine.');
    await f.getByLabel('Coût total, année 1 (€) *').fill('20 000');
    await f.getByLabel('Demandé à l’État, année 1 (€)').fill('10 000');
    await f.getByLabel('Autres ressources, année 1 (€)').fill('10 000');
    await f.getByRole('button', { name: 'Déposer la candidature' }).click();
    await expect
      .poll(async () => plain(await summary.textContent()))
      .toBe('À corriger avant l’envoi : Cochez au moins un quartier prioritaire.');
    await expect
      .poll(() => page.evaluate('document.activeElement && document.activeElement.name'))
      .toBe('qpv');
    expect(posted).toEqual([]);

    // A quartier checked, a SIRET the API refuses: that one is the server's, « Refusé ».
    await f.getByLabel('Sous-le-Bois (QN05990X)').check();
    await f.getByLabel('SIRET (14 chiffres)').fill('123');
    await f.getByRole('button', { name: 'Déposer la candidature' }).click();
    await expect
      .poll(async () => plain(await summary.textContent()))
      .toMatch(/^Refusé : SIRET \(14 chiffres\) : /);
    expect(posted).toEqual(['/api/applications']);
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('names the SCDL year by the conventions’ entry into force, says where the conventions are, and lays the export out', async () => {
    // Signed today: in force this year, while its year 1 is the campaign's (next year's exercise).
    const id = await bringToInForce(
      world.engine,
      campaignId,
      { title: 'Chorale des Provinces' },
      `${campaignYear}-01-01`,
    );
    await waitForApplication(world.engine, id, 'in force', (d) => d.status === 'in_force');
    const page = await world.newPage();
    await world.signInAs(page, demo.auditor);
    await expect(
      page.getByRole('heading', { level: 3, name: 'Export SCDL « subventions » (données ouvertes)' }).count(),
    ).resolves.toBe(1);
    const year = page.getByLabel('Année des conventions (entrée en vigueur)');
    await expect(page.locator('#scdl-year-hint').textContent().then(plain)).resolves.toBe(
      'L’année de la dernière signature (dateConvention), pas l’exercice du tableau de bord : une ' +
        'convention de l’AMI 2027 signée en décembre 2026 est dans le fichier de 2026.',
    );
    await expect(year.getAttribute('aria-describedby')).resolves.toBe('scdl-year-hint');

    // The auditor types the dashboard's exercice: no convention came into force then; the page says
    // which year has them.
    await year.fill(String(campaignYear));
    await page.getByLabel(/Accepter un fichier incomplet/).check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`scdl-subventions-${campaignYear}.csv`);
    const status = page.getByTestId('scdl-status');
    await status.waitFor();
    const said = plain(await status.textContent());
    expect(said).toMatch(
      new RegExp(
        `^Aucune convention entrée en vigueur en ${campaignYear} : le fichier ne contient que l’en-tête\\. ` +
          `Il y en a en ${thisYear} \\(\\d+ lignes?\\) : le fichier d’une année est celui des conventions ` +
          'dont la dernière signature date de cette année, pas celui d’un exercice du tableau de bord\\.$',
      ),
    );
    expect(said).not.toContain('exercice 2');

    // A laptop: the two dates side by side, their labels on one line, each as wide as a date.
    const [yearBox, asOfBox] = await Promise.all([
      year.boundingBox(),
      page.getByLabel('Tel qu’enregistré au (facultatif)').boundingBox(),
    ]);
    expect(yearBox && asOfBox).toBeTruthy();
    expect(Math.abs((yearBox?.y ?? 0) - (asOfBox?.y ?? 1000))).toBeLessThanOrEqual(1);
    expect(yearBox?.width ?? 1000).toBeLessThanOrEqual(200);
    expect(asOfBox?.width ?? 1000).toBeLessThanOrEqual(200);
    await page.screenshot({ path: join(artifacts, 'seconde-relecture-scdl-1366.png') });

    // A phone: the digest's button clear of the SCDL heading, the export's clear of the status.
    await page.setViewportSize({ width: 390, height: 844 });
    const gapBetween = async (above: Locator, below: Locator) => {
      const [a, b] = await Promise.all([above.boundingBox(), below.boundingBox()]);
      return (b?.y ?? 0) - ((a?.y ?? 0) + (a?.height ?? 0));
    };
    await expect(
      gapBetween(page.getByRole('button', { name: 'Calculer l’empreinte' }), page.locator('#scdl-title')),
    ).resolves.toBeGreaterThanOrEqual(8);
    await expect(
      gapBetween(page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' }), status),
    ).resolves.toBeGreaterThanOrEqual(8);
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(artifacts, 'seconde-relecture-scdl-390.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('shows each list’s deadline and lateness within a 390 px phone’s screen', async () => {
    // A one-year convention that ended months ago: its report is overdue.
    const start = addMonths(today, -20);
    const overdue = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, campaignId, start),
      { title: 'Permanence d’écrivain public' },
      start,
    );
    await waitForApplication(world.engine, overdue, 'report 1 overdue', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.overdue === true),
    );
    const page = await world.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const who of [demo.porteur, demo.etat, demo.manager]) {
      await world.signInAs(page, who);
      const row = page.locator(`tr[data-application="${overdue}"]`).first();
      await row.waitFor({ timeout: 15_000 });
      await expect.poll(() => row.getAttribute('class'), { timeout: 10_000 }).toBe('overdue');
      // The cell that says the row is late (not its place: the old table had it off-screen).
      const deadline = row.locator('td:has(.badge-late)');
      const late = deadline.locator('.badge-late');
      await expect(late.textContent()).resolves.toBe('En retard');
      for (const [what, box] of [
        ['deadline', await deadline.boundingBox()],
        ['En retard', await late.boundingBox()],
        ['due day', await deadline.locator('[data-field="deadline"]').boundingBox()],
        ['requested', await row.locator('td.num').boundingBox()],
      ] as const) {
        expect(box, `${who} : ${what}`).not.toBeNull();
        expect(box?.x ?? -1, `${who} : ${what}`).toBeGreaterThanOrEqual(0);
        expect((box?.x ?? 0) + (box?.width ?? 1000), `${who} : ${what}`).toBeLessThanOrEqual(390);
      }
      await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
      // Still a table for a screen reader, as Chromium exposes it: its column headers, its cells,
      // whose text is not preceded by the column's name drawn for the eye.
      const tree = await accessibilityTree(page);
      expect(tree.filter((n) => n.role === 'table').length, who).toBeGreaterThan(0);
      expect(
        tree.some((n) => n.role === 'columnheader' && n.name === 'Échéance'),
        who,
      ).toBe(true);
      const cells = tree.filter((n) => n.role === 'cell');
      expect(cells.length, who).toBeGreaterThan(0);
      expect(
        cells.filter((n) => /^(Porteur|Statut|Échéance|En attente de) :/.test(n.name)),
        who,
      ).toEqual([]);
      await expect(seriousViolations(page), who).resolves.toEqual([]);
      await page.screenshot({ path: join(artifacts, `seconde-relecture-liste-390-${who.slice(0, 12)}.png`) });
    }
    expect(world.cspViolations).toEqual([]);
  }, 240_000);

  it('titles the envelopes chart in agreement, with what is left and the share used under each envelope', async () => {
    const evaluator = await world.engine.token({ role: 'evaluator' });
    const etat = await settledEnvelope(evaluator, 'ETAT');
    const page = await world.newPage();
    await world.signInAs(page, demo.evaluator);
    await page.getByLabel('Campagne', { exact: true }).selectOption(campaignId);
    const chart = page.locator('figure[data-figure="chart-envelopes"]');
    await expect
      .poll(() => chart.locator('figcaption').textContent(), { timeout: 15_000 })
      .toBe('Utilisation des enveloppes : enveloppe votée et montant réservé');
    const used = Math.round((etat.reservedCents * 1000) / etat.amountCents) / 10;
    await expect
      .poll(async () => plain(await chart.locator('text[data-note="ETAT"]').textContent()), {
        timeout: 15_000,
      })
      .toBe(plain(`reste ${euros(etat.remainingCents)} · ${String(used).replace('.', ',')} % utilisés`));
    await chart.screenshot({ path: join(artifacts, 'seconde-relecture-enveloppes.png') });
    expect(world.cspViolations).toEqual([]);
  }, 60_000);

  it('tells the funder, in its position form, what is left of its envelope', async () => {
    const id = await submitApplication(world.engine, campaignId, { title: 'Jardin des Provinces' });
    await declareEligible(world.engine, id);
    await waitForApplication(world.engine, id, 'co-decision', (d) => d.status === 'co_decision');
    const funderToken = await world.engine.token({ role: 'funder', institution: 'ETAT' });
    const before = await settledEnvelope(funderToken, 'ETAT');
    const page = await world.newPage();
    await world.signInAs(page, demo.etat);
    await world.openApplication(page, id, 'form[data-action="position"]');
    const form = page.locator('form[data-action="position"]');
    const left = form.getByTestId('envelope-left');
    await expect
      .poll(async () => plain(await left.textContent()), { timeout: 15_000 })
      .toBe(
        plain(
          `Reste sur votre enveloppe : ${euros(before.remainingCents)} sur ${euros(before.amountCents)}. ` +
            'L’engagement, toutes années comprises, doit y tenir.',
        ),
      );
    // Above the amounts it bounds.
    const [leftBox, amountBox] = await Promise.all([
      left.boundingBox(),
      form.getByLabel('Montant engagé, année 1 (€)').boundingBox(),
    ]);
    expect(leftBox?.y ?? Infinity).toBeLessThan(amountBox?.y ?? -Infinity);
    await form.screenshot({ path: join(artifacts, 'seconde-relecture-position.png') });

    // Committed: the envelope holds it, and the form says a new position replaces it.
    await world.act(page, 'position', { 'Montant engagé, année 1 (€)': '7 000' });
    await expect
      .poll(async () => (await envelopeOf(funderToken, 'ETAT')).remainingCents, { timeout: 15_000 })
      .toBe(before.remainingCents - 700_000);
    await world.openApplication(page, id, '[data-testid="position-recorded"]');
    await expect
      .poll(async () => plain(await form.getByTestId('envelope-left').textContent()), { timeout: 15_000 })
      .toBe(
        plain(
          `Reste sur votre enveloppe : ${euros(before.remainingCents - 700_000)} sur ${euros(before.amountCents)}, ` +
            `plus les ${euros(700_000)} de votre engagement enregistré sur cette candidature, que la nouvelle ` +
            'position remplace. L’engagement, toutes années comprises, doit y tenir.',
        ),
      );
    expect(world.cspViolations).toEqual([]);
  }, 120_000);
});
