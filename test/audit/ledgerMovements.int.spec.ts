// The audit ledger's entries are movements that add up: for every application and funder, the
// entries of each kind sum to the domain's fundingSummary (commitments and awards cancelled by a
// withdrawal, a rejection or a lapse included), an envelope's reservations and releases sum to
// what the folded envelope holds, and its envelope_* entries to its amount, votes and adjustments
// (up and down, interleaved with the applications) each counted once. Every entry of convention
// year k falls in budget year campaign year + k − 1, so that an entry and its cancellation (a
// convention withdrawn, lapsed or terminated after it was drafted) fall in the same year: summed per
// funder and budget year, no kind of money is ever negative. Checked over generated stories played
// by the real deciders and read back from a real store, in one scan and page by page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundingSummary, type FundingRow } from '../../domain/application';
import type { FunderId } from '../../domain/shared/funders';
import { formatEuros } from '../../domain/shared/money';
import { parisDateOf } from '../../domain/calendar';
import { resolveInstant } from '../../services/audit/asOf';
import {
  ledgerEntries,
  ledgerPage,
  type LedgerEntry,
  type LedgerQuery,
  type Movement,
} from '../../services/audit/ledger';
import type { CampaignState } from '../../domain/campaign';
import type { EnvelopeState } from '../../domain/envelope';
import { dossier, MAUBEUGE } from '../domain/support/fixtures';
import { ledgerTotals } from '../../services/readModels';
import { openReadModels } from '../readModels/support/readModels';
import { playCampaign } from '../readModels/support/scenarios';
import { CAMPAIGN_ID, GrantsWorld } from '../readModels/support/world';
import {
  actors,
  APPLICATION_A,
  APPLICATION_B,
  APPLICATION_C,
  FundingWorld,
  on,
  openTestStore,
  type TestStore,
} from './support';
import { seededRandom } from '../support/seededRandom';
import { appendWorldEvents } from './worldStore';

const measures = {
  position_committed: 'committedCents',
  award: 'awardedCents',
  payment_ordered: 'paidCents',
  recovery_ordered: 'recoveredCents',
} as const satisfies Partial<Record<Movement, keyof FundingRow>>;

const outcomes = [
  'withdrawn-in-co-decision',
  'rejected',
  'withdrawn-after-approval',
  'withdrawn-while-signing',
  'convention-lapsed',
  'closed',
  'closed-underspent',
  'terminated',
] as const;
type Outcome = (typeof outcomes)[number];

const FUNDERS: FunderId[] = ['ETAT', 'EPCI', MAUBEUGE, 'CAF'];

/** A second campaign, with envelopes of its own, only voted and adjusted. */
const OTHER_CAMPAIGN = 'AMI-2027-bis';
const OTHER_ENVELOPES: Partial<Record<FunderId, number>> = { ETAT: 20_000_000, REGION: 7_500_000 };

/** Kept free above what is reserved when an envelope is lowered, so that later stories still fit. */
const HEADROOM = 500_000_000;

/**
 * The grant manager raises or lowers one funder's envelope, as the campaign workflow does it (the
 * campaign's FunderEnvelopeAdjusted, then the envelope's EnvelopeAdjusted); returns the direction.
 */
function adjustEnvelope(
  world: GrantsWorld,
  random: () => number,
  campaignId: string,
  funders: readonly FunderId[],
  at: string,
  floor = HEADROOM,
): 'up' | 'down' {
  const funder = funders[Math.floor(random() * funders.length)]!;
  const envelope = world.envelope(campaignId, funder);
  const lowest = envelope.reservedCents + floor;
  const down = random() < 0.5 && envelope.amountCents > lowest;
  const amountCents = down
    ? lowest + Math.floor(random() * (envelope.amountCents - lowest))
    : envelope.amountCents + 100_000 * (1 + Math.floor(random() * 50));
  world.campaignCommand(
    campaignId,
    { type: 'AdjustFunderEnvelope', funder, amountCents, reason: `Délibération du ${at.slice(0, 10)}` },
    actors.manager,
    at,
  );
  return down ? 'down' : 'up';
}

const campaignFunders = (state: CampaignState | undefined) =>
  state === undefined || state.status === 'not_created' ? [] : state.funders;

