// The web console end to end, in Debian's Chromium driven by playwright-core: the real engine
// (Temporal dev server, workflows, SQLite event store, projections) behind the console's router,
// served with the platform's strict CSP from a second server that forwards /api to the engine.
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromEpochMs, parisDateOf, parisInstant } from '../../domain/calendar';
import { consoleRouter } from '../../services/console/router';
import type { Role } from '../../services/http/platform/auth';
import { startTestEngine, type RunningEngine } from '../services/support/engine';
import { createCampaignCommand } from '../support/fixtures';

function findChromium(): string | undefined {
  try {
    return execSync('command -v chromium', { encoding: 'utf8', shell: '/bin/sh' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  if (process.env.CI === 'true')
    throw new Error(
      'Chromium est introuvable (apt-get install -y chromium) : les tests de la console ne peuvent pas tourner en CI.',
    );
  console.warn('test/console : Chromium absent (apt-get install -y chromium) — tests du navigateur ignorés.');
}

const artifacts = join(process.cwd(), 'test', 'artifacts');
const campaignId = 'console-e2e';
const today = parisDateOf(fromEpochMs(Date.now()));

/** The platform's policy (services/http/platform/app.ts): the console must work under it. */
const csp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

let engine: RunningEngine;
let server: Server;
let base: string;
let browser: Browser;
const cspViolations: string[] = [];

async function startConsoleServer(e: RunningEngine): Promise<string> {
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    next();
  });
  app.use(
    consoleRouter({
      devTokens: {
        mint: (role: Role, institution?: string, porteurId?: string) =>
          e.token({
            role,
            ...(institution ? { institution } : {}),
            ...(porteurId ? { porteurId } : {}),
            subject: `demo-${role}`,
          }),
      },
    }),
  );
  // Same origin for the browser, as when the lead mounts the router on the API itself.
  app.use('/api', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'if-match', 'idempotency-key', 'accept'])
      if (req.headers[name]) headers[name] = String(req.headers[name]);
    const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
    const answer = await fetch(`${e.url}${req.originalUrl}`, {
      method: req.method,
      headers,
      ...(body ? { body } : {}),
    });
    res.status(answer.status);
    for (const name of ['content-type', 'etag', 'content-disposition', 'cache-control'])
      if (answer.headers.get(name)) res.setHeader(name, answer.headers.get(name) ?? '');
    res.send(Buffer.from(await answer.arrayBuffer()));
  });
  return await new Promise((resolve) => {
    server = app.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    });
  });
}

