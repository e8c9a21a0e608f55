// Convention arithmetic: years, report due dates, payment schedules and what may be paid.
import { addDays, addMonths, addMonthsToMonthEnd, addYears, type CivilDate } from '../calendar';
import { funderName } from '../reference/funders';
import type { CommandMeta } from '../shared/meta';
import { formatEuros, sumCents } from '../shared/money';
import { appliesRule } from '../shared/ruleRevisions';
import type { ConventionYear, Installment, PaymentTrigger, PlanLine } from './events';
import type { ApplicationStateOf, InstallmentState, ReportYearState } from './state';

/** Reports are due within this many months after each convention year ends. */
export const REPORT_DUE_MONTHS = 6;
/** The reminder goes this many days before a report's due date. */
export const REPORT_REMINDER_DAYS = 30;

/**
 * Year k runs from start + (k-1) years to the day before start + k years; its report is due six
 * months after its last day, by the month-end convention (31 December → 30 June, 30 December → 30
 * June, 28 February → 31 August). Before rule revision `reportDueAfterYearEnd` the due date was
 * counted from the next year's start less a day, a day early when that start fell on a 29th–31st
 * that the sixth month lacks (31 December → 29 June): a workflow replaying a convention it drafted
 * then gets those dates again.
 */
export function conventionYears(
  startDate: CivilDate,
  durationYears: number,
  meta: Pick<CommandMeta, 'ruleRevision'> = {},
): ConventionYear[] {
  const afterYearEnd = appliesRule(meta, 'reportDueAfterYearEnd');
  return Array.from({ length: durationYears }, (_, i) => {
    const nextStart = addYears(startDate, i + 1);
    const endDate = addDays(nextStart, -1);
    return {
      year: i + 1,
      startDate: addYears(startDate, i),
      endDate,
      reportDueDate: afterYearEnd
        ? addMonthsToMonthEnd(endDate, REPORT_DUE_MONTHS)
        : addDays(addMonths(nextStart, REPORT_DUE_MONTHS), -1),
    };
  });
}

export type ScheduleLine = { funder: string; year: number; amountCents: number; trigger: PaymentTrigger };

/**
 * Advance of half (rounded down to the cent) and balance: year 1's advance at signature, year k's
 * advance when report k-1 is accepted, each year's balance when its own report is accepted.
 */
export function defaultPaymentSchedule(plan: readonly PlanLine[]): ScheduleLine[] {
  const lines: ScheduleLine[] = [];
  for (const p of plan) {
    const advance = Math.floor(p.amountCents / 2);
    const balance = p.amountCents - advance;
    if (advance > 0) {
      lines.push({
        funder: p.funder,
        year: p.year,
        amountCents: advance,
        trigger: p.year === 1 ? { kind: 'signature' } : { kind: 'report_accepted', reportYear: p.year - 1 },
      });
    }
    lines.push({
      funder: p.funder,
      year: p.year,
      amountCents: balance,
      trigger: { kind: 'report_accepted', reportYear: p.year },
    });
  }
  return lines;
}

/** Checks a schedule against the plan; returns French problems (empty when valid). */
export function scheduleProblems(
  plan: readonly PlanLine[],
  lines: readonly ScheduleLine[],
  durationYears: number,
): string[] {
  const problems: string[] = [];
  for (const l of lines) {
    const where = `${funderName(l.funder)}, année ${l.year}`;
    if (!plan.some((p) => p.funder === l.funder && p.year === l.year))
      problems.push(`${where} : aucun montant attribué par le comité pour cette année.`);
    if (l.trigger.kind === 'signature' && l.year !== 1)
      problems.push(`${where} : seule l'année 1 peut être versée à la signature.`);
    if (l.trigger.kind === 'report_accepted') {
      const r = l.trigger.reportYear;
      if (r > durationYears) problems.push(`${where} : la convention n'a pas d'année ${r}.`);
      else if (r !== l.year && r !== l.year - 1)
        problems.push(
          `${where} : un versement dépend du compte rendu de la même année (solde) ou de la précédente (avance).`,
        );
    }
  }
  for (const p of plan) {
    const scheduled = sumCents(
      lines.filter((l) => l.funder === p.funder && l.year === p.year).map((l) => l.amountCents),
    );
    if (scheduled !== p.amountCents)
      problems.push(
        `${funderName(p.funder)}, année ${p.year} : l'échéancier prévoit ${formatEuros(scheduled)} pour ${formatEuros(p.amountCents)} attribués.`,
      );
  }
  return problems;
}

export function withInstallmentIds(lines: readonly ScheduleLine[]): Installment[] {
  const counters = new Map<string, number>();
  return lines.map((l) => {
    const key = `${l.funder}-y${l.year}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return { id: `${key}-${n}`, ...l };
  });
}

type InForceState = ApplicationStateOf<'in_force'>;

export const awardedFor = (plan: readonly PlanLine[], funder: string, year: number): number =>
  plan.find((p) => p.funder === funder && p.year === year)?.amountCents ?? 0;

export const orderedFor = (installments: readonly InstallmentState[], funder: string, year: number): number =>
  sumCents(installments.filter((i) => i.funder === funder && i.year === year).map((i) => i.orderedCents));

export const recoveredFor = (state: Pick<InForceState, 'recoveries'>, funder: string, year: number): number =>
  sumCents(state.recoveries.filter((r) => r.funder === funder && r.year === year).map((r) => r.amountCents));

/** What an accepted report justifies for a funder and year: spent, within what was awarded. */
export function justifiedFor(state: InForceState, funder: string, year: number): number | undefined {
  const report = state.reports.find((r) => r.year === year);
  if (report?.status !== 'accepted') return undefined;
  const spent = report.report.spentByFunder.find((s) => s.funder === funder)?.amountCents ?? 0;
  return Math.min(spent, awardedFor(state.award.plan, funder, year));
}

export const isOverdue = (r: ReportYearState): boolean =>
  (r.status === 'expected' || r.status === 'changes_requested') && r.overdue;

/** Payments are suspended while any yearly report is overdue. */
export const paymentsSuspended = (state: InForceState): boolean => state.reports.some(isOverdue);

export function triggerMet(state: InForceState, trigger: PaymentTrigger): boolean {
  switch (trigger.kind) {
    case 'signature':
      return true;
    case 'report_accepted':
      return state.reports.some((r) => r.year === trigger.reportYear && r.status === 'accepted');
    default: {
      const never: never = trigger;
      return never;
    }
  }
}

/** Installments whose trigger has come and that are neither ordered nor cancelled. */
export const dueInstallments = (state: InForceState): InstallmentState[] =>
  state.installments.filter((i) => i.status === 'scheduled' && triggerMet(state, i.trigger));

/**
 * What ordering this installment pays now: all of it, unless its year's report was accepted — then
 * no more than what that report justified beyond what was already paid (possibly 0).
 */
export function payableAmount(state: InForceState, installment: InstallmentState): number {
  const justified = justifiedFor(state, installment.funder, installment.year);
  if (justified === undefined) return installment.scheduledCents;
  const alreadyPaid = orderedFor(state.installments, installment.funder, installment.year);
  return Math.max(0, Math.min(installment.scheduledCents, justified - alreadyPaid));
}

/** Funders in the plan, in order. */
export const planFunders = (plan: readonly PlanLine[]): string[] => [...new Set(plan.map((p) => p.funder))];
