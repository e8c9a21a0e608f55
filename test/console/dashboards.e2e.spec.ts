// The evaluator's dashboard and the auditor's campaign, envelope and ledger views, in Debian's
// Chromium on the real engine: every figure the page shows equals what the query or audit API
// answers, quartiers are named from the campaign's reference version, and each CSV download works.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFunderIds } from '../../domain';
import { addDays } from '../../domain/calendar';
import { qpvSampleCamvs, type QpvReference } from '../../domain/reference/qpv';
import { ledgerCsvColumns } from '../../services/audit/ledgerCsv';
import type { LedgerTotal } from '../../services/readModels';
import {
  artifacts,
  chromiumPath,
  eventually,
  seedCampaign,
  startDashboardWorld,
  type DashboardWorld,
  type SeededCampaign,
} from './support/dashboardWorld';

interface Amounts {
  requestedCents: number;
  awardedCents: number;
  paidCents: number;
  recoveredCents: number;
}
interface PeopleStats {
  applications: number;
  expectedBeneficiaries: number;
  reachedBeneficiaries: number;
  amounts: Amounts;
}
type QpvStats = PeopleStats & { qpv: string };
type ThemeStats = PeopleStats & { theme: string; themeLabel: string };
interface ReportItem {
  applicationId: string;
  year: number;
  dueDate: string;
}
interface LedgerPage {
  entries: { position: string; line: number; amountCents: number | null; movement: string }[];
  next: string | null;
}
interface AsOf<S> {
  eventsApplied: number;
  streamLength: number;
  state: S;
}
interface CampaignState {
  status: string;
  name: string;
  funders: { funder: string; envelopeCents: number }[];
}
interface EnvelopeState {
  amountCents: number;
  reservedCents: number;
  reservations: Record<string, unknown>;
}
/** An element as evaluateAll hands it (the DOM's types are not in this project's lib). */
type Element = { getAttribute(name: string): string | null };
/** Runs in the page: self-contained (playwright sends its source, not its closure). */
const attributes = (elements: Element[], name: string): (string | null)[] =>
  elements.map((e) => e.getAttribute(name));

/** `items` in the console's order of funders (docs/console.md); one funder's items keep theirs. */
const inFunderOrder = <T extends { funder: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => compareFunderIds(a.funder, b.funder));

const campaignId = 'tableau-e2e';
let world: DashboardWorld;
let seeded: SeededCampaign;

/** The figures of one row of a chart's data table: extra columns, then the series' cents. */
async function tableRow(
  page: Page,
  chart: string,
  key: string,
): Promise<{ extras: string[]; cents: number[] }> {
  const row = page.locator(`table[data-table="${chart}"] tr[data-row="${key}"]`);
  const extras = await row.locator('td[data-col^="x"]').allTextContents();
  const cents = (await row.locator('td[data-col^="s"]').evaluateAll(attributes, 'data-value')) as string[];
  return { extras, cents: cents.map(Number) };
}
/** A count as the console writes it (lib.js `count`): « 2 250 ». */
const count = (n: number) => new Intl.NumberFormat('fr-FR').format(n);
const figures = (x: PeopleStats) => ({
  extras: [count(x.applications), count(x.expectedBeneficiaries), count(x.reachedBeneficiaries)],
  cents: [x.amounts.requestedCents, x.amounts.awardedCents, x.amounts.paidCents],
});
const rowKeys = (page: Page, selector: string) =>
  page.locator(`${selector} tbody tr`).evaluateAll(attributes, 'data-row');

/** Clicks a button that downloads a file; the file's lines (a leading BOM removed). */
async function downloaded(page: Page, click: () => Promise<void>, name: string): Promise<string[]> {
  const [download]: [Download, void] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(artifacts, `tableau-${name}`);
  await download.saveAs(path);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  return readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r\n/)
    .filter((l) => l !== '');
}

