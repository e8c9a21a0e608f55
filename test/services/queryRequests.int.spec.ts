// What the query API (services/queries/routes.ts) says about the requests it refuses, over real
// SQLite and real HTTP: each mistake named in French as a person would say it (the accepted
// statuses, a parameter given twice, an empty or over-long value, a number not written in decimal
// digits), a campaign filter naming no campaign answered 404 as the campaign's summary is, a
// funder asking for another institution's reports refused as for its applications; and a route that
// takes no query parameter refusing any (`GET /api/campaigns?status=open` answered every campaign,
// read by the caller as filtered). The campaign's own view, which the workflow answers, is a stub.
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDecider, evolveCampaign, type CampaignState } from '../../domain/campaign';
import { qpvSampleCamvs } from '../../domain/reference/qpv';
import { openReadModelDatabase } from '../../infra/projections/database';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken, type Role } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { referenceRouter } from '../../services/queries/referenceRoutes';
import { queryRouter } from '../../services/queries/routes';
import type { AggregateView } from '../../workflows/client';
import { tempDir } from '../projections/support';
import { noWorkflowsClient } from '../support/noWorkflows';
import { historyLog, openReadModels, type ReadModels } from '../readModels/support/readModels';
import { playCampaign } from '../readModels/support/scenarios';
import { CAMPAIGN_ID, GrantsWorld } from '../readModels/support/world';
import { fundingSummary } from '../../domain';
import { opened } from '../domain/support/campaignHistory';

const secret = 'secret-de-test-secret-de-test-0123456789';

interface FieldError {
  in: string;
  path: string;
  code: string;
  message: string;
}
interface Problem {
  status: number;
  code?: string;
  detail?: string;
  errors?: FieldError[];
}

let temp: ReturnType<typeof tempDir>;
let world: GrantsWorld;
let projector: ReadModels;
let db: Database;
let server: RunningHttpServer;
const bearer: Partial<Record<string, string>> = {};
let applicationId: string;

/** What the campaign's workflow would answer: a live campaign, or one whose creation was refused. */
const campaignViews: Record<string, AggregateView<CampaignState>> = {
  [CAMPAIGN_ID]: {
    // A whole state, as the workflow holds it: the view's notNow says where the campaign stands.
    state: {
      ...opened().reduce(evolveCampaign, campaignDecider.initialState),
      campaignId: CAMPAIGN_ID,
    } as CampaignState,
    revision: '2',
    allowed: [],
  },
  'jamais-creee': { state: { status: 'not_created' }, revision: null, allowed: [] },
};

beforeAll(async () => {
  temp = tempDir();
  world = new GrantsWorld().openCampaign();
  playCampaign(world, 12, { porteurs: 3 });
  applicationId = world.stories[0]?.applicationId ?? '';
  projector = openReadModels(join(temp.dir, 'read-models.sqlite'));
  await projector.project(world.events);
  db = openReadModelDatabase(join(temp.dir, 'read-models.sqlite'));
  const platform = createHttpPlatform({
    logger: pino({ level: 'silent' }),
    auth: { mode: 'embedded', secret },
  });
  const guards = {
    authenticate: platform.authenticate,
    requireRole: (...roles: Parameters<typeof platform.requireRole>) => platform.requireRole(...roles),
  };
  platform.mount(
    queryRouter({
      db,
      log: historyLog(world.events),
      grants: {
        ...noWorkflowsClient('queryRequests.int.spec.ts'),
        campaignView: (id) => {
          const view = campaignViews[id];
          return view === undefined
            ? Promise.reject(new Error(`vue inattendue : ${id}`))
            : Promise.resolve(view);
        },
      },
      ...guards,
    }),
  );
  platform.mount(referenceRouter(guards));
  server = await listen(platform.finish(), '127.0.0.1', 0);
  const mint = (role: Role, institution?: string) =>
    mintDevelopmentToken({ secret, role, ...(institution === undefined ? {} : { institution }) });
  bearer.manager = await mint('grant_manager');
  bearer.region = await mint('funder', 'REGION');
});
afterAll(async () => {
  await server.close();
  db.close();
  projector.close();
  temp.cleanup();
});

