// What the read models show of one application, derived from its folded domain state only: who
// must act now (the domain's openApplicationCommands: allowedApplicationCommands without its hints),
// until when (its applicationDeadlines) and the money (its fundingSummary). A pure function of the
// state, so the facts of the previous state can always be recomputed to know which rows to change.
import {
  applicationStatusLabels as domainStatusLabels,
  applicationCommandHint,
  applicationDeadlines,
  fundingSummary,
  fundsVoided,
  isTerminal,
  openApplicationCommands,
  signatoryKey,
  type ApplicationCommandType,
  type ApplicationState,
  type ApplicationStatus,
  type FundingRow,
  type SubmittedState,
  unawaitedApplicationCommands,
} from '../../../domain/application';
import { endOfParisDay, toEpochMs } from '../../../domain/calendar';
import { funderNames } from '../../../domain/reference/funders';
import type { OpenCommand } from '../../../domain/shared';

/**
 * French status labels, as the console and exports show them: the domain's own words (those its
 * refusals say, « la candidature est en co-décision des financeurs »), with a capital.
 */
export const applicationStatusLabels = Object.fromEntries(
  Object.entries(domainStatusLabels).map(([status, label]) => [
    status,
    label.charAt(0).toUpperCase() + label.slice(1),
  ]),
) as Record<ApplicationStatus, string>;

/** Who may be waited on: a role, or for funders their institution (ETAT, COMMUNE-59392…). */
export type WaitingRole = 'porteur' | 'grant_manager' | 'funder' | 'citizen_council';

export interface AwaitedAction {
  command: ApplicationCommandType;
  /** French, for a work queue ('Convention à rédiger'). */
  label: string;
  roles: WaitingRole[];
  institutions?: string[];
}

export interface FundingLine extends FundingRow {
  /** The calendar year (exercice) this convention year falls in. */
  calendarYear: number;
}

export interface Amounts {
  requestedCents: number;
  committedCents: number;
  awardedCents: number;
  paidCents: number;
  recoveredCents: number;
}

export interface ApplicationFacts {
  applicationId: string;
  campaignId: string;
  porteurId: string;
  porteurName: string;
  siret: string | null;
  rna: string | null;
  title: string;
  theme: string;
  qpvCodes: string[];
  durationYears: number;
  /** People the action expects to reach in a year (the dossier's). */
  expectedBeneficiaries: number;
  /**
   * People reached in a year, as the accepted report of the latest year says (0 before one): a
   * yearly count, as the expected one. A CPO's years are not added up: the same people, mostly,
   * come back each year (three years of 50 read 150 beside 55 expected).
   */
  reachedBeneficiaries: number;
  conventionKind: 'CPO' | 'annual' | null;
  status: ApplicationStatus;
  submittedAt: string;
  awaited: AwaitedAction[];
  /** French label of what the application waits on; null once it is over. */
  waitingFor: string | null;
  /** Roles and institutions that must act now (never 'system': timers are nobody's work). */
  waitingOn: string[];
  nextDeadline: { at: string; kind: string } | null;
  funding: FundingLine[];
  totals: Amounts;
  /**
   * For the multi-year target: the kind of convention of an action the committee retained (null
   * otherwise, including a lapsed convention, which never bound anyone).
   */
  retainedKind: 'CPO' | 'annual' | null;
}

/** Who is still expected for one open command; `reason` is the domain's hint, asked for lazily. */
interface Expected {
  roles: WaitingRole[];
  institutions: string[];
  reason: () => string | undefined;
}

/** Queue wording per command; null for the commands only timers send. */
const queueLabels: Record<ApplicationCommandType, ((a: Expected) => string) | null> = {
  SubmitApplication: () => 'Dossier à déposer',
  DeclareEligible: () => 'Recevabilité à instruire',
  DeclareIneligible: () => 'Recevabilité à instruire',
  RequestComplements: () => 'Recevabilité à instruire',
  ProvideComplements: () => 'Compléments à fournir par le porteur',
  MarkComplementsMissed: null,
  RecordFunderPosition: (a) => `Position attendue : ${funderNames(a.institutions)}`,
  GiveCitizenOpinion: () => 'Avis du conseil citoyen attendu',
  LapseSilentFunders: null,
  RecordCommitteeApproval: () => 'Décision du comité de pilotage à enregistrer',
  RecordCommitteeRejection: () => 'Décision du comité de pilotage à enregistrer',
  DraftConvention: () => 'Convention à rédiger',
  SignConvention: (a) =>
    `Signatures attendues : ${[...(a.roles.includes('porteur') ? ['le porteur'] : []), funderNames(a.institutions)].filter((n) => n !== '').join(', ')}`,
  LapseConvention: null,
  RequestYearlyReport: null,
  SendReportReminder: null,
  MarkReportOverdue: null,
  SubmitYearlyReport: (a) => {
    const reason = a.reason();
    return reason ? `Compte rendu annuel à déposer (${reason})` : 'Compte rendu annuel à déposer';
  },
  AcceptYearlyReport: () => 'Compte rendu à examiner',
  RequestReportChanges: () => 'Compte rendu à examiner',
  OrderPayment: () => 'Versement à ordonner',
  CloseApplication: () => 'Dossier à clôturer',
  TerminateConvention: null,
  WithdrawApplication: null,
};

