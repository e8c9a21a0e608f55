// The console's payment schedule (services/console/static/schedule.js, the browser module itself,
// loaded in Node: it imports nothing) against the domain's (domain/application/convention.ts): the
// form that drafts a convention prefills the default schedule and checks the one typed before sending,
// so its default must be the rule's to the cent and its check must refuse what the rule refuses, in
// the same words (the console writes the typographic apostrophe).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultPaymentSchedule,
  scheduleProblems as domainProblems,
  withInstallmentIds,
  type ScheduleLine,
} from '../../domain/application/convention';
import type { PlanLine } from '../../domain/application/events';
import { funderName } from '../../domain/reference/funders';
import { formatEuros } from '../../domain/shared/money';

type Trigger = ScheduleLine['trigger'];
interface ScheduleModule {
  defaultSchedule(plan: readonly PlanLine[]): ScheduleLine[];
  allowedTriggers(year: number, durationYears: number): Trigger[];
  scheduleProblems(
    plan: readonly PlanLine[],
    lines: readonly ScheduleLine[],
    durationYears: number,
    words: { nameOf: (funder: string) => string; money: (cents: number) => string },
  ): { message: string; funder: string; year: number; index?: number }[];
  sameSchedule(a: readonly ScheduleLine[], b: readonly ScheduleLine[]): boolean;
  triggerKey(t: Trigger): string;
  triggerOfKey(key: string): Trigger;
  withIds(lines: readonly ScheduleLine[]): (ScheduleLine & { id: string })[];
}

let schedule: ScheduleModule;

beforeAll(async () => {
  // A browser file without types: imported by URL, its shape stated here.
  const url = new URL('../../services/console/static/schedule.js', import.meta.url).href;
  schedule = (await import(url)) as ScheduleModule;
});

const plan = (durationYears: number, perYear: Record<string, number>): PlanLine[] =>
  Object.entries(perYear).flatMap(([funder, amountCents]) =>
    Array.from({ length: durationYears }, (_, i) => ({ funder, year: i + 1, amountCents: amountCents + i })),
  );
