// The console's accessibility (RGAA 4.1, that is WCAG 2.1 AA), checked by axe-core in Debian's
// Chromium on the real engine: every page, for each role that uses it, with its action forms open, a
// confirmation dialog open, and forms in their error state (refused before sending, and by the API),
// at 1280 px and at 390 px. A violation of impact « serious » or « critical » of a WCAG A/AA rule
// fails; the moderate and minor ones, and axe's best practices, are listed in the output (console.info)
// and in test/artifacts/accessibilite.json. What axe cannot judge (a keyboard walk-through, how a
// screen reader reads a page) stays a manual check: docs/console.md, « Accessibilité ».
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addYears } from '../../domain/calendar';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import { seedCampaign, type SeededCampaign } from './support/dashboardWorld';
import {
  bringToCommittee,
  command,
  declareEligible,
  submitApplication,
  todayInParis,
  waitForApplication,
} from './support/steps';

/** The rules of WCAG 2.0 and 2.1, levels A and AA: those RGAA 4.1 asks. */
const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const widths = [1280, 390] as const;

// The console's CSP (`script-src 'self'`) refuses an inline <script>, so page.addScriptTag cannot
// inject axe; page.evaluate runs through the DevTools protocol, which the page's CSP does not govern.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type Impact = 'minor' | 'moderate' | 'serious' | 'critical';
interface Finding {
  id: string;
  impact: Impact | null;
  help: string;
  helpUrl: string;
  tags: string[];
  nodes: { target: string; summary: string }[];
}
interface PageAudit {
  /** The page, in words, and the viewport's width. */
  page: string;
  width: number;
  violations: Finding[];
  /** What axe could not decide alone (text in the hidden part of a scrolling table, SVG text): by hand. */
  incomplete: Finding[];
}

/** Runs in the page (a string: the project's lib has no DOM types, and `axe` is the page's global). */
const runAxe = `(() => {
  const brief = (r) => ({
    id: r.id,
    impact: r.impact ?? null,
    help: r.help,
    helpUrl: r.helpUrl,
    tags: r.tags,
    nodes: r.nodes.map((n) => ({
      target: n.target.map(String).join(' '),
      summary: (n.failureSummary ?? '').replace(/\\s+/g, ' ').trim(),
    })),
  });
  return axe
    .run(document, {
      runOnly: { type: 'tag', values: ${JSON.stringify([...wcagTags, 'best-practice'])} },
      resultTypes: ['violations', 'incomplete'],
    })
    .then((r) => ({ violations: r.violations.map(brief), incomplete: r.incomplete.map(brief) }));
})()`;

/** The contrast ratio (WCAG 2.1) of a computed colour, « rgb(r, g, b) », against white. */
function contrastWithWhite(rgb: string): number {
  const channels = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((c) => Number(c) / 255);
  if (channels.length !== 3) throw new Error(`not an rgb() colour: ${rgb}`);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
}

const isWcag = (f: Finding) => f.tags.some((t) => wcagTags.includes(t));
const blocks = (f: Finding) => isWcag(f) && (f.impact === 'serious' || f.impact === 'critical');

const campaignId = 'accessibilite';
let world: ConsoleWorld;
let seeded: SeededCampaign;
/** Applications at the steps whose forms the roles see (besides those of the seeded campaign). */
let coDecisionId: string;
let committeeId: string;
let signingId: string;
const audits: PageAudit[] = [];

/** Waits two frames: a new viewport laid out, a state just set drawn. */
const settle = (page: Page) =>
  page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');

/**
 * Runs axe on the page as it is, at each width (back to 1280 px after), and keeps the findings under
 * `name`; returns them for the test to assert at its end (every page audited before any failure).
 */
async function audit(page: Page, name: string): Promise<PageAudit[]> {
  const found: PageAudit[] = [];
  for (const width of widths) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await settle(page);
    if ((await page.evaluate('typeof axe')) === 'undefined') await page.evaluate(axeSource);
    const result = await page.evaluate<{ violations: Finding[]; incomplete: Finding[] }>(runAxe);
    found.push({ page: name, width, ...result });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  audits.push(...found);
  return found;
}

