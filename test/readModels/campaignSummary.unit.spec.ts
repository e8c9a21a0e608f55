// The campaign summary, events in, rows out: a campaign played by the real deciders, its totals
// compared with the domain's own view of each application (fundingSummary) and of each envelope
// (evolveEnvelope, as the world folded it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fundingSummary, type FundingRow, type SubmittedState } from '../../domain';
import {
  campaignsList,
  campaignSummary,
  statsByFunder,
  statsByQpv,
  statsByTheme,
  type Amounts,
} from '../../services/readModels';
import { actors, dossier } from '../domain/support/fixtures';
import { openReadModels, type ReadModels } from './support/readModels';
import { playCampaign } from './support/scenarios';
import { CAMPAIGN_ID, FUNDERS, GrantsWorld } from './support/world';

let world: GrantsWorld;
let rm: ReadModels;

beforeEach(() => {
  world = new GrantsWorld().openCampaign();
  rm = openReadModels();
});
afterEach(() => rm.close());

const zero = (): Amounts => ({
  requestedCents: 0,
  committedCents: 0,
  awardedCents: 0,
  paidCents: 0,
  recoveredCents: 0,
});

function total(rows: readonly FundingRow[]): Amounts {
  const t = zero();
  for (const r of rows) {
    t.requestedCents += r.requestedCents;
    t.committedCents += r.committedCents;
    t.awardedCents += r.awardedCents;
    t.paidCents += r.paidCents;
    t.recoveredCents += r.recoveredCents;
  }
  return t;
}

const submitted = (w: GrantsWorld): SubmittedState[] =>
  w.stories.map((s) => s.state).filter((s): s is SubmittedState => s.status !== 'not_submitted');

// Conventions of the scenarios start on 1 January 2027, the campaign's year: year k is 2026 + k.
const calendarYear = (year: number) => 2026 + year;