/** One application's story, its choices drawn from `random`; returns the outcome it reached. */
function playStory(world: GrantsWorld, random: () => number, i: number): Outcome {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let outcome = pick(outcomes);
  const story = world.application({ porteurId: `porteur-g${i}` });
  const years = 1 + Math.floor(random() * 2);
  const funders = FUNDERS.filter(() => random() < 0.6);
  if (funders.length === 0) funders.push(pick(FUNDERS));
  const requested = Object.fromEntries(funders.map((f) => [f, 100_000 * (1 + Math.floor(random() * 20))]));
  story.on('2027-02-10').submit(dossier(years, requested, 3_000_000));
  story.on('2027-02-20').declareEligible('2027-04-10');
  story.on('2027-03-01');
  // Some funders commit all or part of the request, some decline, some stay silent (lapsed later).
  for (const f of funders) {
    const roll = random();
    if (roll < 0.15) story.decline(f);
    else if (roll < 0.25 && outcome !== 'closed') continue;
    else story.commit(f, pick([40, 75, 100]));
  }
  if (outcome === 'withdrawn-in-co-decision') return (story.on('2027-03-05').withdraw(), outcome);
  story.on('2027-03-10').opinion();
  story.on('2027-04-15'); // past the co-decision due date: silent funders have lapsed
  const committed = Object.values(story.as('co_decision').coDecision.positions).some(
    (p) => p.decision === 'committed' && p.amountsByYear.some((a) => a.amountCents > 0),
  );
  if (outcome === 'rejected' || !committed) return (story.reject(), 'rejected');
  story.approve(
    Object.entries(story.as('co_decision').coDecision.positions).flatMap(([funder, p]) =>
      p.decision === 'committed'
        ? p.amountsByYear
            .filter((a) => a.amountCents > 0)
            .map((a) => ({ funder, year: a.year, amountCents: a.amountCents }))
        : [],
    ),
  );
  if (outcome === 'withdrawn-after-approval') return (story.on('2027-04-16').withdraw(), outcome);
  story.on('2027-04-20').draft('2027-01-01', '2027-05-31');
  if (outcome === 'withdrawn-while-signing') return (story.on('2027-04-25').withdraw(), outcome);
  if (outcome === 'convention-lapsed') {
    story.on('2027-06-05');
    return story.state.status === 'lapsed' ? outcome : (outcome = 'rejected');
  }
  story.on('2027-05-02').signAll();
  if (outcome === 'terminated') return (story.on('2027-09-01').terminate(), outcome);
  const spent = (year: number) =>
    outcome === 'closed-underspent'
      ? Object.fromEntries(
          story
            .as('in_force')
            .award.plan.filter((l) => l.year === year)
            .map((l) => [l.funder, Math.floor((l.amountCents * pick([10, 30, 60, 90])) / 100)]),
        )
      : undefined;
  story.on('2028-02-01').submitReport(1, spent(1));
  story.on('2028-02-20').acceptReport(1);
  if (years === 2) {
    story.on('2029-02-01').submitReport(2, spent(2));
    story.on('2029-02-20').acceptReport(2);
  }
  story.close();
  return outcome;
}

async function everything(t: TestStore): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for await (const e of ledgerEntries(t.store)) entries.push(e);
  return entries;
}

function sumOf(entries: readonly LedgerEntry[]): number {
  return entries.reduce((n, e) => n + (e.amountCents ?? 0), 0);
}

/** The money an application holds, by movement: reservations and releases are one holding. */
const heldKinds: Partial<Record<Movement, string>> = {
  position_committed: 'engagé',
  award: 'attribué',
  funds_reserved: 'réservé',
  funds_released: 'réservé',
  payment_ordered: 'versé',
  recovery_ordered: 'reversé',
};

/** Where the read models' ledger per funder and year (ledgerTotals) counts each movement. */
const readModelField: Partial<Record<Movement, keyof ReturnType<typeof zeroTotals>>> = {
  position_committed: 'committedCents',
  award: 'awardedCents',
  payment_ordered: 'paidCents',
  recovery_ordered: 'recoveredCents',
  funds_reserved: 'reservedCents',
  funds_released: 'reservedCents',
};
const zeroTotals = () => ({
  committedCents: 0,
  awardedCents: 0,
  paidCents: 0,
  recoveredCents: 0,
  reservedCents: 0,
});