/** One line per element at fault, under its rule, under its page and width. */
function summary(pages: PageAudit[], keep: (f: Finding) => boolean): string {
  return pages
    .map((p) => {
      const findings = p.violations.filter(keep);
      if (findings.length === 0) return '';
      const rules = findings.map(
        (f) =>
          `  ${f.id} (${f.impact ?? '?'}) — ${f.help}\n` +
          f.nodes.map((n) => `    - ${n.target}${n.summary ? `\n      ${n.summary}` : ''}`).join('\n'),
      );
      return `[${p.page} @ ${p.width} px]\n${rules.join('\n')}`;
    })
    .filter(Boolean)
    .join('\n');
}

/** Fails with every serious or critical WCAG violation of `pages`, by page, rule and element. */
function expectNoBlockingViolation(pages: PageAudit[]): void {
  const report = summary(pages, blocks);
  expect(report === '' ? [] : ['serious or critical WCAG violations:\n' + report]).toEqual([]);
}

/** A new page at 1280 px, signed in as `label`. */
async function signedIn(label: string): Promise<Page> {
  const page = await world.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await world.signInAs(page, label);
  return page;
}

/** Opens a hash route of the console and waits for `ready`. */
async function open(page: Page, route: string, ready: (page: Page) => Locator): Promise<void> {
  await page.goto(`${world.base}/console/#${route}`);
  await page.reload();
  await ready(page).first().waitFor({ timeout: 20_000 });
}

/** Submits a form of the page (by its `data-action`) and waits for its error summary. */
async function submitForErrors(page: Page, action: string): Promise<Locator> {
  const form = page.locator(`form[data-action="${action}"]`);
  await form.locator('button[type=submit]').click();
  const alert = form.getByRole('alert');
  await alert.waitFor();
  return alert;
}