const isWaitingRole = (role: string): role is WaitingRole =>
  role === 'porteur' || role === 'grant_manager' || role === 'funder' || role === 'citizen_council';

/**
 * openApplicationCommands (allowedApplicationCommands without the French hints) tells who MAY act
 * now; a queue needs who MUST. The domain lets a funder
 * revise its position and the conseil citoyen its opinion until the co-decision deadline, and lists
 * the porteur among the signatories until the convention is in force: those who already did their
 * part are not waited on.
 */
function stillExpected(state: SubmittedState, allowed: OpenCommand<ApplicationCommandType>): Expected {
  let roles = allowed.roles.filter(isWaitingRole);
  let institutions = allowed.institutions ?? [];
  if (allowed.type === 'RecordFunderPosition' && state.status === 'co_decision') {
    const positions = state.coDecision.positions;
    institutions = institutions.filter((f) => positions[f] === undefined);
  }
  if (
    allowed.type === 'GiveCitizenOpinion' &&
    state.status === 'co_decision' &&
    state.coDecision.citizenOpinion !== null
  )
    roles = [];
  if (
    allowed.type === 'SignConvention' &&
    state.status === 'awaiting_signatures' &&
    state.signatures.some((s) => signatoryKey(s.signatory) === 'porteur')
  )
    roles = roles.filter((r) => r !== 'porteur');
  if (roles.includes('funder') && institutions.length === 0) roles = roles.filter((r) => r !== 'funder');
  return { roles, institutions, reason: () => applicationCommandHint(allowed.type, state) };
}

function awaitedActions(state: SubmittedState): AwaitedAction[] {
  const awaited: AwaitedAction[] = [];
  for (const allowed of openApplicationCommands(state)) {
    // Open to someone as long as the file lives (a withdrawal, a termination): not a wait.
    if (unawaitedApplicationCommands.has(allowed.type)) continue;
    const label = queueLabels[allowed.type];
    if (label === null) continue;
    const expected = stillExpected(state, allowed);
    if (expected.roles.length === 0) continue;
    const action: AwaitedAction = { command: allowed.type, label: label(expected), roles: expected.roles };
    if (expected.roles.includes('funder')) action.institutions = [...expected.institutions];
    awaited.push(action);
  }
  return awaited;
}

function waitingLabel(state: SubmittedState, awaited: readonly AwaitedAction[]): string | null {
  if (isTerminal(state.status)) return null;
  const labels = [...new Set(awaited.map((a) => a.label))];
  if (labels.length > 0) return labels.join(' ; ');
  return state.status === 'in_force'
    ? "Convention en cours d'exécution : rien à faire avant la prochaine échéance"
    : 'Aucune action attendue pour le moment';
}

function waitingParties(awaited: readonly AwaitedAction[]): string[] {
  const parties = new Set<string>();
  for (const a of awaited) {
    for (const role of a.roles) parties.add(role);
    for (const institution of a.institutions ?? []) parties.add(institution);
  }
  return [...parties].sort();
}

/**
 * The earliest date someone is held to (the queues' order and the « échéance » shown). A yearly
 * report's reminder is the workflow's own timer, not a date anyone has: the report's due date is. A
 * report already marked overdue has no timer left, but its due date is still the one the porteur
 * missed: it stays, passed, so that `sort=deadline` puts the late files first, not last.
 */
function earliestDeadline(state: SubmittedState): { at: string; kind: string } | null {
  let best: { at: string; kind: string; ms: number } | undefined;
  const consider = (at: string, kind: string): void => {
    const ms = toEpochMs(at);
    if (best === undefined || ms < best.ms) best = { at, kind, ms };
  };
  for (const d of applicationDeadlines(state)) if (d.kind !== 'report-reminder') consider(d.dueAt, d.kind);
  if (state.status === 'in_force')
    for (const r of state.reports)
      if ((r.status === 'expected' || r.status === 'changes_requested') && r.overdue)
        consider(endOfParisDay(r.dueDate), 'report-overdue');
  return best === undefined ? null : { at: best.at, kind: best.kind };
}

const conventionOf = (state: SubmittedState) => ('convention' in state ? state.convention : undefined);

/**
 * Convention year k falls in the calendar year its convention year starts in; before a convention
 * is drafted, year 1 is the campaign's year.
 */
function calendarYearOf(state: SubmittedState, year: number): number {
  const start = conventionOf(state)?.years.find((y) => y.year === year)?.startDate;
  return start === undefined ? state.terms.campaignYear + year - 1 : Number(start.slice(0, 4));
}