describe('audit ledger: movements that add up', () => {
  let t: TestStore;
  let world: GrantsWorld;
  const reached = new Map<Outcome, number>();

  const adjustments = { up: 0, down: 0 };

  beforeAll(async () => {
    t = openTestStore();
    world = new GrantsWorld()
      .openCampaign()
      .openCampaign({ campaignId: OTHER_CAMPAIGN, envelopes: OTHER_ENVELOPES });
    const random = seededRandom(20270);
    const otherFunders = Object.keys(OTHER_ENVELOPES);
    for (let i = 0; i < 48; i++) {
      const outcome = playStory(world, random, i);
      reached.set(outcome, (reached.get(outcome) ?? 0) + 1);
      // Envelopes raised and lowered between the applications' events, on both campaigns.
      if (random() < 0.4)
        adjustments[adjustEnvelope(world, random, CAMPAIGN_ID, FUNDERS, on('2027-03-20'))]++;
      if (random() < 0.15)
        adjustments[adjustEnvelope(world, random, OTHER_CAMPAIGN, otherFunders, on('2027-03-21'), 0)]++;
    }
    // And the read models' campaign (late reports with recoveries, partial commitments…).
    playCampaign(world, 20);
    // Last, one envelope lowered to exactly what it holds (the lowest the envelope accepts).
    const lowered = world.envelope(CAMPAIGN_ID, 'EPCI');
    world.campaignCommand(
      CAMPAIGN_ID,
      {
        type: 'AdjustFunderEnvelope',
        funder: 'EPCI',
        amountCents: lowered.reservedCents,
        reason: 'Délibération de clôture',
      },
      actors.manager,
      on('2029-12-15'),
    );
    adjustments.down++;
    await appendWorldEvents(t, world.events);
  });
  afterAll(() => t.close());

  it('plays every kind of ending', () => {
    for (const outcome of outcomes) expect(reached.get(outcome) ?? 0, outcome).toBeGreaterThan(0);
    const cancelled = world.events.filter((e) => e.type === 'InstallmentCancelled');
    const recoveries = world.events.filter((e) => e.type === 'RecoveryOrdered');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(recoveries.length).toBeGreaterThan(0);
  });

  it('says in French why each recovery was ordered, both reasons met', async () => {
    const recoveries = (await everything(t)).filter((e) => e.movement === 'recovery_ordered');
    const references = new Set(recoveries.map((e) => e.reference));
    expect([...references].sort()).toEqual([
      'reversement : résiliation de la convention',
      'reversement : sommes versées non dépensées',
    ]);
  });

  it("sums, per application, funder and convention year, to the domain's fundingSummary", async () => {
    const entries = await everything(t);
    const byApplication = new Map<string | null, LedgerEntry[]>();
    for (const e of entries)
      byApplication.set(e.application, [...(byApplication.get(e.application) ?? []), e]);
    for (const story of world.stories) {
      const mine = byApplication.get(story.applicationId) ?? [];
      const rows = fundingSummary(story.state);
      for (const row of rows) {
        for (const [movement, field] of Object.entries(measures)) {
          const sum = sumOf(
            mine.filter(
              (e) => e.movement === movement && e.funder === row.funder && e.conventionYear === row.year,
            ),
          );
          expect(
            sum,
            `${story.applicationId} (${story.state.status}) ${row.funder} an ${row.year} ${movement}`,
          ).toBe(row[field]);
        }
      }
      // No movement outside the rows fundingSummary has (a funder or a year it does not know).
      const known = new Set(rows.map((r) => `${r.funder}|${r.year}`));
      for (const e of mine.filter((x) => x.movement in measures))
        expect(
          known.has(`${e.funder}|${e.conventionYear}`),
          `${e.type} ${e.funder} ${e.conventionYear}`,
        ).toBe(true);
    }
  });

  it('sums, per envelope and application, to what the envelope holds, year by year', async () => {
    const entries = await everything(t);
    for (const funder of FUNDERS) {
      const envelope = world.envelope(CAMPAIGN_ID, funder);
      const held = entries.filter(
        (e) => e.funder === funder && (e.movement === 'funds_reserved' || e.movement === 'funds_released'),
      );
      expect(held.every((e) => e.conventionYear !== null)).toBe(true);
      expect(sumOf(held), funder).toBe(envelope.reservedCents);
      for (const story of world.stories) {
        const byYear = new Map<number, number>();
        for (const e of held.filter((x) => x.application === story.applicationId))
          byYear.set(e.conventionYear!, (byYear.get(e.conventionYear!) ?? 0) + e.amountCents!);
        const reservation = envelope.reservations.get(story.applicationId);
        expect(
          [...byYear].filter(([, amount]) => amount !== 0).sort((a, b) => a[0] - b[0]),
          `${funder} ${story.applicationId} (${story.state.status})`,
        ).toEqual(
          (reservation?.amountsByYear ?? [])
            .filter((y) => y.amountCents !== 0)
            .map((y) => [y.year, y.amountCents]),
        );
      }
      // A release gives back what was held: never more than the reservations before it.
      expect(held.filter((e) => e.movement === 'funds_released').every((e) => e.amountCents! < 0)).toBe(true);
    }
  });

  it('never sums below zero per application, funder, kind and budget year: a cancellation falls in its year', async () => {
    // The stories cancel what a drafted convention carried: withdrawn while awaiting signatures,
    // lapsed for want of signatures, terminated once in force.
    const drafted = new Set<string>();
    const cancelledAfterDrafting = new Map<string, number>();
    for (const e of world.events) {
      if (e.type === 'ConventionDrafted') drafted.add(e.stream);
      else if (
        drafted.has(e.stream) &&
        (e.type === 'ApplicationWithdrawn' ||
          e.type === 'ConventionLapsed' ||
          e.type === 'ConventionTerminated')
      )
        cancelledAfterDrafting.set(e.type, (cancelledAfterDrafting.get(e.type) ?? 0) + 1);
    }
    for (const type of ['ApplicationWithdrawn', 'ConventionLapsed', 'ConventionTerminated'])
      expect(cancelledAfterDrafting.get(type) ?? 0, `${type} after ConventionDrafted`).toBeGreaterThan(0);

    // What an auditor adds up per funder and budget year, application by application, in the order
    // of the log: at no point, and not at the end, is a kind of money below zero in a year.
    const entries = await everything(t);
    const running = new Map<string, number>();
    const negative: string[] = [];
    for (const e of entries) {
      const kind = heldKinds[e.movement];
      if (kind === undefined || e.amountCents === null) continue;
      const key = `${e.application} ${e.funder} ${kind} ${e.year ?? '-'}`;
      const sum = (running.get(key) ?? 0) + e.amountCents;
      running.set(key, sum);
      if (sum < 0) negative.push(`${key}: ${sum} après ${e.type} (${e.stream} r${e.revision})`);
    }
    expect(negative).toEqual([]);
    // Cancellations were met, and summed to nothing in the year of what they cancelled.
    expect([...running.values()].filter((sum) => sum === 0).length).toBeGreaterThan(10);
  });

  it('dates every entry of convention year k in the campaign’s year + k − 1, drafted convention or not', async () => {
    const campaignYears = new Map(
      world.stories.map((s) => [
        s.applicationId,
        s.state.status === 'not_submitted' ? null : s.state.terms.campaignYear,
      ]),
    );
    const dated = (await everything(t)).filter((e) => e.conventionYear !== null);
    expect(dated.length).toBeGreaterThan(100);
    for (const e of dated) {
      const campaignYear = campaignYears.get(e.application!);
      expect(campaignYear, `${e.application}`).toBeDefined();
      expect(e.year, `${e.type} ${e.movement} ${e.application} an ${e.conventionYear}`).toBe(
        campaignYear! + e.conventionYear! - 1,
      );
    }
  });

  it('sums, per envelope, to its amount: each vote and adjustment counted once, as its change', async () => {
    expect(adjustments.up, 'envelopes raised').toBeGreaterThan(2);
    expect(adjustments.down, 'envelopes lowered').toBeGreaterThan(2);
    const entries = (await everything(t)).filter((e) => e.movement.startsWith('envelope_'));
    const envelopes = [...world.envelopes.values()].filter(
      (s): s is Extract<EnvelopeState, { status: 'open' }> => s.status === 'open',
    );
    expect(envelopes).toHaveLength(
      campaignFunders(world.campaigns.get(CAMPAIGN_ID)).length + Object.keys(OTHER_ENVELOPES).length,
    );
    for (const envelope of envelopes) {
      const { campaignId, funder } = envelope;
      const label = `${campaignId} ${funder}`;
      const mine = entries.filter((e) => e.campaign === campaignId && e.funder === funder);
      // The envelope's amount as the domain holds it now, on both streams (they agree here).
      expect(sumOf(mine), label).toBe(envelope.amountCents);
      const voted = campaignFunders(world.campaigns.get(campaignId)).find((f) => f.funder === funder);
      expect(sumOf(mine), label).toBe(voted?.envelopeCents);

      // Amounts come from the envelope's own events, one entry each: the running sum after each is
      // the amount the event set.
      const setting = world.events.filter(
        (e) =>
          e.stream === `envelope-${campaignId}-${funder}` &&
          (e.type === 'EnvelopeOpened' || e.type === 'EnvelopeAdjusted'),
      );
      const counted = mine.filter((e) => e.amountCents !== null);
      expect(
        counted.map((e) => e.eventId),
        label,
      ).toEqual(setting.map((e) => e.id));
      let running = 0;
      counted.forEach((e, k) => {
        running += e.amountCents!;
        expect(running, `${label} ${e.type} r${e.revision}`).toBe(
          (setting[k]!.data as { amountCents: number }).amountCents,
        );
      });

      // The campaign's vote and adjustment decisions are there, for information, without an amount.
      const decisions = mine.filter((e) => e.stream === `campaign-${campaignId}`);
      expect(
        decisions.map((e) => [e.movement, e.amountCents]),
        label,
      ).toEqual([
        ['envelope_voted', null],
        ...setting.slice(1).map(() => ['envelope_adjustment_decided', null]),
      ]);
      expect(mine.length, label).toBe(counted.length + decisions.length);
      // What each decision decided is in its reference; the envelope's adjustment carries the reason.
      decisions.slice(1).forEach((e, k) => {
        const adjusted = setting[k + 1]!.data as { amountCents: number; reason: string };
        expect(e.reference).toContain(`montant décidé : ${formatEuros(adjusted.amountCents)}`);
        expect(counted[k + 1]?.reference).toBe(adjusted.reason);
      });
    }
  });

  it("is, summed per funder and year, the read models' funding ledger — by budget year and by convention year", async () => {
    const entries = await everything(t);
    const rm = openReadModels();
    try {
      await rm.catchUp(world.events);
      for (const yearOf of ['calendar', 'convention'] as const) {
        const expected = new Map<string, Record<string, number | string>>();
        for (const e of entries) {
          const field = readModelField[e.movement];
          if (field === undefined || e.funder === null || e.amountCents === null) continue;
          const year =
            yearOf === 'calendar' ? Number(parisDateOf(e.occurredAt).slice(0, 4)) : e.conventionYear;
          const key = `${e.funder}|${year}`;
          const sums = expected.get(key) ?? { funder: e.funder, year: year ?? 0, ...zeroTotals() };
          sums[field] = Number(sums[field]) + e.amountCents;
          expected.set(key, sums);
        }
        const projected = ledgerTotals(rm.db, { yearOf }).map(({ funderName: _, ...rest }) => rest);
        const withMoney = (row: Record<string, number | string>) =>
          Object.keys(zeroTotals()).some((field) => row[field] !== 0);
        expect(projected.filter(withMoney), yearOf).toEqual(
          [...expected.values()]
            .filter(withMoney)
            .sort(
              (a, b) => String(a.funder).localeCompare(String(b.funder)) || Number(a.year) - Number(b.year),
            ),
        );
        expect(projected.filter(withMoney).length, yearOf).toBeGreaterThan(4);
      }
    } finally {
      rm.close();
    }
  });

  it('reads the same page by page, each page starting its folds in the middle of the log', async () => {
    const whole = await everything(t);
    const paged: LedgerEntry[] = [];
    let after: bigint | undefined;
    for (;;) {
      const page = await ledgerPage(t.store, after === undefined ? {} : { after }, { limit: 37 });
      paged.push(...page.entries);
      if (page.next === null) break;
      after = page.next;
    }
    expect(paged).toEqual(whole);
  });
});

