// The evaluators' figures against an oracle: random campaigns played by the real deciders
// (support/randomCampaign.ts), projected by the real projections into a real SQLite file, and what
// the queries answer — the campaign summary per funder, quartier, theme and exercice, the envelopes,
// the multi-year share, the statistics per exercice, the ledger per funder and year, the overdue and
// upcoming reports — compared with the same figures computed from the domain alone
// (support/figuresOracle.ts). The same events projected one by one, in odd batches, and rebuilt from
// a SQLite event store (in one batch, and in worker threads) give the same tables and answers.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addDays, parisInstant } from '../../domain';
import { openSqliteEventStore } from '../../infra/eventstore';
import { openReadModelDatabase } from '../../infra/projections/database';
import { rebuildProjections } from '../../infra/projections/rebuild';
import {
  campaignSummary,
  grantsProjections,
  ledgerTotals,
  overdueReports,
  statsByFunder,
  statsByQpv,
  statsByTheme,
  upcomingReports,
  type CampaignSummary,
} from '../../services/readModels';
import { grantsRebuildSource } from '../../services/readModels/rebuildSource';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { queryRouter } from '../../services/queries/routes';
import { dossier, QPV } from '../domain/support/fixtures';
import { noWorkflowsClient } from '../support/noWorkflows';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { tempDir } from '../projections/support';
import {
  expectedLedger,
  expectedReports,
  expectedReserved,
  expectedStatsForYear,
  expectedSummary,
  submittedStates,
} from './support/figuresOracle';
import { playRandomCampaign } from './support/randomCampaign';
import {
  appendHistory,
  comparableTables,
  dumpTables,
  historyLog,
  openReadModels,
} from './support/readModels';
import { CAMPAIGN_ID, GrantsWorld } from './support/world';
import type { Database } from 'better-sqlite3';

/**
 * Fixed seeds: the same histories on every run (a failure names its seed); each campaign stopped at
 * another moment: conventions in force with reports expected or overdue, or every life over.
 */
const SEEDS: [seed: number, until: string][] = [
  [20270115, '2028-08-14'],
  [7, '2029-10-02'],
  [4242, '2032-12-31'],
];

/** The summary without its labels and campaign fields: the figures the oracle computes. */
function figures(summary: CampaignSummary) {
  return {
    applications: summary.applications,
    expectedBeneficiaries: summary.expectedBeneficiaries,
    reachedBeneficiaries: summary.reachedBeneficiaries,
    amounts: summary.amounts,
    byYear: summary.byYear,
    byFunder: summary.byFunder.map(({ funderName: _name, ...f }) => f),
    byQpv: summary.byQpv,
    byTheme: summary.byTheme.map(({ themeLabel: _label, ...t }) => t),
    byStatus: summary.byStatus.map((s) => [s.status, s.applications]),
    multiYear: summary.multiYear,
  };
}

/** Every answer the evaluators read, for comparing two databases. */
function answers(db: Database) {
  return {
    summary: campaignSummary(db, CAMPAIGN_ID),
    qpv: statsByQpv(db),
    funders: statsByFunder(db, { campaignId: CAMPAIGN_ID }),
    themes: statsByTheme(db, { year: 2028 }),
    ledger: ledgerTotals(db),
    ledgerByConvention: ledgerTotals(db, { yearOf: 'convention' }),
    overdue: overdueReports(db),
  };
}

