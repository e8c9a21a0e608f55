// What the audit API (services/audit/schemas.ts) says about the requests it refuses, through real
// HTTP: an instant whose '+' was sent unencoded (it arrives as a space), a period ending before it
// starts, a parameter given twice, page sizes in decimal digits only.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRouter } from '../../services/audit/routes';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { rawGet } from '../support/rawHttp';
import { APPLICATION_A, FundingWorld, openTestStore, playFundingYear, type TestStore } from './support';

const secret = 'secret-de-test-audit-0123456789-abcdef';

interface Problem {
  code?: string;
  errors?: { in: string; path: string; message: string }[];
}

let t: TestStore;
let server: RunningHttpServer;
let authorization: string;

beforeAll(async () => {
  t = openTestStore();
  await playFundingYear(new FundingWorld(t));
  const platform = createHttpPlatform({
    logger: pino({ level: 'silent' }),
    auth: { mode: 'embedded', secret },
  });
  platform.mount(auditRouter({ eventStore: t.store, authenticate: platform.authenticate }));
  server = await listen(platform.finish(), '127.0.0.1', 0);
  authorization = `Bearer ${await mintDevelopmentToken({ secret, role: 'auditor' })}`;
});
afterAll(async () => {
  await server.close();
  await t.close();
});

/** A GET whose query string goes out byte for byte as written: an unencoded '+' stays one. */
async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await rawGet(`${server.url}${path}`, { authorization });
  const text = response.body.toString('utf8');
  // The CSV export answers CSV; its refusals are problem documents like the others'.
  const json = /json/.test(String(response.headers['content-type']));
  return { status: response.status, body: json ? (JSON.parse(text) as unknown) : text };
}

async function refusal(path: string): Promise<Record<string, string>> {
  const { status, body } = await get(path);
  expect(status, `${path} : ${JSON.stringify(body)}`).toBe(400);
  const problem = body as Problem;
  expect(problem.code).toBe('VALIDATION_FAILED');
  return Object.fromEntries((problem.errors ?? []).map((e) => [`${e.in}.${e.path}`, e.message]));
}

const asOf = `/api/audit/applications/${APPLICATION_A}/as-of`;

describe('an instant whose « + » was not encoded', () => {
  it('says to write it %2B, with the value corrected, and accepts it so written', async () => {
    expect(await refusal(`${asOf}?at=2027-04-15T14:08:45+02:00`)).toEqual({
      'query.at':
        '« 2027-04-15T14:08:45 02:00 » : le « + » du décalage horaire est arrivé comme une espace ' +
        '(un « + » non encodé dans une URL se lit comme une espace) ; écrivez-le %2B, ex. 2027-04-15T14:08:45%2B02:00',
    });
    expect((await refusal(`/api/audit/ledger?from=2027-04-15T14:08+0200`))['query.from']).toMatch(
      /écrivez-le %2B, ex\. 2027-04-15T14:08%2B0200$/,
    );
    expect((await get(`${asOf}?at=2027-04-15T14:08:45%2B02:00`)).status).toBe(200);
  });

  it('gives an example without « + » for any other unreadable instant', async () => {
    const message = (await refusal(`${asOf}?at=15/04/2027`))['query.at'];
    expect(message).toBe('Instant ISO 8601 (2027-06-30T10:00:00Z) ou date (2027-06-30) attendu');
  });
});

// Well-formed ISO text the calendar cannot place: ten decimals of a second, or a year that leaves
// 0000–9999 once read in UTC or in Paris. Each one made a 500 « Erreur interne ».
describe('an instant the calendar cannot place', () => {
  it.each([
    [asOf, 'at', '2027-06-30T10:00:00.1234567891Z'],
    [asOf, 'at', '0000-01-01'],
    [asOf, 'at', '9999-12-31T23:59:59-12:00'],
    ['/api/audit/ledger', 'from', '0000-01-01T00:30:00%2B01:00'],
    ['/api/audit/ledger.csv', 'to', '2027-06-30T10:00:00.1234567891Z'],
    ['/api/audit/exports/scdl', 'asOf', '9999-12-31T23:59:59-12:00'],
    ['/api/audit/exports/scdl.csv', 'asOf', '0000-01-01'],
  ])('%s refuses %s=%s with a 400 naming it, never a 500', async (route, parameter, value) => {
    const query = route.includes('scdl') ? `year=2027&${parameter}=${value}` : `${parameter}=${value}`;
    expect(await refusal(`${route}?${query}`)).toEqual({
      [`query.${parameter}`]: 'Instant ISO 8601 (2027-06-30T10:00:00Z) ou date (2027-06-30) attendu',
    });
  });
});

describe('a ledger period ending before it starts', () => {
  it.each(['/api/audit/ledger', '/api/audit/ledger.csv'])(
    '%s refuses it with a 400 naming both bounds',
    async (route) => {
      expect(await refusal(`${route}?from=2027-12-31&to=2027-01-01`)).toEqual({
        'query.from':
          'Période vide : le début (from=2027-12-31) est après la fin (to=2027-01-01). Inversez-les ?',
      });
      // Compared as instants: a whole day from 0 h to midnight, an instant with its offset.
      expect((await get(`${route}?from=2027-04-15&to=2027-04-15`)).status).toBe(200);
      expect(
        (await refusal(`${route}?from=2027-04-15T12:00:00Z&to=2027-04-15T13:59:00%2B02:00`))['query.from'],
      ).toMatch(/^Période vide/);
      expect((await get(`${route}?from=2027-04-15T12:00:00Z&to=2027-04-15T14:00:00%2B02:00`)).status).toBe(
        200,
      );
    },
  );
});

describe('page sizes and repeated parameters', () => {
  it('takes limit in decimal digits only, and each parameter once', async () => {
    for (const limit of ['0x10', '1e2']) {
      expect(await refusal(`/api/audit/ledger?limit=${limit}`)).toEqual({
        'query.limit': `Nombre entier attendu, en chiffres décimaux : « ${limit} » n’en est pas un.`,
      });
    }
    expect(await refusal(`${asOf}?at=2027-04-15&at=2027-04-16`)).toEqual({
      'query.at': 'Paramètre donné plusieurs fois : à ne donner qu’une fois.',
    });
    expect(await refusal(`${asOf}?at=2027-04-15&time=record&time=business`)).toEqual({
      'query.time': 'Paramètre donné plusieurs fois : à ne donner qu’une fois.',
    });
    expect((await get('/api/audit/ledger?limit=10')).status).toBe(200);
  });
});

describe('ledger positions', () => {
  it('refuses a position past the head of the log, and pages from the head to nothing', async () => {
    const head = await t.store.headPosition();
    const beyond = await get(`/api/audit/ledger?after=${head + 1n}`);
    expect(beyond.status).toBe(400);
    expect(beyond.body).toMatchObject({
      code: 'POSITION_BEYOND_HEAD',
      detail: `Le journal s’arrête à la position ${head} : rien après ${head + 1n}.`,
    });
    expect((await get('/api/audit/ledger?after=999999999999999999')).status).toBe(400);
    const atHead = await get(`/api/audit/ledger?after=${head}`);
    expect(atHead.status).toBe(200);
    expect(atHead.body).toMatchObject({ entries: [], next: null, lastPosition: String(head) });
  });
});
