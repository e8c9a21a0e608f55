// The funding ledger, events in, rows out: its movements must add up to the domain's own figures,
// fundingSummary for each application and the folded envelopes for reservations.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fundingSummary, type FundingRow } from '../../domain';
import { ledger, ledgerTotals, type LedgerEntry } from '../../services/readModels';
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

function everything(filters: Parameters<typeof ledger>[1] = {}): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = ledger(rm.db, { ...filters, limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    entries.push(...page.entries);
    if (page.nextCursor === null) return entries;
    cursor = page.nextCursor;
  }
}

const measures = {
  commitment: 'committedCents',
  award: 'awardedCents',
  payment: 'paidCents',
  recovery: 'recoveredCents',
} as const satisfies Record<string, keyof FundingRow>;

describe('ledger read model', () => {
  it("adds up, application by application, to the domain's fundingSummary; reservations to the envelopes", async () => {
    playCampaign(world, 30);
    await rm.catchUp(world.events);
    const entries = everything();
    expect(entries.map((e) => Number(e.id))).toEqual(
      [...entries.map((e) => Number(e.id))].sort((a, b) => a - b),
    );

    for (const story of world.stories) {
      const mine = entries.filter((e) => e.applicationId === story.applicationId);
      for (const row of fundingSummary(story.state)) {
        for (const [kind, field] of Object.entries(measures)) {
          const sum = mine
            .filter((e) => e.kind === kind && e.funder === row.funder && e.year === row.year)
            .reduce((n, e) => n + e.amountCents, 0);
          expect(sum, `${story.applicationId} ${row.funder} an ${row.year} ${kind}`).toBe(row[field]);
        }
      }
      // The same through the totals, per convention year.
      const totals = ledgerTotals(rm.db, { applicationId: story.applicationId, yearOf: 'convention' });
      const expected = fundingSummary(story.state)
        .filter((r) => r.committedCents + r.awardedCents + r.paidCents + r.recoveredCents > 0)
        .map((r) => ({
          funder: r.funder,
          year: r.year,
          committedCents: r.committedCents,
          awardedCents: r.awardedCents,
          paidCents: r.paidCents,
          recoveredCents: r.recoveredCents,
        }));
      expect(
        totals
          .map(({ funder, year, committedCents, awardedCents, paidCents, recoveredCents }) => ({
            funder,
            year,
            committedCents,
            awardedCents,
            paidCents,
            recoveredCents,
          }))
          .filter((t) => t.committedCents + t.awardedCents + t.paidCents + t.recoveredCents > 0),
      ).toEqual(expected.sort((a, b) => a.funder.localeCompare(b.funder) || a.year - b.year));
    }

    for (const funder of FUNDERS) {
      const envelope = world.envelope(CAMPAIGN_ID, funder);
      const held = entries.filter(
        (e) => e.funder === funder && (e.kind === 'reservation' || e.kind === 'release'),
      );
      expect(
        held.reduce((n, e) => n + e.amountCents, 0),
        funder,
      ).toBe(envelope.reservedCents);
      for (const [applicationId, reservation] of Object.entries(envelope.reservations)) {
        const byYear = new Map<number, number>();
        for (const e of held.filter((x) => x.applicationId === applicationId))
          byYear.set(e.year, (byYear.get(e.year) ?? 0) + e.amountCents);
        expect([...byYear].filter(([, a]) => a !== 0).sort(), `${funder} ${applicationId}`).toEqual(
          reservation.amountsByYear.map((y) => [y.year, y.amountCents]),
        );
      }
    }

    // Running sums and a scan of the rows agree.
    const running = ledgerTotals(rm.db, { campaignId: CAMPAIGN_ID });
    const scanned = ledgerTotals(rm.db, { campaignId: CAMPAIGN_ID, from: '2000-01-01', to: '2100-01-01' });
    expect(running).toEqual(scanned);
    const paidByFunder = ledgerTotals(rm.db, { funder: 'ETAT', yearOf: 'convention' });
    const etatRows = world.stories.flatMap((s) => fundingSummary(s.state)).filter((r) => r.funder === 'ETAT');
    for (const t of paidByFunder)
      expect(t.paidCents).toBe(
        etatRows.filter((r) => r.year === t.year).reduce((n, r) => n + r.paidCents, 0),
      );
  });

  it("records the committee's rejection as the cancellation of the commitments, which the figures then leave out", async () => {
    const story = world.application();
    story.submit(dossier(2)).on('2027-02-20').declareEligible('2027-04-10');
    story.on('2027-03-01').commit('ETAT').commit(MAUBEUGE, 50);
    story.on('2027-04-20').reject();
    await rm.catchUp(world.events);

    const commitments = everything({ applicationId: story.applicationId, kind: 'commitment' }).map((e) => [
      e.eventType,
      e.funder,
      e.year,
      e.amountCents,
    ]);
    expect(commitments).toEqual([
      ['FunderPositionRecorded', 'ETAT', 1, 1_000_000],
      ['FunderPositionRecorded', 'ETAT', 2, 1_000_000],
      ['FunderPositionRecorded', MAUBEUGE, 1, 250_000],
      ['FunderPositionRecorded', MAUBEUGE, 2, 250_000],
      ['CommitteeRejectionRecorded', MAUBEUGE, 1, -250_000],
      ['CommitteeRejectionRecorded', MAUBEUGE, 2, -250_000],
      ['CommitteeRejectionRecorded', 'ETAT', 1, -1_000_000],
      ['CommitteeRejectionRecorded', 'ETAT', 2, -1_000_000],
    ]);
    // Nothing stays committed on a rejected application: what a funder has committed is what its
    // envelope holds for the applications still alive.
    expect(fundingSummary(story.state).every((r) => r.committedCents === 0 && r.awardedCents === 0)).toBe(
      true,
    );
  });

  it('records a withdrawal as the cancellation of the commitments and the release of the reservations', async () => {
    const story = world.application();
    story.submit(dossier(2)).on('2027-02-20').declareEligible('2027-04-10');
    story.on('2027-03-01').commit('ETAT').commit(MAUBEUGE, 50);
    story.on('2027-03-05').withdraw();
    await rm.catchUp(world.events);

    const moves = everything({ applicationId: story.applicationId }).map((e) => [
      e.eventType,
      e.kind,
      e.funder,
      e.year,
      e.amountCents,
    ]);
    expect(moves).toEqual([
      ['FundsReserved', 'reservation', 'ETAT', 1, 1_000_000],
      ['FundsReserved', 'reservation', 'ETAT', 2, 1_000_000],
      ['FunderPositionRecorded', 'commitment', 'ETAT', 1, 1_000_000],
      ['FunderPositionRecorded', 'commitment', 'ETAT', 2, 1_000_000],
      ['FundsReserved', 'reservation', MAUBEUGE, 1, 250_000],
      ['FundsReserved', 'reservation', MAUBEUGE, 2, 250_000],
      ['FunderPositionRecorded', 'commitment', MAUBEUGE, 1, 250_000],
      ['FunderPositionRecorded', 'commitment', MAUBEUGE, 2, 250_000],
      ['ApplicationWithdrawn', 'commitment', MAUBEUGE, 1, -250_000],
      ['ApplicationWithdrawn', 'commitment', MAUBEUGE, 2, -250_000],
      ['ApplicationWithdrawn', 'commitment', 'ETAT', 1, -1_000_000],
      ['ApplicationWithdrawn', 'commitment', 'ETAT', 2, -1_000_000],
      ['FundsReleased', 'release', 'ETAT', 1, -1_000_000],
      ['FundsReleased', 'release', 'ETAT', 2, -1_000_000],
      ['FundsReleased', 'release', MAUBEUGE, 1, -250_000],
      ['FundsReleased', 'release', MAUBEUGE, 2, -250_000],
    ]);
    const [first] = everything({ applicationId: story.applicationId, kind: 'commitment' });
    expect(first).toMatchObject({
      label: 'Engagement du financeur',
      funderName: 'État',
      campaignId: CAMPAIGN_ID,
      occurredAt: '2027-03-01T09:00:00.000Z',
      actor: { role: 'funder', institution: 'ETAT' },
    });
    expect(ledgerTotals(rm.db, { campaignId: CAMPAIGN_ID })).toEqual([
      expect.objectContaining({ funder: MAUBEUGE, year: 2027, committedCents: 0, reservedCents: 0 }),
      expect.objectContaining({ funder: 'ETAT', year: 2027, committedCents: 0, reservedCents: 0 }),
    ]);
  });

  it('pages in event order and filters by funder, campaign, business dates and position', async () => {
    playCampaign(world, 12);
    await rm.catchUp(world.events);
    const all = everything();
    const pages: LedgerEntry[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = ledger(rm.db, { limit: 9, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(...page.entries);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(pages).toEqual(all);

    expect(everything({ funder: 'CAF' })).toEqual(all.filter((e) => e.funder === 'CAF'));
    expect(everything({ campaignId: CAMPAIGN_ID })).toEqual(all);
    expect(everything({ campaignId: 'autre' })).toEqual([]);
    const in2028 = everything({ from: '2028-01-01', to: '2029-01-01' });
    expect(in2028.length).toBeGreaterThan(0);
    expect(in2028).toEqual(
      all.filter(
        (e) => e.occurredAt >= '2027-12-31T23:00:00.000Z' && e.occurredAt < '2028-12-31T23:00:00.000Z',
      ),
    );
    const middle = all[Math.floor(all.length / 2)];
    if (middle === undefined) throw new Error('grand livre vide');
    expect(everything({ afterPosition: middle.position })).toEqual(
      all.filter((e) => BigInt(e.position) > BigInt(middle.position)),
    );
    expect(everything({ afterPosition: middle.position, funder: 'CAF' })).toEqual(
      all.filter((e) => BigInt(e.position) > BigInt(middle.position) && e.funder === 'CAF'),
    );
    expect(
      everything({ kind: 'recovery' }).every(
        (e) => e.kind === 'recovery' && e.label === 'Ordre de reversement',
      ),
    ).toBe(true);
  });
});