describe.each(SEEDS)('the figures of a random campaign (graine %i, jusqu’au %s)', (seed, until) => {
  let world: GrantsWorld;
  let temp: ReturnType<typeof tempDir>;
  let db: Database;

  beforeAll(async () => {
    world = new GrantsWorld().openCampaign();
    playRandomCampaign(world, seed, { applications: 30, until });
    temp = tempDir();
    const rm = openReadModels(join(temp.dir, 'read-models.sqlite'));
    await rm.project(world.events);
    rm.close();
    db = openReadModelDatabase(join(temp.dir, 'read-models.sqlite'), { readonly: true });
  });
  afterAll(() => {
    db.close();
    temp.cleanup();
  });

  it('plays lives that reach every outcome the figures depend on', () => {
    expect(submittedStates(world).length).toBeGreaterThan(20);
  });

  it("sums, per funder, quartier, theme and exercice, to the domain's fundingSummary", () => {
    const summary = campaignSummary(db, CAMPAIGN_ID);
    if (summary === undefined) throw new Error('campagne absente des modèles de lecture');
    expect(figures(summary)).toEqual(expectedSummary(world));
    // The envelope holds what the alive applications hold (the domain's expectedReservations).
    const reserved = expectedReserved(world);
    for (const f of summary.byFunder)
      expect(f.envelope?.reservedCents, f.funder).toBe(reserved.get(f.funder) ?? 0);
  });

  it('answers the statistics of each exercice with the money of that exercice', () => {
    for (const year of [2026, 2027, 2028, 2029, 2030, 2031]) {
      const expected = expectedStatsForYear(world, year);
      const nonZero = <T extends { amounts: object }>(rows: (T & { key: string })[]) =>
        new Map(rows.map((r) => [r.key, r.amounts]));
      const zeroFree = (m: Map<string, object>) =>
        new Map([...m].filter(([, a]) => Object.values(a).some((v) => v !== 0)));
      const filters = { campaignId: CAMPAIGN_ID, year };
      expect(
        zeroFree(nonZero(statsByQpv(db, filters).map((q) => ({ ...q, key: q.qpv })))),
        `QPV ${year}`,
      ).toEqual(zeroFree(expected.qpv));
      expect(
        zeroFree(nonZero(statsByTheme(db, filters).map((t) => ({ ...t, key: t.theme })))),
        `thèmes ${year}`,
      ).toEqual(zeroFree(expected.theme));
      expect(
        zeroFree(nonZero(statsByFunder(db, filters).map((f) => ({ ...f, key: f.funder })))),
        `financeurs ${year}`,
      ).toEqual(zeroFree(expected.funder));
    }
  });

  it('keeps a ledger per funder and year that replays the log', () => {
    const strip = (rows: ReturnType<typeof ledgerTotals>) =>
      rows
        .map(({ funderName: _name, ...r }) => r)
        .filter((r) => Object.entries(r).some(([k, v]) => k !== 'year' && typeof v === 'number' && v !== 0));
    expect(strip(ledgerTotals(db, { yearOf: 'convention' }))).toEqual(
      expectedLedger(world.events, 'convention'),
    );
    expect(strip(ledgerTotals(db))).toEqual(expectedLedger(world.events, 'calendar'));
    expect(strip(ledgerTotals(db, { campaignId: CAMPAIGN_ID, yearOf: 'calendar', year: 2028 }))).toEqual(
      expectedLedger(world.events, 'calendar').filter((r) => r.year === 2028),
    );
  });

  it('lists the overdue reports and, on every due date and the day after, those to come', () => {
    const reports = expectedReports(world);
    const key = (r: { applicationId: string; year: number }) => `${r.applicationId}/${r.year}`;
    expect(overdueReports(db, { limit: 5000 }).items.map(key).sort()).toEqual(
      reports
        .filter((r) => r.status === 'overdue')
        .map(key)
        .sort(),
    );
    const dueDates = [...new Set(reports.map((r) => r.dueDate))];
    for (const due of dueDates)
      for (const asOf of [due, addDays(due, 1), addDays(due, -30)]) {
        const expected = reports
          .filter(
            (r) =>
              ['not_due', 'expected', 'reminder_sent', 'changes_requested'].includes(r.status) &&
              r.dueDate >= asOf &&
              r.dueDate <= addDays(asOf, 30),
          )
          .map(key)
          .sort();
        expect(
          upcomingReports(db, { asOf, withinDays: 30, limit: 5000 }).items.map(key).sort(),
          asOf,
        ).toEqual(expected);
      }
  });

  it('gives the same tables and answers projected one event at a time, in odd batches, and rebuilt', async () => {
    const expectedTables = dumpTables(db);
    const expectedAnswers = answers(db);
    for (const batchSize of [1, 37]) {
      const other = openReadModels();
      await other.project(world.events, batchSize);
      expect(dumpTables(other.db), `lots de ${batchSize}`).toEqual(expectedTables);
      expect(answers(other.db), `lots de ${batchSize}`).toEqual(expectedAnswers);
      other.close();
    }

    const storeFile = join(temp.dir, 'events.sqlite');
    const store = openSqliteEventStore({
      file: storeFile,
      registry: createGrantsEventRegistry(),
      synchronous: 'NORMAL',
      pollIntervalMs: 10,
    });
    try {
      await appendHistory(store, world.events);
      const comparable = comparableTables(db);
      // Worker threads cost a second each to start: one campaign is enough to hold them to the rest.
      const inWorkers = { batchSize: 53, parallel: { workers: 2, source: grantsRebuildSource(storeFile) } };
      for (const [k, options] of [
        { batchSize: 1_000_000 },
        ...(seed === SEEDS[0]?.[0] ? [inWorkers] : []),
      ].entries()) {
        const file = join(temp.dir, `rebuilt-${k}.sqlite`);
        await rebuildProjections({
          eventStore: store,
          dbFile: file,
          projections: grantsProjections,
          ...options,
        });
        const rebuilt = openReadModelDatabase(file, { readonly: true });
        expect(comparableTables(rebuilt), `reconstruction ${k}`).toEqual(comparable);
        expect(answers(rebuilt), `reconstruction ${k}`).toEqual(expectedAnswers);
        rebuilt.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe('the random campaigns together', () => {
  it('reach every terminal outcome and every stage of a convention', () => {
    // Not every campaign reaches every status; together they do.
    const worlds = SEEDS.map(([seed, until]) => {
      const world = new GrantsWorld().openCampaign();
      playRandomCampaign(world, seed, { applications: 30, until });
      return world;
    });
    const reached = worlds.flatMap((w) => submittedStates(w).map((s) => s.status));
    // The report lists are compared on something: reports overdue, and others still to file.
    const reports = worlds.flatMap(expectedReports).map((r) => r.status);
    expect(reports.filter((r) => r === 'overdue').length).toBeGreaterThan(0);
    expect(reports.filter((r) => r === 'not_due' || r === 'expected').length).toBeGreaterThan(0);
    expect([...new Set(reached)].sort()).toEqual(
      expect.arrayContaining([
        'closed',
        'in_force',
        'ineligible',
        'lapsed',
        'rejected',
        'terminated',
        'withdrawn',
      ]),
    );
  });
});

describe('the edge cases DOMAIN.md names', () => {
  let world: GrantsWorld;
  let rm: ReturnType<typeof openReadModels>;
  beforeEach(() => {
    world = new GrantsWorld().openCampaign();
    rm = openReadModels();
  });
  afterEach(() => rm.close());

  it('on the due day (Paris) a report is to come, not overdue; from midnight Paris it is overdue, no longer to come', async () => {
    const s = world.application();
    s.submit(dossier(2)).on('2027-02-20').declareEligible('2027-04-10');
    s.on('2027-03-01').commitAll().opinion().on('2027-03-20').approve().draft('2027-01-01', '2027-04-30');
    s.on('2027-04-02').signAll();
    // 30 June 2028, 23:59 in Paris: 21:59 UTC, the report of year 1 is due today.
    s.on('2028-06-30', '23:59');
    await rm.catchUp(world.events);
    const key = (l: { items: { year: number; status: string }[] }) => l.items.map((r) => [r.year, r.status]);
    expect(key(overdueReports(rm.db))).toEqual([]);
    expect(key(upcomingReports(rm.db, { asOf: parisInstant('2028-06-30', '23:59'), withinDays: 1 }))).toEqual(
      [[1, 'reminder_sent']],
    );
    // Midnight in Paris, still 30 June in UTC: the timer has fired; an instant is read as its Paris day.
    s.on('2028-07-01', '00:00');
    await rm.catchUp(world.events);
    expect(parisInstant('2028-07-01', '00:00')).toBe('2028-06-30T22:00:00.000Z');
    expect(key(overdueReports(rm.db))).toEqual([[1, 'overdue']]);
    expect(key(upcomingReports(rm.db, { asOf: '2028-06-30T22:30:00.000Z', withinDays: 1 }))).toEqual([]);
  });

  it('counts an action targeting several quartiers fully in each: the quartiers add up to more than the campaign', async () => {
    const s = world.application();
    const d = dossier(1, { ETAT: 1_000_000 });
    d.action.qpvCodes = [QPV[0] ?? '', QPV[1] ?? '', QPV[2] ?? ''];
    s.submit(d);
    await rm.catchUp(world.events);
    const summary = campaignSummary(rm.db, CAMPAIGN_ID);
    expect(summary?.amounts.requestedCents).toBe(1_000_000);
    expect(summary?.byQpv.map((q) => [q.qpv, q.applications, q.amounts.requestedCents])).toEqual(
      d.action.qpvCodes.map((q) => [q, 1, 1_000_000]),
    );
    expect(statsByQpv(rm.db).reduce((n, q) => n + q.amounts.requestedCents, 0)).toBe(3_000_000);
  });
});

describe('the same figures over HTTP', () => {
  const secret = 'secret-de-test-secret-de-test-0123456789';
  let world: GrantsWorld;
  let rm: ReturnType<typeof openReadModels>;
  let server: RunningHttpServer;

  beforeAll(async () => {
    world = new GrantsWorld().openCampaign();
    playRandomCampaign(world, 99, { applications: 20, until: '2029-03-01' });
    rm = openReadModels();
    await rm.project(world.events);
    const platform = createHttpPlatform({
      logger: pino({ level: 'silent' }),
      auth: { mode: 'embedded', secret },
    });
    platform.mount(
      queryRouter({
        db: rm.db,
        log: historyLog(world.events),
        grants: noWorkflowsClient('figuresOracle.int.spec.ts'),
        authenticate: platform.authenticate,
        requireRole: (...roles) => platform.requireRole(...roles),
      }),
    );
    server = await listen(platform.finish(), '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server.close();
    rm.close();
  });

  it('answers an evaluator what the queries answer, filters passed through', async () => {
    const bearer = await mintDevelopmentToken({ secret, role: 'evaluator' });
    const get = async (path: string): Promise<unknown> => {
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(response.status, path).toBe(200);
      return response.json();
    };
    const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
    expect(await get(`/api/campaigns/${CAMPAIGN_ID}/summary`)).toEqual(
      json(campaignSummary(rm.db, CAMPAIGN_ID)),
    );
    expect(figures(campaignSummary(rm.db, CAMPAIGN_ID) as CampaignSummary)).toEqual(expectedSummary(world));
    expect(await get(`/api/stats/qpv?campaignId=${CAMPAIGN_ID}&year=2028`)).toEqual(
      json({ items: statsByQpv(rm.db, { campaignId: CAMPAIGN_ID, year: 2028 }) }),
    );
    expect(await get('/api/stats/funders?year=2027')).toEqual(
      json({ items: statsByFunder(rm.db, { year: 2027 }) }),
    );
    expect(await get('/api/stats/themes')).toEqual(json({ items: statsByTheme(rm.db) }));
    expect(await get('/api/stats/ledger?yearOf=convention&funder=ETAT')).toEqual(
      json({ items: ledgerTotals(rm.db, { yearOf: 'convention', funder: 'ETAT' }) }),
    );
    expect(await get(`/api/stats/ledger?campaignId=${CAMPAIGN_ID}&year=2028`)).toEqual(
      json({ items: ledgerTotals(rm.db, { campaignId: CAMPAIGN_ID, year: 2028 }) }),
    );
    expect(await get('/api/reports/overdue')).toEqual(json(overdueReports(rm.db)));
  });
});
