// What a third review of the console found, in Debian's Chromium on the real engine: the auditor's
// « état à une date » took a day only, while the audit API takes an instant (two events of one day
// could not be told apart), and its result did not say which instant it used; the ledger wrote the
// amount of an envelope voted (or adjusted) by the campaign under « Référence »; the grant manager's
// queue did not say which campaign (AMI) each application belongs to, nor let one be picked.
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../../domain/calendar';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  campaignOfYear,
  command,
  createOpenCampaign,
  declareEligible,
  submitApplication,
  todayInParis,
  waitForApplication,
} from './support/steps';

const campaignId = 'console-troisieme-relecture';
const today = todayInParis();
const euros = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
/** Every kind of space as one plain space (French money is written with no-break spaces). */
const plain = (text: string | null | undefined) => (text ?? '').replace(/\s+/gu, ' ').trim();
const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

const parisWall = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
/** An instant on the Paris clock: its day and its time to the second, as the page's fields take them. */
function parisClock(instant: string): { day: string; time: string } {
  const p = Object.fromEntries(parisWall.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return { day: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}` };
}
/** « 12 mai 2027 », « 1er mai 2027 »: a Paris day as the console writes it. */
function frenchDay(day: string): string {
  const text = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', dateStyle: 'long' }).format(
    new Date(`${day}T12:00:00Z`),
  );
  return day.endsWith('-01') ? text.replace(/^1 /, '1er ') : text;
}
/** The end of the second an instant falls in (what a time typed to the second stands for). */
const endOfSecond = (instant: string) =>
  new Date(Math.floor(Date.parse(instant) / 1000) * 1000 + 999).toISOString();

interface AuditEvent {
  revision: string;
  type: string;
  metadata: { occurredAt: string; recordedAt: string };
}
interface AsOfAnswer {
  at: string;
  eventsApplied: number;
  streamLength: number;
  state: { status: string };
}
interface LedgerEntry {
  position: string;
  line: number;
  movement: string;
  funder: string | null;
  amountCents: number | null;
  reference: string | null;
}

/** The text of each cell of a ledger row, by its column's heading. */
function ledgerRow(page: Page, key: string): Promise<Record<string, string>> {
  return page.evaluate(`(() => {
    const table = document.querySelector('[data-testid="ledger"]');
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const row = table.querySelector('tbody tr[data-row="${key}"]');
    if (!row) return {};
    return Object.fromEntries([...row.cells].map((td, i) => [headers[i], td.textContent.replace(/\\s+/gu, ' ').trim()]));
  })()`);
}

let world: ConsoleWorld;

describe.skipIf(chromiumPath === undefined)('console after the third review in a browser (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId, { ETAT: 40_000_000, EPCI: 25_000_000 });
  }, 240_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('replays an application at a date and a time of day in Paris, between two events of one day, and says the instant used', async () => {
    const auditor = await world.engine.token({ role: 'auditor' });
    const id = await submitApplication(world.engine, campaignId, { title: 'Atelier vélo solidaire' });
    // The next step in a later second than the submission: the time typed (to the second) falls
    // between them.
    await new Promise((r) => setTimeout(r, 1_100));
    await declareEligible(world.engine, id);
    await waitForApplication(world.engine, id, 'co-decision', (d) => d.status === 'co_decision');
    const events = (
      (await world.engine.call('GET', `/api/audit/streams/application-${id}/events`, { token: auditor }))
        .body as { events: AuditEvent[] }
    ).events;
    const submitted = events.find((e) => e.type === 'ApplicationSubmitted');
    const eligible = events.find((e) => e.type === 'ApplicationDeclaredEligible');
    if (!submitted || !eligible) throw new Error(`events of ${id}: ${events.map((e) => e.type).join(', ')}`);
    const first = parisClock(submitted.metadata.occurredAt);
    const second = parisClock(eligible.metadata.occurredAt);
    expect(second.time, 'the two steps in two seconds').not.toBe(first.time);
    const api = async (at: string) =>
      (
        await world.engine.call(
          'GET',
          `/api/audit/applications/${id}/as-of?at=${encodeURIComponent(at)}&time=business`,
          { token: auditor },
        )
      ).body as AsOfAnswer;

    const page = await world.newPage();
    const asked: URL[] = [];
    page.on('request', (r: Request) => {
      if (r.url().includes('/as-of?')) asked.push(new URL(r.url()));
    });
    await world.signInAs(page, demo.auditor);
    await page.goto(`${world.base}/console/#/audit/${id}`);
    const panel = page.getByRole('tabpanel');
    const time = panel.getByLabel('Heure à Paris');
    // A time of day to type, beside the date.
    expect(await time.count(), 'a time field in the « état à une date » form').toBe(1);
    const result = page.getByTestId('asof-result');
    const replay = async (day: string, clock: string) => {
      const before = asked.length;
      await panel.getByLabel('Au (date)').fill(day);
      await time.fill(clock);
      await panel.getByRole('button', { name: 'Rejouer', exact: true }).click();
      await expect.poll(() => asked.length, { timeout: 15_000 }).toBe(before + 1);
      const at = asked[asked.length - 1]?.searchParams.get('at') ?? '';
      const expected = await api(at);
      await expect
        .poll(() => result.locator('[data-field="eventsApplied"]').textContent(), { timeout: 15_000 })
        .toBe(`${expected.eventsApplied} / ${expected.streamLength}`);
      return { at, expected };
    };

    // At the submission's second: the submission and whatever came with it, not the eligibility.
    const atSubmission = await replay(first.day, first.time);
    expect(atSubmission.at).toBe(endOfSecond(submitted.metadata.occurredAt));
    await expect(result.locator('[data-field="status"]').textContent()).resolves.toMatch(/^En instruction/);
    await expect
      .poll(() => page.getByTestId('asof-at').textContent(), { timeout: 15_000 })
      .toBe(`État au ${frenchDay(first.day)} à ${first.time}, heure de Paris, selon la date métier`);
    await expect(page.getByTestId('asof-at').getAttribute('data-at')).resolves.toBe(atSubmission.at);
    // At the eligibility's second, the same day: one step further.
    const atEligibility = await replay(second.day, second.time);
    expect(atEligibility.at).toBe(endOfSecond(eligible.metadata.occurredAt));
    expect(atEligibility.expected.eventsApplied).toBeGreaterThan(atSubmission.expected.eventsApplied);
    await expect(result.locator('[data-field="status"]').textContent()).resolves.toMatch(/^En co-décision/);
    await expect
      .poll(() => page.getByTestId('asof-at').textContent(), { timeout: 15_000 })
      .toBe(`État au ${frenchDay(second.day)} à ${second.time}, heure de Paris, selon la date métier`);
    // The day alone, as before: sent as a date, the end of that day said in the heading.
    const wholeDay = await replay(second.day, '');
    expect(wholeDay.at).toBe(second.day);
    await expect
      .poll(() => page.getByTestId('asof-at').textContent(), { timeout: 15_000 })
      .toBe(
        `État au ${frenchDay(second.day)} à 23:59:59, heure de Paris (fin de journée), selon la date métier`,
      );
    await page.screenshot({ path: join(artifacts, 'troisieme-relecture-etat-heure.png'), fullPage: true });

    // A campaign too, and its envelope at the very instant the campaign's replay used.
    await page.getByRole('tab', { name: 'Campagne et enveloppes' }).click();
    await panel.getByLabel('Campagne', { exact: true }).selectOption(campaignId);
    await panel.getByLabel('Au (date)').fill(first.day);
    await panel.getByLabel('Heure à Paris').fill(first.time);
    await panel.getByRole('button', { name: 'Rejouer la campagne' }).click();
    const campaignAt = page.getByTestId('campaign-asof-at');
    await expect
      .poll(() => campaignAt.textContent(), { timeout: 15_000 })
      .toBe(`Campagne au ${frenchDay(first.day)} à ${first.time}, heure de Paris, selon la date métier`);
    await page.getByRole('button', { name: 'Rejouer l’enveloppe' }).click();
    await page.getByTestId('envelope-asof').waitFor();
    expect(asked[asked.length - 1]?.searchParams.get('at')).toBe(endOfSecond(submitted.metadata.occurredAt));
    await expect(page.locator('#envelope-asof-title').textContent()).resolves.toBe(
      `Enveloppe d’un financeur au même instant : ${frenchDay(first.day)} à ${first.time}, heure de Paris`,
    );
    expect(world.cspViolations).toEqual([]);
  }, 180_000);

  it('puts the amount an envelope was voted or adjusted to in its own column, never under « Référence »', async () => {
    await command(world.engine, 'manager', `/api/campaigns/${campaignId}/envelopes`, {
      funder: 'EPCI',
      amountCents: 30_000_000,
      reason: 'Délibération du conseil communautaire',
    });
    const auditor = await world.engine.token({ role: 'auditor' });
    let entries: LedgerEntry[] = [];
    for (let i = 0; i < 100; i += 1) {
      entries = (
        (
          await world.engine.call('GET', `/api/audit/ledger?campaign=${campaignId}&limit=200`, {
            token: auditor,
          })
        ).body as { entries: LedgerEntry[] }
      ).entries;
      if (entries.some((e) => e.movement === 'envelope_adjustment_decided')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const voted = entries.filter((e) => e.movement === 'envelope_voted');
    const adjusted = entries.find((e) => e.movement === 'envelope_adjustment_decided');
    expect(voted.map((e) => e.funder)).toEqual(['ETAT', 'EPCI']);
    expect(adjusted).toBeDefined();

    const page = await world.newPage();
    await world.signInAs(page, demo.auditor);
    await page.getByRole('tab', { name: 'Grand livre' }).click();
    await page.getByLabel('Campagne', { exact: true }).selectOption(campaignId);
    await page.getByLabel('Écritures par page').selectOption('200');
    await page.getByRole('button', { name: 'Afficher' }).click();
    await page.locator(`[data-testid="ledger"] tr[data-row="${voted[0]?.position}-0"]`).waitFor();

    const votedCents = { ETAT: 40_000_000, EPCI: 25_000_000 } as Record<string, number>;
    for (const entry of voted) {
      const row = await ledgerRow(page, `${entry.position}-${entry.line}`);
      const cents = votedCents[entry.funder ?? ''] ?? -1;
      // « Référence » says what identifies the movement, not how much.
      expect(row['Référence'], `Référence of the vote for ${entry.funder}`).not.toMatch(/€|\d/);
      expect(plain(row['Montant décidé (pour information)']), `${entry.funder}`).toBe(plain(euros(cents)));
      // Still no movement of its own: the envelope's opening carries the money.
      expect(plain(row['Montant (exercice)']).startsWith('—'), `${entry.funder}`).toBe(true);
    }
    const adjustment = await ledgerRow(page, `${adjusted?.position}-${adjusted?.line}`);
    expect(adjustment['Référence']).toBe('Délibération du conseil communautaire');
    // The amount decided, then (in small) the one it replaced.
    const decided = plain(adjustment['Montant décidé (pour information)']);
    expect(decided.startsWith(plain(euros(30_000_000)))).toBe(true);
    expect(decided.endsWith(plain(`auparavant ${euros(25_000_000)}`))).toBe(true);
    // The amounts that add up (data-value) are the API's, the decisions' none.
    const values = await page.evaluate<string[]>(
      `[...document.querySelectorAll('[data-testid="ledger"] tbody td[data-value]')].map((c) => c.getAttribute('data-value'))`,
    );
    expect(values).toEqual(entries.map((e) => (e.amountCents === null ? '' : String(e.amountCents))));
    await page.screenshot({ path: join(artifacts, 'troisieme-relecture-grand-livre.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 120_000);

  it('names each application’s campaign in the grant manager’s queue, filters on one, and keeps it on a phone', async () => {
    const other = await campaignOfYear(world.engine, campaignId, addMonths(today, -12));
    const here = await submitApplication(world.engine, campaignId, { title: 'Café des parents' });
    const there = await submitApplication(world.engine, other, { title: 'Chantier éducatif' });
    const names = Object.fromEntries(
      (
        (
          await world.engine.call('GET', '/api/campaigns', {
            token: await world.engine.token({ role: 'grant_manager' }),
          })
        ).body as { items: { campaignId: string; name: string }[] }
      ).items.map((c) => [c.campaignId, c.name]),
    );
    expect(names[campaignId]).not.toBe(names[other]);

    const page = await world.newPage();
    const listed: URL[] = [];
    page.on('request', (r: Request) => {
      if (new URL(r.url()).pathname === '/api/applications') listed.push(new URL(r.url()));
    });
    await world.signInAs(page, demo.manager);
    const mine = page.getByTestId('queue-mine');
    const rowOf = (id: string) => mine.locator(`tr[data-application="${id}"]`);
    for (let i = 0; i < 30 && (await rowOf(there).count()) === 0; i += 1) {
      await page.getByRole('button', { name: 'Actualiser' }).click();
      await page.waitForTimeout(500);
    }
    await rowOf(here).waitFor({ timeout: 15_000 });
    await rowOf(there).waitFor({ timeout: 15_000 });
    // A « Campagne » column, each application's campaign by its name.
    expect(await mine.getByRole('columnheader', { name: 'Campagne' }).count(), 'the Campagne column').toBe(1);
    await expect
      .poll(() => rowOf(here).locator('td[data-label="Campagne"]').textContent(), { timeout: 15_000 })
      .toBe(names[campaignId]);
    await expect(rowOf(there).locator('td[data-label="Campagne"]').textContent()).resolves.toBe(names[other]);

    // One campaign: asked of the API (campaignId), the other's files gone.
    await page.getByLabel('Campagne', { exact: true }).selectOption(other);
    await expect.poll(() => rowOf(here).count(), { timeout: 15_000 }).toBe(0);
    await rowOf(there).waitFor();
    expect(listed.some((u) => u.searchParams.get('campaignId') === other)).toBe(true);
    await expect
      .poll(async () => new Set(await mine.locator('td[data-label="Campagne"]').allTextContents()))
      .toEqual(new Set([names[other]]));

    // Back from an application's page, the queue is still the one chosen.
    await rowOf(there).getByRole('link').click();
    await page.getByTestId('status').waitFor();
    await page.goBack();
    await rowOf(there).waitFor();
    // The list may come back before the campaigns fill the select's options: its value follows them.
    await expect
      .poll(() => page.getByLabel('Campagne', { exact: true }).inputValue(), { timeout: 15_000 })
      .toBe(other);
    expect(await rowOf(here).count()).toBe(0);

    // On a phone, a card per application: its campaign under the column's name, within the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const cell = rowOf(there).locator('td[data-label="Campagne"]');
    const box = await cell.boundingBox();
    expect(box).not.toBeNull();
    expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 1000) <= 390).toBe(true);
    // The column's name drawn before the value by the stylesheet (hidden from screen readers).
    const drawn = await page.evaluate<string>(
      `getComputedStyle(document.querySelector('[data-testid="queue-mine"] tr[data-application="${there}"] td[data-label="Campagne"]'), '::before').content`,
    );
    expect(drawn).toContain('Campagne');
    await expect(scrollWidth(page)).resolves.toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(artifacts, 'troisieme-relecture-file-390.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  }, 180_000);
});