describe.skipIf(chromiumPath === undefined)('dashboards and audit views (Chromium)', () => {
  beforeAll(async () => {
    world = await startDashboardWorld();
    seeded = await seedCampaign(world.engine, campaignId);
    // The read models follow the log, and the reports' timers fire on their own: wait for both.
    await eventually('the overdue and upcoming reports', async () => {
      const overdue = await world.get<{ items: ReportItem[] }>(
        'evaluator',
        `/api/reports/overdue?campaignId=${campaignId}`,
      );
      const upcoming = await world.get<{ items: ReportItem[] }>(
        'evaluator',
        `/api/reports/upcoming?campaignId=${campaignId}`,
      );
      const summary = await world.get<{ applications: number; multiYear: { retainedActions: number } }>(
        'evaluator',
        `/api/campaigns/${campaignId}/summary`,
      );
      return overdue.items.some((r) => r.applicationId === seeded.overdueId) &&
        upcoming.items.some((r) => r.applicationId === seeded.upcomingId) &&
        summary.applications === 4 &&
        summary.multiYear.retainedActions === 3
        ? true
        : undefined;
    });
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('serves the QPV reference the console names quartiers from: the domain’s sample, whole', async () => {
    const reference = await world.get<QpvReference>(
      'evaluator',
      `/api/reference/qpv/${qpvSampleCamvs.version}`,
    );
    expect(reference).toEqual(qpvSampleCamvs);
  });

  it('shows the evaluator per-theme, per-QPV (named) and report figures equal to the query API’s, and downloads each table', async () => {
    const q = `campaignId=${campaignId}`;
    const themes = await world.get<{ items: ThemeStats[] }>('evaluator', `/api/stats/themes?${q}`);
    const qpv = await world.get<{ items: QpvStats[] }>('evaluator', `/api/stats/qpv?${q}`);
    const funders = await world.get<{ items: unknown[] }>('evaluator', `/api/stats/funders?${q}`);
    const overdue = await world.get<{ items: ReportItem[] }>('evaluator', `/api/reports/overdue?${q}`);
    const upcoming = await world.get<{ items: ReportItem[] }>(
      'evaluator',
      `/api/reports/upcoming?${q}&withinDays=60`,
    );
    expect(themes.items.map((t) => t.theme)).toEqual(['1.1', '1.5a', '2.1', '3.1']);
    expect(qpv.items.length).toBe(5);

    const page = await world.newPage();
    const ledgerAsked: URL[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/stats/ledger')) ledgerAsked.push(new URL(r.url()));
    });
    await world.signInAs(page, 'Évaluateur');
    await page.locator('table[data-table="chart-themes"]').waitFor({ state: 'attached' });
    await page.locator('[data-testid="upcoming"]').waitFor();

    for (const t of themes.items) expect(await tableRow(page, 'chart-themes', t.theme)).toEqual(figures(t));
    for (const x of qpv.items) expect(await tableRow(page, 'chart-qpv', x.qpv)).toEqual(figures(x));
    // Quartiers by name, from the campaign's reference version as the API answers it (the sample:
    // names real, codes not); the names arrive with the reference note.
    const reference = await world.get<QpvReference>(
      'evaluator',
      `/api/reference/qpv/${qpvSampleCamvs.version}`,
    );
    expect(reference.entries).toEqual(qpvSampleCamvs.entries);
    await page.getByTestId('qpv-reference').waitFor();
    const qpvTable = page.locator('table[data-table="chart-qpv"]');
    const shownNames = await qpvTable.locator('tbody tr[data-row] th').allTextContents();
    expect(shownNames).toEqual(
      qpv.items.map((x) => {
        const entry = reference.entries.find((e) => e.code === x.qpv);
        expect(entry, `${x.qpv} dans le référentiel`).toBeDefined();
        return `${entry?.name} (${x.qpv})`;
      }),
    );
    await expect(qpvTable.locator('tr[data-row="QN05994X"] th').textContent()).resolves.toBe(
      'Provinces Françaises – De Joyeuse (QN05994X)',
    );
    await expect(page.locator('svg[data-chart="chart-qpv"]').textContent()).resolves.toContain(
      'Sous-le-Bois',
    );
    await expect(page.getByTestId('qpv-reference').textContent()).resolves.toContain(qpvSampleCamvs.version);
    // The quartiers overlap (an action on two counts in both): said beside their table.
    await expect(page.getByTestId('qpv-overlap').textContent()).resolves.toContain(
      'les quartiers ne s’additionnent pas',
    );

    expect(await rowKeys(page, '[data-testid="overdue"]')).toEqual(
      overdue.items.map((r) => `${r.applicationId}-${r.year}`),
    );
    expect(await rowKeys(page, '[data-testid="upcoming"]')).toEqual(
      upcoming.items.map((r) => `${r.applicationId}-${r.year}`),
    );
    expect(overdue.items.map((r) => r.applicationId)).toContain(seeded.overdueId);
    expect(upcoming.items.map((r) => r.applicationId)).toEqual([seeded.upcomingId]);
    await expect(
      page.locator('[data-testid="upcoming"] [data-field="dueDate"]').first().getAttribute('data-value'),
    ).resolves.toBe(upcoming.items[0]?.dueDate);
    // The CPO gauge: one multi-year action among three retained.
    await expect(page.locator('[data-figure="chart-cpo"] [data-value="share"]').textContent()).resolves.toBe(
      '33,3 %',
    );
    await page.screenshot({ path: join(artifacts, 'tableau-de-bord-evaluateur.png'), fullPage: true });

    const csv = (name: string) => page.locator(`button[data-csv="${name}"]`);
    const themeLines = await downloaded(page, () => csv('themes').click(), 'themes.csv');
    expect(themeLines[0]).toBe(
      'theme;libelle;candidatures;beneficiaires_attendus;beneficiaires_touches;demande_eur;attribue_eur;verse_eur;reverse_eur',
    );
    expect(themeLines.length).toBe(themes.items.length + 1);
    const qpvLines = await downloaded(page, () => csv('qpv').click(), 'quartiers.csv');
    expect(qpvLines[0]).toBe(
      'qpv;nom;candidatures;beneficiaires_attendus;beneficiaires_touches;demande_eur;attribue_eur;verse_eur;reverse_eur',
    );
    const sousLeBois = qpv.items.find((x) => x.qpv === 'QN05990X') as QpvStats;
    const euros = (cents: number) => (cents / 100).toFixed(2).replace('.', ',');
    expect(qpvLines).toContain(
      [
        'QN05990X',
        'Sous-le-Bois',
        sousLeBois.applications,
        sousLeBois.expectedBeneficiaries,
        sousLeBois.reachedBeneficiaries,
        euros(sousLeBois.amounts.requestedCents),
        euros(sousLeBois.amounts.awardedCents),
        euros(sousLeBois.amounts.paidCents),
        euros(sousLeBois.amounts.recoveredCents),
      ].join(';'),
    );
    const funderLines = await downloaded(page, () => csv('funders').click(), 'financeurs.csv');
    expect(funderLines[0]).toMatch(/^financeur;nom;candidatures;demande_eur;/);
    expect(funderLines.length).toBe(funders.items.length + 1);
    // The ledger per funder and year the money moved (the API's default): its rows, each figure in
    // place, and its CSV, the year named as what it is — not the filter's « exercice ».
    const ledger = await world.get<{ items: LedgerTotal[] }>('evaluator', `/api/stats/ledger?${q}`);
    const ledgerSection = page.locator('section[aria-labelledby="ledger-title"]');
    await expect(ledgerSection.locator('h2').textContent()).resolves.toBe(
      'Grand livre par financeur et par année du mouvement',
    );
    await expect(ledgerSection.locator('[data-testid="ledger"] thead th').allTextContents()).resolves.toEqual(
      ['Financeur', 'Année du mouvement', 'Engagé', 'Attribué', 'Versé', 'Reversé', 'Réservé'],
    );
    expect(ledger.items.some((t) => t.paidCents > 0)).toBe(true);
    expect(await rowKeys(page, '[data-testid="ledger"]')).toEqual(
      inFunderOrder(ledger.items).map((t) => `${t.funder}-${t.year}`),
    );
    for (const t of ledger.items) {
      const cells = page.locator(
        `[data-testid="ledger"] tr[data-row="${t.funder}-${t.year}"] td[data-field]`,
      );
      expect(await cells.evaluateAll(attributes, 'data-value'), `${t.funder} ${t.year}`).toEqual(
        [t.committedCents, t.awardedCents, t.paidCents, t.recoveredCents, t.reservedCents].map(String),
      );
    }
    const ledgerLines = await downloaded(page, () => csv('ledger').click(), 'grand-livre.csv');
    expect(ledgerLines[0]).toBe(
      'financeur;nom;annee_mouvement;engage_eur;attribue_eur;verse_eur;reverse_eur;reserve_eur',
    );
    expect(ledgerLines.length).toBe(ledger.items.length + 1);
    const envelopeLines = await downloaded(page, () => csv('envelopes').click(), 'enveloppes.csv');
    expect(envelopeLines[0]).toBe('financeur;nom;enveloppe_eur;reserve_eur;disponible_eur;utilisation_pct');
    const overdueLines = await downloaded(page, () => csv('overdue').click(), 'retards.csv');
    expect(overdueLines[0]).toBe(
      'candidature;action;porteur;annee_convention;debut_annee;fin_annee;du_le;statut;financeurs',
    );
    expect(overdueLines.length).toBe(overdue.items.length + 1);
    const upcomingLines = await downloaded(page, () => csv('upcoming').click(), 'echeances.csv');
    expect(upcomingLines[1]).toContain(seeded.upcomingId);

    // One year only: the amounts follow the filter, as the query API's do.
    const summary = await world.get<{ byYear: { year: number }[] }>(
      'evaluator',
      `/api/campaigns/${campaignId}/summary`,
    );
    const year = summary.byYear[0]?.year;
    expect(year).toBeDefined();
    const yearly = await world.get<{ items: ThemeStats[] }>(
      'evaluator',
      `/api/stats/themes?${q}&year=${year}`,
    );
    await page.getByLabel('Exercice (montants)').selectOption(String(year));
    await expect
      .poll(() => page.locator('figure[data-figure="chart-themes"] figcaption').textContent(), {
        timeout: 10_000,
      })
      .toContain(`exercice ${year}`);
    await expect
      .poll(async () => Promise.all(yearly.items.map((t) => tableRow(page, 'chart-themes', t.theme))), {
        timeout: 10_000,
      })
      .toEqual(yearly.items.map(figures));
    // Filtered by exercice, the counts beside the amounts still cover every year: said too.
    await expect(page.getByTestId('qpv-overlap').textContent()).resolves.toContain(
      'Candidatures et bénéficiaires : toutes années.',
    );
    // The ledger does not follow that filter: its years are those the money moved in, every one (a
    // campaign's exercice is often paid the year before: filtered, it read « Aucun mouvement »).
    expect(await rowKeys(page, '[data-testid="ledger"]')).toEqual(
      inFunderOrder(ledger.items).map((t) => `${t.funder}-${t.year}`),
    );
    expect(ledger.items.some((t) => t.year !== year)).toBe(true);
    expect(ledgerAsked.length).toBeGreaterThan(0);
    expect(ledgerAsked.filter((u) => u.searchParams.has('year'))).toEqual([]);
    expect(world.problems).toEqual([]);
  }, 60_000);

  it('shows the auditor a campaign and an envelope as of a date, as the audit API replays them', async () => {
    const today = seeded.today;
    const now = await world.get<AsOf<CampaignState>>(
      'auditor',
      `/api/audit/campaigns/${campaignId}/as-of?at=${today}&time=record`,
    );
    const before = await world.get<AsOf<CampaignState>>(
      'auditor',
      `/api/audit/campaigns/${campaignId}/as-of?at=${addDays(today, -1)}&time=record`,
    );
    const envelope = await world.get<AsOf<EnvelopeState>>(
      'auditor',
      `/api/audit/envelopes/${campaignId}/ETAT/as-of?at=${today}&time=record`,
    );
    const page = await world.newPage();
    await world.signInAs(page, 'Auditeur');
    await page.getByRole('tab', { name: 'Campagne et enveloppes' }).click();
    const panel = page.getByRole('tabpanel');
    await panel.getByLabel('Horloge').selectOption('record');
    await panel.getByRole('button', { name: 'Rejouer la campagne' }).click();
    const result = page.getByTestId('campaign-asof');
    await result.waitFor();
    await expect(result.locator('[data-field="eventsApplied"]').first().textContent()).resolves.toBe(
      `${now.eventsApplied} / ${now.streamLength}`,
    );
    await expect(result.locator('[data-field="status"]').first().textContent()).resolves.toBe(
      'Ouverte aux dépôts',
    );
    await expect(result.locator('[data-field="name"]').textContent()).resolves.toBe(now.state.name);
    // The names come from GET /api/reference/qpv/:version, fetched once the state names its version.
    await result.locator('[data-field="qpv"]', { hasText: 'Sous-le-Bois (QN05990X)' }).waitFor();
    const envelopes = await result
      .locator('[data-testid="campaign-envelopes"] td[data-value]')
      .evaluateAll(attributes, 'data-value');
    expect(envelopes.map(Number)).toEqual(now.state.funders.map((f) => f.envelopeCents));

    await page.getByLabel('Financeur', { exact: true }).selectOption('ETAT');
    await page.getByRole('button', { name: 'Rejouer l’enveloppe' }).click();
    const env = page.getByTestId('envelope-asof');
    await env.waitFor();
    await expect(env.locator('[data-field="amount"]').getAttribute('data-value')).resolves.toBe(
      String(envelope.state.amountCents),
    );
    await expect(env.locator('[data-field="reserved"]').getAttribute('data-value')).resolves.toBe(
      String(envelope.state.reservedCents),
    );
    await expect(env.locator('[data-field="eventsApplied"]').textContent()).resolves.toBe(
      `${envelope.eventsApplied} / ${envelope.streamLength}`,
    );
    expect(await rowKeys(page, '[data-testid="reservations"]')).toEqual(
      Object.keys(envelope.state.reservations),
    );
    await page.screenshot({ path: join(artifacts, 'audit-campagne.png'), fullPage: true });

    // The day before: the campaign did not exist yet on the record clock.
    await panel.getByLabel('Au (date)').fill(addDays(today, -1));
    await panel.getByRole('button', { name: 'Rejouer la campagne' }).click();
    await expect
      .poll(() => result.locator('[data-field="eventsApplied"]').first().textContent(), { timeout: 10_000 })
      .toBe(`${before.eventsApplied} / ${before.streamLength}`);
    expect(before.eventsApplied).toBe(0);
    await expect(result.locator('[data-field="status"]').first().textContent()).resolves.toBe(
      'Pas encore créée à cette date',
    );
    expect(world.problems).toEqual([]);
  });

  it('pages the auditor through the ledger with filters, as the audit API does, and downloads it', async () => {
    const api = (query: string) => world.get<LedgerPage>('auditor', `/api/audit/ledger?${query}`);
    const first = await api(`campaign=${campaignId}&limit=10`);
    expect(first.next).not.toBeNull();
    const second = await api(`campaign=${campaignId}&limit=10&after=${first.next}`);
    const all: LedgerPage['entries'] = [];
    for (let after: string | null = ''; after !== null;) {
      const p: LedgerPage = await api(`campaign=${campaignId}&limit=1000${after ? `&after=${after}` : ''}`);
      all.push(...p.entries);
      after = p.next;
    }
    const etat = await api(`campaign=${campaignId}&funder=ETAT&limit=10`);
    const keys = (p: LedgerPage) => p.entries.map((e) => `${e.position}-${e.line}`);

    const page = await world.newPage();
    await world.signInAs(page, 'Auditeur');
    await page.getByRole('tab', { name: 'Campagne et enveloppes' }).focus();
    // Keyboard: the arrow keys move between the tabs.
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('tab', { name: 'Grand livre' }).getAttribute('aria-selected')).resolves.toBe(
      'true',
    );
    await page.getByLabel('Campagne').selectOption(campaignId);
    await page.getByLabel('Écritures par page').selectOption('10');
    await page.getByRole('button', { name: 'Afficher' }).click();
    const table = page.getByTestId('ledger');
    await expect
      .poll(() => rowKeys(page, '[data-testid="ledger"]'), { timeout: 10_000 })
      .toEqual(keys(first));
    const amounts = await table.locator('tbody td[data-value]').evaluateAll(attributes, 'data-value');
    expect(amounts).toEqual(first.entries.map((e) => (e.amountCents === null ? '' : String(e.amountCents))));
    await page.screenshot({ path: join(artifacts, 'audit-grand-livre.png'), fullPage: true });

    await page.getByRole('button', { name: 'Page suivante' }).click();
    await expect
      .poll(() => rowKeys(page, '[data-testid="ledger"]'), { timeout: 10_000 })
      .toEqual(keys(second));
    await page.getByRole('button', { name: 'Page précédente' }).click();
    await expect
      .poll(() => rowKeys(page, '[data-testid="ledger"]'), { timeout: 10_000 })
      .toEqual(keys(first));

    const lines = await downloaded(
      page,
      () => page.getByRole('button', { name: 'Télécharger le grand livre filtré (CSV)' }).click(),
      'grand-livre.csv',
    );
    expect(lines[0]).toBe(ledgerCsvColumns.join(','));
    expect(lines.length).toBe(all.length + 1);

    await page.getByLabel('Financeur (code)').fill('ETAT');
    await page.getByRole('button', { name: 'Afficher' }).click();
    await expect.poll(() => rowKeys(page, '[data-testid="ledger"]'), { timeout: 10_000 }).toEqual(keys(etat));

    // The SCDL export of the year the conventions came into force (this year). This engine has no
    // funder directory, so the État's SIRET is unknown: the export is refused, the funders named…
    await page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' }).click();
    const refusal = page.getByRole('alert');
    await expect
      .poll(() => refusal.textContent(), { timeout: 10_000 })
      .toMatch(/incomplet.*« État » \(ETAT/s);
    // …and given, said incomplete, once the auditor accepts it.
    await page.getByLabel(/Accepter un fichier incomplet/).check();
    const scdl = await downloaded(
      page,
      () => page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' }).click(),
      'scdl.csv',
    );
    expect(scdl[0]).toMatch(/^nomAttribuant,idAttribuant,dateConvention,/);
    expect(scdl.slice(1).some((line) => line.startsWith('État,,'))).toBe(true);
    // An act keyed in days after its day (a committee's, a funder's) holds from midnight in Paris:
    // its time is shown as the day, its hour being unknown; any other instant as it is. The page's
    // own module, as the timeline and the ledger call it (a string: evaluated as the page would).
    const shown = await page.evaluate(
      `import('/console/lib.js').then((lib) => [
        lib.businessTime('2027-04-27T22:00:00.000Z', '2027-05-05T08:00:00.000Z'),
        lib.businessTime('2027-04-27T22:00:00.000Z', '2027-04-27T22:00:00.120Z'),
        lib.businessTime('2027-05-05T08:00:00.000Z', '2027-05-05T08:00:00.020Z'),
      ])`,
    );
    expect(shown).toEqual([
      '28 avril 2027 (jour de la décision)',
      '28/04/2027 00:00:00',
      '05/05/2027 10:00:00',
    ]);

    // The same file as the log stood yesterday evening: none of today's conventions yet.
    const yesterday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(
      Date.now() - 86_400_000,
    );
    await page.getByLabel(/Tel qu’enregistré au/).fill(yesterday);
    const before = await downloaded(
      page,
      () => page.getByRole('button', { name: 'Export SCDL « subventions » (CSV)' }).click(),
      'scdl-veille.csv',
    );
    expect(before).toEqual([scdl[0]]);
    expect(world.problems).toEqual([]);
  });
});
