// What people would notice first, in Debian's Chromium on the real engine: the auditor's « as of »
// date stays the one typed and is the one sent, replay after replay;
// a confirmation dialog opens at its top (title, consequences, amounts), the focus on « Annuler »;
// on a 390 px phone, table cells wrap between words (the box scrolls) and the schedule's « Quand »
// choices stay told apart; every list puts overdue reports first; one bracket per field label; an
// SCDL export refused names its field in French; a pasted token never valid is not « a session that
// expired »; an application's header names its campaign.
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonths, addYears } from '../../domain/calendar';
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

const campaignId = 'console-relecture';
const today = todayInParis();
const euros = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
/** Every kind of space as one plain space (French money is written with no-break spaces). */
const plain = (text: string | null | undefined) => (text ?? '').replace(/\s+/gu, ' ').trim();

let world: ConsoleWorld;

/** The page's width fits the viewport: nothing scrolls sideways. */
const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

/**
 * The words of the cells under `selector` that are cut across two lines (« Accom/pagne/ment »): a
 * word is what lies between spaces, hyphens, dashes and slashes, where a line may end. Identifiers
 * (`.code`) may break anywhere and are left out. Evaluated in the page.
 */
const brokenWords = (page: Page, selector: string) =>
  page.evaluate<string[]>(`(() => {
    const broken = [];
    for (const cell of document.querySelectorAll(${JSON.stringify(selector)})) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement && node.parentElement.closest('.code, .visually-hidden')) continue;
        for (const m of node.data.matchAll(/[^\\s\\-\\u2010-\\u2015/]+/gu)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const tops = new Set(
            [...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)),
          );
          if (tops.size > 1) broken.push(m[0]);
        }
      }
    }
    return broken;
  })()`);

/**
 * What a select under `selector` shows of each option: the start of its text that fits the select's
 * width (a select cuts its text, its arrow aside). Evaluated in the page.
 */
const visibleChoices = (page: Page, selector: string) =>
  page.evaluate<string[][]>(`(() => {
    const ink = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll(${JSON.stringify(selector)})].map((select) => {
      const style = getComputedStyle(select);
      ink.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
      const room =
        select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      return [...select.options].map((o) => {
        let text = o.text.replace(/\\s+/g, ' ').trim();
        while (text && ink.measureText(text).width > room) text = text.slice(0, -1);
        return text;
      });
    });
  })()`);

/** The rows of every list table on the page, per table: is each row marked overdue? */
const overdueRows = (page: Page) =>
  page.evaluate<boolean[][]>(`[...document.querySelectorAll('table.queue tbody')].map((tbody) =>
    [...tbody.querySelectorAll('tr[data-application]')].map((tr) => tr.classList.contains('overdue')))`);
/** Every row marked overdue comes before every row that is not. */
const overdueFirst = (rows: boolean[]) =>
  rows.indexOf(false) === -1 || rows.lastIndexOf(true) < rows.indexOf(false);

