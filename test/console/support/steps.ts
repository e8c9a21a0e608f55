// The API side of the console's browser tests: bring a campaign or an application to the step a
// test needs quickly (each command through the public HTTP API, with the token of the role the
// API asks for), then read the same state the page shows through the query API.
import type { ComplementsExchange } from '../../../domain/application';
import { addYears, type CivilDate } from '../../../domain/calendar';
import { fromEpochMs, parisDateOf, parisInstant } from '../../../domain/calendar';
import type { RunningEngine } from '../../services/support/engine';
import { createCampaignCommand, dossier } from '../../support/fixtures';

/**
 * The porteur of the demo sign-in (services/console/static/app.js): the first association of the
 * demo seed (services/demo/demoCampaign.ts).
 */
export const demoPorteurId = 'asso-sambre-avenir';

export const todayInParis = (): CivilDate => parisDateOf(fromEpochMs(Date.now()));

export interface Amounts {
  requestedCents: number;
  awardedCents: number;
  paidCents: number;
  recoveredCents: number;
}
export interface InstallmentView {
  id: string;
  funder: string;
  year: number;
  scheduledCents: number;
  orderedCents: number;
  status: 'scheduled' | 'ordered' | 'cancelled';
  trigger: { kind: 'signature' } | { kind: 'report_accepted'; reportYear: number };
}
export interface ReportView {
  year: number;
  status: 'not_due' | 'expected' | 'submitted' | 'changes_requested' | 'accepted';
  dueDate?: string;
  overdue?: boolean;
  comments?: string[];
  report?: {
    spentByFunder: { funder: string; amountCents: number }[];
    beneficiariesReached: number;
    narrative: string;
    documentRefs: string[];
  };
}
/** The application's state in the read models (the parts the tests read; which depends on status). */
export interface ApplicationStateView {
  status: string;
  applicationId: string;
  complementsRequests: number;
  complements: ComplementsExchange[];
  request?: { items: string[]; dueDate: string };
  reasons?: string[];
  rejection?: { decisionReference: string; decisionDate: string; reasons: string[] };
  reason?: string | null;
  comment?: string | null;
  terminationReason?: string;
  reports?: ReportView[];
  installments?: InstallmentView[];
  recoveries?: { funder: string; year: number; amountCents: number; reason: string }[];
}
/** What GET /api/applications/:id answers (the parts the tests read). */
export interface ApplicationDetail {
  id: string;
  revision: number;
  status: string;
  statusLabel: string;
  amounts: Amounts;
  allowed: { type: string; roles: string[]; reason?: string }[];
  /** The caller's other steps, each with the refusal it would get now (none for an evaluator). */
  notNow?: { type: string; label: string; code: string; message: string }[];
  state: ApplicationStateView;
}
/** What GET /api/campaigns/:id answers: the campaign's workflow's own view. */
export interface CampaignView {
  revision: string | null;
  state: {
    status: string;
    year: number;
    closedAt?: string;
    funders: { funder: string; envelopeCents: number }[];
    territory: { qpvCodes: string[] };
  };
  allowed: { type: string; roles: string[] }[];
  /** Why the caller's other campaign steps are not possible now. */
  notNow?: { type: string; label: string; code: string; message: string }[];
}

type Who = 'manager' | 'porteur' | 'council' | `funder:${string}`;

/** Tokens by role, minted once per engine. */
const tokens = new WeakMap<RunningEngine, Map<Who, Promise<string>>>();
export function tokenOf(engine: RunningEngine, who: Who): Promise<string> {
  let byWho = tokens.get(engine);
  if (byWho === undefined) {
    byWho = new Map<Who, Promise<string>>();
    tokens.set(engine, byWho);
  }
  let token = byWho.get(who);
  if (token === undefined) {
    token =
      who === 'manager'
        ? engine.token({ role: 'grant_manager' })
        : who === 'porteur'
          ? engine.token({ role: 'porteur', porteurId: demoPorteurId })
          : who === 'council'
            ? engine.token({ role: 'citizen_council' })
            : engine.token({ role: 'funder', institution: who.slice('funder:'.length) });
    byWho.set(who, token);
  }
  return token;
}

