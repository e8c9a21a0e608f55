// The query API's answer cache (services/queries/answerCache.ts) over real SQLite and real HTTP:
// answers follow the projector's commits, whether it writes through another connection (another
// process) or through the API's own (the in-process projector), never cross from one porteur or
// funder to another, and carry a strong ETag honoured by If-None-Match; a caller that accepts gzip
// gets them compressed (made once per kept answer).
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReadModelDatabase } from '../../infra/projections/database';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken, type Role } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import {
  COMPRESS_FROM_BYTES,
  createReadModelAnswers,
  readModelVersion,
  type ReadModelAnswers,
} from '../../services/queries/answerCache';
import { queryRouter } from '../../services/queries/routes';
import { getApplication, listApplications, type ApplicationListItem } from '../../services/readModels';
import { tempDir } from '../projections/support';
import { noWorkflowsClient } from '../support/noWorkflows';
import { rawGet as rawGetUrl } from '../support/rawHttp';
import { historyLog, openReadModels, type ReadModels } from '../readModels/support/readModels';
import type { StreamReader } from '../../infra/projections/projection';
import { playCampaign } from '../readModels/support/scenarios';
import { CAMPAIGN_ID, GrantsWorld } from '../readModels/support/world';

const secret = 'secret-de-test-secret-de-test-0123456789';
const grants = noWorkflowsClient('queryAnswers.int.spec.ts');

interface Api {
  url: string;
  answers: ReadModelAnswers;
  close(): Promise<void>;
}

async function startApi(db: Database): Promise<Api> {
  const platform = createHttpPlatform({
    logger: pino({ level: 'silent' }),
    auth: { mode: 'embedded', secret },
  });
  const answers = createReadModelAnswers(db, {});
  platform.mount(
    queryRouter({
      db,
      log: worldLog,
      grants,
      authenticate: platform.authenticate,
      requireRole: (...roles) => platform.requireRole(...roles),
      answers,
    }),
  );
  const server: RunningHttpServer = await listen(platform.finish(), '127.0.0.1', 0);
  return { url: server.url, answers, close: () => server.close() };
}

/** The log of the world of the test under way (its events, as a store would serve them). */
const worldLog: StreamReader = {
  readStream: (stream, options) => historyLog(world.events).readStream(stream, options),
};

const token = (role: Role, extra: { porteurId?: string; institution?: string } = {}) =>
  mintDevelopmentToken({ secret, role, ...extra });

