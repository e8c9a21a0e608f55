// The world of the dashboards' browser tests: the console world of support/console.ts (Debian's
// Chromium, the real engine behind a console server with the platform's strict CSP) with the API read
// back as the evaluator or the auditor, and a campaign seeded through the public HTTP API with
// applications at the steps the evaluator's and the auditor's pages show: a convention whose yearly
// report is overdue, one whose report is due within the month, a multi-year action approved, a
// dossier under review.
import {
  addDays,
  addMonths,
  fromEpochMs,
  parisDateOf,
  parisInstant,
  type CivilDate,
} from '../../../domain/calendar';
import { createCampaignCommand, dossier } from '../../support/fixtures';
import type { RunningEngine } from '../../services/support/engine';
import { artifacts, chromiumPath, startConsoleWorld, type ConsoleWorld } from './console';
import { demoPorteurId } from './steps';

export { artifacts, chromiumPath };

/** The console world (support/console.ts) with the API read back as the evaluator or the auditor. */
export interface DashboardWorld extends ConsoleWorld {
  /** CSP violations and uncaught page errors seen by any page (the console world's list). */
  problems: string[];
  /** GET on the API with the token of `role`; the JSON body, or throws with the answer. */
  get<T>(role: 'evaluator' | 'auditor', path: string): Promise<T>;
}

export async function startDashboardWorld(): Promise<DashboardWorld> {
  const world = await startConsoleWorld();
  const tokens = {
    evaluator: await world.engine.token({ role: 'evaluator' }),
    auditor: await world.engine.token({ role: 'auditor' }),
  };
  return {
    ...world,
    problems: world.cspViolations,
    async get<T>(role: 'evaluator' | 'auditor', path: string): Promise<T> {
      const res = await world.engine.call('GET', path, { token: tokens[role] });
      if (res.status !== 200) throw new Error(`GET ${path} : ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as T;
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
    porteur: await engine.token({ role: 'porteur', porteurId: demoPorteurId }),
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

  // Its conventions started in the past (a report overdue, one due soon): an AMI of their year, since a
  // convention starts within a year of its campaign's year.
  const overdueStart = addMonths(today, -20);
  const { type: _type, ...campaign } = createCampaignCommand(Date.now(), {
    campaignId,
    opensInDays: 0,
    year: Number(overdueStart.slice(0, 4)),
  });
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
  // Year 1 ended eight months ago: its report was due two months ago.
  await inForce(overdueId, overdueStart, Object.keys(overduePlan));

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
