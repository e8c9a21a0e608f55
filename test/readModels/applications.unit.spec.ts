// The applications read model, events in, rows out: events produced by the real deciders (a
// one-year story, a withdrawal, a small campaign) and projected through the runtime's dispatch.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applicationDeadlines,
  compareInstants,
  endOfParisDay,
  fundingSummary,
  type ApplicationState,
} from '../../domain';
import { getApplication, listApplications, type ApplicationListItem } from '../../services/readModels';
import { dossier, MAUBEUGE, QPV_MONTPLAISIR, QPV_SOUS_LE_BOIS } from '../domain/support/fixtures';
import { tempDir } from '../projections/support';
import { dumpTables, historyLog, openReadModels, type ReadModels } from './support/readModels';
import { playCampaign } from './support/scenarios';
import { CAMPAIGN_ID, GrantsWorld, type ApplicationStory } from './support/world';

let world: GrantsWorld;
let rm: ReadModels;

beforeEach(() => {
  world = new GrantsWorld().openCampaign();
  rm = openReadModels();
});
afterEach(() => rm.close());

/** Projects what the world recorded since last time and reads the application back. */
async function row(story: ApplicationStory) {
  await rm.catchUp(world.events);
  const detail = await getApplication(rm.db, historyLog(world.events), story.applicationId);
  if (detail === undefined) throw new Error(`candidature ${story.applicationId} absente des vues`);
  return detail;
}

function expectConsistentWithDomain(
  item: ApplicationListItem & { state: unknown },
  state: ApplicationState,
): void {
  expect(item.state).toEqual(state);
  const rows = fundingSummary(state);
  const sum = (k: 'requestedCents' | 'committedCents' | 'awardedCents' | 'paidCents' | 'recoveredCents') =>
    rows.reduce((total, r) => total + r[k], 0);
  expect(item.amounts).toEqual({
    requestedCents: sum('requestedCents'),
    committedCents: sum('committedCents'),
    awardedCents: sum('awardedCents'),
    paidCents: sum('paidCents'),
    recoveredCents: sum('recoveredCents'),
  });
  const earliest = [...applicationDeadlines(state)].sort((a, b) => compareInstants(a.dueAt, b.dueAt))[0];
  expect(item.nextDeadline).toEqual(
    earliest === undefined ? null : { at: earliest.dueAt, kind: earliest.kind },
  );
}

