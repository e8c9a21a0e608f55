// What a reviewer found on the evaluator's dashboard and the auditor's SCDL export, in Debian's
// Chromium on the real engine. The dashboard listed its funders as the API does, by code (CAF,
// Commune, Département, EPCI, État, Région); like every list of the console, it shows them État,
// Région, Département, CAF, EPCI, then the communes by INSEE code — in the Financeurs and Enveloppes
// charts, their tables and CSVs, and the ledger — and a chart says « CAF », as the positions table
// does, rather than « Caisse d'allocations fami… ». The SCDL export refused as incomplete told the
// auditor to edit a server setting and restart the engine, or to send allowIncomplete=true; the page
// says what to do on it, and who supplies a SIRET. A file with no row was downloaded in silence.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import { bringToInForce, createOpenCampaign, todayInParis } from './support/steps';

const campaignId = 'ordre-des-financeurs';
/** What each funder is asked every year, in an order of no rule (the API's is by code). */
const perYear = {
  'COMMUNE-59392': 100_000,
  EPCI: 200_000,
  CAF: 150_000,
  ETAT: 300_000,
  'COMMUNE-59365': 100_000,
  REGION: 200_000,
  DEPARTEMENT: 150_000,
};
/** The one order of the console (docs/console.md, « L’ordre des financeurs »). */
const funderOrder = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI', 'COMMUNE-59365', 'COMMUNE-59392'];
const funderNames = [
  'État',
  'Région',
  'Département',
  "Caisse d'allocations familiales",
  'Intercommunalité (EPCI)',
  'Commune de Louvroil',
  'Commune de Maubeuge',
];
const thisYear = Number(todayInParis().slice(0, 4));
let world: ConsoleWorld;

/** An element as evaluateAll hands it (the DOM's types are not in this project's lib). */
type Node = { nodeType: number; textContent: string | null };
type Element = { childNodes: ArrayLike<Node>; getAttribute(name: string): string | null };
/** Runs in the page: a text element's own words, without its <title> (the tooltip). */
const ownText = (elements: Element[]): string[] =>
  elements.map((e) =>
    Array.from(e.childNodes)
      .filter((n) => n.nodeType === 3)
      .map((n) => n.textContent ?? '')
      .join('')
      .trim(),
  );
const rowKeys = (page: Page, selector: string) =>
  page
    .locator(`${selector} tbody tr`)
    .evaluateAll((rows: Element[]) => rows.map((r) => r.getAttribute('data-row')));

/** Clicks a button that downloads a file; the file's lines (a leading BOM removed). */
async function downloaded(page: Page, click: () => Promise<void>, name: string): Promise<string[]> {
  const [download]: [Download, void] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(artifacts, `ordre-${name}`);
  await download.saveAs(path);
  return readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r\n/)
    .filter((l) => l !== '');
}