/** POST a command as `who`; fails the test with the problem document unless 2xx. */
export async function command(
  engine: RunningEngine,
  who: Who,
  path: string,
  body: unknown = {},
): Promise<unknown> {
  const answer = await engine.call('POST', path, { token: await tokenOf(engine, who), body });
  if (answer.status >= 300)
    throw new Error(`POST ${path} as ${who}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A campaign created through the API and opened today (by default next year's AMI). */
export async function createOpenCampaign(
  engine: RunningEngine,
  campaignId: string,
  envelopes?: Record<string, number>,
  year?: number,
): Promise<void> {
  const { type: _type, ...campaign } = createCampaignCommand(Date.now(), {
    campaignId,
    opensInDays: 0,
    ...(envelopes ? { envelopes } : {}),
    ...(year === undefined ? {} : { year }),
  });
  await command(engine, 'manager', '/api/campaigns', {
    ...campaign,
    submissionWindow: { ...campaign.submissionWindow, opensAt: parisInstant(todayInParis()) },
  });
  // The opening time is today's midnight: the campaign's workflow may open it on its own first.
  for (let i = 0; i < 50; i += 1) {
    const open = await engine.call('POST', `/api/campaigns/${campaignId}/open`, {
      token: await tokenOf(engine, 'manager'),
      body: {},
    });
    if (open.status === 200 || (open.body as { code?: string }).code === 'CAMPAIGN_ALREADY_OPEN') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the campaign ${campaignId} never opened`);
}

const campaignsOfYear = new WeakMap<RunningEngine, Map<string, Promise<string>>>();

/**
 * `<base>-<year>`: an AMI of the year a convention starts in, opened today, made once per engine. A
 * convention starts within a year of its campaign's year, so one dated back (to find its reports
 * due or overdue at once) belongs to an earlier AMI.
 */
export function campaignOfYear(engine: RunningEngine, base: string, startDate: CivilDate): Promise<string> {
  const year = Number(startDate.slice(0, 4));
  const id = `${base}-${year}`;
  const made = campaignsOfYear.get(engine) ?? new Map<string, Promise<string>>();
  campaignsOfYear.set(engine, made);
  let campaign = made.get(id);
  if (campaign === undefined) {
    campaign = createOpenCampaign(engine, id, undefined, year).then(() => id);
    made.set(id, campaign);
  }
  return campaign;
}

export interface Plan {
  title: string;
  durationYears?: number;
  /** Requested (and committed, and awarded) per funder per year, in cents. */
  perYear?: Record<string, number>;
}
const defaultPerYear = { ETAT: 1_000_000, EPCI: 500_000 };

/** The demo porteur's application, submitted through the API: its id. */
export async function submitApplication(
  engine: RunningEngine,
  campaignId: string,
  plan: Plan,
): Promise<string> {
  const view = (await command(engine, 'porteur', '/api/applications', {
    campaignId,
    dossier: dossier({
      title: plan.title,
      durationYears: plan.durationYears ?? 1,
      perYear: plan.perYear ?? defaultPerYear,
    }),
  })) as { state: { applicationId: string } };
  return view.state.applicationId;
}

export const declareEligible = (engine: RunningEngine, id: string) =>
  command(engine, 'manager', `/api/applications/${id}/eligibility`, {
    decision: 'eligible',
    coDecisionDueDate: addYears(todayInParis(), 1),
  });

/** Every solicited funder commits what was asked, the conseil citoyen is favourable. */
export async function giveAllPositions(engine: RunningEngine, id: string, plan: Plan): Promise<void> {
  const years = plan.durationYears ?? 1;
  for (const [funder, amountCents] of Object.entries(plan.perYear ?? defaultPerYear))
    await command(engine, `funder:${funder}`, `/api/applications/${id}/positions`, {
      position: {
        decision: 'committed',
        amountsByYear: Array.from({ length: years }, (_, i) => ({ year: i + 1, amountCents })),
      },
    });
  await command(engine, 'council', `/api/applications/${id}/citizen-opinion`, {
    opinion: 'favourable',
    comment: 'Action attendue par les habitants.',
  });
}