export function fundingLines(state: SubmittedState): FundingLine[] {
  const rows = fundingSummary(state);
  const lines: FundingLine[] = new Array<FundingLine>(rows.length);
  // Each line written out field by field, not as { ...row, calendarYear }: the lines are read by every
  // slice (the ledger, the totals, the funding rows), and built by that spread they made a two-thread
  // rebuild of the bench's store take 39–42 s of CPU instead of 31–34 (bench/RESULTS.md,
  // « 2026-11-29 »). One calendar year per convention year, not per line.
  const calendarYears: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const calendarYear = (calendarYears[row.year] ??= calendarYearOf(state, row.year));
    lines[i] = {
      funder: row.funder,
      year: row.year,
      requestedCents: row.requestedCents,
      committedCents: row.committedCents,
      awardedCents: row.awardedCents,
      paidCents: row.paidCents,
      recoveredCents: row.recoveredCents,
      calendarYear,
    };
  }
  return lines;
}

export function sumAmounts(rows: readonly Amounts[]): Amounts {
  const total: Amounts = {
    requestedCents: 0,
    committedCents: 0,
    awardedCents: 0,
    paidCents: 0,
    recoveredCents: 0,
  };
  for (const r of rows) {
    total.requestedCents += r.requestedCents;
    total.committedCents += r.committedCents;
    total.awardedCents += r.awardedCents;
    total.paidCents += r.paidCents;
    total.recoveredCents += r.recoveredCents;
  }
  return total;
}

const RETAINED: ReadonlySet<ApplicationStatus> = new Set([
  'approved',
  'awaiting_signatures',
  'in_force',
  'closed',
  'terminated',
]);

function retainedKind(state: SubmittedState): 'CPO' | 'annual' | null {
  if (!RETAINED.has(state.status)) return null;
  // Before drafting, the kind the convention will have: a CPO for a multi-year action (DOMAIN.md,
  // « Convention signing »), as DraftConvention decides it.
  return conventionOf(state)?.kind ?? (state.dossier.durationYears >= 2 ? 'CPO' : 'annual');
}

function reachedBeneficiaries(state: SubmittedState): number {
  if (!('reports' in state)) return 0;
  let latest: { year: number; reached: number } | undefined;
  for (const r of state.reports)
    if (r.status === 'accepted' && (latest === undefined || r.report.year > latest.year))
      latest = { year: r.report.year, reached: r.report.beneficiariesReached };
  return latest?.reached ?? 0;
}

/**
 * The funding lines of `state`, reusing `previous` (the lines of `previousState`) when nothing they
 * depend on changed (most events: signatures, reports, opinions…); the result is the same either way.
 */
export function fundingLinesSince(
  state: SubmittedState,
  previousState: SubmittedState | undefined,
  previous: FundingLine[] | undefined,
): FundingLine[] {
  return previousState !== undefined && previous !== undefined && sameMoneyInputs(previousState, state)
    ? previous
    : fundingLines(state);
}

/**
 * `previous` lets the money be reused when nothing it depends on changed, and `funding` gives it
 * when the caller already knows it (fundingLinesSince); the result is the same either way.
 */
export function applicationFacts(
  state: SubmittedState,
  previous?: FactsSource,
  funding: FundingLine[] = fundingLinesSince(state, previous?.state, previous?.facts.funding),
): ApplicationFacts {
  const d = state.dossier;
  const awaited = awaitedActions(state);
  return {
    applicationId: state.applicationId,
    campaignId: state.campaignId,
    porteurId: state.porteurId,
    porteurName: d.porteur.name,
    siret: d.porteur.siret ?? null,
    rna: d.porteur.rna ?? null,
    title: d.action.title,
    theme: d.action.theme,
    qpvCodes: d.action.qpvCodes,
    durationYears: d.durationYears,
    expectedBeneficiaries: d.action.expectedBeneficiaries,
    reachedBeneficiaries: reachedBeneficiaries(state),
    conventionKind: conventionOf(state)?.kind ?? null,
    status: state.status,
    submittedAt: state.submittedAt,
    awaited,
    waitingFor: waitingLabel(state, awaited),
    waitingOn: waitingParties(awaited),
    nextDeadline: earliestDeadline(state),
    funding,
    totals:
      previous !== undefined && funding === previous.facts.funding
        ? previous.facts.totals
        : sumAmounts(funding),
    retainedKind: retainedKind(state),
  };
}

export interface FactsSource {
  state: SubmittedState;
  facts: ApplicationFacts;
}

/**
 * The parts of the state fundingSummary and the calendar years read (evolve keeps untouched parts),
 * besides whether the status voids the funding (fundsVoided).
 */
const MONEY_KEYS = [
  'dossier',
  'terms',
  'coDecision',
  'award',
  'convention',
  'installments',
  'recoveries',
] as const;

function sameMoneyInputs(a: ApplicationState, b: ApplicationState): boolean {
  const x = a as Partial<Record<(typeof MONEY_KEYS)[number], unknown>>;
  const y = b as Partial<Record<(typeof MONEY_KEYS)[number], unknown>>;
  for (const key of MONEY_KEYS) if (x[key] !== y[key]) return false;
  return fundsVoided(a) === fundsVoided(b);
}
