import { formatFrenchDate, type Instant } from '../calendar';
import type { Dossier } from './dossier';
import type { CampaignTermsAtSubmission, Finding } from './eligibility';
import type {
  ApplicationEvent,
  CitizenOpinion,
  ConventionYear,
  FunderPosition,
  Installment,
  PaymentTrigger,
  PlanLine,
  Signatory,
  TerminationReason,
  YearlyReport,
} from './events';

export const applicationStatuses = [
  'not_submitted',
  'under_review',
  'awaiting_complements',
  'co_decision',
  'approved',
  'awaiting_signatures',
  'in_force',
  'withdrawn',
  'ineligible',
  'rejected',
  'lapsed',
  'closed',
  'terminated',
] as const;
export type ApplicationStatus = (typeof applicationStatuses)[number];

/** French labels of the statuses, for people. */
export const applicationStatusLabels: Record<ApplicationStatus, string> = {
  not_submitted: 'non déposée',
  under_review: 'en instruction (recevabilité)',
  awaiting_complements: 'en attente de compléments',
  co_decision: 'en co-décision des financeurs',
  approved: 'approuvée par le comité de pilotage',
  awaiting_signatures: 'convention en signature',
  in_force: 'convention en vigueur',
  withdrawn: 'retirée',
  ineligible: 'irrecevable',
  rejected: 'rejetée',
  lapsed: 'caduque',
  closed: 'clôturée',
  terminated: 'résiliée',
};

export const terminalStatuses = [
  'withdrawn',
  'ineligible',
  'rejected',
  'lapsed',
  'closed',
  'terminated',
] as const;
export type TerminalStatus = (typeof terminalStatuses)[number];
export const isTerminal = (status: ApplicationStatus): status is TerminalStatus =>
  (terminalStatuses as readonly string[]).includes(status);

/** What every submitted application carries. */
export interface Submitted {
  applicationId: string;
  campaignId: string;
  porteurId: string;
  submittedAt: Instant;
  dossier: Dossier;
  terms: CampaignTermsAtSubmission;
  findings: Finding[];
  /** How many complements requests were made so far. */
  complementsRequests: number;
  /**
   * Every demande de compléments and the porteur's answer, oldest first: kept for the whole life of
   * the application, so that whoever rules on it later sees what was asked and what was answered.
   */
  complements: ComplementsExchange[];
}

/** One demande de compléments and, once given, the porteur's answer. */
export interface ComplementsExchange {
  number: number;
  items: string[];
  /** Civil date (Paris) by which the answer was expected. */
  dueDate: string;
  /** Null while awaited, and for good when the due date passed or the application was withdrawn first. */
  answer: ComplementsAnswer | null;
}

export interface ComplementsAnswer {
  response: string;
  documentRefs: string[];
  /** The answer replaced the dossier (the state's dossier is the amended one). */
  dossierAmended: boolean;
}

export type RecordedPosition = FunderPosition | { decision: 'lapsed' };

export interface CoDecision {
  solicitedFunders: string[];
  dueDate: string;
  justification: string | null;
  /** By funder id; a missing key means the funder has not spoken yet. */
  positions: Record<string, RecordedPosition>;
  citizenOpinion: { opinion: CitizenOpinion; comment: string } | null;
  deadlinePassed: boolean;
}

export interface Award {
  decisionReference: string;
  decisionDate: string;
  plan: PlanLine[];
}

export interface Convention {
  kind: 'CPO' | 'annual';
  startDate: string;
  endDate: string;
  years: ConventionYear[];
  signatureDueDate: string;
  signatories: Signatory[];
  installments: Installment[];
  conditions: { funder: string; conditions: string }[];
}

export type ReportYearState =
  | { year: number; status: 'not_due' }
  | { year: number; status: 'expected'; dueDate: string; reminderSent: boolean; overdue: boolean }
  | { year: number; status: 'submitted'; dueDate: string; report: YearlyReport; submittedAt: Instant }
  | {
      year: number;
      status: 'changes_requested';
      dueDate: string;
      comments: string[];
      overdue: boolean;
      report: YearlyReport;
    }
  | { year: number; status: 'accepted'; report: YearlyReport };

export interface InstallmentState {
  id: string;
  funder: string;
  year: number;
  scheduledCents: number;
  trigger: PaymentTrigger;
  status: 'scheduled' | 'ordered' | 'cancelled';
  /** What was actually ordered (≤ scheduled); 0 unless ordered. */
  orderedCents: number;
}

export interface Recovery {
  funder: string;
  year: number;
  amountCents: number;
  reason: 'unspent' | 'termination';
}