const plans: [string, number, PlanLine[]][] = [
  ['one year, two funders', 1, plan(1, { ETAT: 1_000_000, EPCI: 500_000 })],
  ['an odd amount (the advance rounded down)', 1, plan(1, { REGION: 1_000_001 })],
  ['one cent (no advance)', 1, [{ funder: 'CAF', year: 1, amountCents: 1 }]],
  ['a four-year CPO with a commune', 4, plan(4, { 'COMMUNE-59392': 250_000, ETAT: 799_999 })],
];
const words = { nameOf: funderName, money: formatEuros };
/** The domain's words as the console writes them. */
const typographic = (text: string) => text.replace(/'/g, '’');
const consoleProblems = (p: PlanLine[], lines: ScheduleLine[], years: number) =>
  schedule.scheduleProblems(p, lines, years, words).map((x) => x.message);

describe('the console’s payment schedule is the domain’s', () => {
  it.each(plans)('prefills the default schedule of the rule: %s', (_, _years, p) => {
    expect(schedule.defaultSchedule(p)).toEqual(defaultPaymentSchedule(p));
    expect(schedule.withIds(schedule.defaultSchedule(p))).toEqual(
      withInstallmentIds(defaultPaymentSchedule(p)),
    );
    expect(schedule.sameSchedule(schedule.defaultSchedule(p), defaultPaymentSchedule(p))).toBe(true);
  });

  it.each(plans)('finds nothing to refuse in the default schedule: %s', (_, years, p) => {
    expect(consoleProblems(p, defaultPaymentSchedule(p), years)).toEqual([]);
    expect(domainProblems(p, defaultPaymentSchedule(p), years)).toEqual([]);
  });

  it('offers only the triggers the rule allows, and the rule allows each of them', () => {
    for (const years of [1, 2, 3, 4])
      for (let year = 1; year <= years; year += 1) {
        const p: PlanLine[] = [{ funder: 'ETAT', year, amountCents: 100 }];
        const allowed = schedule.allowedTriggers(year, years);
        for (const trigger of allowed)
          expect(domainProblems(p, [{ funder: 'ETAT', year, amountCents: 100, trigger }], years)).toEqual([]);
        // Every other trigger is refused by the rule.
        const every: Trigger[] = [
          { kind: 'signature' },
          ...[1, 2, 3, 4, 5].map((reportYear) => ({ kind: 'report_accepted' as const, reportYear })),
        ];
        const others = every.filter(
          (t) => !allowed.some((a) => schedule.triggerKey(a) === schedule.triggerKey(t)),
        );
        for (const trigger of others)
          expect(
            domainProblems(p, [{ funder: 'ETAT', year, amountCents: 100, trigger }], years).length,
          ).toBeGreaterThan(0);
        for (const t of allowed) expect(schedule.triggerOfKey(schedule.triggerKey(t))).toEqual(t);
      }
  });

  it('refuses what the rule refuses, in the same words: totals, triggers, years without an award', () => {
    const p = plan(2, { ETAT: 1_000_000, EPCI: 500_000 });
    const cases: ScheduleLine[][] = [
      // 30 % / 70 %: accepted.
      [
        { funder: 'ETAT', year: 1, amountCents: 300_000, trigger: { kind: 'signature' } },
        {
          funder: 'ETAT',
          year: 1,
          amountCents: 700_000,
          trigger: { kind: 'report_accepted', reportYear: 1 },
        },
        ...defaultPaymentSchedule(p).filter((l) => !(l.funder === 'ETAT' && l.year === 1)),
      ],
      // The État's year 1 short of 2 000 €, the EPCI's year 2 left out.
      [
        { funder: 'ETAT', year: 1, amountCents: 300_000, trigger: { kind: 'signature' } },
        {
          funder: 'ETAT',
          year: 1,
          amountCents: 500_000,
          trigger: { kind: 'report_accepted', reportYear: 1 },
        },
        ...defaultPaymentSchedule(p).filter(
          (l) => !(l.funder === 'ETAT' && l.year === 1) && !(l.funder === 'EPCI' && l.year === 2),
        ),
      ],
      // Year 2 at the signature, year 1 after the report of year 2, a year 3 the convention lacks.
      [
        { funder: 'ETAT', year: 2, amountCents: 1_000_001, trigger: { kind: 'signature' } },
        {
          funder: 'EPCI',
          year: 1,
          amountCents: 500_000,
          trigger: { kind: 'report_accepted', reportYear: 2 },
        },
        { funder: 'EPCI', year: 3, amountCents: 1, trigger: { kind: 'report_accepted', reportYear: 3 } },
        { funder: 'REGION', year: 1, amountCents: 1, trigger: { kind: 'signature' } },
      ],
    ];
    for (const lines of cases)
      expect(consoleProblems(p, lines, 2)).toEqual(domainProblems(p, lines, 2).map(typographic));
    expect(consoleProblems(p, cases[0] ?? [], 2)).toEqual([]);
    expect(consoleProblems(p, cases[1] ?? [], 2)).toContain(
      `État, année 1 : l’échéancier prévoit ${formatEuros(800_000)} pour ${formatEuros(1_000_000)} attribués.`,
    );
    // Each problem says where: the line at fault, or the funder-year whose total is wrong.
    const located = schedule.scheduleProblems(p, cases[2] ?? [], 2, words);
    expect(located.filter((x) => x.index === 0).map((x) => x.funder)).toEqual(['ETAT']);
    expect(located.some((x) => x.index === undefined && x.funder === 'EPCI' && x.year === 2)).toBe(true);
  });

  it('tells a changed schedule from the default one (a changed amount, trigger, order or line)', () => {
    const p = plan(2, { ETAT: 1_000_000 });
    const d = defaultPaymentSchedule(p);
    expect(
      schedule.sameSchedule(
        d.map((l) => ({ ...l })),
        d,
      ),
    ).toBe(true);
    expect(schedule.sameSchedule(d.slice(1), d)).toBe(false);
    expect(schedule.sameSchedule([d[1], d[0], ...d.slice(2)] as ScheduleLine[], d)).toBe(false);
    expect(
      schedule.sameSchedule(
        d.map((l, i) => (i === 0 ? { ...l, amountCents: 1 } : l)),
        d,
      ),
    ).toBe(false);
    expect(
      schedule.sameSchedule(
        d.map((l, i) => (i === 3 ? { ...l, trigger: { kind: 'report_accepted', reportYear: 1 } } : l)),
        d,
      ),
    ).toBe(false);
  });
});