/** The labels of the page's forms with a second bracket after their own (« … (versé : 4 000,00 €) (€) »). */
const doubleBrackets = async (page: Page) =>
  (await page.locator('form.action label').allTextContents())
    .map(plain)
    .filter((l) => /\)\s*\(/.test(l) || /\((demandé|versé) :/.test(l));

/** A token of the platform's shape whose signature no key made: readable, not expired, refused. */
const forged = (exp: number) =>
  [
    Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
    Buffer.from(JSON.stringify({ sub: 'inconnu', role: 'grant_manager', exp })).toString('base64url'),
    'c2lnbmF0dXJlLWZhdXNzZQ',
  ].join('.');

describe.skipIf(chromiumPath === undefined)('console after the review in a browser (Chromium)', () => {
  let inForce: string;
  let overdue: string;
  beforeAll(async () => {
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId);
    // In force since today: a convention whose advance was paid, to terminate.
    inForce = await bringToInForce(world.engine, campaignId, { title: 'Accompagnement scolaire' }, today);
    await waitForApplication(world.engine, inForce, 'the advance paid', (d) => d.amounts.paidCents > 0);
    // A one-year convention that ended months ago: its report is overdue, no deadline left in the list.
    const start = addMonths(today, -20);
    overdue = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, campaignId, start),
      { title: 'Permanence numérique' },
      start,
    );
    await waitForApplication(world.engine, overdue, 'report 1 overdue', (d) =>
      (d.state.reports ?? []).some((r) => r.year === 1 && r.overdue === true),
    );
  }, 240_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('keeps the date the auditor typed, replay after replay, and sends it each time', async () => {
    const yesterday = addDays(today, -1);
    const page = await world.newPage();
    const asked: URL[] = [];
    page.on('request', (r: Request) => {
      if (r.url().includes('/as-of?')) asked.push(new URL(r.url()));
    });
    await world.signInAs(page, demo.auditor);
    await page.goto(`${world.base}/console/#/audit/${inForce}`);
    const panel = page.getByRole('tabpanel');
    const at = panel.getByLabel('Au (date)');
    await at.fill(yesterday);
    await panel.getByRole('button', { name: 'Rejouer', exact: true }).click();
    await page.getByTestId('asof-result').waitFor();
    await expect(at.inputValue()).resolves.toBe(yesterday);
    // Another clock, the same date: replayed as typed, not today.
    await panel.getByLabel('Horloge').selectOption('record');
    await panel.getByRole('button', { name: 'Rejouer', exact: true }).click();
    await expect.poll(() => asked.length).toBe(2);
    await expect(at.inputValue()).resolves.toBe(yesterday);
    expect(asked.map((u) => [u.searchParams.get('at'), u.searchParams.get('time')])).toEqual([
      [yesterday, 'business'],
      [yesterday, 'record'],
    ]);

    // « Campagne et enveloppes »: the same.
    asked.length = 0;
    await page.getByRole('tab', { name: 'Campagne et enveloppes' }).click();
    await panel.getByLabel('Campagne', { exact: true }).selectOption(campaignId);
    const campaignAt = panel.getByLabel('Au (date)');
    await campaignAt.fill(yesterday);
    await panel.getByRole('button', { name: 'Rejouer la campagne' }).click();
    await page.getByTestId('campaign-asof').waitFor();
    await expect(campaignAt.inputValue()).resolves.toBe(yesterday);
    await panel.getByLabel('Horloge').selectOption('record');
    await panel.getByRole('button', { name: 'Rejouer la campagne' }).click();
    await expect.poll(() => asked.length).toBe(2);
    await expect(campaignAt.inputValue()).resolves.toBe(yesterday);
    expect(asked.map((u) => u.searchParams.get('at'))).toEqual([yesterday, yesterday]);

    // On a phone, the history's cells wrap between words; identifiers may break anywhere.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('tab', { name: 'Candidature' }).click();
    await page.getByTestId('timeline').waitFor();
    // Back on this tab, the date is still the one typed.
    await expect(at.inputValue()).resolves.toBe(yesterday);
    await expect(brokenWords(page, 'table td, table th')).resolves.toEqual([]);
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(artifacts, 'relecture-historique-390.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 90_000);

  it('opens a long confirmation at its top, the focus on « Annuler », and breaks no word of its tables at 390 px', async () => {
    // A three-year CPO with two funders, its convention drafted: twelve installments to read.
    const plan = {
      title: 'Accompagnement à la scolarité',
      durationYears: 3,
      perYear: { ETAT: 2_000_000, EPCI: 500_000 },
    };
    const id = await bringToCommittee(world.engine, campaignId, plan);
    await command(world.engine, 'manager', `/api/applications/${id}/committee-decision`, {
      decision: 'approved',
      decisionReference: 'COPIL-CPO-3',
      decisionDate: today,
      plan: Object.entries(plan.perYear).flatMap(([funder, amountCents]) =>
        [1, 2, 3].map((year) => ({ funder, year, amountCents })),
      ),
    });
    await command(world.engine, 'manager', `/api/applications/${id}/convention`, {
      startDate: addDays(today, 10),
      signatureDueDate: addYears(today, 1),
    });
    const page = await world.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await world.signInAs(page, demo.etat);
    await world.openApplication(page, id, 'form[data-action="signature"]');
    await page.locator('form[data-action="signature"] button[type=submit]').click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    await dialog.getByTestId('convention-schedule').waitFor();
    // Longer than the screen, shown from its top: its title in view, nothing scrolled.
    const sizes = await dialog.evaluate(
      (d: { scrollTop: number; scrollHeight: number; clientHeight: number }) => ({
        top: d.scrollTop,
        height: d.scrollHeight,
        shown: d.clientHeight,
      }),
    );
    expect(sizes.height).toBeGreaterThan(sizes.shown);
    expect(sizes.top).toBe(0);
    const title = await dialog
      .getByRole('heading', { name: 'Signer la convention pour l’État ?' })
      .boundingBox();
    expect(title?.y ?? -1).toBeGreaterThanOrEqual(0);
    expect((title?.y ?? 1e9) + (title?.height ?? 0)).toBeLessThanOrEqual(844);
    // The focus on the choice that sends nothing, inside the dialog.
    await expect(
      page.evaluate('document.activeElement && document.activeElement.textContent.trim()'),
    ).resolves.toBe('Annuler');
    await expect(page.evaluate("document.activeElement.closest('dialog') !== null")).resolves.toBe(true);
    await page.screenshot({ path: join(artifacts, 'relecture-signature-390.png') });
    // Its tables scroll sideways in their box; no word is cut (« Quand » was one letter a line).
    await expect(brokenWords(page, 'dialog[open] td, dialog[open] th')).resolves.toEqual([]);
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    // Escape still closes it without sending anything.
    await page.keyboard.press('Escape');
    await expect(page.locator('dialog[open]').count()).resolves.toBe(0);
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('tells the schedule’s « Quand » choices apart on a 390 px phone', async () => {
    const plan = { title: 'Chantier éducatif', durationYears: 2, perYear: { ETAT: 1_000_000 } };
    const id = await bringToCommittee(world.engine, campaignId, plan);
    await command(world.engine, 'manager', `/api/applications/${id}/committee-decision`, {
      decision: 'approved',
      decisionReference: 'COPIL-CPO-2',
      decisionDate: today,
      plan: [1, 2].map((year) => ({ funder: 'ETAT', year, amountCents: 1_000_000 })),
    });
    await waitForApplication(world.engine, id, 'approved', (d) => d.status === 'approved');
    const page = await world.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="convention"]');
    const selects = 'form[data-action="convention"] tr.line select';
    const shown = await visibleChoices(page, selects);
    expect(shown.length).toBe(4);
    for (const choices of shown) {
      // What the phone shows of each choice differs from the others, the report's year included.
      expect(new Set(choices).size).toBe(choices.length);
      for (const choice of choices) if (choice !== 'à la signature') expect(choice).toMatch(/année \d/);
    }
    // The year 2 lines offer the reports of years 1 and 2.
    expect(shown[2]?.map((c) => c.match(/année (\d)/)?.[1])).toEqual(['1', '2']);
    await page
      .locator('form[data-action="convention"]')
      .screenshot({ path: join(artifacts, 'relecture-echeancier-390.png') });
    expect(world.cspViolations).toEqual([]);
  }, 90_000);

  it('wraps list cells between words at 390 px, and puts overdue reports first in every list', async () => {
    const page = await world.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const who of [demo.porteur, demo.etat, demo.manager]) {
      await world.signInAs(page, who);
      const row = page.locator(`tr[data-application="${overdue}"]`).first();
      await row.waitFor({ timeout: 15_000 });
      await expect.poll(() => row.getAttribute('class'), { timeout: 10_000 }).toBe('overdue');
      const tables = await overdueRows(page);
      expect(tables.some((rows) => rows.includes(true))).toBe(true);
      for (const rows of tables) expect(overdueFirst(rows), `${who} : ${JSON.stringify(rows)}`).toBe(true);
      await expect(brokenWords(page, 'table.queue td, table.queue th')).resolves.toEqual([]);
      await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    }
    await world.signInAs(page, demo.porteur);
    await page.locator(`tr[data-application="${overdue}"]`).waitFor({ timeout: 15_000 });
    await expect(page.locator('table.queue caption').first().textContent().then(plain)).resolves.toBe(
      'Mes candidatures en cours (retards en tête, puis les échéances les plus proches)',
    );
    await page.screenshot({ path: join(artifacts, 'relecture-porteur-390.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('names each amount field with one bracket, and the application’s campaign by its name', async () => {
    const id = await submitApplication(world.engine, campaignId, { title: 'Atelier couture' });
    await declareEligible(world.engine, id);
    const page = await world.newPage();
    await world.signInAs(page, demo.etat);
    await world.openApplication(page, id, 'form[data-action="position"]');
    const committed = page
      .locator('form[data-action="position"]')
      .getByLabel('Montant engagé, année 1 (€)', { exact: true });
    await expect(committed.count()).resolves.toBe(1);
    const help = await committed.getAttribute('aria-describedby');
    await expect(page.locator(`[id="${help}"]`).textContent().then(plain)).resolves.toBe(
      plain(`Demandé : ${euros(1_000_000)}.`),
    );
    await expect(doubleBrackets(page)).resolves.toEqual([]);
    const campaign = await campaignView(world.engine, campaignId);
    const name = (campaign.state as unknown as { name: string }).name;
    await expect
      .poll(() => page.getByTestId('amounts').textContent().then(plain))
      .toContain(plain(`campagne « ${name} »`));
    expect(await page.getByTestId('amounts').textContent()).not.toContain(campaignId);

    await world.signInAs(page, demo.manager);
    await world.openApplication(page, inForce, 'form[data-action="terminate"]');
    const justified = page
      .locator('form[data-action="terminate"]')
      .getByLabel('Dépenses justifiées, État, année 1 (€)', { exact: true });
    await expect(justified.count()).resolves.toBe(1);
    const paid = await justified.getAttribute('aria-describedby');
    await expect(page.locator(`[id="${paid}"]`).textContent().then(plain)).resolves.toBe(
      plain(`Versé : ${euros(500_000)}.`),
    );
    await expect(doubleBrackets(page)).resolves.toEqual([]);
    expect(world.cspViolations).toEqual([]);
  }, 90_000);

  it('names the SCDL export’s year field in French when it is refused', async () => {
    const page = await world.newPage();
    await world.signInAs(page, demo.auditor);
    const year = page.getByLabel('Année des conventions (entrée en vigueur)');
    const exportButton = page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' });
    const refusal = page.locator('p.refusal[role="alert"]');
    await year.fill('');
    await exportButton.click();
    await expect
      .poll(() => refusal.textContent())
      .toBe('Année des conventions (entrée en vigueur) : à remplir.');
    expect(world.cspViolations).toEqual([]);
  }, 60_000);

  it('says a pasted token is not valid, or has expired, rather than « your session expired »', async () => {
    const page = await world.newPage();
    await page.goto(`${world.base}/console/`);
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    const now = Math.floor(Date.now() / 1000);
    await page.getByLabel('Jeton d’accès (JWT)').fill(forged(now + 3600));
    await page.getByRole('button', { name: 'Utiliser ce jeton' }).click();
    const reason = page.getByTestId('session-ended');
    await reason.waitFor();
    await expect(reason.textContent()).resolves.toBe(
      'Ce jeton n’est pas valide : la plateforme l’a refusé. Vérifiez qu’il a été collé en entier, ou demandez-en un nouveau.',
    );
    expect(await page.evaluate("sessionStorage.getItem('grants-console-token')")).toBeNull();
    await page.screenshot({ path: join(artifacts, 'relecture-jeton-refuse.png') });

    // Expired before it was pasted: said so, the API not asked.
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await page.getByLabel('Jeton d’accès (JWT)').fill(forged(now - 60));
    await page.getByRole('button', { name: 'Utiliser ce jeton' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/^Ce jeton a expiré le \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d : demandez-en un nouveau\.$/);
    expect(await page.getByTestId('session-ended').count()).toBe(0);

    // A session that worked (its queue answered), then refused: that one expired.
    await world.signInAs(page, demo.manager);
    await page.getByTestId('queue-mine').waitFor();
    await page.evaluate(`(() => {
      const key = 'grants-console-token';
      const [head, body] = (sessionStorage.getItem(key) ?? '').split('.');
      sessionStorage.setItem(key, head + '.' + body + '.c2lnbmF0dXJlLWZhdXNzZQ');
    })()`);
    await page.getByRole('button', { name: 'Actualiser' }).click();
    await reason.waitFor();
    await expect(reason.textContent()).resolves.toBe('Votre session a expiré : reconnectez-vous.');
    expect(world.cspViolations).toEqual([]);
  }, 60_000);
});