describe.skipIf(chromiumPath === undefined)(
  'funders’ order on the dashboard, SCDL export messages (Chromium)',
  () => {
    beforeAll(async () => {
      world = await startConsoleWorld();
      await createOpenCampaign(
        world.engine,
        campaignId,
        Object.fromEntries(Object.keys(perYear).map((f) => [f, 50_000_000])),
        thisYear,
      );
      // In force today: the advances are ordered at signature (the ledger moves this year) and the
      // convention is this year's for the SCDL export.
      await bringToInForce(world.engine, campaignId, { title: 'Jardins partagés', perYear }, todayInParis());
    }, 180_000);

    afterAll(async () => {
      await world?.stop();
    });

    it('shows the dashboard’s funders État, Région, Département, CAF, EPCI, then the communes by INSEE code', async () => {
      const page = await world.newPage();
      await world.signInAs(page, demo.evaluator);
      await page.getByLabel('Campagne', { exact: true }).selectOption(campaignId);
      // The ledger follows the log: every funder's advance, once there.
      await expect
        .poll(async () => (await rowKeys(page, '[data-testid="ledger"]')).length, { timeout: 30_000 })
        .toBe(funderOrder.length);
      await expect
        .poll(() => rowKeys(page, 'table[data-table="chart-envelopes"]'), { timeout: 30_000 })
        .toEqual(funderOrder);

      expect(await rowKeys(page, 'table[data-table="chart-funders"]')).toEqual(funderOrder);
      expect(await page.locator('table[data-table="chart-funders"] tbody th').allTextContents()).toEqual(
        funderNames,
      );
      expect(await page.locator('table[data-table="chart-envelopes"] tbody th').allTextContents()).toEqual(
        funderNames,
      );
      // The ledger: one row per funder and year, the money having moved this year only.
      expect(await rowKeys(page, '[data-testid="ledger"]')).toEqual(
        funderOrder.map((f) => `${f}-${thisYear}`),
      );
      expect(await page.locator('[data-testid="ledger"] tbody th').allTextContents()).toEqual(funderNames);

      // The charts' own labels: the CAF by its short name, not « Caisse d'allocations fami… ».
      for (const chart of ['chart-funders', 'chart-envelopes'])
        expect(
          await page.locator(`svg[data-chart="${chart}"] text.axis-label`).evaluateAll(ownText),
          chart,
        ).toEqual([
          'État',
          'Région',
          'Département',
          'CAF',
          'Intercommunalité (EPCI)',
          'Commune de Louvroil',
          'Commune de Maubeuge',
        ]);
      // Its whole name stays in the tooltip.
      await expect(
        page.locator('svg[data-chart="chart-funders"] text.axis-label title').nth(3).textContent(),
      ).resolves.toBe("Caisse d'allocations familiales");
      await page.screenshot({ path: join(artifacts, 'ordre-des-financeurs.png'), fullPage: true });

      // Each CSV in the same order as its table.
      const csv = (name: string) => page.locator(`button[data-csv="${name}"]`);
      const firstColumn = (lines: string[]) => lines.slice(1).map((l) => l.split(';')[0]);
      expect(firstColumn(await downloaded(page, () => csv('funders').click(), 'financeurs.csv'))).toEqual(
        funderOrder,
      );
      expect(firstColumn(await downloaded(page, () => csv('envelopes').click(), 'enveloppes.csv'))).toEqual(
        funderOrder,
      );
      expect(firstColumn(await downloaded(page, () => csv('ledger').click(), 'grand-livre.csv'))).toEqual(
        funderOrder,
      );
      expect(world.cspViolations).toEqual([]);
    }, 90_000);

    it('tells the auditor what to do on the page when the SCDL file is incomplete, and how many rows a file holds', async () => {
      const auditor = await world.engine.token({ role: 'auditor' });
      const review = async (year: number) =>
        (await world.engine.call('GET', `/api/audit/exports/scdl?year=${year}`, { token: auditor })).body as {
          rows: unknown[];
          complete: boolean;
        };
      // The read models are not involved: the convention is this year's as soon as it is signed.
      await expect.poll(async () => (await review(thisYear)).rows.length, { timeout: 30_000 }).toBe(7);
      expect((await review(thisYear + 1)).rows).toEqual([]);
      // API users keep the API's words: the setting to change, the parameter to send.
      const refused = await world.engine.call('GET', `/api/audit/exports/scdl.csv?year=${thisYear}`, {
        token: auditor,
      });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'SCDL_INCOMPLETE' });
      expect((refused.body as { detail: string }).detail).toContain('allowIncomplete=true');

      const page = await world.newPage();
      await world.signInAs(page, demo.auditor);
      const year = page.getByLabel('Année des conventions (entrée en vigueur)');
      const incomplete = page.getByLabel(/Accepter un fichier incomplet/);
      const exportButton = page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' });
      const status = page.getByTestId('scdl-status');

      // A year with nothing: the file is the header alone, and the page says so, and which year
      // has conventions (the one before: signed this year).
      await year.fill(String(thisYear + 1));
      await incomplete.check();
      const empty = await downloaded(page, () => exportButton.click(), 'scdl-vide.csv');
      expect(empty.length).toBe(1);
      expect(empty[0]).toMatch(/^nomAttribuant,idAttribuant,dateConvention,/);
      await expect(status.getAttribute('role')).resolves.toBe('status');
      await expect(status.textContent()).resolves.toBe(
        `Aucune convention entrée en vigueur en ${thisYear + 1} : le fichier ne contient que l’en-tête. ` +
          `Il y en a en ${thisYear} (7 lignes) : le fichier d’une année est celui des conventions dont la ` +
          'dernière signature date de cette année, pas celui d’un exercice du tableau de bord.',
      );

      // This year's, without accepting an incomplete file: refused, in the page's words.
      await year.fill(String(thisYear));
      await incomplete.uncheck();
      await exportButton.click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const refusal = (await alert.textContent()) ?? '';
      expect(refusal).toMatch(/incomplet.*« État » \(ETAT, 1 ligne\)/s);
      // The funders without a SIRET, in the funders' order too (the API's is by code).
      expect(refusal).toContain(
        '« État » (ETAT, 1 ligne), « Région » (REGION, 1 ligne), « Département » (DEPARTEMENT, 1 ligne), ' +
          '« Caisse d’allocations familiales » (CAF, 1 ligne).',
      );
      expect(refusal).toContain('cochez « Accepter un fichier incomplet »');
      expect(refusal).toContain('administrateur du moteur');
      expect(refusal).not.toMatch(/GRANTS_ATTRIBUANTS_FILE|redémarrez|allowIncomplete/);
      await expect(status.count()).resolves.toBe(0);
      await page.screenshot({ path: join(artifacts, 'ordre-scdl-refus.png'), fullPage: true });

      // Accepted as incomplete: the file and what it holds.
      await incomplete.check();
      const file = await downloaded(page, () => exportButton.click(), 'scdl.csv');
      expect(file.length).toBe(1 + 7);
      await expect(status.textContent()).resolves.toMatch(
        new RegExp(
          `^Fichier téléchargé des conventions entrées en vigueur en ${thisYear} : 7 lignes sous l’en-tête, .*Fichier incomplet`,
        ),
      );
      await expect(page.getByRole('alert').count()).resolves.toBe(0);
      expect(world.cspViolations).toEqual([]);
    }, 90_000);
  },
);
