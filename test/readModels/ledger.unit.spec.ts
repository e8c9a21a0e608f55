// The funding ledger per funder and year, events in, rows out: its sums must be the domain's own
// figures — fundingSummary over the applications, what the folded envelopes hold — whatever the
// batches. (That they are also the audit ledger's movements summed is checked against the audit
// ledger itself, read from a real store: test/audit/ledgerMovements.int.spec.ts.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fundingSummary } from '../../domain';
import { ledgerTotals, type LedgerTotal } from '../../services/readModels';
import { dossier, MAUBEUGE } from '../domain/support/fixtures';
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

const money = ({ funder, year, committedCents, awardedCents, paidCents, recoveredCents }: LedgerTotal) => ({
  funder,
  year,
  committedCents,
  awardedCents,
  paidCents,
  recoveredCents,
});

/** fundingSummary over every story, per funder and convention year, in the query's order. */
function expectedByConventionYear(w: GrantsWorld) {
  const sums = new Map<string, ReturnType<typeof money>>();
  for (const row of w.stories.flatMap((s) => fundingSummary(s.state))) {
    const key = `${row.funder}|${row.year}`;
    const sum = sums.get(key) ?? {
      funder: row.funder,
      year: row.year,
      committedCents: 0,
      awardedCents: 0,
      paidCents: 0,
      recoveredCents: 0,
    };
    sum.committedCents += row.committedCents;
    sum.awardedCents += row.awardedCents;
    sum.paidCents += row.paidCents;
    sum.recoveredCents += row.recoveredCents;
    sums.set(key, sum);
  }
  return [...sums.values()].sort((a, b) => a.funder.localeCompare(b.funder) || a.year - b.year);
}

const hasMoney = (t: ReturnType<typeof money>) =>
  t.committedCents !== 0 || t.awardedCents !== 0 || t.paidCents !== 0 || t.recoveredCents !== 0;

describe('ledger read model: money per funder and year', () => {
  it("adds up, per funder and convention year, to the domain's fundingSummary; reservations to the envelopes", async () => {
    playCampaign(world, 30);
    await rm.catchUp(world.events);

    const byConvention = ledgerTotals(rm.db, { yearOf: 'convention' });
    expect(byConvention.map(money).filter(hasMoney)).toEqual(
      expectedByConventionYear(world).filter(hasMoney),
    );
    for (const funder of FUNDERS) {
      const reserved = byConvention
        .filter((t) => t.funder === funder)
        .reduce((n, t) => n + t.reservedCents, 0);
      expect(reserved, funder).toBe(world.envelope(CAMPAIGN_ID, funder).reservedCents);
    }

    // By the calendar year the money moved in: the same money, spread over other years.
    const byCalendar = ledgerTotals(rm.db, { campaignId: CAMPAIGN_ID });
    expect(byCalendar.every((t) => t.year >= 2027 && t.year <= 2032)).toBe(true);
    const sum = (totals: LedgerTotal[], field: keyof ReturnType<typeof money>) =>
      totals.reduce((n, t) => n + Number(t[field]), 0);
    for (const field of ['committedCents', 'awardedCents', 'paidCents', 'recoveredCents'] as const)
      expect(sum(byCalendar, field), field).toBe(sum(byConvention, field));
    expect(byCalendar.find((t) => t.funder === 'ETAT')?.funderName).toBe('État');

    // One funder's rows are the same rows, alone; a campaign nobody opened has none.
    expect(ledgerTotals(rm.db, { funder: 'CAF', yearOf: 'convention' })).toEqual(
      byConvention.filter((t) => t.funder === 'CAF'),
    );
    expect(ledgerTotals(rm.db, { campaignId: 'autre' })).toEqual([]);
  });

  it('gives the same sums whatever the batches', async () => {
    playCampaign(world, 18);
    await rm.catchUp(world.events);
    const inOne = ledgerTotals(rm.db, { yearOf: 'convention' });
    const other = openReadModels();
    try {
      await other.project(world.events, 7);
      expect(ledgerTotals(other.db, { yearOf: 'convention' })).toEqual(inOne);
      expect(ledgerTotals(other.db)).toEqual(ledgerTotals(rm.db));
    } finally {
      other.close();
    }
  });

  it("takes back what a rejected application had committed: the committee's rejection cancels it", async () => {
    const story = world.application();
    story.submit(dossier(2)).on('2027-02-20').declareEligible('2027-04-10');
    story.on('2027-03-01').commit('ETAT').commit(MAUBEUGE, 50);
    await rm.catchUp(world.events);
    const committed = () =>
      ledgerTotals(rm.db, { yearOf: 'convention' }).map(({ funder, year, committedCents }) => [
        funder,
        year,
        committedCents,
      ]);
    expect(committed()).toEqual([
      [MAUBEUGE, 1, 250_000],
      [MAUBEUGE, 2, 250_000],
      ['ETAT', 1, 1_000_000],
      ['ETAT', 2, 1_000_000],
    ]);

    story.on('2027-04-20').reject();
    await rm.catchUp(world.events);
    expect(committed()).toEqual([
      [MAUBEUGE, 1, 0],
      [MAUBEUGE, 2, 0],
      ['ETAT', 1, 0],
      ['ETAT', 2, 0],
    ]);
  });

  it('takes back a withdrawn application’s commitments and gives its reservations back to the envelopes', async () => {
    const story = world.application();
    story.submit(dossier(2)).on('2027-02-20').declareEligible('2027-04-10');
    story.on('2027-03-01').commit('ETAT').commit(MAUBEUGE, 50);
    await rm.catchUp(world.events);
    expect(ledgerTotals(rm.db, { campaignId: CAMPAIGN_ID })).toEqual([
      expect.objectContaining({
        funder: MAUBEUGE,
        year: 2027,
        committedCents: 500_000,
        reservedCents: 500_000,
      }),
      expect.objectContaining({
        funder: 'ETAT',
        year: 2027,
        committedCents: 2_000_000,
        reservedCents: 2_000_000,
      }),
    ]);

    story.on('2027-03-05').withdraw();
    await rm.catchUp(world.events);
    expect(ledgerTotals(rm.db, { campaignId: CAMPAIGN_ID })).toEqual([
      expect.objectContaining({ funder: MAUBEUGE, year: 2027, committedCents: 0, reservedCents: 0 }),
      expect.objectContaining({ funder: 'ETAT', year: 2027, committedCents: 0, reservedCents: 0 }),
    ]);
  });
});
