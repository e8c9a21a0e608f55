// Yearly reports, events in, rows out: the report of each convention year through its statuses,
// as the domain's timers and the people's steps move it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applicationReports, overdueReports, upcomingReports } from '../../services/readModels';
import { dossier, MAUBEUGE } from '../domain/support/fixtures';
import { openReadModels, type ReadModels } from './support/readModels';
import { CAMPAIGN_ID, GrantsWorld, type ApplicationStory } from './support/world';

let world: GrantsWorld;
let rm: ReadModels;

beforeEach(() => {
  world = new GrantsWorld().openCampaign();
  rm = openReadModels();
});
afterEach(() => rm.close());

/** A two-year CPO in force from 1 January 2027, funded by whoever the dossier asks. */
function inForce(requested?: Parameters<typeof dossier>[1], porteurId?: string): ApplicationStory {
  const s = world.application(porteurId === undefined ? {} : { porteurId });
  s.submit(dossier(2, requested)).on('2027-02-20').declareEligible('2027-04-10');
  s.on('2027-03-01').commitAll().opinion().on('2027-03-20').approve().draft('2027-01-01', '2027-04-30');
  s.on('2027-04-02').signAll();
  return s;
}

const statuses = async (s: ApplicationStory) => {
  await rm.catchUp(world.events);
  return applicationReports(rm.db, s.applicationId).map((r) => [r.year, r.status, r.dueDate]);
};

describe('reports read model', () => {
  it('moves a report through expected, reminder, overdue, submitted, changes requested and accepted', async () => {
    const s = inForce();
    expect(await statuses(s)).toEqual([
      [1, 'not_due', '2028-06-30'],
      [2, 'not_due', '2029-06-30'],
    ]);
    s.on('2028-01-02');
    expect((await statuses(s))[0]).toEqual([1, 'expected', '2028-06-30']);
    s.on('2028-06-01');
    expect((await statuses(s))[0]).toEqual([1, 'reminder_sent', '2028-06-30']);
    s.on('2028-07-02');
    expect((await statuses(s))[0]).toEqual([1, 'overdue', '2028-06-30']);
    const [overdue] = overdueReports(rm.db).items;
    expect(overdue).toMatchObject({
      applicationId: s.applicationId,
      campaignId: CAMPAIGN_ID,
      porteurName: 'Association Sambre Avenir (fictive)',
      title: 'Ateliers numériques parents-enfants',
      year: 1,
      yearStart: '2027-01-01',
      yearEnd: '2027-12-31',
      status: 'overdue',
      statusLabel: 'En retard',
      overdue: true,
      reminderSent: true,
      funders: [MAUBEUGE, 'ETAT', 'REGION'],
    });

    s.on('2028-07-10').submitReport(1);
    expect((await statuses(s))[0]).toEqual([1, 'submitted', '2028-06-30']);
    expect(overdueReports(rm.db).items).toEqual([]);
    s.on('2028-07-15').requestReportChanges(1, '2028-08-31');
    expect((await statuses(s))[0]).toEqual([1, 'changes_requested', '2028-08-31']);
    s.on('2028-08-20').submitReport(1).on('2028-08-25').acceptReport(1);
    expect((await statuses(s))[0]).toEqual([1, 'accepted', '2028-06-30']);
    expect(applicationReports(rm.db, s.applicationId)[0]?.beneficiariesReached).toBe(110);
  });

  it('lists overdue reports by campaign and funder, and those due within a window', async () => {
    const withEtat = inForce({ ETAT: 1_000_000 }, 'asso-a');
    const withCaf = inForce({ CAF: 800_000 }, 'asso-b');
    const onTime = inForce({ ETAT: 500_000 }, 'asso-c');
    for (const s of [withEtat, withCaf, onTime]) s.on('2028-01-02');
    onTime.on('2028-02-01').submitReport(1);
    for (const s of [withEtat, withCaf]) s.on('2028-07-02');
    await rm.catchUp(world.events);

    const ids = (items: { applicationId: string }[]) => items.map((i) => i.applicationId).sort();
    expect(ids(overdueReports(rm.db).items)).toEqual([withEtat.applicationId, withCaf.applicationId].sort());
    // A list cut at its limit says how many there are in all.
    expect(overdueReports(rm.db, { limit: 1 })).toMatchObject({ total: 2, items: [expect.anything()] });
    expect(overdueReports(rm.db).total).toBe(2);
    expect(ids(overdueReports(rm.db, { funder: 'ETAT' }).items)).toEqual([withEtat.applicationId]);
    expect(ids(overdueReports(rm.db, { funder: 'CAF', campaignId: CAMPAIGN_ID }).items)).toEqual([
      withCaf.applicationId,
    ]);
    expect(overdueReports(rm.db, { campaignId: 'autre' }).items).toEqual([]);
    // A porteur's own, and only its own.
    expect(ids(overdueReports(rm.db, { porteurId: 'asso-b' }).items)).toEqual([withCaf.applicationId]);
    expect(overdueReports(rm.db, { porteurId: 'asso-c' }).items).toEqual([]);

    // Year 2 reports are due on 30 June 2029.
    expect(upcomingReports(rm.db, { asOf: '2029-06-01', withinDays: 28 }).items).toEqual([]);
    const due = upcomingReports(rm.db, { asOf: '2029-06-01T08:00:00Z', withinDays: 30 }).items;
    expect(due.map((r) => [r.year, r.dueDate])).toEqual([
      [2, '2029-06-30'],
      [2, '2029-06-30'],
      [2, '2029-06-30'],
    ]);
    expect(ids(upcomingReports(rm.db, { asOf: '2028-06-01', withinDays: 30, funder: 'ETAT' }).items)).toEqual(
      [],
    );
  });

  it('drops the reports of a terminated convention from the overdue and upcoming lists', async () => {
    const s = inForce();
    s.on('2028-07-02');
    await rm.catchUp(world.events);
    expect(overdueReports(rm.db).items).toHaveLength(1);
    s.terminate();
    await rm.catchUp(world.events);
    expect(overdueReports(rm.db).items).toEqual([]);
    expect(upcomingReports(rm.db, { asOf: '2029-01-01', withinDays: 365 }).items).toEqual([]);
    expect(applicationReports(rm.db, s.applicationId).map((r) => r.status)).toEqual(['overdue', 'not_due']);
  });
});