describe('campaign summary read model', () => {
  it('counts people a year: expected by the files not given up, reached by each action’s latest accepted report', async () => {
    const cpo = world.application({ porteurId: 'porteur-cpo' });
    cpo.on('2027-02-10').submit(dossier(2, { ETAT: 1_000_000 }, 2_000_000));
    cpo.on('2027-02-20').declareEligible('2027-04-10');
    cpo.on('2027-03-01').commit('ETAT').opinion();
    cpo.on('2027-04-15').approve();
    cpo.on('2027-04-20').draft('2027-01-01', '2027-05-31');
    cpo.on('2027-05-02').signAll();
    cpo.on('2028-02-01').submitReport(1, undefined, 50).acceptReport(1);
    cpo.on('2029-02-01').submitReport(2, undefined, 60).acceptReport(2);
    const withdrawn = world.application({ porteurId: 'porteur-retire' });
    withdrawn.on('2027-02-11').submit(dossier(1, { ETAT: 500_000 }, 1_000_000));
    withdrawn.withdraw();
    await rm.catchUp(world.events);

    const summary = campaignSummary(rm.db, CAMPAIGN_ID);
    // The CPO's 120 a year (its dossier), not the withdrawn file's; its second year's 60, not 50 + 60.
    expect(summary).toMatchObject({ applications: 2, expectedBeneficiaries: 120, reachedBeneficiaries: 60 });
    expect(summary?.byTheme.map((t) => [t.theme, t.expectedBeneficiaries, t.reachedBeneficiaries])).toEqual([
      ['1.3', 120, 60],
    ]);
    const qpv = statsByQpv(rm.db, { campaignId: CAMPAIGN_ID });
    for (const x of qpv) expect([x.expectedBeneficiaries, x.reachedBeneficiaries]).toEqual([120, 60]);
  });

  it("adds up every application's funding, per funder, quartier, theme and year, with envelope use", async () => {
    playCampaign(world, 30);
    await rm.catchUp(world.events);
    const states = submitted(world);
    const summary = campaignSummary(rm.db, CAMPAIGN_ID);
    if (summary === undefined) throw new Error('campagne absente');

    expect(summary).toMatchObject({
      campaignId: CAMPAIGN_ID,
      name: 'AMI Contrat de ville CAMVS 2027',
      year: 2027,
      status: 'open',
      applications: 30,
      expectedBeneficiaries: states
        .filter((s) => !['withdrawn', 'ineligible', 'rejected', 'lapsed'].includes(s.status))
        .reduce((n, s) => n + s.dossier.action.expectedBeneficiaries, 0),
    });
    expect(summary.amounts).toEqual(total(states.flatMap(fundingSummary)));

    const years = [...new Set(states.flatMap(fundingSummary).map((r) => r.year))].sort();
    expect(summary.byYear).toEqual(
      years.map((y) => ({
        year: calendarYear(y),
        ...total(states.flatMap(fundingSummary).filter((r) => r.year === y)),
      })),
    );

    for (const f of summary.byFunder) {
      const rows = states.flatMap(fundingSummary).filter((r) => r.funder === f.funder);
      expect(f.amounts, f.funder).toEqual(total(rows));
      expect(f.applications, f.funder).toBe(
        states.filter((s) => fundingSummary(s).some((r) => r.funder === f.funder)).length,
      );
      const envelope = world.envelope(CAMPAIGN_ID, f.funder);
      expect(f.envelope, f.funder).toEqual({
        amountCents: envelope.amountCents,
        reservedCents: envelope.reservedCents,
        remainingCents: envelope.amountCents - envelope.reservedCents,
      });
    }
    expect(summary.byFunder.map((f) => f.funder).sort()).toEqual([...FUNDERS].sort());

    for (const q of summary.byQpv) {
      const targeting = states.filter((s) => s.dossier.action.qpvCodes.includes(q.qpv));
      expect(q.applications, q.qpv).toBe(targeting.length);
      expect(q.amounts, q.qpv).toEqual(total(targeting.flatMap(fundingSummary)));
    }
    for (const t of summary.byTheme) {
      const of = states.filter((s) => s.dossier.action.theme === t.theme);
      expect(t.applications, t.theme).toBe(of.length);
      expect(t.amounts, t.theme).toEqual(total(of.flatMap(fundingSummary)));
    }
    const statuses = new Map<string, number>();
    for (const s of states) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    expect(summary.byStatus.map((s) => [s.status, s.applications])).toEqual([...statuses].sort());
    expect(summary.byStatus.find((s) => s.status === 'withdrawn')?.statusLabel).toBe('Retirée');

    const retained = states.filter((s) => 'award' in s && s.status !== 'lapsed');
    const cpo = retained.filter((s) => s.dossier.durationYears >= 2).length;
    expect(summary.multiYear).toEqual({
      retainedActions: retained.length,
      multiYearActions: cpo,
      annualActions: retained.length - cpo,
      sharePercent: Math.round((cpo * 1000) / retained.length) / 10,
      targetPercent: 50,
      targetReached: cpo * 2 >= retained.length,
    });

    // Statistics for one calendar year, across campaigns (here, one).
    const year2 = statsByQpv(rm.db, { year: 2028 });
    for (const q of year2) {
      const rows = states
        .filter((s) => s.dossier.action.qpvCodes.includes(q.qpv))
        .flatMap(fundingSummary)
        .filter((r) => r.year === 2);
      expect(q.amounts, q.qpv).toEqual(total(rows));
    }
    const funders = statsByFunder(rm.db, { campaignId: CAMPAIGN_ID });
    expect(funders.map((f) => [f.funder, f.amounts, f.envelope])).toEqual(
      summary.byFunder.map((f) => [f.funder, f.amounts, f.envelope]),
    );
    expect(statsByTheme(rm.db).map((t) => [t.theme, t.applications])).toEqual(
      summary.byTheme.map((t) => [t.theme, t.applications]),
    );

    expect(campaignsList(rm.db)).toEqual([
      expect.objectContaining({
        campaignId: CAMPAIGN_ID,
        status: 'open',
        applications: 30,
        amounts: summary.amounts,
        multiYear: summary.multiYear,
      }),
    ]);
  });

  it('counts the money of a quartier named twice in a dossier once (a dossier filed before repeats were refused)', async () => {
    playCampaign(world, 6);
    const asFiled = openReadModels();
    await asFiled.catchUp(world.events);
    const expected = statsByQpv(asFiled.db, { campaignId: CAMPAIGN_ID });
    asFiled.close();
    // The same log, one submission repeating its first quartier.
    let repeated: string | undefined;
    const events = world.events.map((event) => {
      if (repeated !== undefined || event.type !== 'ApplicationSubmitted') return event;
      const data = event.data as { dossier: { action: { qpvCodes: string[] } } };
      const codes = data.dossier.action.qpvCodes;
      repeated = codes[0];
      const action = { ...data.dossier.action, qpvCodes: [...codes, ...codes.slice(0, 1)] };
      return { ...event, data: { ...data, dossier: { ...data.dossier, action } } };
    });
    expect(repeated).toBeDefined();
    await rm.catchUp(events);
    expect(statsByQpv(rm.db, { campaignId: CAMPAIGN_ID })).toEqual(expected);
  });

  it('follows the campaign and its envelopes: closing, adjusting, reservations released on withdrawal', async () => {
    const story = world.application();
    story.submit(dossier(2)).on('2027-02-20').declareEligible('2027-04-10').on('2027-03-01').commit('ETAT');
    world.campaignCommand(
      CAMPAIGN_ID,
      {
        type: 'AdjustFunderEnvelope',
        funder: 'ETAT',
        amountCents: 7_000_000_000,
        reason: 'Crédits complémentaires',
      },
      actors.grantManager,
      '2027-03-02T09:00:00.000Z',
    );
    await rm.catchUp(world.events);
    let etat = campaignSummary(rm.db, CAMPAIGN_ID)?.byFunder.find((f) => f.funder === 'ETAT');
    expect(etat?.envelope).toEqual({
      amountCents: 7_000_000_000,
      reservedCents: 2_000_000,
      remainingCents: 6_998_000_000,
    });

    story.on('2027-03-05').withdraw();
    world.campaignCommand(
      CAMPAIGN_ID,
      { type: 'CloseCampaign', reason: 'Fin de l’appel' },
      actors.grantManager,
      '2027-03-06T09:00:00.000Z',
    );
    await rm.catchUp(world.events);
    const summary = campaignSummary(rm.db, CAMPAIGN_ID);
    etat = summary?.byFunder.find((f) => f.funder === 'ETAT');
    expect(etat?.envelope?.reservedCents).toBe(0);
    expect(etat?.amounts.committedCents).toBe(0);
    expect(summary?.status).toBe('closed');
    expect(summary?.closedAt).toBe('2027-03-06T09:00:00.000Z');
    expect(summary?.byStatus).toEqual([{ status: 'withdrawn', statusLabel: 'Retirée', applications: 1 }]);
    // The statuses it went through, and its committed money, left no row at zero behind.
    expect(
      rm.db
        .prepare(
          `SELECT dimension, key FROM campaign_counts
           WHERE applications = 0 AND expected_beneficiaries = 0 AND reached_beneficiaries = 0
           UNION ALL SELECT dimension, key FROM campaign_amounts WHERE requested_cents = 0
             AND committed_cents = 0 AND awarded_cents = 0 AND paid_cents = 0 AND recovered_cents = 0`,
        )
        .all(),
    ).toEqual([]);
    expect(
      rm.db.prepare("SELECT key, applications FROM campaign_counts WHERE dimension = 'status'").all(),
    ).toEqual([{ key: 'withdrawn', applications: 1 }]);
    expect(summary?.multiYear).toMatchObject({ retainedActions: 0, sharePercent: null, targetReached: null });
  });

  it('measures the share of multi-year conventions against the target', async () => {
    const retain = (years: number) => {
      const s = world.application();
      s.submit(dossier(years)).on('2027-02-20').declareEligible('2027-04-10');
      s.on('2027-03-01').commitAll().opinion().on('2027-03-20').approve();
      return s;
    };
    retain(3).draft('2027-01-01', '2027-04-30');
    retain(1);
    retain(1);
    await rm.catchUp(world.events);
    expect(campaignSummary(rm.db, CAMPAIGN_ID)?.multiYear).toEqual({
      retainedActions: 3,
      multiYearActions: 1,
      annualActions: 2,
      sharePercent: 33.3,
      targetPercent: 50,
      targetReached: false,
    });
    expect(campaignSummary(rm.db, 'inconnue')).toBeUndefined();
  });

  it('judges the target on the exact share, not the rounded one it shows', async () => {
    // Two CPO of three: 66.67 %, shown 66.7 %, short of a 66.7 % target.
    world = new GrantsWorld().openCampaign({ multiYearTargetPercent: 66.7 });
    for (const years of [3, 2, 1]) {
      const s = world.application();
      s.submit(dossier(years)).on('2027-02-20').declareEligible('2027-04-10');
      s.on('2027-03-01').commitAll().opinion().on('2027-03-20').approve();
    }
    await rm.catchUp(world.events);
    expect(campaignSummary(rm.db, CAMPAIGN_ID)?.multiYear).toMatchObject({
      sharePercent: 66.7,
      targetPercent: 66.7,
      targetReached: false,
    });
  });
});