/** Why a recovery was ordered, for people (the ledger's reference; the console has the same words). */
export const recoveryReasonLabels: Record<Recovery['reason'], string> = {
  unspent: 'sommes versées non dépensées',
  termination: 'résiliation de la convention',
};

export interface InForce {
  coDecision: CoDecision;
  award: Award;
  convention: Convention;
  signatures: { signatory: Signatory; signedAt: Instant }[];
  enteredIntoForceAt: Instant;
  reports: ReportYearState[];
  installments: InstallmentState[];
  recoveries: Recovery[];
}

export type ApplicationState =
  | { status: 'not_submitted' }
  | ({ status: 'under_review' } & Submitted)
  | ({
      status: 'awaiting_complements';
      request: { number: number; items: string[]; dueDate: string };
    } & Submitted)
  | ({ status: 'co_decision'; coDecision: CoDecision } & Submitted)
  | ({ status: 'approved'; coDecision: CoDecision; award: Award } & Submitted)
  | ({
      status: 'awaiting_signatures';
      coDecision: CoDecision;
      award: Award;
      convention: Convention;
      signatures: { signatory: Signatory; signedAt: Instant }[];
    } & Submitted)
  | ({ status: 'in_force' } & InForce & Submitted)
  | ({
      status: 'withdrawn';
      withdrawnAt: Instant;
      reason: string | null;
      previousStatus: ApplicationStatus;
    } & Submitted)
  | ({ status: 'ineligible'; reasons: string[]; automatic: boolean } & Submitted)
  | ({
      status: 'rejected';
      coDecision: CoDecision;
      rejection: { decisionReference: string; decisionDate: string; reasons: string[] };
    } & Submitted)
  | ({
      status: 'lapsed';
      coDecision: CoDecision;
      award: Award;
      convention: Convention;
      missingSignatories: Signatory[];
    } & Submitted)
  | ({ status: 'closed'; closedAt: Instant; comment: string | null } & InForce & Submitted)
  | ({
      status: 'terminated';
      terminatedAt: Instant;
      terminationReason: TerminationReason;
      comment: string;
    } & InForce &
      Submitted);

export type ApplicationStateOf<S extends ApplicationStatus> = Extract<ApplicationState, { status: S }>;
export type SubmittedState = Exclude<ApplicationState, { status: 'not_submitted' }>;

export const initialApplicationState: ApplicationState = { status: 'not_submitted' };

/**
 * A state folded by an earlier version of this code, as a workflow's continue-as-new carries it
 * over: the fields added since get their empty value (`complements`: the requests made before are
 * in the earlier run's history and the event store, not in the carried state).
 */
export function withCurrentShape(state: ApplicationState): ApplicationState {
  if (state.status === 'not_submitted') return state;
  const stored = state as Omit<SubmittedState, 'complements'> & { complements?: ComplementsExchange[] };
  return stored.complements === undefined ? ({ ...stored, complements: [] } as SubmittedState) : state;
}

/** The application's stream (and workflow id). */
export const applicationStreamName = (applicationId: string): string => `application-${applicationId}`;

export const signatoryKey = (s: Signatory): string => (s.kind === 'porteur' ? 'porteur' : s.funder);

function unexpected(state: ApplicationState, event: ApplicationEvent): never {
  throw new Error(
    `Événement ${event.type} impossible au statut ${state.status} de la candidature (flux corrompu ?)`,
  );
}

function submittedPart(state: SubmittedState): Submitted {
  return {
    applicationId: state.applicationId,
    campaignId: state.campaignId,
    porteurId: state.porteurId,
    submittedAt: state.submittedAt,
    dossier: state.dossier,
    terms: state.terms,
    findings: state.findings,
    complementsRequests: state.complementsRequests,
    complements: state.complements,
  };
}

function inForcePart(state: ApplicationStateOf<'in_force'>): InForce {
  return {
    coDecision: state.coDecision,
    award: state.award,
    convention: state.convention,
    signatures: state.signatures,
    enteredIntoForceAt: state.enteredIntoForceAt,
    reports: state.reports,
    installments: state.installments,
    recoveries: state.recoveries,
  };
}

const updateReport = (
  state: ApplicationStateOf<'in_force'>,
  year: number,
  update: (r: ReportYearState) => ReportYearState,
): ApplicationStateOf<'in_force'> => ({
  ...state,
  reports: state.reports.map((r) => (r.year === year ? update(r) : r)),
});

const updateInstallment = (
  state: ApplicationStateOf<'in_force'>,
  id: string,
  update: (i: InstallmentState) => InstallmentState,
): ApplicationStateOf<'in_force'> => ({
  ...state,
  installments: state.installments.map((i) => (i.id === id ? update(i) : i)),
});

