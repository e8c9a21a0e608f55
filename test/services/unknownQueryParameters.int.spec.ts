// The GET routes that take no query parameter refuse any (400 problem naming each, docs/http.md
// « refused rather than guessed »): `GET /api/campaigns?status=open` answered every campaign and
// `/summary?year=2026` every year, read by the caller as filtered. Over real HTTP and real SQLite
// read models, without Temporal (the campaign's own view comes from a stub).
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignState } from '../../domain/campaign';
import { qpvSampleCamvs } from '../../domain/reference/qpv';
import { openReadModelDatabase } from '../../infra/projections/database';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { referenceRouter } from '../../services/queries/referenceRoutes';
import { queryRouter } from '../../services/queries/routes';
import type { AggregateView } from '../../workflows/client';
import { tempDir } from '../projections/support';
import { historyLog, openReadModels, type ReadModels } from '../readModels/support/readModels';
import { playCampaign } from '../readModels/support/scenarios';
import { CAMPAIGN_ID, GrantsWorld } from '../readModels/support/world';
import { noWorkflowsClient } from '../support/noWorkflows';

const secret = 'secret-de-test-secret-de-test-0123456789';

interface Problem {
  status: number;
  code?: string;
  detail?: string;
  errors?: { in: string; path: string; code: string; message: string }[];
}

let temp: ReturnType<typeof tempDir>;
let world: GrantsWorld;
let projector: ReadModels;
let db: Database;
let server: RunningHttpServer;
let manager: string;
let applicationId: string;

/** What the campaign's workflow would answer: a live campaign, or one whose creation was refused. */
const campaignViews: Record<string, AggregateView<CampaignState>> = {
  [CAMPAIGN_ID]: {
    state: { status: 'open', campaignId: CAMPAIGN_ID, funders: [] } as unknown as CampaignState,
    revision: '2',
    allowed: [],
  },
  'jamais-creee': { state: { status: 'not_created' }, revision: null, allowed: [] },
};

beforeAll(async () => {
  temp = tempDir();
  world = new GrantsWorld().openCampaign();
  playCampaign(world, 3, { porteurs: 1 });
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
        ...noWorkflowsClient('unknownQueryParameters.int.spec.ts'),
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
  manager = await mintDevelopmentToken({ secret, role: 'grant_manager' });
});
afterAll(async () => {
  await server?.close();
  db?.close();
  projector?.close();
  temp?.cleanup();
});

async function get(path: string): Promise<{ status: number; type: string | null; body: unknown }> {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${manager}` } });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

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
