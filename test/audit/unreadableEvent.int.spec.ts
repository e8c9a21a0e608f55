// A stored event edited so that it no longer reads as its type (its data, or its type itself), through
// real HTTP on a real SQLite file: the routes that replay it cannot answer, and say where the log is
// unreadable and what to run, rather than « Erreur interne » alone.
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infra/eventstore';
import { auditRouter } from '../../services/audit/routes';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { APPLICATION_A, FundingWorld, openTestStore, playFundingYear, type TestStore } from './support';

const secret = 'secret-de-test-audit-0123456789-abcdef';
const stream = `application-${APPLICATION_A}`;

interface Problem {
  status?: number;
  code?: string;
  detail?: string;
}

let t: TestStore | undefined;
let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  await t?.close();
  server = undefined;
  t = undefined;
});

/** The 2027 story with one row of A's stream rewritten (triggers dropped); its position. */
async function servedAfter(sql: string): Promise<{ url: string; position: number; authorization: string }> {
  const test = openTestStore();
  t = test;
  await playFundingYear(new FundingWorld(test));
  await test.store.close();
  const db = new Database(test.file);
  let position: number;
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    ({ position } = db
      .prepare('SELECT position FROM events WHERE stream = ? AND revision = 1')
      .get(stream) as { position: number });
    expect(db.prepare(sql).run(stream).changes).toBe(1);
  } finally {
    db.close();
  }
  test.store = openSqliteEventStore({ file: test.file, registry: createGrantsEventRegistry() });
  const platform = createHttpPlatform({
    logger: pino({ level: 'silent' }),
    auth: { mode: 'embedded', secret },
  });
  platform.mount(auditRouter({ eventStore: test.store, authenticate: platform.authenticate }));
  server = await listen(platform.finish(), '127.0.0.1', 0);
  return {
    url: server.url,
    position,
    authorization: `Bearer ${await mintDevelopmentToken({ secret, role: 'auditor' })}`,
  };
}

const replaying = [
  `/api/audit/applications/${APPLICATION_A}/as-of?at=2027-12-31`,
  `/api/audit/streams/${stream}/events?data=current`,
  '/api/audit/ledger',
  '/api/audit/ledger.csv',
  '/api/audit/exports/scdl?year=2027',
  '/api/audit/exports/scdl.csv?year=2027&allowIncomplete=true',
];

describe('a stored event that no longer reads as its type', () => {
  it.each([
    [
      'its data edited',
      `UPDATE events SET data = json_set(data, '$.coDecisionDueDate', 'bientôt') WHERE stream = ? AND revision = 1`,
    ],
    ['its type changed', `UPDATE events SET type = 'CampaignOpened' WHERE stream = ? AND revision = 1`],
    ['its type unknown', `UPDATE events SET type = 'EvenementInconnu' WHERE stream = ? AND revision = 1`],
    [
      'its schema version unknown',
      `UPDATE events SET metadata = json_set(metadata, '$.schemaVersion', 99) WHERE stream = ? AND revision = 1`,
    ],
  ])('%s: every replay names the stream, the revision and what to run', async (_, sql) => {
    const { url, position, authorization } = await servedAfter(sql);
    for (const path of replaying) {
      const response = await fetch(`${url}${path}`, { headers: { authorization } });
      const problem = (await response.json()) as Problem;
      expect(response.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(problem, path).toMatchObject({ status: 500, code: 'STORED_EVENT_UNREADABLE' });
      expect(problem.detail, path).toContain(`${stream}, révision 1`);
      expect(problem.detail, path).toContain('grants audit verify');
      if (!problem.detail?.includes('étranger'))
        expect(problem.detail, path).toContain(`position ${position}`);
    }
    // The stored events as they are still read, and the verification names the same event.
    const raw = await fetch(`${url}/api/audit/streams/${stream}/events`, { headers: { authorization } });
    expect(raw.status).toBe(200);
    const verify = await fetch(`${url}/api/audit/verify`, { method: 'POST', headers: { authorization } });
    expect(await verify.json()).toMatchObject({
      ok: false,
      firstBroken: { stream, revision: '1', position: String(position), reason: 'hash_mismatch' },
    });
  });
});
