import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allowedEnvelopeCommands,
  envelopeDecider,
  envelopeStatuses,
  envelopeStreamName,
  evolveEnvelope,
  initialEnvelopeState,
  type EnvelopeCommand,
  type EnvelopeEvent,
  type EnvelopeState,
} from '../../domain';
import { actors, meta } from './support/fixtures';
import { plain, specFor } from './support/gwt';

const given = specFor(envelopeDecider);
const at = '2027-05-10T10:00:00Z';
const opened: EnvelopeEvent[] = [
  { type: 'EnvelopeOpened', data: { campaignId: '2027', funder: 'ETAT', amountCents: 1_000_000 } },
];
const reserve = (applicationId: string, amounts: number[]): EnvelopeCommand => ({
  type: 'ReserveFunds',
  funder: 'ETAT',
  applicationId,
  amountsByYear: amounts.map((amountCents, i) => ({ year: i + 1, amountCents })),
});
const reserved = (applicationId: string, amounts: number[], previousTotalCents = 0): EnvelopeEvent => ({
  type: 'FundsReserved',
  data: {
    applicationId,
    amountsByYear: amounts.map((amountCents, i) => ({ year: i + 1, amountCents })),
    totalCents: amounts.reduce((a, b) => a + b, 0),
    previousTotalCents,
  },
});

describe('funder envelope', () => {
  it('lives in the stream envelope-<campaign>-<funder>', () => {
    expect(envelopeStreamName('2027', 'COMMUNE-59392')).toBe('envelope-2027-COMMUNE-59392');
  });

  it('reserves within what is left, never beyond', () => {
    given(opened)
      .when(reserve('A', [400_000, 400_000]), actors.funder('ETAT'), at)
      .then([reserved('A', [400_000, 400_000])]);
    const error = given([...opened, reserved('A', [400_000, 400_000])])
      .when(reserve('B', [300_000]), actors.funder('ETAT'), at)
      .thenRefused('ENVELOPE_EXCEEDED');
    expect(plain(error.message)).toContain(
      "n'a plus que 2 000,00 € disponibles pour cette candidature : 3 000,00 € la dépasseraient de 1 000,00 €",
    );
  });

  it('replaces an application’s reservation: only the difference has to fit; the same amounts record nothing', () => {
    const history = [...opened, reserved('A', [400_000, 400_000]), reserved('B', [200_000])];
    given(history)
      .when(reserve('A', [300_000, 500_000]), actors.grantManager, at)
      .then([reserved('A', [300_000, 500_000], 800_000)]);
    given(history)
      .when(reserve('A', [400_000, 400_000]), actors.system, at)
      .then([]);
    given(history)
      .when(reserve('A', [400_000, 400_001]), actors.system, at)
      .thenRefused('ENVELOPE_EXCEEDED');
  });

  it('releases an application’s reservation; releasing nothing records nothing', () => {
    const history = [...opened, reserved('A', [400_000])];
    given(history)
      .when({ type: 'ReleaseFunds', applicationId: 'A', reason: 'Candidature rejetée' }, actors.system, at)
      .then([
        {
          type: 'FundsReleased',
          data: { applicationId: 'A', amountCents: 400_000, reason: 'Candidature rejetée' },
        },
      ]);
    given(history)
      .when({ type: 'ReleaseFunds', applicationId: 'Z', reason: 'x' }, actors.system, at)
      .then([]);
  });

  it('is reserved by its own funder only, on the right stream', () => {
    given(opened)
      .when(reserve('A', [1]), actors.funder('REGION'), at)
      .thenRefused('WRONG_INSTITUTION');
    given(opened)
      .when({ ...reserve('A', [1]), funder: 'REGION' } as EnvelopeCommand, actors.grantManager, at)
      .thenRefused('WRONG_ENVELOPE');
    given(opened)
      .when(reserve('A', [0]), actors.grantManager, at)
      .thenRefused('EMPTY_RESERVATION');
    const twice: EnvelopeCommand = {
      type: 'ReserveFunds',
      funder: 'ETAT',
      applicationId: 'A',
      amountsByYear: [
        { year: 1, amountCents: 1 },
        { year: 1, amountCents: 2 },
      ],
    };
    given(opened).when(twice, actors.grantManager, at).thenRefused('DUPLICATE_YEAR');
    given(opened)
      .when({ type: 'ReleaseFunds', applicationId: 'A', reason: 'x' }, actors.funder('ETAT'), at)
      .thenRefused('FORBIDDEN_ROLE');
  });

  it('cannot be lowered below what is reserved', () => {
    given([...opened, reserved('A', [600_000])])
      .when({ type: 'AdjustEnvelope', amountCents: 500_000, reason: 'Gel' }, actors.grantManager, at)
      .thenRefused('ENVELOPE_BELOW_RESERVED');
  });

  it('answers every command in every status', () => {
    const situations: Record<(typeof envelopeStatuses)[number], EnvelopeEvent[]> = {
      not_opened: [],
      open: opened,
    };
    const samples: EnvelopeCommand[] = [
      { type: 'OpenEnvelope', campaignId: '2027', funder: 'ETAT', amountCents: 1 },
      { type: 'AdjustEnvelope', amountCents: 2_000_000, reason: 'Abondement' },
      reserve('A', [1]),
      { type: 'ReleaseFunds', applicationId: 'A', reason: 'x' },
    ];
    for (const status of envelopeStatuses) {
      const g = given(situations[status]);
      for (const command of samples) {
        const allowed = allowedEnvelopeCommands(g.state).some((a) => a.type === command.type);
        const outcome = g.when(command, actors.grantManager, at);
        if (allowed) expect(outcome.result.ok).toBe(true);
        else outcome.thenRefused(status === 'open' ? 'ENVELOPE_ALREADY_OPENED' : 'ENVELOPE_NOT_OPENED');
      }
    }
  });
});