describe.skipIf(chromiumPath === undefined)('accessibility of the console (axe-core, WCAG 2.1 AA)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    seeded = await seedCampaign(world.engine, campaignId);
    const plan = { title: 'Atelier couture', perYear: { ETAT: 1_000_000, EPCI: 500_000 } };
    coDecisionId = await submitApplication(world.engine, campaignId, {
      ...plan,
      title: 'Permanences d’accès aux droits',
    });
    await declareEligible(world.engine, coDecisionId);
    committeeId = await bringToCommittee(world.engine, campaignId, { ...plan, title: 'Ludothèque mobile' });
    signingId = await bringToCommittee(world.engine, campaignId, plan);
    await command(world.engine, 'manager', `/api/applications/${signingId}/committee-decision`, {
      decision: 'approved',
      decisionReference: 'COPIL-A11Y',
      decisionDate: todayInParis(),
      plan: Object.entries(plan.perYear).map(([funder, amountCents]) => ({ funder, year: 1, amountCents })),
    });
    await command(world.engine, 'manager', `/api/applications/${signingId}/convention`, {
      startDate: todayInParis(),
      signatureDueDate: addYears(todayInParis(), 1),
    });
    await waitForApplication(
      world.engine,
      signingId,
      'awaiting signatures',
      (d) => d.status === 'awaiting_signatures',
    );
    await waitForApplication(world.engine, seeded.overdueId, 'report 1 overdue', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.overdue === true),
    );
  }, 240_000);

  afterAll(async () => {
    if (audits.length > 0) {
      writeFileSync(join(artifacts, 'accessibilite.json'), JSON.stringify(audits, null, 2));
      const minor = summary(audits, (f) => !blocks(f));
      // What axe left undecided, by rule and reason (most: text in the hidden part of a table that
      // scrolls sideways, or SVG text), with the pages it was met on.
      const review = new Map<string, { count: number; pages: Set<string> }>();
      for (const a of audits)
        for (const f of a.incomplete)
          for (const n of f.nodes) {
            const key = `${f.id} — ${n.summary.replace(/^Fix (any|all) of the following: /, '')}`;
            const entry = review.get(key) ?? { count: 0, pages: new Set<string>() };
            entry.count += 1;
            entry.pages.add(`${a.page} @ ${a.width} px`);
            review.set(key, entry);
          }
      console.info(
        `Accessibilité : ${audits.length} vérifications axe-core (pages × largeurs ; ${wcagTags.join(', ')}, ` +
          `et les bonnes pratiques d’axe pour information).\n` +
          (minor
            ? `Constats modérés, mineurs ou de bonne pratique (non bloquants) :\n${minor}\n`
            : 'Aucun constat modéré, mineur ni de bonne pratique.\n') +
          [...review]
            .map(([what, e]) => `À revoir à la main : ${what} — ${e.count} éléments, ${e.pages.size} pages`)
            .join('\n'),
      );
    }
    await world?.stop();
  });

  it('the sign-in page: the demo users, and a pasted token refused', async () => {
    const page = await world.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${world.base}/console/`);
    await page.evaluate("sessionStorage.clear(); location.hash = '#/';");
    await page.reload();
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    const found = await audit(page, 'connexion');
    await page.getByLabel('Jeton d’accès (JWT)').fill('pas un jeton');
    await page.getByRole('button', { name: 'Utiliser ce jeton' }).click();
    await page.getByRole('alert').waitFor();
    found.push(...(await audit(page, 'connexion — jeton refusé')));
    expectNoBlockingViolation(found);
    expect(world.cspViolations).toEqual([]);
  }, 90_000);

  it('the grant manager: queue, campaigns, each step’s forms, a confirmation, errors, history', async () => {
    const page = await signedIn(demo.manager);
    const found: PageAudit[] = [];
    await page
      .locator('[data-testid="queue-mine"] tr[data-application]')
      .first()
      .waitFor({ timeout: 20_000 });
    await page.getByTestId('finished').locator('summary').click();
    found.push(...(await audit(page, 'gestionnaire — file d’attente')));

    await open(page, '/campagnes', (p) => p.locator(`[data-campaign="${campaignId}"] form`));
    found.push(...(await audit(page, 'gestionnaire — campagnes')));
    // The creation form refused before sending: required fields emptied, an amount unreadable.
    const create = page.locator('form[data-action="create-campaign"]');
    await create.getByLabel('Identifiant (lettres, chiffres, tirets) *').fill('');
    await create.getByLabel('Enveloppe de l’État (vide : non partenaire) (€)').fill('20.50');
    await submitForErrors(page, 'create-campaign');
    found.push(...(await audit(page, 'gestionnaire — création de campagne refusée')));

    // Under review: eligibility, ineligibility (its confirmation), complements.
    await world.openApplication(page, seeded.underReviewId, 'form[data-action="eligible"]');
    // Why not the other actions, opened: one sentence here, a list on the page in force below.
    await page.getByTestId('not-now').locator('summary').click();
    found.push(...(await audit(page, 'gestionnaire — fiche en instruction')));
    const ineligible = page.locator('form[data-action="ineligible"]');
    await ineligible.getByLabel('Motifs (un par ligne) *').fill('Hors du territoire du contrat de ville.');
    await ineligible.locator('button[type=submit]').click();
    await ineligible.locator('dialog[open]').waitFor();
    found.push(...(await audit(page, 'gestionnaire — confirmation d’irrecevabilité')));
    await page.keyboard.press('Escape');
    await submitForErrors(page, 'complements-request');
    found.push(...(await audit(page, 'gestionnaire — demande de compléments refusée')));

    // The committee: approval (an amount unreadable) and rejection.
    await world.openApplication(page, committeeId, 'form[data-action="approval"]');
    found.push(...(await audit(page, 'gestionnaire — comité')));
    await page.locator('form[data-action="approval"]').getByLabel('État, année 1 (€)').fill('10.5');
    await submitForErrors(page, 'approval');
    found.push(...(await audit(page, 'gestionnaire — approbation refusée')));

    // Approved: the convention's schedule editor, unbalanced (its live check and the refusal).
    await world.openApplication(page, seeded.approvedId, 'form[data-action="convention"]');
    found.push(...(await audit(page, 'gestionnaire — rédaction de la convention')));
    const convention = page.locator('form[data-action="convention"]');
    await convention
      .getByLabel('Montant (€) — Intercommunalité (EPCI), année 1, ligne 1', { exact: true })
      .fill('1 000');
    await submitForErrors(page, 'convention');
    found.push(...(await audit(page, 'gestionnaire — échéancier déséquilibré')));

    // In force, its report overdue: the page with its payments, reports and history.
    await world.openApplication(page, seeded.overdueId, '[data-installment]');
    await page.getByTestId('timeline').waitFor();
    await page.getByTestId('not-now').locator('summary').click();
    found.push(...(await audit(page, 'gestionnaire — convention en vigueur')));
    await open(page, `/audit/${seeded.overdueId}`, (p) => p.getByTestId('timeline'));
    found.push(...(await audit(page, 'gestionnaire — historique')));
    expectNoBlockingViolation(found);
    expect(world.cspViolations).toEqual([]);
  }, 240_000);

  it('the porteur: list, deposit form and its errors, withdrawal, signature, yearly report', async () => {
    const page = await signedIn(demo.porteur);
    const found: PageAudit[] = [];
    await page.locator('tr[data-application]').first().waitFor({ timeout: 20_000 });
    found.push(...(await audit(page, 'porteur — mes candidatures')));

    await open(page, '/depot', (p) => p.locator('form.cerfa'));
    await page.locator('#depot-campaignId').selectOption(campaignId);
    await page.locator('#depot-qpv').waitFor();
    found.push(...(await audit(page, 'porteur — dépôt')));
    // Refused before sending: required fields empty.
    await submitForErrors(page, 'depot');
    found.push(...(await audit(page, 'porteur — dépôt incomplet')));
    // Refused by the API (400, a field error): a SIRET of three digits.
    const form = page.locator('form.cerfa');
    await form.getByLabel('SIRET (14 chiffres)').fill('123');
    await form.getByLabel('Intitulé de l’action *').fill('Cuisine du monde');
    await form.getByLabel('Résumé *').fill('Des ateliers de cuisine entre voisins.');
    await form.locator('#depot-qpv input[type=checkbox]').first().check();
    await form.getByLabel('Coût total, année 1 (€) *').fill('12 000');
    await form.locator('button[type=submit]').click();
    await form.locator('#depot-siret-error').waitFor();
    found.push(...(await audit(page, 'porteur — dépôt refusé par l’API')));

    await world.openApplication(page, seeded.underReviewId, 'form[data-action="withdraw"]');
    found.push(...(await audit(page, 'porteur — candidature en instruction')));
    await world.openApplication(page, signingId, 'form[data-action="signature"]');
    const signature = page.locator('form[data-action="signature"]');
    await signature.locator('button[type=submit]').click();
    await signature.locator('dialog[open]').waitFor();
    found.push(...(await audit(page, 'porteur — confirmation de signature')));
    await page.keyboard.press('Escape');
    await world.openApplication(page, seeded.overdueId, 'form[data-action="report"]');
    found.push(...(await audit(page, 'porteur — compte rendu annuel')));
    await submitForErrors(page, 'report');
    found.push(...(await audit(page, 'porteur — compte rendu incomplet')));
    expectNoBlockingViolation(found);
    expect(world.cspViolations).toEqual([]);
  }, 240_000);

  it('a funder and the conseil citoyen: their lists, the position and the opinion, and their errors', async () => {
    const page = await signedIn(demo.etat);
    const found: PageAudit[] = [];
    await page.locator(`tr[data-application="${coDecisionId}"]`).first().waitFor({ timeout: 20_000 });
    found.push(...(await audit(page, 'financeur — à traiter')));
    await world.openApplication(page, coDecisionId, 'form[data-action="position"]');
    found.push(...(await audit(page, 'financeur — position')));
    await page
      .locator('form[data-action="position"]')
      .getByLabel(/^Montant engagé, année 1/)
      .fill('10.5');
    await submitForErrors(page, 'position');
    found.push(...(await audit(page, 'financeur — position refusée')));

    await world.signInAs(page, demo.council);
    await page.locator(`tr[data-application="${coDecisionId}"]`).first().waitFor({ timeout: 20_000 });
    found.push(...(await audit(page, 'conseil citoyen — avis attendus')));
    await world.openApplication(page, coDecisionId, 'form[data-action="opinion"]');
    found.push(...(await audit(page, 'conseil citoyen — avis')));
    await submitForErrors(page, 'opinion');
    found.push(...(await audit(page, 'conseil citoyen — avis incomplet')));
    expectNoBlockingViolation(found);
    expect(world.cspViolations).toEqual([]);
  }, 180_000);

  it('the evaluator’s dashboard, its charts and their data tables', async () => {
    const page = await signedIn(demo.evaluator);
    await page.locator('[data-kpi="applications"]').waitFor({ timeout: 20_000 });
    await page.locator('table[data-table="chart-themes"]').waitFor({ state: 'attached' });
    await page.getByTestId('overdue').waitFor();
    // The data tables open too, so that their contrast is checked.
    for (const s of await page.locator('.chart details > summary').all()) await s.click();
    const found = await audit(page, 'évaluateur — tableau de bord');
    expectNoBlockingViolation(found);
    // axe does not measure graphics: each series' bars (and the gauge) against the white page, 3:1 at
    // least (WCAG 1.4.11), the colour being what tells the series apart beside the legend.
    const fills = await page.evaluate<string[]>(
      "[...new Set([...document.querySelectorAll('svg[data-chart] rect.bar')].map((r) => getComputedStyle(r).fill))]",
    );
    expect(fills.length).toBeGreaterThanOrEqual(4);
    for (const fill of fills) expect(contrastWithWhite(fill), fill).toBeGreaterThanOrEqual(3);
    expect(world.cspViolations).toEqual([]);
  }, 90_000);

  it('the auditor: integrity check, an application’s history and state, a campaign and an envelope as of a date, the ledger', async () => {
    const page = await signedIn(demo.auditor);
    const found: PageAudit[] = [];
    await page.getByRole('button', { name: 'Vérifier l’intégrité du journal' }).click();
    await page.getByTestId('verify').waitFor({ timeout: 30_000 });
    found.push(...(await audit(page, 'auditeur — intégrité')));

    await open(page, `/audit/${seeded.overdueId}`, (p) => p.getByTestId('timeline'));
    await page.getByRole('button', { name: 'Rejouer', exact: true }).click();
    await page.getByTestId('asof-result').waitFor();
    found.push(...(await audit(page, 'auditeur — historique et état à une date')));

    await page.getByRole('tab', { name: 'Campagne et enveloppes' }).click();
    const panel = page.getByRole('tabpanel');
    await panel.getByLabel('Campagne', { exact: true }).selectOption(campaignId);
    await panel.getByRole('button', { name: 'Rejouer la campagne' }).click();
    await page.getByTestId('campaign-asof').waitFor();
    await page.getByLabel('Financeur', { exact: true }).selectOption('ETAT');
    await page.getByRole('button', { name: 'Rejouer l’enveloppe' }).click();
    await page.getByTestId('reservations').waitFor();
    found.push(...(await audit(page, 'auditeur — campagne et enveloppe à une date')));

    await page.getByRole('tab', { name: 'Grand livre' }).click();
    await page.getByRole('button', { name: 'Afficher' }).click();
    await page.getByTestId('ledger').waitFor();
    found.push(...(await audit(page, 'auditeur — grand livre')));
    expectNoBlockingViolation(found);
    expect(world.cspViolations).toEqual([]);
  }, 180_000);
});