describe('applications read model', () => {
  it('follows a one-year action from submission to closure: what it waits on, from whom, until when', async () => {
    const story = world.application();
    story.submit(dossier(1));
    let r = await row(story);
    expect(r).toMatchObject({
      status: 'under_review',
      statusLabel: 'En instruction (recevabilité)',
      campaignId: CAMPAIGN_ID,
      porteurId: 'porteur-asso-sambre',
      porteur: { name: 'Association Sambre Avenir (fictive)', siret: '81234567800013', rna: 'W593000001' },
      title: 'Ateliers numériques parents-enfants',
      theme: '1.3',
      themeLabel: 'Parentalité et droits sociaux',
      qpvCodes: [QPV_SOUS_LE_BOIS, QPV_MONTPLAISIR],
      durationYears: 1,
      conventionKind: null,
      waitingFor: 'Recevabilité à instruire',
      waitingOn: ['grant_manager'],
      nextDeadline: null,
      revision: '0',
    });
    expect(r.amounts.requestedCents).toBe(2_000_000);
    expect(
      r.funders.map((f) => [f.funder, f.years.map((y) => [y.year, y.calendarYear, y.requestedCents])]),
    ).toEqual([
      [MAUBEUGE, [[1, 2027, 500_000]]],
      ['ETAT', [[1, 2027, 1_000_000]]],
      ['REGION', [[1, 2027, 500_000]]],
    ]);
    expectConsistentWithDomain(r, story.state);

    story.on('2027-02-20').declareEligible('2027-04-10');
    r = await row(story);
    expect(r.status).toBe('co_decision');
    expect(r.waitingOn).toEqual([MAUBEUGE, 'ETAT', 'REGION', 'citizen_council', 'funder']);
    expect(r.waitingFor).toBe(
      'Position attendue : État, Région, Commune de Maubeuge ; Avis du conseil citoyen attendu',
    );
    expect(r.nextDeadline).toEqual({ at: endOfParisDay('2027-04-10'), kind: 'co-decision-due' });
    expectConsistentWithDomain(r, story.state);

    story.on('2027-03-01').commit('ETAT').commit('REGION', 80);
    r = await row(story);
    expect(r.waitingOn).toEqual([MAUBEUGE, 'citizen_council', 'funder']);
    expect(r.amounts.committedCents).toBe(1_400_000);

    story.commit(MAUBEUGE).opinion('favourable');
    r = await row(story);
    expect(r.waitingFor).toBe('Décision du comité de pilotage à enregistrer');
    expect(r.waitingOn).toEqual(['grant_manager']);

    story.on('2027-03-20').approve();
    r = await row(story);
    expect(r).toMatchObject({
      status: 'approved',
      waitingFor: 'Convention à rédiger',
      waitingOn: ['grant_manager'],
    });
    expect(r.amounts.awardedCents).toBe(1_900_000);

    story.draft('2027-01-01', '2027-04-30');
    r = await row(story);
    expect(r).toMatchObject({
      status: 'awaiting_signatures',
      conventionKind: 'annual',
      waitingFor: 'Signatures attendues : le porteur, État, Région, Commune de Maubeuge',
      waitingOn: [MAUBEUGE, 'ETAT', 'REGION', 'funder', 'porteur'],
      nextDeadline: { at: endOfParisDay('2027-04-30'), kind: 'signature-due' },
    });

    // Once the porteur has signed, only the funders are waited on.
    story.on('2027-04-02').signByPorteur();
    r = await row(story);
    expect(r.waitingOn).toEqual([MAUBEUGE, 'ETAT', 'REGION', 'funder']);
    expect(r.waitingFor).toBe('Signatures attendues : État, Région, Commune de Maubeuge');

    story.signByFunder('ETAT').signByFunder('REGION').signByFunder(MAUBEUGE);
    r = await row(story);
    expect(r.status).toBe('in_force');
    expect(r.waitingOn).toEqual([]);
    expect(r.waitingFor).toBe("Convention en cours d'exécution : rien à faire avant la prochaine échéance");
    expect(r.nextDeadline?.kind).toBe('report-due');
    expect(r.amounts.paidCents).toBe(950_000); // the advances: half of each year-1 grant
    expectConsistentWithDomain(r, story.state);

    story.on('2028-01-05');
    r = await row(story);
    expect(r.waitingOn).toEqual(['porteur']);
    expect(r.waitingFor).toBe(
      'Compte rendu annuel à déposer (année 1 attendue au plus tard le 30 juin 2028)',
    );
    // The porteur's date is the report's due date, not the reminder the workflow sends before it.
    expect(r.nextDeadline).toEqual({ at: '2028-06-30T22:00:00.000Z', kind: 'report-overdue' });

    story.on('2028-02-01').submitReport(1);
    r = await row(story);
    expect(r).toMatchObject({
      waitingFor: 'Compte rendu à examiner',
      waitingOn: ['grant_manager'],
      nextDeadline: null,
    });

    story.on('2028-02-15').acceptReport(1);
    r = await row(story);
    expect(r).toMatchObject({ waitingFor: 'Dossier à clôturer', waitingOn: ['grant_manager'] });
    expect(r.amounts.paidCents).toBe(1_900_000);
    expect(r.reachedBeneficiaries).toBe(110);

    story.close();
    r = await row(story);
    expect(r).toMatchObject({ status: 'closed', statusLabel: 'Clôturée', waitingFor: null, waitingOn: [] });
    expect(r.revision).toBe(String(story.events.length - 1));
    expect(r.awaited).toEqual([]);
    expectConsistentWithDomain(r, story.state);
    expect(listApplications(rm.db, { waitingOn: 'grant_manager' }).total).toBe(0);
  });

  it('shows a withdrawal: nothing awaited any more, commitments gone from the amounts', async () => {
    const story = world.application();
    story.submit(dossier(2)).on('2027-02-20').declareEligible('2027-04-10').on('2027-03-01').commit('ETAT');
    let r = await row(story);
    expect(r.amounts.committedCents).toBe(2_000_000);
    expect(r.waitingOn).toContain('REGION');

    story.on('2027-03-05').withdraw();
    r = await row(story);
    expect(r).toMatchObject({
      status: 'withdrawn',
      statusLabel: 'Retirée',
      waitingFor: null,
      waitingOn: [],
      nextDeadline: null,
    });
    expect(r.amounts).toEqual({
      requestedCents: 4_000_000,
      committedCents: 0,
      awardedCents: 0,
      paidCents: 0,
      recoveredCents: 0,
    });
    expectConsistentWithDomain(r, story.state);
    expect(listApplications(rm.db, { status: 'withdrawn' }).items.map((i) => i.id)).toEqual([
      story.applicationId,
    ]);
    expect(listApplications(rm.db, { waitingOn: 'REGION' }).total).toBe(0);
  });

  it('asks the porteur for complements, then waits on the grant manager again', async () => {
    const story = world.application();
    story.submit().on('2027-02-20').requestComplements('2027-03-10');
    let r = await row(story);
    expect(r).toMatchObject({
      status: 'awaiting_complements',
      waitingFor: 'Compléments à fournir par le porteur',
      waitingOn: ['porteur'],
      nextDeadline: { at: endOfParisDay('2027-03-10'), kind: 'complements-due' },
    });
    // Due date passed without an answer: the timer declares it ineligible.
    story.on('2027-03-12');
    r = await row(story);
    expect(r).toMatchObject({ status: 'ineligible', waitingFor: null, waitingOn: [] });
  });

  it('lets the caller refuse on the row before the stream is read (a stranger costs no fold)', async () => {
    const story = world.application();
    story.submit();
    await rm.catchUp(world.events);
    const streamsRead: string[] = [];
    const watched = historyLog(world.events);
    const log = {
      readStream: (...args: Parameters<typeof watched.readStream>) => (
        streamsRead.push(args[0]),
        watched.readStream(...args)
      ),
    };
    const refusal = new Error('refusé');
    let seen: unknown;
    await expect(
      getApplication(rm.db, log, story.applicationId, (found) => {
        seen = found;
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(seen).toMatchObject({
      id: story.applicationId,
      porteurId: story.porteur.porteurId,
      status: 'under_review',
    });
    expect(seen).not.toHaveProperty('state');
    expect(streamsRead).toEqual([]);
    // Allowed: the same call folds the stream.
    const detail = await getApplication(rm.db, log, story.applicationId, () => undefined);
    expect(detail?.state.status).toBe('under_review');
    expect(streamsRead).toHaveLength(1);
  });

  it('keeps what was asked and what the porteur answered in the stored state, read back on a new connection', async () => {
    const story = world.application();
    story.submit().on('2027-02-20').requestComplements('2027-03-10').on('2027-03-01').provideComplements();
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'read-models.sqlite');
      const first = openReadModels(file);
      await first.catchUp(world.events);
      first.close();
      // Folded on from the stored parts: the exchange must have been written and read back.
      story.on('2027-03-05').declareEligible('2027-04-10');
      const reopened = openReadModels(file);
      await reopened.catchUp(world.events);
      const detail = await getApplication(reopened.db, historyLog(world.events), story.applicationId);
      expect(detail?.status).toBe('co_decision');
      expect(detail?.state.complements).toEqual([
        {
          number: 1,
          items: ['Budget prévisionnel signé'],
          dueDate: '2027-03-10',
          answer: {
            response: 'Budget signé joint.',
            documentRefs: ['doc-budget-signe'],
            dossierAmended: false,
          },
        },
      ]);
      expectConsistentWithDomain(detail!, story.state);
      reopened.close();
    } finally {
      cleanup();
    }
  });

  it('filters, counts and pages the list; a porteur sees only its own', async () => {
    const planned = playCampaign(world, 40, { porteurs: 8 });
    await rm.catchUp(world.events);
    const all = listApplications(rm.db, { campaignId: CAMPAIGN_ID, limit: 500 });
    expect(all.total).toBe(40);
    expect(all.items).toHaveLength(40);
    // Most recent submission first.
    expect(all.items.map((i) => i.id)).toEqual(planned.map((p) => p.story.applicationId).reverse());

    const byState = (predicate: (s: ApplicationState) => boolean) =>
      planned
        .filter((p) => predicate(p.story.state))
        .map((p) => p.story.applicationId)
        .sort();
    const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id).sort();

    const closed = listApplications(rm.db, { campaignId: CAMPAIGN_ID, status: 'closed', limit: 500 });
    expect(ids(closed)).toEqual(byState((s) => s.status === 'closed'));
    expect(closed.total).toBe(closed.items.length);

    const terminal = listApplications(rm.db, { status: ['withdrawn', 'rejected'], limit: 500 });
    expect(ids(terminal)).toEqual(byState((s) => s.status === 'withdrawn' || s.status === 'rejected'));

    const qpv = listApplications(rm.db, { qpv: QPV_SOUS_LE_BOIS, limit: 500 });
    expect(ids(qpv)).toEqual(
      byState((s) => s.status !== 'not_submitted' && s.dossier.action.qpvCodes.includes(QPV_SOUS_LE_BOIS)),
    );

    const caf = listApplications(rm.db, {
      funder: 'CAF',
      campaignId: CAMPAIGN_ID,
      status: 'closed',
      limit: 500,
    });
    expect(ids(caf)).toEqual(
      byState((s) => s.status === 'closed' && fundingSummary(s).some((f) => f.funder === 'CAF')),
    );
    expect(caf.total).toBe(caf.items.length);
    // Filtered by funder, each item carries that funder's share, every year together, besides the
    // application's amounts; unfiltered lists do not.
    const stateOf = new Map(planned.map((p) => [p.story.applicationId, p.story.state]));
    for (const item of caf.items) {
      const rows = fundingSummary(stateOf.get(item.id)!).filter((r) => r.funder === 'CAF');
      const sum = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((t, r) => t + pick(r), 0);
      expect(item.funderAmounts).toEqual({
        funder: 'CAF',
        requestedCents: sum((r) => r.requestedCents),
        committedCents: sum((r) => r.committedCents),
        awardedCents: sum((r) => r.awardedCents),
        paidCents: sum((r) => r.paidCents),
        recoveredCents: sum((r) => r.recoveredCents),
      });
      expect(item.funderAmounts!.requestedCents).toBeGreaterThan(0);
      expect(item.funderAmounts!.requestedCents).toBeLessThan(item.amounts.requestedCents);
    }
    expect(closed.items.some((i) => 'funderAmounts' in i)).toBe(false);

    // Totals (from running counts, or counted rows when several filters combine) match the rows.
    const combinations = [
      {},
      { status: 'in_force' as const },
      { funder: 'ETAT', qpv: QPV_SOUS_LE_BOIS },
      { funder: 'CAF', qpv: QPV_SOUS_LE_BOIS, status: ['closed', 'in_force'] as const },
      { waitingOn: 'grant_manager', campaignId: CAMPAIGN_ID },
      { porteurId: 'porteur-2', funder: 'ETAT' },
      { campaignId: 'autre' },
    ];
    for (const filters of combinations) {
      const page = listApplications(rm.db, { ...filters, limit: 500 });
      expect(page.total, JSON.stringify(filters)).toBe(page.items.length);
      expect(listApplications(rm.db, { ...filters, sort: 'deadline', limit: 500 }).items.length).toBe(
        page.total,
      );
    }

    const mine = listApplications(rm.db, { porteurId: 'porteur-3', limit: 500 });
    expect(ids(mine)).toEqual(
      planned
        .filter((p) => p.story.porteur.porteurId === 'porteur-3')
        .map((p) => p.story.applicationId)
        .sort(),
    );
    expect(mine.items.every((i) => i.porteurId === 'porteur-3')).toBe(true);

    // Cursor pages cover the list exactly once, in order.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = listApplications(rm.db, {
        campaignId: CAMPAIGN_ID,
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.total).toBe(40);
      seen.push(...page.items.map((i) => i.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all.items.map((i) => i.id));
    const offsetPage = listApplications(rm.db, { campaignId: CAMPAIGN_ID, limit: 7, offset: 7 });
    expect(offsetPage.items.map((i) => i.id)).toEqual(seen.slice(7, 14));
  });

  it('keeps an overdue report’s passed due date as its deadline: late files first in the deadline order', async () => {
    const late = world.application();
    late
      .submit(dossier(2))
      .on('2027-02-20')
      .declareEligible('2027-04-10')
      .on('2027-03-01')
      .commitAll()
      .opinion()
      .on('2027-03-20')
      .approve()
      .draft('2027-01-01', '2027-04-30')
      .signAll();
    const waiting = world.application();
    waiting.submit(dossier(1)).on('2028-07-02').declareEligible('2028-09-30');
    // The year-1 report was due on 30 June 2028; the workflow's timer marks it overdue at midnight.
    late.on('2028-07-02');
    const r = await row(late);
    expect(r.waitingFor).toContain('en retard');
    expect(r.nextDeadline).toEqual({ at: endOfParisDay('2028-06-30'), kind: 'report-overdue' });
    // Before the co-decision due on 30 September: without a deadline it would come last.
    await rm.catchUp(world.events);
    const order = listApplications(rm.db, { sort: 'deadline', limit: 10 }).items.map((i) => i.id);
    expect(order.indexOf(late.applicationId)).toBeLessThan(order.indexOf(waiting.applicationId));
  });

  it("filters a grant manager's queue by role or institution, soonest deadline first", async () => {
    const a = world.application();
    const b = world.application();
    const c = world.application();
    for (const s of [a, b, c]) s.submit(dossier(1));
    a.on('2027-02-20').declareEligible('2027-04-10');
    b.on('2027-02-20').declareEligible('2027-03-31');
    c.on('2027-02-20');
    await rm.catchUp(world.events);

    const etat = listApplications(rm.db, { waitingOn: 'ETAT', sort: 'deadline' });
    expect(etat.items.map((i) => i.id)).toEqual([b.applicationId, a.applicationId]);
    expect(listApplications(rm.db, { waitingOn: 'grant_manager' }).items.map((i) => i.id)).toEqual([
      c.applicationId,
    ]);
    expect(listApplications(rm.db, { waitingOn: 'citizen_council', campaignId: CAMPAIGN_ID }).total).toBe(2);
    expect(listApplications(rm.db, { waitingOn: 'CAF' }).total).toBe(0);

    // The deadline order pages with a cursor too; applications without a deadline come last.
    const first = listApplications(rm.db, { sort: 'deadline', limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual([b.applicationId, a.applicationId]);
    const second = listApplications(rm.db, { sort: 'deadline', limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.items.map((i) => i.id)).toEqual([c.applicationId]);
    expect(second.nextCursor).toBeNull();

    b.on('2027-03-01').commit('ETAT');
    await rm.catchUp(world.events);
    expect(listApplications(rm.db, { waitingOn: 'ETAT' }).items.map((i) => i.id)).toEqual([a.applicationId]);
  });

  it('gives the same rows whatever the batches, and after a batch rolled back', async () => {
    playCampaign(world, 12);
    const straight = openReadModels();
    await straight.project(world.events, 100_000);

    // Batches of 7; the third is applied, then rolled back with a transaction around it (as when
    // the projector's transaction fails), then replayed: the folds in memory are then ahead of the
    // tables, and must be folded again from the log, not trusted.
    const events = world.events;
    const log = historyLog(events);
    await rm.project(events.slice(0, 14), 7);
    rm.db.exec('BEGIN');
    await rm.project(events.slice(14, 60), 46);
    rm.db.exec('ROLLBACK');
    await rm.catchUp(events);

    for (const id of world.stories.map((s) => s.applicationId))
      expect(await getApplication(rm.db, log, id)).toEqual(await getApplication(straight.db, log, id));
    expect(listApplications(rm.db, { limit: 500 })).toEqual(listApplications(straight.db, { limit: 500 }));
    straight.close();
  });

  it('resumes on a new connection, its states folded again from the log', async () => {
    playCampaign(world, 10);
    const log = historyLog(world.events);
    const straight = openReadModels();
    await straight.project(world.events, 100_000);
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'read-models.sqlite');
      const events = world.events;
      // Stops at several places: each new connection folds the states it needs from the log.
      for (const cut of [0.2, 0.45, 0.7, 1]) {
        const resumed = openReadModels(file);
        await resumed.catchUp(events.slice(0, Math.floor(events.length * cut)));
        resumed.close();
      }
      const reopened = openReadModels(file);
      for (const id of world.stories.map((s) => s.applicationId))
        expect(await getApplication(reopened.db, log, id)).toEqual(
          await getApplication(straight.db, log, id),
        );
      expect(dumpTables(reopened.db)).toEqual(dumpTables(straight.db));
      reopened.close();
    } finally {
      cleanup();
      straight.close();
    }
  });

  it('refuses an event that does not follow the stored revision (a gap in the stream)', async () => {
    const story = world.application();
    story.submit().on('2027-02-20').declareEligible('2027-04-10').on('2027-03-01').commit('ETAT');
    const events = world.events.filter((e) => e.type !== 'ApplicationDeclaredEligible');
    await expect(rm.project(events)).rejects.toThrow(/révision 0/);
  });
});
