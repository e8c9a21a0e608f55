// What the console's browser tests share: Debian's Chromium (skipped with its reason when absent,
// a failure under CI), the real engine behind a second server that serves the console with the
// platform's strict CSP and forwards /api to the engine (same origin for the browser), and the
// page helpers: sign in as a demo user, open an application once the read models show a step,
// fill and send one of the page's action forms.
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';
import { consoleRouter } from '../../../services/console/router';
import type { Role } from '../../../services/http/platform/auth';
import { startTestEngine, type RunningEngine } from '../../services/support/engine';

function findChromium(): string | undefined {
  try {
    return execSync('command -v chromium', { encoding: 'utf8', shell: '/bin/sh' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
export const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  if (process.env.CI === 'true')
    throw new Error(
      'Chromium est introuvable (apt-get install -y chromium) : les tests de la console ne peuvent pas tourner en CI.',
    );
  console.warn('test/console : Chromium absent (apt-get install -y chromium) — tests du navigateur ignorés.');
}

/** Screenshots (git-ignored). */
export const artifacts = join(process.cwd(), 'test', 'artifacts');

/** The platform's policy (services/http/platform/app.ts): the console must work under it. */
export const csp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The demo users of the sign-in page (services/console/static/app.js), by their French label; the
 * porteur is one `grants seed demo` creates (services/demo/demoCampaign.ts).
 */
export const demo = {
  manager: 'Chargé de mission (agglomération)',
  porteur: 'Porteur de projet — Sambre Avenir (asso-sambre-avenir)',
  etat: 'Financeur — État',
  epci: 'Financeur — Intercommunalité (EPCI)',
  council: 'Conseil citoyen',
  evaluator: 'Évaluateur',
  auditor: 'Auditeur',
} as const;

export interface ConsoleWorld {
  engine: RunningEngine;
  /** The console server's origin (http://127.0.0.1:port). */
  base: string;
  browser: Browser;
  /** CSP violations, uncaught page errors and console files not found (404) seen by any page. */
  cspViolations: string[];
  newPage(): Promise<Page>;
  signInAs(page: Page, label: string): Promise<void>;
  /** Opens an application's page, reloading until the read models show what `ready` waits for. */
  openApplication(page: Page, id: string, ready: string, failureShot?: string): Promise<void>;
  /**
   * Fills a form of the page (by its `data-action`) by labels (a select by its option's value),
   * sends it, confirms in its dialog when the form asks, waits for the notice.
   */
  act(page: Page, action: string, fill?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

async function startConsoleServer(e: RunningEngine): Promise<{ base: string; server: Server }> {
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
    const server = app.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
        server,
      });
    });
  });
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  mkdirSync(artifacts, { recursive: true });
  const engine = await startTestEngine();
  const { base, server } = await startConsoleServer(engine);
  // A plain launch runs on a new, empty temporary profile that playwright removes at close.
  const browser = await chromium.launch({
    ...(chromiumPath ? { executablePath: chromiumPath } : {}),
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
  const cspViolations: string[] = [];

  const world: ConsoleWorld = {
    engine,
    base,
    browser,
    cspViolations,
    async newPage() {
      const context = await browser.newContext({
        viewport: { width: 1366, height: 900 },
        locale: 'fr-FR',
        acceptDownloads: true,
      });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
      page.on('pageerror', (err) => cspViolations.push(`page error: ${err.message}`));
      // A file the console asks for and the server lacks (the API's own 404s are answers, not faults).
      page.on('response', (r) => {
        if (r.status() === 404 && !new URL(r.url()).pathname.startsWith('/api/'))
          cspViolations.push(`404: ${r.url()}`);
      });
      // A test that fails on this page leaves what the page showed and what the API refused it: a
      // wait that timed out in CI says nothing else (the refusals may be the test's own, on purpose).
      const refused: string[] = [];
      page.on('response', (r) => {
        if (r.status() >= 400 && new URL(r.url()).pathname.startsWith('/api/'))
          refused.push(`${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()}`);
      });
      onTestFailed(async ({ task }) => {
        if (page.isClosed()) return;
        const shot = `echec-${task.name.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 60)}.png`;
        const shown = await page
          .evaluate('document.body.innerText')
          .then((text) => String(text).slice(0, 3_000))
          .catch((e: unknown) => `(page illisible : ${String(e)})`);
        await page.screenshot({ path: join(artifacts, shot), fullPage: true }).catch(() => undefined);
        console.error(
          [
            `« ${task.name} » a échoué sur ${page.url()} (capture : test/artifacts/${shot})`,
            `Réponses d’erreur de l’API à cette page (les dernières) : ${refused.slice(-10).join(' ; ') || 'aucune'}`,
            'Texte de la page :',
            shown,
          ].join('\n'),
        );
      });
      return page;
    },
    async signInAs(page, label) {
      await page.goto(`${base}/console/`);
      await page.evaluate("sessionStorage.clear(); location.hash = '#/';");
      await page.reload();
      await page.getByLabel(label, { exact: true }).check();
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.getByTestId('who').waitFor();
    },
    async openApplication(page, id, ready, failureShot = 'console-echec.png') {
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
      await page.screenshot({ path: join(artifacts, failureShot), fullPage: true });
      throw new Error(`${ready} never appeared on the page of ${id} (see test/artifacts/${failureShot})`);
    },
    async act(page, action, fill = {}) {
      const form = page.locator(`form[data-action="${action}"]`);
      for (const [label, value] of Object.entries(fill)) {
        const field = form.getByLabel(label);
        if ((await field.evaluate((e: { tagName: string }) => e.tagName)) === 'SELECT')
          await field.selectOption(value);
        else await field.fill(value);
      }
      await form.locator('button[type=submit]').click();
      // An irreversible action (or one whose amounts are read again) asks first, in a modal dialog.
      if ((await form.getAttribute('data-confirm')) === 'dialog') {
        const dialog = form.locator('dialog[open]');
        await dialog.waitFor();
        await dialog.getByRole('button', { name: /^Confirmer/ }).click();
      }
      const notice = page.getByRole('status').filter({ hasText: 'Action enregistrée' });
      await notice.waitFor();
      await expect(form.getByRole('alert').count()).resolves.toBe(0);
      // On an application, the notice's status is the badge's, word for word, once the page caught up
      // (« Compléments demandés » was said over a badge reading « En attente de compléments »).
      const said = /Statut : (.+)\.$/.exec((await notice.textContent()) ?? '')?.[1];
      if (said !== undefined)
        await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 15_000 }).toBe(said);
    },
    async stop() {
      await browser.close();
      await new Promise((r) => server.close(r));
      await engine.stop();
    },
  };
  return world;
}
