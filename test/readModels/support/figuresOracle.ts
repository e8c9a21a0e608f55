// The evaluators' figures computed straight from the domain, without the read models: each
// application's fundingSummary as its state stands, summed by hand per funder, quartier, theme and
// year; the envelopes as the world folded them; the multi-year share by DOMAIN.md's rule (2–4 years:
// a CPO); the ledger's movements by replaying every event of the log and differencing fundingSummary
// before and after it (no reuse of anything the projections compute); the reports from the states.
import {
  evolveApplication,
  expectedReservations,
  fundingSummary,
  initialApplicationState,
  parisDateOf,
  type ApplicationEvent,
  type ApplicationState,
  type SubmittedState,
} from '../../../domain';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import { CAMPAIGN_ID, FUNDERS, type GrantsWorld } from './world';

export interface Money {
  requestedCents: number;
  committedCents: number;
  awardedCents: number;
  paidCents: number;
  recoveredCents: number;
}

const zero = (): Money => ({
  requestedCents: 0,
  committedCents: 0,
  awardedCents: 0,
  paidCents: 0,
  recoveredCents: 0,
});

const isZero = (m: Money) => Object.values(m).every((v) => v === 0);

function addInto(into: Money, m: Money): void {
  into.requestedCents += m.requestedCents;
  into.committedCents += m.committedCents;
  into.awardedCents += m.awardedCents;
  into.paidCents += m.paidCents;
  into.recoveredCents += m.recoveredCents;
}

const CAMPAIGN_YEAR = 2027;

/**
 * The exercice of convention year k: the calendar year it starts in once a convention is drafted,
 * the campaign's year + k − 1 before (services/readModels/README.md, « Conventions of the answers »).
 */
export function exerciceOf(state: SubmittedState, k: number): number {
  const start =
    'convention' in state ? state.convention.years.find((y) => y.year === k)?.startDate : undefined;
  return start === undefined ? CAMPAIGN_YEAR + k - 1 : Number(start.slice(0, 4));
}

export interface Line extends Money {
  funder: string;
  /** Convention year. */
  year: number;
  exercice: number;
}

export const linesOf = (state: SubmittedState): Line[] =>
  fundingSummary(state).map((r) => ({
    funder: r.funder,
    year: r.year,
    exercice: exerciceOf(state, r.year),
    requestedCents: r.requestedCents,
    committedCents: r.committedCents,
    awardedCents: r.awardedCents,
    paidCents: r.paidCents,
    recoveredCents: r.recoveredCents,
  }));

function sum(lines: readonly Money[]): Money {
  const total = zero();
  for (const l of lines) addInto(total, l);
  return total;
}

/** Per exercice, in order, years whose money is all zero left out (the tables drop those rows). */
function byExercice(lines: readonly Line[]): ({ year: number } & Money)[] {
  const years = [...new Set(lines.map((l) => l.exercice))].sort((a, b) => a - b);
  return years
    .map((year) => ({ year, ...sum(lines.filter((l) => l.exercice === year)) }))
    .filter(({ year: _year, ...m }) => !isZero(m));
}

const RETAINED = new Set(['approved', 'awaiting_signatures', 'in_force', 'closed', 'terminated']);

export function submittedStates(world: GrantsWorld): SubmittedState[] {
  return world.stories
    .map((s) => s.state)
    .filter((s): s is SubmittedState => s.status !== 'not_submitted' && s.campaignId === CAMPAIGN_ID);
}

