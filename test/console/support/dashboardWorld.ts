// The world of the dashboards' browser tests: Debian's Chromium (skipped with its reason when
// absent, a failure under CI), the real engine behind a second server that serves the console with
// the platform's strict CSP and forwards /api to the engine (same origin for the browser), and a
// campaign seeded through the public HTTP API with applications at the steps the evaluator's and
// the auditor's pages show: a convention whose yearly report is overdue, one whose report is due
// within the month, a multi-year action approved, a dossier under review.
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  addDays,
  addMonths,
  addYears,
  fromEpochMs,
  parisDateOf,
  parisInstant,
  type CivilDate,
} from '../../../domain/calendar';
import { consoleRouter } from '../../../services/console/router';
import type { Role } from '../../../services/http/platform/auth';
import { startTestEngine, type RunningEngine } from '../../services/support/engine';
import { createCampaignCommand, dossier } from '../../support/fixtures';

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

/** Screenshots and downloaded files (git-ignored). */
export const artifacts = join(process.cwd(), 'test', 'artifacts');

/** The platform's policy (services/http/platform/app.ts): the console must work under it. */
const csp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface DashboardWorld {
  engine: RunningEngine;
  base: string;
  browser: Browser;
  /** CSP violations and uncaught page errors seen by any page. */
  problems: string[];
  newPage(): Promise<Page>;
  /** Signs in as a demo user of the embedded mode, by its French label. */
  signInAs(page: Page, label: string): Promise<void>;
  /** GET on the API with the token of `role`; the JSON body, or throws with the answer. */
  get<T>(role: 'evaluator' | 'auditor', path: string): Promise<T>;
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

export async function startDashboardWorld(): Promise<DashboardWorld> {
  mkdirSync(artifacts, { recursive: true });
  const engine = await startTestEngine();
  const { base, server } = await startConsoleServer(engine);
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
  const problems: string[] = [];
  const tokens = {
    evaluator: await engine.token({ role: 'evaluator' }),
    auditor: await engine.token({ role: 'auditor' }),
  };
  return {
    engine,
    base,
    browser,
    problems,
    async newPage() {
      const context = await browser.newContext({
        viewport: { width: 1366, height: 900 },
        locale: 'fr-FR',
        acceptDownloads: true,
      });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
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
    async get<T>(role: 'evaluator' | 'auditor', path: string): Promise<T> {
      const res = await engine.call('GET', path, { token: tokens[role] });
      if (res.status !== 200) throw new Error(`GET ${path} : ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as T;
    },
    async stop() {
      await browser.close();
      await new Promise((r) => server.close(r));
      await engine.stop();
    },
  };
}

// ---- the seeded campaign ----

export interface SeededCampaign {
  campaignId: string;
  today: CivilDate;
  /** In force, its convention started three years ago: its report is overdue. */
  overdueId: string;
  /** In force, its report is due within the month. */
  upcomingId: string;
  /** A two-year action (CPO) the committee approved. */
  approvedId: string;
  /** Submitted only. */
  underReviewId: string;
}

type Caller = 'manager' | 'porteur' | 'council' | 'ETAT' | 'REGION' | 'EPCI';

/** A campaign opened today (the CAMVS sample of QPV) and four applications at their steps. */
export async function seedCampaign(engine: RunningEngine, campaignId: string): Promise<SeededCampaign> {
  const today = parisDateOf(fromEpochMs(Date.now()));
  const token: Record<Caller, string> = {
    manager: await engine.token({ role: 'grant_manager' }),
    porteur: await engine.token({ role: 'porteur', porteurId: 'asso-1' }),
    council: await engine.token({ role: 'citizen_council' }),
    ETAT: await engine.token({ role: 'funder', institution: 'ETAT' }),
    REGION: await engine.token({ role: 'funder', institution: 'REGION' }),
    EPCI: await engine.token({ role: 'funder', institution: 'EPCI' }),
  };
  const post = async (who: Caller, path: string, body: unknown, expected = [200, 201]): Promise<unknown> => {
    const res = await engine.call('POST', path, { token: token[who], body });
    if (!expected.includes(res.status))
      throw new Error(`POST ${path} (${who}) : ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId, opensInDays: 0 });
  await post('manager', '/api/campaigns', {
    ...campaign,
    submissionWindow: { ...campaign.submissionWindow, opensAt: parisInstant(today) },
  });
  // The campaign's workflow may open the window itself (it opens today): either answer will do.
  for (let i = 0; i < 50; i += 1) {
    const open = await engine.call('POST', `/api/campaigns/${campaignId}/open`, {
      token: token.manager,
      body: {},
    });
    if (open.status === 200 || (open.body as { code?: string }).code === 'CAMPAIGN_ALREADY_OPEN') break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const submit = async (options: {
    title: string;
    theme: string;
    qpv: string[];
    years: number;
    perYear: Record<string, number>;
    beneficiaries: number;
  }): Promise<string> => {
    const d = dossier({ durationYears: options.years, perYear: options.perYear, title: options.title });
    const body = (await post('porteur', '/api/applications', {
      campaignId,
      dossier: {
        ...d,
        action: {
          ...d.action,
          theme: options.theme,
          qpvCodes: options.qpv,
          expectedBeneficiaries: options.beneficiaries,
        },
      },
    })) as { id?: string; state?: { applicationId?: string } };
    const id = body.state?.applicationId ?? body.id;
    if (!id) throw new Error(`identifiant de candidature absent : ${JSON.stringify(body)}`);
    return id;
  };
  /** Eligible, every asked funder commits its request, the council's opinion, the committee's plan. */
  const approve = async (id: string, years: number, perYear: Record<string, number>): Promise<void> => {
    await post('manager', `/api/applications/${id}/eligibility`, {
      decision: 'eligible',
      coDecisionDueDate: addDays(today, 30),
    });
    const yearList = Array.from({ length: years }, (_, i) => i + 1);
    for (const [funder, amountCents] of Object.entries(perYear))
      await post(funder as Caller, `/api/applications/${id}/positions`, {
        position: { decision: 'committed', amountsByYear: yearList.map((year) => ({ year, amountCents })) },
      });
    await post('council', `/api/applications/${id}/citizen-opinion`, {
      opinion: 'favourable',
      comment: 'Attendu par les habitants.',
    });
    await post('manager', `/api/applications/${id}/committee-decision`, {
      decision: 'approved',
      decisionReference: 'COPIL-TABLEAU',
      decisionDate: today,
      plan: Object.entries(perYear).flatMap(([funder, amountCents]) =>
        yearList.map((year) => ({ funder, year, amountCents })),
      ),
    });
  };
  const inForce = async (id: string, startDate: CivilDate, funders: string[]): Promise<void> => {
    await post('manager', `/api/applications/${id}/convention`, {
      startDate,
      signatureDueDate: addDays(today, 30),
    });
    for (const who of ['porteur', ...funders] as Caller[])
      await post(who, `/api/applications/${id}/signatures`, {});
  };

  const overduePlan = { ETAT: 1_000_000, EPCI: 500_000 };
  const overdueId = await submit({
    title: 'Accompagnement scolaire à Sous-le-Bois',
    theme: '1.1',
    qpv: ['QN05990X'],
    years: 1,
    perYear: overduePlan,
    beneficiaries: 120,
  });
  await approve(overdueId, 1, overduePlan);
  // Year 1 ended two years ago: its report was due eighteen months ago.
  await inForce(overdueId, addYears(today, -3), Object.keys(overduePlan));

  const upcomingPlan = { ETAT: 800_000, REGION: 400_000 };
  const upcomingId = await submit({
    title: 'Chantiers d’insertion à Provinces Françaises',
    theme: '2.1',
    qpv: ['QN05994X', 'QN05991X'],
    years: 1,
    perYear: upcomingPlan,
    beneficiaries: 40,
  });
  await approve(upcomingId, 1, upcomingPlan);
  // The report is due 18 months after the start, less a day: about three weeks from now.
  await inForce(upcomingId, addMonths(addDays(today, 21), -18), Object.keys(upcomingPlan));

  const approvedPlan = { EPCI: 600_000 };
  const approvedId = await submit({
    title: 'Jardins partagés au Centre',
    theme: '3.1',
    qpv: ['QN05996X'],
    years: 2,
    perYear: approvedPlan,
    beneficiaries: 60,
  });
  await approve(approvedId, 2, approvedPlan);

  const underReviewId = await submit({
    title: 'Foot en salle pour les jeunes',
    theme: '1.5a',
    qpv: ['QN05990X', 'QN05992X'],
    years: 1,
    perYear: { REGION: 300_000 },
    beneficiaries: 30,
  });
  return { campaignId, today, overdueId, upcomingId, approvedId, underReviewId };
}

/** Polls until `check` answers something (the read models follow the log asynchronously). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`toujours pas au bout de ${timeoutMs} ms : ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