async function get(api: Api, path: string, bearer: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}${path}`, {
    headers: { authorization: `Bearer ${bearer}`, ...headers },
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('etag'), text, response };
}

const listPath = `/api/applications?campaignId=${CAMPAIGN_ID}&limit=500`;

let temp: ReturnType<typeof tempDir>;
let world: GrantsWorld;
let projector: ReadModels;
let apiDb: Database | undefined;
let api: Api | undefined;

beforeEach(() => {
  temp = tempDir();
  world = new GrantsWorld().openCampaign();
  playCampaign(world, 12, { porteurs: 3 });
  projector = openReadModels(join(temp.dir, 'read-models.sqlite'));
});
afterEach(async () => {
  await api?.close();
  api = undefined;
  apiDb?.close();
  apiDb = undefined;
  projector.close();
  temp.cleanup();
});

/** The API on a connection of its own, as when the projector runs in another process. */
async function apiOnOwnConnection(): Promise<Api> {
  apiDb = openReadModelDatabase(join(temp.dir, 'read-models.sqlite'));
  api = await startApi(apiDb);
  return api;
}

const half = () => Math.floor(world.events.length / 2);

describe('answers kept until the read models change', () => {
  it('serves the kept answer, then the new one once another connection commits', async () => {
    await projector.project(world.events.slice(0, half()));
    const a = await apiOnOwnConnection();
    const manager = await token('grant_manager');

    const first = await get(a, listPath, manager);
    const again = await get(a, listPath, manager);
    expect(first.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.etag).toBe(first.etag);
    expect(a.answers.stats()).toMatchObject({ hits: 1, misses: 1 });

    await projector.project(world.events.slice(half()));
    const after = await get(a, listPath, manager);
    expect(after.text).not.toBe(first.text);
    expect(after.etag).not.toBe(first.etag);
    // Exactly what the query gives now, not a mix of old and new.
    expect(JSON.parse(after.text)).toEqual(
      listApplications(projector.db, { campaignId: CAMPAIGN_ID, limit: 500 }),
    );
    expect(a.answers.stats().misses).toBe(2);
  });

  it('follows commits made on its own connection (the in-process projector)', async () => {
    await projector.project(world.events.slice(0, half()));
    api = await startApi(projector.db);
    const manager = await token('grant_manager');
    const summaryPath = `/api/campaigns/${CAMPAIGN_ID}/summary`;
    const before = await get(api, summaryPath, manager);
    expect((await get(api, summaryPath, manager)).text).toBe(before.text);

    await projector.project(world.events.slice(half()));
    const after = await get(api, summaryPath, manager);
    expect(after.status).toBe(200);
    expect(after.text).not.toBe(before.text);
    expect(after.text).toBe((await get(api, summaryPath, manager)).text);
  });

  it('never gives one porteur or funder the answer computed for another', async () => {
    await projector.project(world.events);
    const a = await apiOnOwnConnection();
    const callers = await Promise.all([
      token('porteur', { porteurId: 'porteur-0' }),
      token('porteur', { porteurId: 'porteur-1' }),
      token('porteur', { porteurId: 'porteur-2' }),
    ]);
    // Twice each, interleaved: the second round comes from the cache.
    for (let round = 0; round < 2; round++) {
      const seen = new Set<string>();
      for (const [i, bearer] of callers.entries()) {
        const answer = await get(a, listPath, bearer);
        expect(answer.status).toBe(200);
        const items = (JSON.parse(answer.text) as { items: ApplicationListItem[] }).items;
        expect(items.length).toBeGreaterThan(0);
        expect(new Set(items.map((item) => item.porteurId))).toEqual(new Set([`porteur-${i}`]));
        seen.add(answer.text);
      }
      expect(seen.size).toBe(callers.length);
    }
    expect(a.answers.stats().hits).toBe(callers.length);

    for (const institution of ['ETAT', 'REGION']) {
      const bearer = await token('funder', { institution });
      for (let round = 0; round < 2; round++) {
        const items = (JSON.parse((await get(a, listPath, bearer)).text) as { items: ApplicationListItem[] })
          .items;
        expect(items.length).toBeGreaterThan(0);
        for (const item of items)
          expect(
            (await getApplication(projector.db, worldLog, item.id))?.funders.map((f) => f.funder),
          ).toContain(institution);
      }
    }
    // A role the route refuses is refused on every request, cached answers or not.
    const council = await token('citizen_council');
    expect((await get(a, `/api/campaigns/${CAMPAIGN_ID}/summary`, council)).status).toBe(403);
  });

  it('answers 304 to If-None-Match with the current ETag, 200 once the answer changed', async () => {
    await projector.project(world.events.slice(0, half()));
    const a = await apiOnOwnConnection();
    const manager = await token('grant_manager');
    const first = await get(a, listPath, manager);
    expect(first.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    for (const tag of [first.etag ?? '', `W/${first.etag ?? ''}`, `"autre", ${first.etag ?? ''}`, '*']) {
      const cached = await get(a, listPath, manager, { 'if-none-match': tag });
      expect(cached.status).toBe(304);
      expect(cached.text).toBe('');
      expect(cached.etag).toBe(first.etag);
    }
    expect((await get(a, listPath, manager, { 'if-none-match': '"autre"' })).status).toBe(200);

    await projector.project(world.events.slice(half()));
    const changed = await get(a, listPath, manager, { 'if-none-match': first.etag ?? '' });
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(first.etag);
  });

  it('keeps nothing when disabled, with the same answers, ETags and 304', async () => {
    await projector.project(world.events);
    const db = openReadModelDatabase(join(temp.dir, 'read-models.sqlite'));
    apiDb = db;
    const platform = createHttpPlatform({
      logger: pino({ level: 'silent' }),
      auth: { mode: 'embedded', secret },
    });
    const cold = createReadModelAnswers(db, false);
    platform.mount(
      queryRouter({
        db,
        log: worldLog,
        grants,
        authenticate: platform.authenticate,
        requireRole: (...roles) => platform.requireRole(...roles),
        answers: cold,
      }),
    );
    const server = await listen(platform.finish(), '127.0.0.1', 0);
    api = { url: server.url, answers: cold, close: () => server.close() };
    const warm = await startApi(db);
    try {
      const manager = await token('grant_manager');
      const a = await get(api, listPath, manager);
      const b = await get(warm, listPath, manager);
      expect(a.text).toBe(b.text);
      expect(a.etag).toBe(b.etag);
      expect((await get(api, listPath, manager, { 'if-none-match': a.etag ?? '' })).status).toBe(304);
      expect(cold.stats()).toMatchObject({ entries: 0, hits: 0 });
    } finally {
      await warm.close();
    }
  });
});

describe('the read models version the answers are filed under', () => {
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it("moves at once on its own connection's commits, from the next turn of the event loop on for another's", async () => {
    await projector.project(world.events.slice(0, half()));
    apiDb = openReadModelDatabase(join(temp.dir, 'read-models.sqlite'));
    const version = readModelVersion(apiDb);
    const start = version();

    // Another connection (a projector in another process): read once per turn, so seen next turn.
    await projector.project(world.events.slice(half()));
    expect(version()).toBe(start);
    await nextTurn();
    const afterOther = version();
    expect(afterOther).not.toBe(start);

    // Its own connection (the in-process projector): seen by the very next call, same turn.
    apiDb.exec('CREATE TEMP TABLE touched (x); INSERT INTO touched VALUES (1)');
    expect(version()).not.toBe(afterOther);
    await nextTurn();
    expect(version()).toBe(version());
  });
});

const rawGet = (api: Api, path: string, headers: Record<string, string>) =>
  rawGetUrl(`${api.url}${path}`, headers);

describe('compressed answers', () => {
  it('gzips an answer for a caller that accepts it: same JSON, its own ETag, made once and kept', async () => {
    await projector.project(world.events);
    const a = await apiOnOwnConnection();
    const authorization = `Bearer ${await token('grant_manager')}`;

    const plain = await rawGet(a, listPath, { authorization });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(COMPRESS_FROM_BYTES);
    expect(plain.headers.vary).toBe('Accept-Encoding');

    const gzipped = await rawGet(a, listPath, { authorization, 'accept-encoding': 'gzip, deflate, br' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('Accept-Encoding');
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.body.length);
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 3);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    // Another representation, another strong tag; each is honoured by If-None-Match for its own.
    expect(gzipped.headers.etag).toBe(`${String(plain.headers.etag).slice(0, -1)}-gzip"`);
    const revalidated = await rawGet(a, listPath, {
      authorization,
      'accept-encoding': 'gzip',
      'if-none-match': String(gzipped.headers.etag),
    });
    expect(revalidated.status).toBe(304);
    const mismatched = await rawGet(a, listPath, {
      authorization,
      'if-none-match': String(gzipped.headers.etag),
    });
    expect(mismatched.status).toBe(200);

    // The gzip bytes are kept with the answer: the next gzip request is a hit with the same bytes.
    const statsBefore = a.answers.stats();
    const again = await rawGet(a, listPath, { authorization, 'accept-encoding': 'gzip' });
    expect(again.body.equals(gzipped.body)).toBe(true);
    expect(a.answers.stats()).toMatchObject({ hits: statsBefore.hits + 1, misses: statsBefore.misses });
    expect(statsBefore.bytes).toBeGreaterThan(plain.body.length + gzipped.body.length);

    // A fresh API (a restart) revalidates the gzip tag without compressing anything.
    const restarted = await startApi(apiDb!);
    try {
      const fresh = await rawGet(restarted, listPath, {
        authorization,
        'accept-encoding': 'gzip',
        'if-none-match': String(gzipped.headers.etag),
      });
      expect(fresh.status).toBe(304);
      expect(restarted.answers.stats().bytes).toBeLessThan(plain.body.length + gzipped.body.length);
    } finally {
      await restarted.close();
    }
  });

  it('sends plain bytes when gzip is refused (q=0) and for small answers', async () => {
    await projector.project(world.events);
    const a = await apiOnOwnConnection();
    const authorization = `Bearer ${await token('grant_manager')}`;
    const refused = await rawGet(a, listPath, { authorization, 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(refused.body.toString('utf8'))).toHaveProperty('items');

    // A quartier no application names: an empty page, a few bytes.
    const nothing = `/api/applications?qpv=QN00000X`;
    const small = await rawGet(a, nothing, { authorization, 'accept-encoding': 'gzip' });
    expect(small.status).toBe(200);
    expect(JSON.parse(small.body.toString('utf8'))).toMatchObject({ items: [] });
    expect(small.body.length).toBeLessThan(COMPRESS_FROM_BYTES);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.vary).toBeUndefined();
  });
});