async function get(
  path: string,
  who = 'manager',
): Promise<{ status: number; type: string | null; body: unknown }> {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${bearer[who] ?? ''}` },
  });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

/** The 400's messages by field: `{ 'query.limit': '…' }`. */
async function refusal(path: string): Promise<Record<string, string>> {
  const { status, body } = await get(path);
  expect(status, `${path} : ${JSON.stringify(body)}`).toBe(400);
  const problem = body as Problem;
  expect(problem.code).toBe('VALIDATION_FAILED');
  return Object.fromEntries((problem.errors ?? []).map((e) => [`${e.in}.${e.path}`, e.message]));
}

describe('a refused query string, said in French', () => {
  it('lists the accepted statuses, with their labels, for an unknown one — alone or among several', async () => {
    const alone = await refusal('/api/applications?status=foo');
    expect(alone['query.status']).toMatch(
      /^Statut inconnu : « foo »\. Statuts possibles : not_submitted \(non déposée\), /,
    );
    expect(alone['query.status']).toContain('co_decision (en co-décision des financeurs)');
    expect(alone['query.status']).toContain('terminated (résiliée).');
    expect((await refusal('/api/applications?status='))['query.status']).toMatch(
      /^Champ vide\. Statuts possibles : not_submitted/,
    );
    const among = await refusal('/api/applications?status=approved&status=perdu');
    expect(Object.values(among).join(' ')).toMatch(/Statut inconnu : « perdu »\. Statuts possibles : /);
  });

  it('refuses a filter value that cannot name anything (a quartier, a funder, who it waits on, a page) rather than answer an empty page', async () => {
    expect(await refusal('/api/applications?qpv=foo')).toEqual({
      'query.qpv': 'Code QPV attendu au format QNDDDNNL (ex. QN05901M)',
    });
    expect(Object.keys(await refusal('/api/applications?funder=foo'))).toEqual(['query.funder']);
    expect(Object.keys(await refusal('/api/reports/overdue?funder=foo'))).toEqual(['query.funder']);
    const waiting = await refusal('/api/applications?waitingOn=foo');
    expect(waiting['query.waitingOn']).toMatch(/porteur, grant_manager, funder, citizen_council/);
    for (const cursor of ['0', '-5', '1e3']) {
      const { status, body } = await get(`/api/applications?cursor=${cursor}`);
      expect(status, cursor).toBe(400);
      expect((body as Problem).code, cursor).toBe('INVALID_CURSOR');
    }
    expect((await get('/api/applications?waitingOn=EPCI')).status).toBe(200);
    expect((await get('/api/applications?waitingOn=citizen_council&qpv=QN05990X')).status).toBe(200);
  });

  it('says plainly that a single-valued parameter must be given once', async () => {
    for (const path of [
      '/api/applications?qpv=a&qpv=b',
      '/api/applications?sort=submitted&sort=deadline',
      '/api/applications?limit=5&limit=6',
      '/api/stats/qpv?year=2027&year=2028',
    ]) {
      const messages = Object.values(await refusal(path));
      expect(messages, path).toEqual(['Paramètre donné plusieurs fois : à ne donner qu’une fois.']);
    }
  });

  it('calls an empty value empty and an over-long one by its limit', async () => {
    expect(await refusal('/api/applications?campaignId=')).toEqual({ 'query.campaignId': 'Champ vide.' });
    expect(await refusal(`/api/applications?cursor=${'x'.repeat(201)}`)).toEqual({
      'query.cursor': '200 caractères au plus.',
    });
  });

  it('takes integers in decimal digits only: no hexadecimal, exponent or blank read as a number', async () => {
    for (const [path, field, value] of [
      ['/api/applications?limit=0x10', 'query.limit', '0x10'],
      ['/api/applications?limit=1e2', 'query.limit', '1e2'],
      ['/api/applications?limit=12.0', 'query.limit', '12.0'],
      ['/api/reports/upcoming?withinDays=+5', 'query.withinDays', ' 5'],
    ] as const) {
      expect(await refusal(path), path).toEqual({
        [field]: `Nombre entier attendu, en chiffres décimaux : « ${value} » n’en est pas un.`,
      });
    }
    for (const year of ['%20', '']) {
      expect(await refusal(`/api/stats/qpv?year=${year}`), year).toEqual({
        'query.year': 'Champ vide : nombre entier attendu.',
      });
    }
    expect(await refusal('/api/applications?limit=0')).toEqual({ 'query.limit': 'Doit être au moins 1.' });
    expect(await refusal('/api/applications?limit=-3')).toEqual({ 'query.limit': 'Doit être au moins 1.' });
    expect(await refusal('/api/applications?limit=99999999999999999999')).toEqual({
      'query.limit': 'Doit être au plus 500.',
    });
    const page = await get(`/api/applications?campaignId=${CAMPAIGN_ID}&limit=007`);
    expect(page.status).toBe(200);
    expect((page.body as { items: unknown[] }).items).toHaveLength(7);
    expect((await get('/api/stats/qpv?year=2027')).status).toBe(200);
  });
});

describe('statistics, lists and reports of a campaign that does not exist', () => {
  it.each([
    '/api/stats/qpv',
    '/api/stats/funders',
    '/api/stats/themes',
    '/api/stats/ledger',
    '/api/applications',
    '/api/reports/overdue',
    '/api/reports/upcoming',
  ])('%s answers 404, as the campaign’s summary does', async (route) => {
    const missing = await get(`${route}?campaignId=nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      code: 'CAMPAIGN_NOT_FOUND',
      detail: 'La campagne « nope » est introuvable.',
    });
    expect((await get('/api/campaigns/nope/summary')).status).toBe(404);

    const known = await get(`${route}?campaignId=${CAMPAIGN_ID}`);
    expect(known.status).toBe(200);
    if (route.startsWith('/api/stats') || route === '/api/applications')
      expect((known.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
    if (route.startsWith('/api/stats')) {
      // A campaign that exists with nothing in the year asked is still an empty 200.
      const emptyYear = await get(`${route}?campaignId=${CAMPAIGN_ID}&year=2099`);
      expect(emptyYear.status).toBe(200);
    }
  });
});