/** movement conventionYear year amountCents reference, '-' for null. */
const brief = (e: LedgerEntry) =>
  [e.type, e.movement, e.funder, e.conventionYear, e.year, e.amountCents, e.reference]
    .map((v) => (v === null ? '-' : String(v)))
    .join(' ');

async function entriesOfApplication(t: TestStore, applicationId: string, query: LedgerQuery = {}) {
  const entries: LedgerEntry[] = [];
  for await (const e of ledgerEntries(t.store, query)) if (e.application === applicationId) entries.push(e);
  return entries;
}

describe('audit ledger: reservations, cancellations and the years of a past period', () => {
  let t: TestStore;
  let world: FundingWorld;
  beforeAll(async () => {
    t = openTestStore();
    world = new FundingWorld(t);
    await world.createAndOpenCampaign();
  });
  afterAll(() => t.close());

  it('shows a replaced reservation as its difference, and a release as what was held, year by year', async () => {
    const a = world.application(APPLICATION_A, 'porteur-a');
    await a.submit('2027-02-10', dossier(2, { ETAT: 1_750_000 }, 3_000_000));
    await a.eligible('2027-02-20', '2027-04-30');
    await a.commit('ETAT', '2027-03-01');
    // The envelope's FundsReserved carries the application's new reservation: it replaces the old.
    await world.envelope('ETAT').do(
      {
        type: 'ReserveFunds',
        funder: 'ETAT',
        applicationId: APPLICATION_A,
        amountsByYear: [
          { year: 1, amountCents: 500_000 },
          { year: 2, amountCents: 1_750_000 },
        ],
      },
      actors.funder('ETAT'),
      on('2027-03-05'),
    );
    await a.writer.do(
      { type: 'WithdrawApplication', reason: 'Association en sommeil' },
      actors.porteur('porteur-a'),
      on('2027-03-06'),
    );
    await world
      .envelope('ETAT')
      .do(
        { type: 'ReleaseFunds', applicationId: APPLICATION_A, reason: 'candidature retirée' },
        actors.manager,
        on('2027-03-06'),
      );

    expect((await entriesOfApplication(t, APPLICATION_A)).map(brief)).toEqual([
      // Convention year k is budget year 2027 + k − 1 (the campaign's year), convention or not.
      'FundsReserved funds_reserved ETAT 1 2027 1750000 -',
      'FundsReserved funds_reserved ETAT 2 2028 1750000 -',
      'FunderPositionRecorded position_committed ETAT 1 2027 1750000 -',
      'FunderPositionRecorded position_committed ETAT 2 2028 1750000 -',
      // 1 750 000 replaced by 500 000 in year 1; year 2 unchanged: no entry.
      'FundsReserved funds_reserved ETAT 1 2027 -1250000 -',
      'ApplicationWithdrawn position_committed ETAT 1 2027 -1750000 candidature retirée : Association en sommeil',
      'ApplicationWithdrawn position_committed ETAT 2 2028 -1750000 candidature retirée : Association en sommeil',
      'FundsReleased funds_released ETAT 1 2027 -500000 candidature retirée',
      'FundsReleased funds_released ETAT 2 2028 -1750000 candidature retirée',
    ]);
  });

  it('cancels the commitments and the award of an application withdrawn while its convention awaits signatures', async () => {
    const b = world.application(APPLICATION_B, 'porteur-b');
    await b.submit('2027-02-11', dossier(2, { EPCI: 800_000, [MAUBEUGE]: 200_000 }, 3_000_000));
    await b.eligible('2027-02-20', '2027-04-30');
    await b.commit('EPCI', '2027-03-01');
    await b.commit(MAUBEUGE, '2027-03-02');
    await b.opinion('2027-03-03');
    await b.approve('2027-04-02', 'COPIL-2027-04');
    await b.draft('2027-04-05', '2027-07-01', '2027-06-30');
    await b.writer.do(
      { type: 'WithdrawApplication', reason: 'Projet abandonné' },
      actors.porteur('porteur-b'),
      on('2027-04-20'),
    );
    for (const funder of ['EPCI', MAUBEUGE])
      await world
        .envelope(funder)
        .do(
          { type: 'ReleaseFunds', applicationId: APPLICATION_B, reason: 'candidature retirée' },
          actors.manager,
          on('2027-04-20'),
        );

    const entries = await entriesOfApplication(t, APPLICATION_B);
    // The cancellation falls in the budget years of what it cancels (2027 and 2028: the campaign's
    // year + k − 1), those of the commitments and the award recorded before the convention was drafted.
    expect(entries.filter((e) => e.type === 'ApplicationWithdrawn').map(brief)).toEqual([
      'ApplicationWithdrawn position_committed EPCI 1 2027 -800000 candidature retirée : Projet abandonné',
      'ApplicationWithdrawn position_committed EPCI 2 2028 -800000 candidature retirée : Projet abandonné',
      `ApplicationWithdrawn position_committed ${MAUBEUGE} 1 2027 -200000 candidature retirée : Projet abandonné`,
      `ApplicationWithdrawn position_committed ${MAUBEUGE} 2 2028 -200000 candidature retirée : Projet abandonné`,
      'ApplicationWithdrawn award EPCI 1 2027 -800000 candidature retirée : Projet abandonné',
      'ApplicationWithdrawn award EPCI 2 2028 -800000 candidature retirée : Projet abandonné',
      `ApplicationWithdrawn award ${MAUBEUGE} 1 2027 -200000 candidature retirée : Projet abandonné`,
      `ApplicationWithdrawn award ${MAUBEUGE} 2 2028 -200000 candidature retirée : Projet abandonné`,
    ]);
    for (const movement of ['position_committed', 'award', 'funds_reserved', 'funds_released'] as const)
      expect(sumOf(entries.filter((e) => e.movement === movement && e.funder === 'EPCI')), movement).toBe(
        movement === 'funds_reserved' ? 1_600_000 : movement === 'funds_released' ? -1_600_000 : 0,
      );
    // Year by year too: what was committed, awarded and held in 2027 and 2028 is cancelled there.
    for (const year of [2027, 2028])
      for (const movements of [['position_committed'], ['award'], ['funds_reserved', 'funds_released']])
        expect(
          sumOf(entries.filter((e) => movements.includes(e.movement) && e.year === year)),
          `${movements.join('+')} ${year}`,
        ).toBe(0);
    expect(world.envelope('EPCI').state).toMatchObject({ reservedCents: 0 });
  });

  it('gives a past period the same entries before and after a later event (a convention drafted)', async () => {
    const c = world.application(APPLICATION_C, 'porteur-c');
    await c.submit('2027-02-12', dossier(1, { ETAT: 600_000 }, 3_000_000));
    await c.eligible('2027-02-20', '2027-04-30');
    await c.commit('ETAT', '2027-03-01');
    await c.opinion('2027-03-02');
    await c.approve('2027-05-05', 'COPIL-2027-05');
    const period = { from: resolveInstant('2027-02-01', 'start')!, to: resolveInstant('2027-05-31')! };
    const business = await entriesOfApplication(t, APPLICATION_C, period);
    const record = await entriesOfApplication(t, APPLICATION_C, { ...period, time: 'record' });
    expect(business.map(brief)).toEqual([
      'FundsReserved funds_reserved ETAT 1 2027 600000 -',
      'FunderPositionRecorded position_committed ETAT 1 2027 600000 -',
      'CommitteeApprovalRecorded award ETAT 1 2027 600000 COPIL-2027-05',
    ]);

    // Drafted later, recorded after the period: the period's entries do not change.
    await c.draft('2027-06-10', '2027-07-01', '2027-07-31');
    await c.signByPorteur('2027-06-15');
    await c.sign('ETAT', '2027-06-20');
    expect(await entriesOfApplication(t, APPLICATION_C, period)).toEqual(business);
    expect(await entriesOfApplication(t, APPLICATION_C, { ...period, time: 'record' })).toEqual(record);
    // Entries after the drafting fall in the same budget year as those before it.
    const later = await entriesOfApplication(t, APPLICATION_C, {
      from: resolveInstant('2027-06-01', 'start')!,
    });
    expect(later.map(brief)).toEqual(['PaymentOrdered payment_ordered ETAT 1 2027 300000 ETAT-y1-1']);
  });
});