export function evolveApplication(state: ApplicationState, event: ApplicationEvent): ApplicationState {
  switch (event.type) {
    case 'ApplicationSubmitted': {
      if (state.status !== 'not_submitted') return unexpected(state, event);
      const d = event.data;
      return {
        status: 'under_review',
        applicationId: d.applicationId,
        campaignId: d.campaignId,
        porteurId: d.porteurId,
        submittedAt: d.submittedAt,
        dossier: d.dossier,
        terms: d.terms,
        findings: d.findings,
        complementsRequests: 0,
        complements: [],
      };
    }
    case 'ApplicationDeclaredEligible':
      if (state.status !== 'under_review') return unexpected(state, event);
      return {
        ...submittedPart(state),
        status: 'co_decision',
        coDecision: {
          solicitedFunders: event.data.solicitedFunders,
          dueDate: event.data.coDecisionDueDate,
          justification: event.data.justification ?? null,
          positions: {},
          citizenOpinion: null,
          deadlinePassed: false,
        },
      };
    case 'ApplicationDeclaredIneligible':
      if (state.status !== 'under_review') return unexpected(state, event);
      return { ...submittedPart(state), status: 'ineligible', reasons: event.data.reasons, automatic: false };
    case 'ComplementsRequested':
      if (state.status !== 'under_review') return unexpected(state, event);
      return {
        ...submittedPart(state),
        status: 'awaiting_complements',
        complementsRequests: event.data.requestNumber,
        complements: [
          ...state.complements,
          {
            number: event.data.requestNumber,
            items: event.data.items,
            dueDate: event.data.dueDate,
            answer: null,
          },
        ],
        request: { number: event.data.requestNumber, items: event.data.items, dueDate: event.data.dueDate },
      };
    case 'ComplementsProvided': {
      if (state.status !== 'awaiting_complements') return unexpected(state, event);
      // An answer to another request than the pending one cannot come from decide.
      if (event.data.requestNumber !== state.request.number) return unexpected(state, event);
      const answer: ComplementsAnswer = {
        response: event.data.response,
        documentRefs: event.data.documentRefs,
        dossierAmended: event.data.amendedDossier !== undefined,
      };
      return {
        ...submittedPart(state),
        status: 'under_review',
        dossier: event.data.amendedDossier ?? state.dossier,
        findings: event.data.findings,
        complements: state.complements.map((c) =>
          c.number === event.data.requestNumber ? { ...c, answer } : c,
        ),
      };
    }
    case 'ComplementsDeadlineMissed':
      if (state.status !== 'awaiting_complements') return unexpected(state, event);
      return {
        ...submittedPart(state),
        status: 'ineligible',
        automatic: true,
        reasons: [
          `Compléments non fournis au ${formatFrenchDate(event.data.dueDate)} : ${state.request.items.join(' ; ')}.`,
        ],
      };
    case 'FunderPositionRecorded':
      if (state.status !== 'co_decision') return unexpected(state, event);
      return {
        ...state,
        coDecision: {
          ...state.coDecision,
          positions: { ...state.coDecision.positions, [event.data.funder]: event.data.position },
        },
      };
    case 'CitizenOpinionGiven':
      if (state.status !== 'co_decision') return unexpected(state, event);
      return {
        ...state,
        coDecision: {
          ...state.coDecision,
          citizenOpinion: { opinion: event.data.opinion, comment: event.data.comment },
        },
      };
    case 'SilentFundersLapsed': {
      if (state.status !== 'co_decision') return unexpected(state, event);
      const positions = { ...state.coDecision.positions };
      for (const funder of event.data.funders) positions[funder] = { decision: 'lapsed' };
      return { ...state, coDecision: { ...state.coDecision, positions, deadlinePassed: true } };
    }
    case 'CommitteeApprovalRecorded':
      if (state.status !== 'co_decision') return unexpected(state, event);
      return { ...state, status: 'approved', award: event.data };
    case 'CommitteeRejectionRecorded':
      if (state.status !== 'co_decision') return unexpected(state, event);
      return {
        ...submittedPart(state),
        status: 'rejected',
        coDecision: state.coDecision,
        rejection: event.data,
      };
    case 'ConventionDrafted':
      if (state.status !== 'approved') return unexpected(state, event);
      return { ...state, status: 'awaiting_signatures', convention: event.data, signatures: [] };
    case 'ConventionSigned':
      if (state.status !== 'awaiting_signatures') return unexpected(state, event);
      return { ...state, signatures: [...state.signatures, event.data] };
    case 'ConventionEnteredIntoForce':
      if (state.status !== 'awaiting_signatures') return unexpected(state, event);
      return {
        ...submittedPart(state),
        status: 'in_force',
        coDecision: state.coDecision,
        award: state.award,
        convention: state.convention,
        signatures: state.signatures,
        enteredIntoForceAt: event.data.at,
        reports: state.convention.years.map((y) => ({ year: y.year, status: 'not_due' as const })),
        installments: state.convention.installments.map((i) => ({
          id: i.id,
          funder: i.funder,
          year: i.year,
          scheduledCents: i.amountCents,
          trigger: i.trigger,
          status: 'scheduled' as const,
          orderedCents: 0,
        })),
        recoveries: [],
      };
    case 'ConventionLapsed':
      if (state.status !== 'awaiting_signatures') return unexpected(state, event);
      return {
        ...submittedPart(state),
        status: 'lapsed',
        coDecision: state.coDecision,
        award: state.award,
        convention: state.convention,
        missingSignatories: event.data.missingSignatories,
      };
    case 'YearlyReportRequested':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateReport(state, event.data.year, () => ({
        year: event.data.year,
        status: 'expected',
        dueDate: event.data.dueDate,
        reminderSent: false,
        overdue: false,
      }));
    case 'YearlyReportReminderSent':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateReport(state, event.data.year, (r) =>
        r.status === 'expected' ? { ...r, reminderSent: true } : r,
      );
    case 'YearlyReportMarkedOverdue':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateReport(state, event.data.year, (r) =>
        r.status === 'expected' || r.status === 'changes_requested' ? { ...r, overdue: true } : r,
      );
    case 'YearlyReportSubmitted':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateReport(state, event.data.report.year, (r) =>
        r.status === 'expected' || r.status === 'changes_requested'
          ? {
              year: r.year,
              status: 'submitted',
              dueDate: r.dueDate,
              report: event.data.report,
              submittedAt: event.data.submittedAt,
            }
          : unexpected(state, event),
      );
    case 'YearlyReportChangesRequested':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateReport(state, event.data.year, (r) =>
        r.status === 'submitted'
          ? {
              year: r.year,
              status: 'changes_requested',
              dueDate: event.data.dueDate,
              comments: event.data.comments,
              overdue: false,
              report: r.report,
            }
          : r,
      );
    case 'YearlyReportAccepted':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateReport(state, event.data.year, (r) =>
        r.status === 'submitted' ? { year: r.year, status: 'accepted', report: r.report } : r,
      );
    case 'PaymentOrdered':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateInstallment(state, event.data.installmentId, (i) => ({
        ...i,
        status: 'ordered',
        orderedCents: event.data.amountCents,
      }));
    case 'InstallmentCancelled':
      if (state.status !== 'in_force') return unexpected(state, event);
      return updateInstallment(state, event.data.installmentId, (i) => ({ ...i, status: 'cancelled' }));
    case 'RecoveryOrdered':
      // A termination records its recoveries after the ConventionTerminated event.
      if (state.status !== 'in_force' && state.status !== 'terminated') return unexpected(state, event);
      return {
        ...state,
        recoveries: [
          ...state.recoveries,
          {
            funder: event.data.funder,
            year: event.data.year,
            amountCents: event.data.amountCents,
            reason: event.data.reason,
          },
        ],
      };
    case 'ApplicationClosed':
      if (state.status !== 'in_force') return unexpected(state, event);
      return {
        ...submittedPart(state),
        ...inForcePart(state),
        status: 'closed',
        closedAt: event.data.closedAt,
        comment: event.data.comment ?? null,
      };
    case 'ConventionTerminated': {
      if (state.status !== 'in_force') return unexpected(state, event);
      // A terminated convention pays nothing more: its installments not yet ordered are void.
      const kept = inForcePart(state);
      return {
        ...submittedPart(state),
        ...kept,
        installments: kept.installments.map((i) =>
          i.status === 'scheduled' ? { ...i, status: 'cancelled' as const } : i,
        ),
        status: 'terminated',
        terminatedAt: event.data.terminatedAt,
        terminationReason: event.data.reason,
        comment: event.data.comment,
      };
    }
    case 'ApplicationWithdrawn':
      if (
        state.status !== 'under_review' &&
        state.status !== 'awaiting_complements' &&
        state.status !== 'co_decision' &&
        state.status !== 'approved' &&
        state.status !== 'awaiting_signatures'
      )
        return unexpected(state, event);
      return {
        ...submittedPart(state),
        status: 'withdrawn',
        withdrawnAt: event.data.withdrawnAt,
        reason: event.data.reason ?? null,
        previousStatus: state.status,
      };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export const foldApplication = (
  events: readonly ApplicationEvent[],
  from: ApplicationState = initialApplicationState,
) => events.reduce(evolveApplication, from);