describe('the ledger per funder and year', () => {
  interface Total {
    funder: string;
    year: number;
    committedCents: number;
    paidCents: number;
  }
  const items = async (path: string): Promise<Total[]> => {
    const { status, body } = await get(path);
    expect(status, path).toBe(200);
    return (body as { items: Total[] }).items;
  };
  const sum = (totals: Total[], field: 'committedCents' | 'paidCents') =>
    totals.reduce((n, t) => n + t[field], 0);

  it('answers the money of the applications, by the calendar year it moved in or by convention year, for a funder or a year', async () => {
    const rows = world.stories.flatMap((s) => fundingSummary(s.state));
    const paid = rows.reduce((n, r) => n + r.paidCents, 0);
    expect(paid).toBeGreaterThan(0);

    const byConvention = await items(`/api/stats/ledger?campaignId=${CAMPAIGN_ID}&yearOf=convention`);
    expect(byConvention.map((t) => t.year).every((y) => y >= 1 && y <= 4)).toBe(true);
    expect(sum(byConvention, 'paidCents')).toBe(paid);
    expect(sum(byConvention, 'committedCents')).toBe(rows.reduce((n, r) => n + r.committedCents, 0));
    const byCalendarYear = await items('/api/stats/ledger');
    expect(byCalendarYear.map((t) => t.year).every((y) => y >= 2027)).toBe(true);
    expect(sum(byCalendarYear, 'paidCents')).toBe(paid);

    const caf = await items('/api/stats/ledger?funder=CAF');
    expect(caf.length).toBeGreaterThan(0);
    expect(caf).toEqual(byCalendarYear.filter((t) => t.funder === 'CAF'));
    expect(await items('/api/stats/ledger?year=2027')).toEqual(byCalendarYear.filter((t) => t.year === 2027));
    expect(await items('/api/stats/ledger?yearOf=convention&year=2')).toEqual(
      byConvention.filter((t) => t.year === 2),
    );
  });

  it('names what it cannot read', async () => {
    expect(await refusal('/api/stats/ledger?yearOf=exercice')).toEqual({
      'query.yearOf':
        'Valeur attendue : calendar (l’année civile où l’argent a bougé, par défaut) ou convention (année de convention, 1 à 4).',
    });
    expect(Object.keys(await refusal('/api/stats/ledger?funder=foo'))).toEqual(['query.funder']);
    expect(Object.keys(await refusal('/api/stats/ledger?kind=payment'))).toEqual(['query.kind']);
  });

  it('refuses a year its yearOf cannot match, saying which years that yearOf takes, rather than answer an empty list', async () => {
    const convention =
      'Avec yearOf=convention, année de convention attendue, de 1 à 4 : 2026 n’en est pas une.';
    expect(await refusal('/api/stats/ledger?year=2026&yearOf=convention')).toEqual({
      'query.year': convention,
    });
    expect(await refusal('/api/stats/ledger?yearOf=convention&year=5')).toEqual({
      'query.year': 'Avec yearOf=convention, année de convention attendue, de 1 à 4 : 5 n’en est pas une.',
    });
    // Calendar years are those the other statistics take (2000 to 2100), by default as with yearOf=calendar.
    for (const [path, year] of [
      ['/api/stats/ledger?year=1', 1],
      ['/api/stats/ledger?year=1&yearOf=calendar', 1],
      ['/api/stats/ledger?year=1999', 1999],
      ['/api/stats/ledger?year=2101', 2101],
      ['/api/stats/ledger?year=0', 0],
    ] as const) {
      expect(await refusal(path), path).toEqual({
        'query.year': `Année civile attendue, de 2000 à 2100 : ${year} n’en est pas une (pour une année de convention, 1 à 4, ajoutez yearOf=convention).`,
      });
    }
    for (const path of ['/api/stats/ledger?year=1999', '/api/stats/qpv?year=1999']) {
      expect(Object.keys(await refusal(path)), path).toEqual(['query.year']);
    }
    expect(await refusal('/api/stats/ledger?year=2026&yearOf=convention&funder=foo')).toMatchObject({
      'query.year': convention,
    });
    // A year that is no integer is said so, once.
    expect(await refusal('/api/stats/ledger?year=deux&yearOf=convention')).toEqual({
      'query.year': 'Nombre entier attendu, en chiffres décimaux : « deux » n’en est pas un.',
    });
    expect((await get('/api/stats/ledger?year=2000')).status).toBe(200);
    expect((await get('/api/stats/ledger?year=2100&yearOf=calendar')).status).toBe(200);
    expect((await get('/api/stats/ledger?year=4&yearOf=convention')).status).toBe(200);
  });
});