describe('list items written by SQLite', () => {
  it('are the items of the detail, key for key and in the same order', async () => {
    await projector.project(world.events);
    const page = listApplications(projector.db, { limit: 500 });
    expect(page.items.length).toBe(12);
    for (const item of page.items) {
      const detail = await getApplication(projector.db, worldLog, item.id);
      if (detail === undefined) throw new Error(`candidature ${item.id} absente`);
      const fromDetail = Object.fromEntries(
        Object.keys(item).map((k) => [k, detail[k as keyof typeof detail]]),
      );
      expect(Object.keys(item)).toEqual(Object.keys(detail).slice(0, Object.keys(item).length));
      expect(JSON.stringify(item)).toBe(JSON.stringify(fromDetail));
    }
  });
});

describe('a pagination cursor the caller altered', () => {
  it('is a 400 problem naming the cursor, in both orders, and never a 500', async () => {
    await projector.project(world.events);
    const a = await apiOnOwnConnection();
    const manager = await token('grant_manager');
    for (const query of ['cursor=pas-un-curseur', 'cursor=abc&sort=deadline', 'cursor=12x&sort=submitted']) {
      const answer = await get(a, `/api/applications?campaignId=${CAMPAIGN_ID}&${query}`, manager);
      expect(answer.status, query).toBe(400);
      expect(answer.response.headers.get('content-type')).toContain('application/problem+json');
      const problem = JSON.parse(answer.text) as { code?: string; detail?: string };
      expect(problem.code).toBe('INVALID_CURSOR');
      expect(problem.detail).toContain('Curseur de pagination invalide');
    }
  });
});

describe('several statuses at once', () => {
  it('lists the applications in any of the statuses given (status repeated), counted together', async () => {
    await projector.project(world.events);
    const a = await apiOnOwnConnection();
    const manager = await token('grant_manager');
    const all = listApplications(projector.db, { campaignId: CAMPAIGN_ID, limit: 500 }).items;
    const [first, second] = [...new Set(all.map((i) => i.status))];
    if (first === undefined || second === undefined)
      throw new Error('la campagne de test a moins de deux statuts');
    const path = `/api/applications?campaignId=${CAMPAIGN_ID}&status=${first}&status=${second}&limit=500`;
    const answer = await get(a, path, manager);
    expect(answer.status).toBe(200);
    const page = JSON.parse(answer.text) as { items: ApplicationListItem[]; total: number };
    const expected = all.filter((i) => i.status === first || i.status === second).map((i) => i.id);
    expect(page.items.map((i) => i.id).sort()).toEqual(expected.sort());
    expect(page.total).toBe(expected.length);
    // An unknown status among them is a 400 naming the field, as for one.
    expect((await get(a, `/api/applications?status=${first}&status=perdu`, manager)).status).toBe(400);
  });
});
