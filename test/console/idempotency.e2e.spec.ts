// Resending a step from the console, in Debian's Chromium on the real engine: each opening of a
// step's form sends its command under one Idempotency-Key (services/console/static/lib.js,
// commandSender), so pressing the button again after an answer that never came is the same command,
// answered with its first outcome, and recorded once. The network faults are made in the browser
// (page.route): the request either never leaves it, or reaches the engine and its answer is dropped.
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  createOpenCampaign,
  submitApplication,
  tokenOf,
  waitForApplication,
  type ApplicationDetail,
} from './support/steps';

const campaignId = 'console-idempotence';
/** The console's message for an answer that never came (lib.js, lostAnswerMessage). */
const lostAnswer = 'La réponse de la plateforme n’est pas parvenue';
const keyShape = /^[0-9a-f]{32}$/;
/** A text as read: its runs of white space (the markup's line breaks) as one space. */
const spaced = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

let world: ConsoleWorld;

describe.skipIf(chromiumPath === undefined)('resending a step from the console (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  /** A submitted application, its page open for the grant manager on the eligibility form. */
  async function submittedOnPage(title: string): Promise<{ id: string; page: Page }> {
    const id = await submitApplication(world.engine, campaignId, { title });
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="eligible"]');
    return { id, page };
  }

  /**
   * Every POST of the eligibility step sent by the page, its Idempotency-Key kept in `keys`, handled
   * by `handle` (given the send's rank, from 0).
   */
  async function interceptEligibility(
    page: Page,
    id: string,
    handle: (route: Route, rank: number) => Promise<void>,
  ): Promise<(string | undefined)[]> {
    const keys: (string | undefined)[] = [];
    await page.route(`**/api/applications/${id}/eligibility`, async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      await handle(route, keys.length - 1);
    });
    return keys;
  }

  const eligibleForm = (page: Page) => page.locator('form[data-action="eligible"]');
  const declare = (page: Page) =>
    eligibleForm(page).getByRole('button', { name: 'Déclarer recevable' }).click();
  const refusal = (page: Page) => eligibleForm(page).getByRole('alert');

  /** The events of the application's stream, by type (the audit API, as the grant manager). */
  async function eventTypes(id: string): Promise<string[]> {
    const answer = await world.engine.call('GET', `/api/audit/streams/application-${id}/events`, {
      token: await tokenOf(world.engine, 'manager'),
    });
    expect(answer.status).toBe(200);
    return (answer.body as { events: { type: string }[] }).events.map((e) => e.type);
  }
  const declaredEligible = async (id: string) =>
    (await eventTypes(id)).filter((t) => t === 'ApplicationDeclaredEligible').length;

  /** The page shows the step's success and the status the query API shows after it. */
  async function showsEligible(page: Page, id: string): Promise<ApplicationDetail> {
    await page.getByRole('status').filter({ hasText: 'Action enregistrée' }).waitFor();
    const detail = await waitForApplication(world.engine, id, 'eligible', (d) => d.status !== 'submitted');
    await page.locator(`[data-testid="status"]:text-is("${detail.statusLabel}")`).waitFor();
    return detail;
  }

  it('sends one Idempotency-Key per opening of the form, the same on every send from it', async () => {
    const { id, page } = await submittedOnPage('Clé par ouverture');
    // The first three sends never leave the browser; the fourth goes through.
    const keys = await interceptEligibility(page, id, (route, rank) =>
      rank < 3 ? route.abort('failed') : route.continue(),
    );

    await declare(page);
    await refusal(page).filter({ hasText: lostAnswer }).waitFor();
    await declare(page);
    await expect.poll(() => keys.length).toBe(2);
    await refusal(page).filter({ hasText: lostAnswer }).waitFor();
    expect(keys[0]).toMatch(keyShape);
    expect(keys[1]).toBe(keys[0]);

    // A new opening of the form (the page reloaded): a new key, kept for its own sends.
    await world.openApplication(page, id, 'form[data-action="eligible"]');
    await declare(page);
    await refusal(page).filter({ hasText: lostAnswer }).waitFor();
    await declare(page);
    await showsEligible(page, id);
    expect(keys).toHaveLength(4);
    expect(keys[2]).toMatch(keyShape);
    expect(keys[2]).not.toBe(keys[0]);
    expect(keys[3]).toBe(keys[2]);
    expect(await declaredEligible(id)).toBe(1);
    await page.close();
  });

  it('shows the step done when the person sends again after an answer lost on the way back', async () => {
    const { id, page } = await submittedOnPage('Réponse perdue');
    let firstAnswer: number | undefined;
    // The first send reaches the engine, which records the step; its answer never reaches the page.
    const keys = await interceptEligibility(page, id, async (route, rank) => {
      if (rank > 0) return route.continue();
      firstAnswer = (await route.fetch()).status();
      return route.abort('failed');
    });

    await declare(page);
    await refusal(page).waitFor();
    expect(firstAnswer).toBe(200);
    // Without a key, this second press would be a second command, refused as stale (« déjà recevable »).
    await declare(page);
    await page
      .getByRole('status')
      .filter({ hasText: 'Action enregistrée' })
      .or(refusal(page))
      .first()
      .waitFor();
    expect(await refusal(page).allTextContents()).toEqual([]);
    const detail = await showsEligible(page, id);
    expect(detail.status).not.toBe('submitted');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await declaredEligible(id)).toBe(1);
    await page.close();
  });

  it('keeps the key when the form is edited after a lost answer, and says why the edit is refused', async () => {
    const { id, page } = await submittedOnPage('Réponse perdue puis modifiée');
    const keys = await interceptEligibility(page, id, async (route, rank) => {
      if (rank > 0) return route.continue();
      await route.fetch();
      return route.abort('failed');
    });

    await declare(page);
    await refusal(page).filter({ hasText: lostAnswer }).waitFor();
    // The same intended act, edited: the API recognises the key and refuses the other body.
    const justification = eligibleForm(page).getByLabel('Justification');
    await justification.fill('Constats vérifiés sur pièces.');
    await declare(page);
    await refusal(page).filter({ hasText: 'Cette Idempotency-Key a déjà servi' }).waitFor();
    await expect(refusal(page).textContent()).resolves.toContain('rechargez la page');
    expect(keys[1]).toBe(keys[0]);
    // Sent again as it was first: the first outcome.
    await justification.fill('');
    await declare(page);
    await showsEligible(page, id);
    expect(keys).toEqual([keys[0], keys[0], keys[0]]);
    expect(await declaredEligible(id)).toBe(1);
    await page.close();
  });

  /** A 503 problem document as the engine answers it (services/commands/routes.ts, workersUnavailable.ts). */
  const unavailable = (route: Route, code: string, detail: string) =>
    route.fulfill({
      status: 503,
      contentType: 'application/problem+json',
      headers: { 'Retry-After': '5' },
      body: JSON.stringify({ type: 'about:blank', title: 'Service indisponible', status: 503, code, detail }),
    });

  it('says a step accepted but not yet recorded (503 STEP_PENDING) is no refusal, and sending it again gets its outcome', async () => {
    const { id, page } = await submittedOnPage('Étape en attente');
    // The first send reaches the engine, which records the step; the page is told it is pending.
    const keys = await interceptEligibility(page, id, async (route, rank) => {
      if (rank > 0) return route.continue();
      await route.fetch();
      return unavailable(
        route,
        'STEP_PENDING',
        'Action acceptée, mais pas encore enregistrée : le journal des événements ou le serveur Temporal ne ' +
          'répond pas pour le moment. Elle le sera dès qu’ils répondront, sans autre démarche. Pour en ' +
          'connaître l’issue, renvoyez la même requête avec la même Idempotency-Key : elle ne sera pas ' +
          `enregistrée deux fois, et recevra sa réponse dès qu’elle est connue ; ou consultez la candidature ${id} (GET /api/applications/${id}).`,
      );
    });

    await declare(page);
    const pending = refusal(page).filter({ hasText: 'Action acceptée, pas encore enregistrée' });
    await pending.waitFor();
    const said = (await pending.textContent()) ?? '';
    expect(said).toContain('Renvoyez le formulaire sans rien changer');
    // Not a refusal, and not the API client's instructions.
    expect(said).not.toContain('Refusé');
    expect(said).not.toContain('Idempotency-Key');
    expect(said).not.toContain('GET /api');
    // Sent again as it was: the same key, the first outcome, recorded once.
    await declare(page);
    await showsEligible(page, id);
    expect(keys).toEqual([keys[0], keys[0]]);
    expect(await declaredEligible(id)).toBe(1);
    await page.close();
  });

  it('says the engine is unavailable (503 ENGINE_UNAVAILABLE) rather than « Refusé »', async () => {
    const { id, page } = await submittedOnPage('Moteur indisponible');
    const keys = await interceptEligibility(page, id, (route, rank) =>
      rank > 0
        ? route.continue()
        : unavailable(
            route,
            'ENGINE_UNAVAILABLE',
            'Aucun worker ne fait avancer les dossiers pour le moment : rien n’a été enregistré. Réessayez dans un instant.',
          ),
    );

    await declare(page);
    const down = refusal(page).filter({ hasText: 'rien n’a été enregistré' });
    await down.waitFor();
    expect(spaced(await down.textContent())).toMatch(/^Indisponible : Aucun worker/);
    await declare(page);
    await showsEligible(page, id);
    expect(keys).toEqual([keys[0], keys[0]]);
    expect(await declaredEligible(id)).toBe(1);
    await page.close();
  });
});