describe.skipIf(chromiumPath === undefined)('web console (Chromium)', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    engine = await startTestEngine();
    base = await startConsoleServer(engine);
    const manager = await engine.token({ role: 'grant_manager' });
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId, opensInDays: 0 });
    const created = await engine.call('POST', '/api/campaigns', {
      token: manager,
      body: { ...campaign, submissionWindow: { ...campaign.submissionWindow, opensAt: parisInstant(today) } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    for (let i = 0; i < 50; i += 1) {
      const open = await engine.call('POST', `/api/campaigns/${campaignId}/open`, {
        token: manager,
        body: {},
      });
      if (open.status === 200 || (open.body as { code?: string }).code === 'CAMPAIGN_ALREADY_OPEN') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // A plain launch runs on a new, empty temporary profile that playwright removes at close.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await engine?.stop();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (err) => cspViolations.push(`page error: ${err.message}`));
    return page;
  }

  async function signInAs(page: Page, label: string): Promise<void> {
    await page.goto(`${base}/console/`);
    await page.evaluate("sessionStorage.clear(); location.hash = '#/';");
    await page.reload();
    await page.getByLabel(label, { exact: true }).check();
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByTestId('who').waitFor();
  }

  /** Opens an application's page, reloading until the read models show what `ready` waits for. */
  async function openApplication(page: Page, id: string, ready: string): Promise<void> {
    for (let i = 0; i < 60; i += 1) {
      await page.goto(`${base}/console/#/candidatures/${id}`);
      await page.reload();
      try {
        await page.locator(ready).first().waitFor({ timeout: 1_000 });
        return;
      } catch {
        // the projection has not caught up yet: reload
      }
    }
    await page.screenshot({ path: join(artifacts, 'console-echec.png'), fullPage: true });
    throw new Error(`${ready} never appeared on the page of ${id} (see test/artifacts/console-echec.png)`);
  }

  async function act(page: Page, action: string, fill: Record<string, string> = {}): Promise<void> {
    const form = page.locator(`form[data-action="${action}"]`);
    for (const [label, value] of Object.entries(fill)) await form.getByLabel(label).fill(value);
    await form.locator('button[type=submit]').click();
    await page.getByRole('status').filter({ hasText: 'Action enregistrée' }).waitFor();
    await expect(form.getByRole('alert').count()).resolves.toBe(0);
  }

  let applicationId = '';

  it('takes an application from the porteur’s submission to a convention in force, every actor through the console', async () => {
    const page = await newPage();
    await signInAs(page, 'Porteur de projet — asso-1');
    await page.goto(`${base}/console/#/depot`);
    const f = page.locator('form.cerfa');
    await f.getByLabel('Nom de l’organisme *').fill('Association Sambre Avenir');
    await f.getByLabel('SIRET (14 chiffres)').fill('12345678900011');
    await f.getByLabel('Intitulé de l’action *').fill('Ateliers numériques à Sous-le-Bois');
    await f.getByLabel('Résumé *').fill('Initiation au numérique pour les familles, deux soirs par semaine.');
    await f.getByLabel('Thème (nomenclature nationale)').selectOption('1.1');
    // The QPV picker lists the campaign's territory (GET /api/campaigns/:id).
    await f.getByLabel('QN05990X').check();
    await f.getByLabel('Bénéficiaires attendus').fill('80');
    await f
      .getByLabel('Comment les habitants co-construisent l’action')
      .fill('Un comité d’habitants choisit les thèmes des ateliers chaque trimestre.');
    await f.getByLabel('Coût total, année 1 (€) *').fill('30 000');
    await f.getByLabel('Demandé à État, année 1 (€)').fill('10 000');
    await f.getByLabel('Demandé à Intercommunalité (EPCI), année 1 (€)').fill('5 000');
    await f.getByLabel('Autres ressources, année 1 (€)').fill('15 000');
    await page.screenshot({ path: join(artifacts, 'console-depot.png'), fullPage: true });
    await f.getByRole('button', { name: 'Déposer la candidature' }).click();
    await page.getByRole('heading', { name: 'Candidature déposée' }).waitFor();
    applicationId = (await page.locator('[role=status] strong').textContent()) ?? '';
    expect(applicationId).toMatch(/^[0-9A-Z]{26}$/);

    await signInAs(page, 'Chargé de mission (agglomération)');
    await page
      .getByRole('link', { name: 'Ateliers numériques à Sous-le-Bois' })
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    await page.screenshot({ path: join(artifacts, 'console-file-attente.png'), fullPage: true });
    await openApplication(page, applicationId, 'form[data-action="eligible"]');
    await act(page, 'eligible');

    for (const funder of ['Financeur — État', 'Financeur — Intercommunalité (EPCI)']) {
      await signInAs(page, funder);
      await page.locator(`a[href="#/candidatures/${applicationId}"]`).first().waitFor({ timeout: 15_000 });
      await openApplication(page, applicationId, 'form[data-action="position"]');
      await act(page, 'position');
    }
    await signInAs(page, 'Conseil citoyen');
    await openApplication(page, applicationId, 'form[data-action="opinion"]');
    await act(page, 'opinion', { 'Commentaire *': 'Attendu par les habitants du quartier.' });

    await signInAs(page, 'Chargé de mission (agglomération)');
    await openApplication(page, applicationId, 'form[data-action="approval"]');
    await page.screenshot({ path: join(artifacts, 'console-candidature.png'), fullPage: true });
    await act(page, 'approval');
    await openApplication(page, applicationId, 'form[data-action="convention"]');
    await act(page, 'convention');

    for (const signer of [
      'Porteur de projet — asso-1',
      'Financeur — État',
      'Financeur — Intercommunalité (EPCI)',
    ]) {
      await signInAs(page, signer);
      await openApplication(page, applicationId, 'form[data-action="signature"]');
      await act(page, 'signature');
    }
    await signInAs(page, 'Chargé de mission (agglomération)');
    await openApplication(page, applicationId, '[data-testid="status"]:has-text("vigueur")');
    await page.getByTestId('timeline').getByText('Convention en vigueur').first().waitFor();
    await page.screenshot({ path: join(artifacts, 'console-en-vigueur.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  }, 120_000);

  it('shows a refused action’s French message in place', async () => {
    const page = await newPage();
    await signInAs(page, 'Chargé de mission (agglomération)');
    await page.goto(`${base}/console/#/campagnes`);
    const open = page.locator(`form[data-action="open-${campaignId}"]`);
    await open.getByRole('button', { name: 'Ouvrir' }).click();
    const alert = open.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/est ouverte depuis .*n'est pas possible/);
  });

  it('shows the evaluator the numbers the query API gives', async () => {
    const evaluator = await engine.token({ role: 'evaluator' });
    const summary = (await engine.call('GET', `/api/campaigns/${campaignId}/summary`, { token: evaluator }))
      .body as {
      applications: number;
      amounts: { requestedCents: number; awardedCents: number };
    };
    const funders = (
      await engine.call('GET', `/api/stats/funders?campaignId=${campaignId}`, { token: evaluator })
    ).body as { items: { amounts: { requestedCents: number; awardedCents: number; paidCents: number } }[] };
    const page = await newPage();
    await signInAs(page, 'Évaluateur');
    await page.locator('[data-kpi="applications"]').waitFor();
    const euros = (cents: number) =>
      new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
    expect(await page.locator('[data-kpi="applications"]').textContent()).toBe(String(summary.applications));
    expect(await page.locator('[data-kpi="requested"]').textContent()).toBe(
      euros(summary.amounts.requestedCents),
    );
    expect(await page.locator('[data-kpi="awarded"]').textContent()).toBe(
      euros(summary.amounts.awardedCents),
    );
    const rects = page.locator('svg[data-chart="chart-funders"] rect');
    const bars: number[] = [];
    for (let i = 0; i < (await rects.count()); i += 1)
      bars.push(Number(await rects.nth(i).getAttribute('data-value')));
    expect(bars).toEqual(
      funders.items.flatMap((f) => [f.amounts.requestedCents, f.amounts.awardedCents, f.amounts.paidCents]),
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
    await page.getByTestId('timeline').waitFor();
    await page.screenshot({ path: join(artifacts, 'console-audit.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });
});
