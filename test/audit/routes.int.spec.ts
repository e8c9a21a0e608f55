// The audit API through real HTTP, with real development JWTs: what auditors get, the little grant
// managers get, the nothing evaluators get, and that none of it writes.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logDigest } from '../../infra/eventstore/anchor';
import { auditRouter } from '../../services/audit/routes';
import { scdlCsv, scdlExport } from '../../services/audit/scdl';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken, type Role } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { MAUBEUGE } from '../domain/support/fixtures';
import { parseCsv } from './csvParse';
import {
  APPLICATION_A,
  CAMPAIGN_ID,
  editFirstEventInPlace,
  FundingWorld,
  on,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';

const secret = 'secret-de-test-audit-0123456789-abcdef';

/** « 15 avril 2027 à 10:00 », in Paris: how the summaries write an instant. */
const frenchDateTime = (instant: string): string =>
  new Intl.DateTimeFormat('fr-FR', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'Europe/Paris',
  })
    .format(new Date(instant))
    .replace(/^1 /, '1er ');

const token = (role: Role, extra: { institution?: string; porteurId?: string } = {}) =>
  mintDevelopmentToken({ secret, role, ...extra });

interface Json {
  [key: string]: unknown;
}

describe('audit API', () => {
  let t: TestStore;
  let server: RunningHttpServer;
  const tokens: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
    const platform = createHttpPlatform({
      logger: pino({ level: 'silent' }),
      auth: { mode: 'embedded', secret },
    });
    platform.mount(
      auditRouter({ eventStore: t.store, authenticate: platform.authenticate, docs: platform.openapi }),
    );
    server = await listen(platform.finish(), '127.0.0.1', 0);
    tokens.auditor = await token('auditor');
    tokens.grant_manager = await token('grant_manager');
    tokens.evaluator = await token('evaluator');
    tokens.porteur = await token('porteur', { porteurId: 'porteur-sambre-avenir' });
    tokens.funder = await token('funder', { institution: 'ETAT' });
    tokens.citizen_council = await token('citizen_council');
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  const call = (role: Role | undefined, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        ...(role === undefined ? {} : { authorization: `Bearer ${tokens[role]}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
  const getJson = async (role: Role, path: string): Promise<Json> => {
    const response = await call(role, path);
    expect(response.status, `${path} : ${await response.clone().text()}`).toBe(200);
    return (await response.json()) as Json;
  };

  const stream = `application-${APPLICATION_A}`;
  const everyRoute: [string, RequestInit?][] = [
    [`/api/audit/streams/${stream}/events`],
    ['/api/audit/ledger'],
    ['/api/audit/ledger.csv'],
    [`/api/audit/applications/${APPLICATION_A}/as-of?at=2027-04-15`],
    [`/api/audit/campaigns/${CAMPAIGN_ID}/as-of?at=2027-04-15`],
    [`/api/audit/envelopes/${CAMPAIGN_ID}/ETAT/as-of?at=2027-04-15`],
    ['/api/audit/verify', { method: 'POST', body: '{}' }],
    ['/api/audit/digest'],
    ['/api/audit/exports/scdl.csv?year=2027'],
    ['/api/audit/exports/scdl?year=2027'],
  ];

  it('refuses evaluators every raw event and every export (403), and anyone without a token (401)', async () => {
    for (const [path, init] of everyRoute) {
      const refused = await call('evaluator', path, init);
      expect(refused.status, path).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await refused.json()) as Json).code).toBe('ROLE_NOT_ALLOWED');
      expect((await call(undefined, path, init)).status, path).toBe(401);
      for (const role of ['porteur', 'funder', 'citizen_council'] as const) {
        expect((await call(role, path, init)).status, `${role} ${path}`).toBe(403);
      }
    }
  });

  it('gives auditors a stream’s events in order, with their full metadata, page by page', async () => {
    const first = await getJson('auditor', `/api/audit/streams/${stream}/events?limit=3`);
    const events = first.events as Json[];
    expect(events.map((e) => e.revision)).toEqual(['0', '1', '2']);
    expect(first.next).toBe('3');
    expect(events[0]).toMatchObject({ stream, type: 'ApplicationSubmitted' });
    expect(events[0]?.metadata).toMatchObject({
      actor: { id: 'user-porteur-sambre-avenir', role: 'porteur' },
      occurredAt: on('2027-02-10'),
      recordedAt: new Date(on('2027-02-10')).toISOString(),
      previousHash: null,
      schemaVersion: 2,
    });
    expect((events[1]?.metadata as Json).previousHash).toBe((events[0]?.metadata as Json).hash);

    const rest = await getJson('auditor', `/api/audit/streams/${stream}/events?from=3&limit=1000`);
    expect((rest.events as Json[])[0]?.revision).toBe('3');
    expect(rest.next).toBeNull();
    const late = (rest.events as Json[]).find(
      (e) => e.type === 'FunderPositionRecorded' && (e.data as Json).funder === MAUBEUGE,
    );
    expect(late?.metadata).toMatchObject({
      occurredAt: on('2027-04-10'),
      recordedAt: new Date(on('2027-04-20')).toISOString(),
      actor: { role: 'funder', institution: MAUBEUGE },
    });

    const past = await call('auditor', `/api/audit/streams/${stream}/events?from=500`);
    expect(past.status).toBe(200);
    expect(((await past.json()) as Json).events).toEqual([]);
    const missing = await call('auditor', '/api/audit/streams/application-inconnue/events');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).code).toBe('STREAM_NOT_FOUND');
  });

  it('lets grant managers read the audit trail of applications, and nothing else', async () => {
    expect((await call('grant_manager', `/api/audit/streams/${stream}/events`)).status).toBe(200);
    expect(
      (await call('grant_manager', `/api/audit/applications/${APPLICATION_A}/as-of?at=2027-04-15`)).status,
    ).toBe(200);
    const campaign = await call('grant_manager', `/api/audit/streams/campaign-${CAMPAIGN_ID}/events`);
    expect(campaign.status).toBe(403);
    expect(((await campaign.json()) as Json).code).toBe('AUDIT_SCOPE');
    for (const [path, init] of everyRoute.slice(1)) {
      if (path.includes('/applications/')) continue;
      expect((await call('grant_manager', path, init)).status, path).toBe(403);
    }
  });

  it('answers as-of on business time and on record time', async () => {
    const business = await getJson('auditor', `/api/audit/applications/${APPLICATION_A}/as-of?at=2027-04-15`);
    const record = await getJson(
      'auditor',
      `/api/audit/applications/${APPLICATION_A}/as-of?at=2027-04-15&time=record`,
    );
    const positions = (r: Json) =>
      Object.keys(((r.state as Json).coDecision as Json).positions as Json).sort();
    expect(positions(business)).toEqual([MAUBEUGE, 'EPCI', 'ETAT']);
    expect(positions(record)).toEqual(['EPCI', 'ETAT']);
    expect(business).toMatchObject({
      time: 'business',
      eventsApplied: 6,
      lastEvent: { revision: '5' },
      outOfOrder: [],
    });
    expect(record).toMatchObject({ time: 'record', eventsApplied: 5, at: '2027-04-15T21:59:59.999Z' });

    const campaign = await getJson(
      'auditor',
      `/api/audit/campaigns/${CAMPAIGN_ID}/as-of?at=2027-01-10T12:00:00%2B01:00`,
    );
    expect((campaign.state as Json).status).toBe('draft');
    const envelope = await getJson('auditor', `/api/audit/envelopes/${CAMPAIGN_ID}/EPCI/as-of?at=2027-05-01`);
    expect((envelope.state as Json).reservedCents).toBe(3_000_000);

    expect(
      (await call('auditor', '/api/audit/applications/01JQA0000000000000000000ZZ/as-of?at=2027-04-15'))
        .status,
    ).toBe(404);
  });

  it('says in French what an as-of answer gives: the state then, nothing yet, the latest known', async () => {
    const then = await getJson('auditor', `/api/audit/applications/${APPLICATION_A}/as-of?at=2027-04-15`);
    expect(then.summary).toBe(
      'État de la candidature au 15 avril 2027 à 23:59 (date métier) : 6 événements appliqués sur ' +
        `${String(then.streamLength)}, le dernier du ${frenchDateTime((then.lastEvent as Json).occurredAt as string)} ` +
        '(révision 5). Chaîne d’empreintes du flux vérifiée : intacte.',
    );
    expect(then.integrity).toMatchObject({ ok: true, brokenStreams: 0, checked: then.streamLength });

    const before = await getJson('auditor', `/api/audit/applications/${APPLICATION_A}/as-of?at=2026-12-01`);
    expect(before.eventsApplied).toBe(0);
    expect(before.summary).toMatch(
      new RegExp(
        '^Au 1er décembre 2026 à 23:59 \\(date métier\\), la candidature n’existait pas encore : son premier ' +
          `événement est du ${frenchDateTime((before.firstEvent as Json).occurredAt as string)}\\.`,
      ),
    );

    const later = await getJson(
      'auditor',
      `/api/audit/campaigns/${CAMPAIGN_ID}/as-of?at=2100-01-01&time=record`,
    );
    expect(later.eventsApplied).toBe(later.streamLength);
    expect(later.summary).toMatch(
      /^Le 1er janvier 2100 à 23:59 est encore à venir : l’état donné est le dernier connu, /,
    );
  });

  it('parses every input and names what is wrong', async () => {
    const noDate = await call('auditor', `/api/audit/applications/${APPLICATION_A}/as-of`);
    expect(noDate.status).toBe(400);
    const badAxis = (await (
      await call('auditor', `/api/audit/applications/${APPLICATION_A}/as-of?at=15/04/2027&time=demain`)
    ).json()) as Json;
    expect(badAxis.status).toBe(400);
    expect((badAxis.errors as Json[]).map((e) => e.path).sort()).toEqual(['at', 'time']);
    const unknownParameter = await call('auditor', '/api/audit/ledger?montant=1');
    expect(unknownParameter.status).toBe(400);
    expect((await call('auditor', '/api/audit/ledger?funder=MAIRIE')).status).toBe(400);
    expect((await call('auditor', '/api/audit/ledger?limit=0')).status).toBe(400);
    expect((await call('auditor', '/api/audit/exports/scdl.csv?year=27')).status).toBe(400);
    const badAsOf = await call('auditor', '/api/audit/exports/scdl?year=2027&asOf=01/05/2027');
    expect(badAsOf.status).toBe(400);
    expect(((await badAsOf.json()) as Json).errors).toMatchObject([{ path: 'asOf' }]);
    expect(
      (await call('auditor', '/api/audit/verify', { method: 'POST', body: '{"flux":"x"}' })).status,
    ).toBe(400);
  });

  it('pages the ledger by global position, with filters on both clocks', async () => {
    const entries: Json[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Json = await getJson(
        'auditor',
        `/api/audit/ledger?limit=4&funder=${MAUBEUGE}${after === null ? '' : `&after=${after}`}`,
      );
      entries.push(...(page.entries as Json[]));
      after = page.next as string | null;
      pages += 1;
    } while (after !== null);
    expect(pages).toBeGreaterThan(1);
    expect(entries.map((e) => e.movement)).toEqual([
      'envelope_voted',
      'envelope_opened',
      'funds_reserved',
      'funds_reserved',
      'position_committed',
      'position_committed',
      'award',
      'award',
      'payment_ordered',
    ]);
    expect(entries[4]).toMatchObject({ movementLabel: 'engagement du financeur', amountCents: 500_000 });
    expect(typeof entries[4]?.position).toBe('string');

    const window = `from=2027-04-01&to=2027-04-15&funder=${MAUBEUGE}`;
    const business = await getJson('auditor', `/api/audit/ledger?${window}`);
    const record = await getJson('auditor', `/api/audit/ledger?${window}&time=record`);
    expect((business.entries as Json[]).length).toBe(4);
    expect(record.entries).toEqual([]);
  });

  it('streams the ledger as CSV', async () => {
    const response = await call('auditor', `/api/audit/ledger.csv?campaign=${CAMPAIGN_ID}&funder=EPCI`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toContain('grand-livre-financements.csv');
    const [header, ...rows] = parseCsv(await response.text());
    expect(header?.[0]).toBe('eventId');
    expect(rows.length).toBeGreaterThan(5);
    const funder = header!.indexOf('funder');
    expect(rows.every((r) => r[funder] === 'EPCI')).toBe(true);
  });

  it('answers 404 for a campaign the log has never seen, not an empty ledger', async () => {
    for (const path of ['/api/audit/ledger?campaign=2072', '/api/audit/ledger.csv?campaign=2072']) {
      const response = await call('auditor', path);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(((await response.json()) as Json).detail).toBe(
        'La campagne « 2072 » n’est pas dans le journal (aucun événement).',
      );
    }
    expect((await call('auditor', `/api/audit/ledger?campaign=${CAMPAIGN_ID}`)).status).toBe(200);
  });

  it('gives the log digest up to a position, the one the CLI and a backup compute', async () => {
    const head = await t.store.headPosition();
    const whole = await call('auditor', '/api/audit/digest');
    expect(whole.status).toBe(200);
    const expected = await logDigest(t.store, head);
    expect(await whole.json()).toEqual({
      upTo: String(head),
      events: Number(head),
      digest: expected.digest,
      altered: { events: 0 },
      summary: `Empreinte du journal jusqu’à la position ${head} (${expected.events} événements) : ${expected.digest}`,
    });
    const part = (await (await call('auditor', '/api/audit/digest?upTo=10')).json()) as Json;
    expect(part).toMatchObject({ upTo: '10', events: 10, digest: (await logDigest(t.store, 10n)).digest });
    expect(part.digest).not.toBe(expected.digest);

    const beyond = await call('auditor', `/api/audit/digest?upTo=${head + 1n}`);
    expect(beyond.status).toBe(400);
    expect(await beyond.json()).toMatchObject({ code: 'POSITION_BEYOND_HEAD' });
    expect((await call('auditor', '/api/audit/digest?upTo=fin')).status).toBe(400);
    expect((await call('auditor', '/api/audit/digest?jusqua=3')).status).toBe(400);
  });

  it('verifies integrity without changing anything', async () => {
    const head = await t.store.headPosition();
    const whole = await call('auditor', '/api/audit/verify', { method: 'POST' });
    expect(whole.status).toBe(200);
    const report = (await whole.json()) as Json;
    expect(report).toMatchObject({ ok: true, checked: Number(head) });
    expect(report.summary).toMatch(
      /^Intégrité vérifiée sur le journal entier : \d+ événements, aucune altération\.$/,
    );

    const one = (await (
      await call('auditor', '/api/audit/verify', { method: 'POST', body: JSON.stringify({ stream }) })
    ).json()) as Json;
    expect(one).toMatchObject({ ok: true });
    expect(one.summary).toContain(`le flux ${stream}`);
    const missing = await call('auditor', '/api/audit/verify', {
      method: 'POST',
      body: JSON.stringify({ stream: 'application-inconnue' }),
    });
    expect(missing.status).toBe(404);

    // Auditors change nothing: no other verb is served (405, reads only), and the log did not move.
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of [`/api/audit/streams/${stream}/events`, '/api/audit/ledger']) {
        const refused = await call('auditor', path, { method, body: '{}' });
        expect(refused.status, `${method} ${path}`).toBe(405);
        expect(refused.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      }
    }
    expect(await t.store.headPosition()).toBe(head);
  });

  it('exports the year’s subsidies in the SCDL schema, all or above the threshold', async () => {
    // The État has no SIRET in the built-in directory: the incomplete file only when asked for
    // (scdlRoutes.int.spec.ts covers the refusal).
    const response = await call('auditor', '/api/audit/exports/scdl.csv?year=2027&allowIncomplete=true');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="subventions-2027.csv"');
    expect(await response.text()).toBe(scdlCsv((await scdlExport(t.store, { year: 2027 })).rows));

    const mandatory = await call(
      'auditor',
      '/api/audit/exports/scdl.csv?year=2027&aboveThreshold=true&allowIncomplete=true',
    );
    const [, ...rows] = parseCsv(await mandatory.text());
    expect(rows.map((r) => r[8])).toEqual(['60000.00']);

    const json = await getJson('auditor', '/api/audit/exports/scdl?year=2027');
    expect((json.rows as Json[]).map((r) => r.aboveThreshold)).toEqual([false, false, false, true]);
    expect(json.warnings).toHaveLength(2);
    expect((json.columns as string[])[0]).toBe('nomAttribuant');

    // As the log stood on 1 May (a date: the end of that day in Paris): the file published then.
    const may = await call(
      'auditor',
      '/api/audit/exports/scdl.csv?year=2027&asOf=2027-05-01&allowIncomplete=true',
    );
    expect(may.headers.get('content-disposition')).toBe(
      'attachment; filename="subventions-2027-au-2027-05-01.csv"',
    );
    expect(await may.text()).toBe(
      scdlCsv((await scdlExport(t.store, { year: 2027, asOf: '2027-05-01T21:59:59.999Z' })).rows),
    );
    const mayJson = await getJson('auditor', '/api/audit/exports/scdl?year=2027&asOf=2027-05-01');
    expect(mayJson.asOf).toBe('2027-05-01T21:59:59.999Z');
    expect((mayJson.rows as Json[]).length).toBeLessThan((json.rows as Json[]).length);
  });

  it('warns, in an as-of answer, that the replayed stream is altered (and says it intact again once restored)', async () => {
    const edit = editFirstEventInPlace(t.file, stream);
    try {
      const altered = await getJson(
        'auditor',
        `/api/audit/applications/${APPLICATION_A}/as-of?at=2027-04-15`,
      );
      expect(altered.integrity).toMatchObject({
        ok: false,
        brokenStreams: 1,
        firstBroken: { stream, revision: '0' },
      });
      expect(altered.summary).toContain(
        'Attention, flux altéré à la révision 0 — contenu modifié (l’empreinte recalculée ne correspond plus) : ' +
          'cet état est rejoué d’événements dont l’un au moins a été modifié ; le détail est dans integrity.',
      );
    } finally {
      edit.restore();
    }
    const restored = await getJson('auditor', `/api/audit/applications/${APPLICATION_A}/as-of?at=2027-04-15`);
    expect((restored.integrity as Json).ok).toBe(true);
  });

  it('describes every route in the OpenAPI document', async () => {
    const response = await fetch(`${server.url}/api/openapi.json`);
    const document = (await response.json()) as { paths: Record<string, Record<string, Json>> };
    expect(
      Object.keys(document.paths)
        .filter((p) => p.startsWith('/api/audit'))
        .sort(),
    ).toEqual([
      '/api/audit/applications/{id}/as-of',
      '/api/audit/campaigns/{id}/as-of',
      '/api/audit/digest',
      '/api/audit/envelopes/{campaignId}/{funder}/as-of',
      '/api/audit/exports/scdl',
      '/api/audit/exports/scdl.csv',
      '/api/audit/ledger',
      '/api/audit/ledger.csv',
      '/api/audit/streams/{stream}/events',
      '/api/audit/verify',
    ]);
    const asOf = document.paths['/api/audit/applications/{id}/as-of']?.get;
    const parameters = (asOf?.parameters as Json[]).map((p) => `${String(p.in)}:${String(p.name)}`).sort();
    expect(parameters).toEqual(['path:id', 'query:at', 'query:time']);
    expect(Object.keys(asOf?.responses as Json)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404']),
    );
  });
});
