// What driving the console as each role on the real engine turned up, in Debian's Chromium: the
// conseil citoyen (and a funder) sees every application waiting on it, not the API's first page of
// 50; a chart's row label cut to fit keeps the quartier's code and cuts its name; the auditor's tabs
// fit a 375 px phone (and 320 px, a 1280 px screen zoomed to 400 %).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dossier } from '../support/fixtures';
import { chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import { command, createOpenCampaign, declareEligible, submitApplication, tokenOf } from './support/steps';

const campaignId = 'console-durcissement';
let world: ConsoleWorld;

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
  });

  it('cuts a long quartier name in the chart, never its code', async () => {
    const base = dossier({ title: 'Chantiers d’insertion aux Provinces', durationYears: 1 });
    await command(world.engine, 'porteur', '/api/applications', {
      campaignId,
      // « Provinces Françaises – De Joyeuse (QN05994X) »: 44 characters, more than a label takes.
      dossier: { ...base, action: { ...base.action, qpvCodes: ['QN05994X'] } },
    });
    const page = await world.newPage();
    await world.signInAs(page, demo.evaluator);
    const labels = page.locator('svg[data-chart="chart-qpv"] text.axis-label');
    await expect
      .poll(async () => (await labels.evaluateAll(ownText)).some((l) => l.includes('Provinces')), {
        timeout: 30_000,
      })
      .toBe(true);
    const label = (await labels.evaluateAll(ownText)).find((l) => l.includes('Provinces')) ?? '';
    expect(label).toMatch(/^Provinces Françaises.*… \(QN05994X\)$/);
    expect(label.length).toBeLessThanOrEqual(42);
    // The whole name stays in the tooltip and in the data table.
    await expect(
      page.locator('table[data-table="chart-qpv"] tr[data-row="QN05994X"] th').textContent(),
    ).resolves.toBe('Provinces Françaises – De Joyeuse (QN05994X)');
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
});
