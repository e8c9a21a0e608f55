// Read-only views of one application's state that the workflow and projections need.
import { awardedFor, orderedFor, recoveredFor } from './convention';
import { requestedFor, solicitedFunders } from './dossier';
import type { ApplicationState, CoDecision, InstallmentState, Recovery, SubmittedState } from './state';

export interface YearAmount {
  year: number;
  amountCents: number;
}

/**
 * What each funder's envelope should hold for this application in its current state. The workflow
 * compares it with what it reserved and sends ReserveFunds (replace) / ReleaseFunds accordingly:
 * co-decision → committed positions; approved onwards → the awarded plan; closed or terminated →
 * what was actually paid net of recoveries (the rest returns to the envelope); withdrawn,
 * ineligible, rejected, lapsed → nothing.
 */
export function expectedReservations(
  state: ApplicationState,
): { funder: string; amountsByYear: YearAmount[] }[] {
  switch (state.status) {
    case 'co_decision':
      return Object.entries(state.coDecision.positions).flatMap(([funder, p]) =>
        p.decision === 'committed' ? [{ funder, amountsByYear: p.amountsByYear }] : [],
      );
    case 'approved':
    case 'awaiting_signatures':
    case 'in_force':
      return groupByFunder(state.award.plan);
    case 'closed':
    case 'terminated':
      return groupByFunder(
        state.award.plan
          .map((p) => ({
            funder: p.funder,
            year: p.year,
            amountCents:
              orderedFor(state.installments, p.funder, p.year) - recoveredFor(state, p.funder, p.year),
          }))
          .filter((p) => p.amountCents > 0),
      );
    case 'not_submitted':
    case 'under_review':
    case 'awaiting_complements':
    case 'withdrawn':
    case 'ineligible':
    case 'rejected':
    case 'lapsed':
      return [];
    default: {
      const never: never = state;
      return never;
    }
  }
}

function groupByFunder(lines: readonly { funder: string; year: number; amountCents: number }[]) {
  const funders = [...new Set(lines.map((l) => l.funder))];
  return funders.map((funder) => ({
    funder,
    amountsByYear: lines
      .filter((l) => l.funder === funder)
      .map((l) => ({ year: l.year, amountCents: l.amountCents }))
      .sort((a, b) => a.year - b.year),
  }));
}

export interface FundingRow {
  funder: string;
  year: number;
  requestedCents: number;
  committedCents: number;
  awardedCents: number;
  /** Ordered payments (mandatés): the domain counts an ordered payment as paid. */
  paidCents: number;
  recoveredCents: number;
}

/** The funders an application concerns: those its dossier solicits, and those its award funds. */
export function concernedFunders(state: SubmittedState): string[] {
  const plan = 'award' in state ? state.award.plan : [];
  return [...new Set([...solicitedFunders(state.dossier), ...plan.map((p) => p.funder)])];
}

/** A rejected or lapsed application: its commitments and award are void (see fundingSummary). */
export const fundsVoided = (state: ApplicationState): boolean =>
  state.status === 'rejected' || state.status === 'lapsed';

/**
 * Requested / committed / awarded / paid / recovered, per funder and year: the money as it stands.
 * A rejected or lapsed application funds nothing: its funders' commitments and its award are void,
 * as after a withdrawal, and its envelopes' reservations are released (expectedReservations). What
 * was committed before stays in the history (the ledger shows the commitment, then its cancellation).
 */
export function fundingSummary(state: ApplicationState): FundingRow[] {
  if (state.status === 'not_submitted') return [];
  const voided = fundsVoided(state);
  const dossier = state.dossier;
  const coDecision: CoDecision | undefined = 'coDecision' in state ? state.coDecision : undefined;
  const plan = 'award' in state ? state.award.plan : [];
  const installments: InstallmentState[] = 'installments' in state ? state.installments : [];
  const recoveries: Recovery[] = 'recoveries' in state ? state.recoveries : [];
  const rows: FundingRow[] = [];
  for (const funder of concernedFunders(state)) {
    for (let year = 1; year <= dossier.durationYears; year++) {
      const position = coDecision?.positions[funder];
      rows.push({
        funder,
        year,
        requestedCents: requestedFor(dossier, funder, year),
        committedCents:
          !voided && position?.decision === 'committed'
            ? (position.amountsByYear.find((a) => a.year === year)?.amountCents ?? 0)
            : 0,
        awardedCents: voided ? 0 : awardedFor(plan, funder, year),
        paidCents: orderedFor(installments, funder, year),
        recoveredCents: recoveredFor({ recoveries }, funder, year),
      });
    }
  }
  return rows;
}