export function expectedSummary(world: GrantsWorld, targetPercent = 50) {
  const states = submittedStates(world);
  const lines = new Map(states.map((s) => [s, linesOf(s)]));
  const all = states.flatMap((s) => lines.get(s) ?? []);
  // A year's people: the latest accepted report's; expected by the files not given up.
  const reached = (s: SubmittedState) => {
    const accepted = 'reports' in s ? s.reports.filter((r) => r.status === 'accepted') : [];
    const latest = accepted.sort((a, b) => b.report.year - a.report.year)[0];
    return latest?.report.beneficiariesReached ?? 0;
  };
  const givenUp = new Set(['withdrawn', 'ineligible', 'rejected', 'lapsed']);
  const expected = (s: SubmittedState) =>
    givenUp.has(s.status) ? 0 : s.dossier.action.expectedBeneficiaries;
  const people = (of: readonly SubmittedState[]) => ({
    applications: of.length,
    expectedBeneficiaries: of.reduce((n, s) => n + expected(s), 0),
    reachedBeneficiaries: of.reduce((n, s) => n + reached(s), 0),
  });

  const funders = [...new Set([...all.map((l) => l.funder), ...FUNDERS])].sort();
  const byFunder = funders.map((funder) => {
    const own = all.filter((l) => l.funder === funder);
    const envelope = world.envelope(CAMPAIGN_ID, funder);
    return {
      funder,
      applications: states.filter((s) => (lines.get(s) ?? []).some((l) => l.funder === funder)).length,
      amounts: sum(own),
      byYear: byExercice(own),
      envelope: {
        amountCents: envelope.amountCents,
        reservedCents: envelope.reservedCents,
        remainingCents: envelope.amountCents - envelope.reservedCents,
      },
    };
  });

  const quartiers = [...new Set(states.flatMap((s) => s.dossier.action.qpvCodes))].sort();
  const byQpv = quartiers.map((qpv) => {
    const targeting = states.filter((s) => s.dossier.action.qpvCodes.includes(qpv));
    // An action targeting several quartiers counts fully for each (services/readModels/README.md).
    const own = targeting.flatMap((s) => lines.get(s) ?? []);
    return { qpv, ...people(targeting), amounts: sum(own), byYear: byExercice(own) };
  });

  const themes = [...new Set(states.map((s) => s.dossier.action.theme))].sort((a, b) =>
    a.localeCompare(b, 'fr', { numeric: true }),
  );
  const byTheme = themes.map((theme) => {
    const of = states.filter((s) => s.dossier.action.theme === theme);
    const own = of.flatMap((s) => lines.get(s) ?? []);
    return { theme, ...people(of), amounts: sum(own), byYear: byExercice(own) };
  });

  const statuses = new Map<string, number>();
  for (const s of states) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);

  const retained = states.filter((s) => RETAINED.has(s.status));
  // DOMAIN.md, « Convention signing »: multi-year (2–4 years) → CPO; one year → annual convention.
  const cpo = retained.filter((s) => s.dossier.durationYears >= 2).length;

  return {
    ...people(states),
    amounts: sum(all),
    byYear: byExercice(all),
    byFunder,
    byQpv,
    byTheme,
    byStatus: [...statuses].sort(([a], [b]) => a.localeCompare(b)),
    multiYear: {
      retainedActions: retained.length,
      multiYearActions: cpo,
      annualActions: retained.length - cpo,
      sharePercent: retained.length === 0 ? null : Math.round((cpo * 1000) / retained.length) / 10,
      targetPercent,
      targetReached: retained.length === 0 ? null : cpo * 100 >= targetPercent * retained.length,
    },
  };
}

/** The figures per quartier / funder / theme for one exercice (counts are not per year). */
export function expectedStatsForYear(world: GrantsWorld, year: number) {
  const states = submittedStates(world);
  const moneyOf = (of: readonly SubmittedState[], keep: (l: Line) => boolean = () => true) =>
    sum(of.flatMap(linesOf).filter((l) => l.exercice === year && keep(l)));
  return {
    qpv: new Map(
      [...new Set(states.flatMap((s) => s.dossier.action.qpvCodes))].map((q) => [
        q,
        moneyOf(states.filter((s) => s.dossier.action.qpvCodes.includes(q))),
      ]),
    ),
    theme: new Map(
      [...new Set(states.map((s) => s.dossier.action.theme))].map((t) => [
        t,
        moneyOf(states.filter((s) => s.dossier.action.theme === t)),
      ]),
    ),
    funder: new Map(FUNDERS.map((f) => [f, moneyOf(states, (l) => l.funder === f)])),
  };
}

export interface LedgerRow {
  funder: string;
  year: number;
  committedCents: number;
  awardedCents: number;
  paidCents: number;
  recoveredCents: number;
  reservedCents: number;
}

/**
 * The ledger replayed from the log: for each application event, what fundingSummary gains or loses
 * (committed, awarded, paid, recovered) per funder and convention year; for each envelope event,
 * what the application holds on it per convention year. Summed under the Paris year of the event's
 * business time (`calendar`) or under the convention year (`convention`).
 */