describe('a funder filtering on another institution', () => {
  it.each(['/api/applications', '/api/reports/overdue', '/api/reports/upcoming'])(
    '%s?funder=ETAT with a REGION token is refused (403 WRONG_INSTITUTION), its own name accepted',
    async (route) => {
      const refused = await get(`${route}?funder=ETAT`, 'region');
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        code: 'WRONG_INSTITUTION',
        detail: 'Vous ne voyez que les candidatures qui sollicitent votre institution.',
      });
      expect((await get(`${route}?funder=REGION`, 'region')).status).toBe(200);
      expect((await get(`${route}?funder=ETAT`)).status).toBe(200);
    },
  );
});

const routes = () => [
  '/api/campaigns',
  `/api/campaigns/${CAMPAIGN_ID}`,
  `/api/campaigns/${CAMPAIGN_ID}/summary`,
  `/api/applications/${applicationId}`,
  `/api/reference/qpv/${qpvSampleCamvs.version}`,
];

describe('a GET route without query parameters', () => {
  it('answers without a query string (and with an empty one)', async () => {
    for (const path of routes()) {
      expect((await get(path)).status, path).toBe(200);
      expect((await get(`${path}?`)).status, `${path}?`).toBe(200);
    }
  });

  it('refuses any parameter with a 400 problem naming it, rather than answering unfiltered', async () => {
    for (const [path, parameter] of [
      ['/api/campaigns?status=open', 'status'],
      [`/api/campaigns/${CAMPAIGN_ID}/summary?year=2026`, 'year'],
      [`/api/applications/${applicationId}?x=1`, 'x'],
      [`/api/campaigns/${CAMPAIGN_ID}?x=1`, 'x'],
      [`/api/reference/qpv/${qpvSampleCamvs.version}?x=1`, 'x'],
    ] as const) {
      const res = await get(path);
      expect(res.status, `${path} : ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.type, path).toMatch(/^application\/problem\+json/);
      const problem = res.body as Problem;
      expect(problem.code, path).toBe('VALIDATION_FAILED');
      expect(problem.errors, path).toEqual([
        expect.objectContaining({ in: 'query', path: parameter, code: 'unrecognized_keys' }),
      ]);
      expect(problem.detail, path).toContain(parameter);
    }
  });

  it('names every parameter given', async () => {
    const res = await get('/api/campaigns?status=open&year=2026');
    expect(res.status).toBe(400);
    expect((res.body as Problem).errors?.map((e) => `${e.in}.${e.path}`).sort()).toEqual([
      'query.status',
      'query.year',
    ]);
  });
});

describe('GET /api/campaigns/:id on a campaign whose creation was refused', () => {
  it('is a 404 CAMPAIGN_NOT_FOUND, as an id never used — even from a view in its initial state', async () => {
    const res = await get('/api/campaigns/jamais-creee');
    expect(res.status, JSON.stringify(res.body)).toBe(404);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: 'CAMPAIGN_NOT_FOUND',
      detail: 'La campagne « jamais-creee » est introuvable.',
    });
  });
});