describe('envelope state', () => {
  const fold = (events: EnvelopeEvent[], from: EnvelopeState = initialEnvelopeState) =>
    events.reduce(evolveEnvelope, from);

  it('is never changed by a later event: an earlier fold still answers as it did (the audit replays rely on it)', () => {
    const before = fold([...opened, reserved('A', [100, 50]), reserved('B', [30])]);
    const after = fold(
      [
        reserved('A', [20], 150),
        { type: 'FundsReleased', data: { applicationId: 'B', amountCents: 30, reason: 'retrait' } },
      ],
      before,
    );
    if (before.status !== 'open' || after.status !== 'open') throw new Error('enveloppe fermée');
    expect(before.reservations.get('A')?.totalCents).toBe(150);
    expect(before.reservations.get('B')?.totalCents).toBe(30);
    expect(before.reservedCents).toBe(180);
    expect(after.reservations.get('A')?.totalCents).toBe(20);
    expect(after.reservations.has('B')).toBe(false);
    expect(after.reservedCents).toBe(20);
  });

  it('reads, as JSON, as a plain record of the reservations in the order they were first made', () => {
    const state = fold([
      ...opened,
      reserved('B', [30]),
      reserved('A', [100, 50]),
      reserved('C', [10]),
      reserved('B', [40], 30),
      { type: 'FundsReleased', data: { applicationId: 'C', amountCents: 10, reason: 'retrait' } },
    ]);
    expect(JSON.parse(JSON.stringify(state))).toEqual({
      status: 'open',
      campaignId: '2027',
      funder: 'ETAT',
      amountCents: 1_000_000,
      reservedCents: 190,
      reservations: {
        B: { amountsByYear: [{ year: 1, amountCents: 40 }], totalCents: 40 },
        A: {
          amountsByYear: [
            { year: 1, amountCents: 100 },
            { year: 2, amountCents: 50 },
          ],
          totalCents: 150,
        },
      },
    });
    const { reservations } = JSON.parse(JSON.stringify(state)) as { reservations: object };
    expect(Object.keys(reservations)).toEqual(['B', 'A']);
  });
});

describe('envelope invariant over random reservations', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('reserve' as const),
      app: fc.nat(5),
      amounts: fc.array(fc.nat(400_000), { minLength: 1, maxLength: 4 }),
    }),
    fc.record({ kind: fc.constant('release' as const), app: fc.nat(5) }),
    fc.record({ kind: fc.constant('adjust' as const), amount: fc.nat(3_000_000) }),
  );

  it('reserved ≤ envelope, and reserved is the sum of the reservations', () => {
    fc.assert(
      fc.property(fc.nat(2_000_000), fc.array(op, { maxLength: 40 }), (initial, ops) => {
        let state: EnvelopeState = evolveEnvelope(initialEnvelopeState, {
          type: 'EnvelopeOpened',
          data: { campaignId: '2027', funder: 'CAF', amountCents: initial },
        });
        for (const o of ops) {
          const command: EnvelopeCommand =
            o.kind === 'reserve'
              ? {
                  type: 'ReserveFunds',
                  funder: 'CAF',
                  applicationId: `app-${o.app}`,
                  amountsByYear: o.amounts.map((amountCents, i) => ({ year: i + 1, amountCents })),
                }
              : o.kind === 'release'
                ? { type: 'ReleaseFunds', applicationId: `app-${o.app}`, reason: 'test' }
                : { type: 'AdjustEnvelope', amountCents: o.amount, reason: 'test' };
          const result = envelopeDecider.decide(command, state, meta(actors.system, at));
          if (result.ok) state = result.events.reduce(evolveEnvelope, state);
          if (state.status !== 'open') throw new Error('enveloppe fermée');
          const sum = [...state.reservations.values()].reduce((a, r) => a + r.totalCents, 0);
          if (state.reservedCents > state.amountCents || sum !== state.reservedCents)
            throw new Error(`réservé ${state.reservedCents} / enveloppe ${state.amountCents} / somme ${sum}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