/** Submitted, eligible, every position and the opinion given: waits for the committee. */
export async function bringToCommittee(
  engine: RunningEngine,
  campaignId: string,
  plan: Plan,
): Promise<string> {
  const id = await submitApplication(engine, campaignId, plan);
  await declareEligible(engine, id);
  await giveAllPositions(engine, id, plan);
  return id;
}

/**
 * Approved as asked, convention drafted to start on `startDate` and signed by all: in force.
 * A start in the past makes the convention years already over: the workflow's report timers are
 * due at once, so the yearly reports are expected (or overdue) without waiting for a real year.
 */
export async function bringToInForce(
  engine: RunningEngine,
  campaignId: string,
  plan: Plan,
  startDate: CivilDate,
): Promise<string> {
  const id = await bringToCommittee(engine, campaignId, plan);
  const years = plan.durationYears ?? 1;
  const perYear = plan.perYear ?? defaultPerYear;
  await command(engine, 'manager', `/api/applications/${id}/committee-decision`, {
    decision: 'approved',
    decisionReference: `COPIL-${id.slice(-6)}`,
    decisionDate: todayInParis(),
    plan: Object.entries(perYear).flatMap(([funder, amountCents]) =>
      Array.from({ length: years }, (_, i) => ({ funder, year: i + 1, amountCents })),
    ),
  });
  await command(engine, 'manager', `/api/applications/${id}/convention`, {
    startDate,
    signatureDueDate: addYears(todayInParis(), 1),
  });
  await command(engine, 'porteur', `/api/applications/${id}/signatures`);
  for (const funder of Object.keys(perYear))
    await command(engine, `funder:${funder}`, `/api/applications/${id}/signatures`);
  return id;
}

/** The porteur's yearly report spending all that was awarded that year. */
export const submitReport = (engine: RunningEngine, id: string, year: number, plan: Plan) =>
  command(engine, 'porteur', `/api/applications/${id}/reports`, {
    year,
    spentByFunder: Object.entries(plan.perYear ?? defaultPerYear).map(([funder, amountCents]) => ({
      funder,
      amountCents,
    })),
    beneficiariesReached: 90,
    narrative: 'Ateliers tenus comme prévu.',
  });

export const acceptReport = (engine: RunningEngine, id: string, year: number) =>
  command(engine, 'manager', `/api/applications/${id}/reports/${year}/review`, { decision: 'accepted' });

/** GET /api/applications/:id as the grant manager (the query API: the read models). */
export async function applicationDetail(engine: RunningEngine, id: string): Promise<ApplicationDetail> {
  const answer = await engine.call('GET', `/api/applications/${id}`, {
    token: await tokenOf(engine, 'manager'),
  });
  if (answer.status !== 200) throw new Error(`GET ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as ApplicationDetail;
}

/** Polls the query API until the read models show what `ready` checks (they follow within moments). */
export async function waitForApplication(
  engine: RunningEngine,
  id: string,
  what: string,
  ready: (detail: ApplicationDetail) => boolean,
  timeoutMs = 20_000,
): Promise<ApplicationDetail> {
  const until = Date.now() + timeoutMs;
  let last: ApplicationDetail | undefined;
  while (Date.now() < until) {
    const answer = await engine.call('GET', `/api/applications/${id}`, {
      token: await tokenOf(engine, 'manager'),
    });
    if (answer.status === 200) {
      last = answer.body as ApplicationDetail;
      if (ready(last)) return last;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${id}: ${what} never showed in the query API; last: ${JSON.stringify(last?.state)}`);
}

/** GET /api/campaigns/:id as the grant manager (the campaign's own view: state and allowed actions). */
export async function campaignView(engine: RunningEngine, campaignId: string): Promise<CampaignView> {
  const answer = await engine.call('GET', `/api/campaigns/${campaignId}`, {
    token: await tokenOf(engine, 'manager'),
  });
  if (answer.status !== 200) throw new Error(`GET campaign ${campaignId}: ${answer.status}`);
  return answer.body as CampaignView;
}