export function expectedLedger(
  events: readonly RecordedEvent[],
  yearOf: 'calendar' | 'convention',
): LedgerRow[] {
  const states = new Map<string, ApplicationState>();
  const holdings = new Map<string, Map<number, number>>();
  const envelopeFunder = new Map<string, string>();
  const rows = new Map<string, LedgerRow>();
  const move = (funder: string, year: number, field: keyof Omit<LedgerRow, 'funder' | 'year'>, d: number) => {
    if (d === 0) return;
    const key = `${funder}|${year}`;
    const row = rows.get(key) ?? {
      funder,
      year,
      committedCents: 0,
      awardedCents: 0,
      paidCents: 0,
      recoveredCents: 0,
      reservedCents: 0,
    };
    row[field] += d;
    rows.set(key, row);
  };
  for (const event of events) {
    const calendarYear = Number(parisDateOf(event.metadata.occurredAt).slice(0, 4));
    if (event.stream.startsWith('application-')) {
      const before = states.get(event.stream) ?? initialApplicationState;
      const after = evolveApplication(before, { type: event.type, data: event.data } as ApplicationEvent);
      states.set(event.stream, after);
      const was = new Map(fundingSummary(before).map((r) => [`${r.funder}|${r.year}`, r]));
      const is = new Map(fundingSummary(after).map((r) => [`${r.funder}|${r.year}`, r]));
      for (const key of new Set([...was.keys(), ...is.keys()])) {
        const a = was.get(key);
        const b = is.get(key);
        const r = b ?? a;
        if (r === undefined) continue;
        const year = yearOf === 'calendar' ? calendarYear : r.year;
        move(r.funder, year, 'committedCents', (b?.committedCents ?? 0) - (a?.committedCents ?? 0));
        move(r.funder, year, 'awardedCents', (b?.awardedCents ?? 0) - (a?.awardedCents ?? 0));
        move(r.funder, year, 'paidCents', (b?.paidCents ?? 0) - (a?.paidCents ?? 0));
        move(r.funder, year, 'recoveredCents', (b?.recoveredCents ?? 0) - (a?.recoveredCents ?? 0));
      }
    } else if (event.stream.startsWith('envelope-')) {
      const data = event.data as {
        funder?: string;
        applicationId?: string;
        amountsByYear?: { year: number; amountCents: number }[];
      };
      if (event.type === 'EnvelopeOpened') envelopeFunder.set(event.stream, data.funder ?? '');
      if (event.type !== 'FundsReserved' && event.type !== 'FundsReleased') continue;
      const funder = envelopeFunder.get(event.stream) ?? '';
      const key = `${event.stream}|${data.applicationId ?? ''}`;
      const held = holdings.get(key) ?? new Map<number, number>();
      const wanted = new Map(
        event.type === 'FundsReserved' ? (data.amountsByYear ?? []).map((y) => [y.year, y.amountCents]) : [],
      );
      for (const year of new Set([...held.keys(), ...wanted.keys()]))
        move(
          funder,
          yearOf === 'calendar' ? calendarYear : year,
          'reservedCents',
          (wanted.get(year) ?? 0) - (held.get(year) ?? 0),
        );
      holdings.set(key, wanted);
    }
  }
  return [...rows.values()]
    .filter((r) => Object.entries(r).some(([k, v]) => k !== 'year' && typeof v === 'number' && v !== 0))
    .sort((a, b) => a.funder.localeCompare(b.funder) || a.year - b.year);
}

/** What every alive application's reservations come to, per funder (the envelope's own fold must agree). */
export function expectedReserved(world: GrantsWorld): Map<string, number> {
  const reserved = new Map<string, number>();
  for (const s of submittedStates(world))
    for (const r of expectedReservations(s))
      reserved.set(
        r.funder,
        (reserved.get(r.funder) ?? 0) + r.amountsByYear.reduce((n, y) => n + y.amountCents, 0),
      );
  return reserved;
}

export interface ExpectedReport {
  applicationId: string;
  year: number;
  dueDate: string;
  status: string;
}

/** The reports of the conventions in force, as their states hold them. */
export function expectedReports(world: GrantsWorld): ExpectedReport[] {
  const out: ExpectedReport[] = [];
  for (const s of submittedStates(world)) {
    if (s.status !== 'in_force') continue;
    for (const r of s.reports) {
      const dueDate =
        r.status === 'expected' || r.status === 'changes_requested' || r.status === 'submitted'
          ? r.dueDate
          : (s.convention.years.find((y) => y.year === r.year)?.reportDueDate ?? '');
      const status =
        (r.status === 'expected' || r.status === 'changes_requested') && r.overdue
          ? 'overdue'
          : r.status === 'expected' && r.reminderSent
            ? 'reminder_sent'
            : r.status;
      out.push({ applicationId: s.applicationId, year: r.year, dueDate, status });
    }
  }
  return out;
}
