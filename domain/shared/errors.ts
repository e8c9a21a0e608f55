// A refusal is data, not an exception: it crosses the Temporal boundary (JSON payloads) and reaches
// HTTP problem details unchanged, so it is a plain serialisable object rather than an Error class.

/** Stable English codes: clients branch on them; the French message is for people. */
export const domainErrorCodes = [
  // the request itself: a command that does not fit its schema (the HTTP API's own 400
  // VALIDATION_FAILED is another thing: a request body, before any command is built)
  'INVALID_COMMAND',
  'FORBIDDEN_ROLE',
  'WRONG_INSTITUTION',
  'NOT_OWNER',
  'MISSING_PORTEUR_ID',
  'PORTEUR_IDENTITY_MISMATCH',
  // wrong moment: one code per situation the aggregate is in
  'NOT_SUBMITTED',
  'ALREADY_SUBMITTED',
  'UNDER_REVIEW',
  'COMPLEMENTS_PENDING',
  'CO_DECISION_IN_PROGRESS',
  'CONVENTION_NOT_DRAFTED',
  'SIGNATURES_PENDING',
  'CONVENTION_IN_FORCE',
  'TERMINAL_STATE',
  'CAMPAIGN_NOT_CREATED',
  'CAMPAIGN_ALREADY_CREATED',
  'CAMPAIGN_NOT_OPEN',
  'CAMPAIGN_ALREADY_OPEN',
  'CAMPAIGN_CLOSED',
  'ENVELOPE_NOT_OPENED',
  'ENVELOPE_ALREADY_OPENED',
  // time
  'DEADLINE_NOT_REACHED',
  'DEADLINE_PASSED',
  'DATE_IN_PAST',
  'DATE_TOO_FAR',
  'SUBMISSION_WINDOW_CLOSED',
  'STALE_DEADLINE',
  // dossier
  'UNKNOWN_QPV',
  'UNKNOWN_FUNDER',
  'BUDGET_YEARS_MISMATCH',
  'REQUESTED_EXCEEDS_COST',
  'UNBALANCED_BUDGET',
  'NOTHING_REQUESTED',
  'DUPLICATE_FUNDER',
  'DUPLICATE_QPV',
  // eligibility and co-decision
  'JUSTIFICATION_REQUIRED',
  'FUNDER_NOT_SOLICITED',
  'COMMITMENT_EXCEEDS_REQUEST',
  'EMPTY_COMMITMENT',
  'YEAR_OUT_OF_RANGE',
  'POSITIONS_PENDING',
  'CITIZEN_OPINION_PENDING',
  'NO_COMMITMENT',
  'AWARD_EXCEEDS_COMMITMENT',
  'FUNDER_NOT_COMMITTED',
  'DUPLICATE_YEAR',
  'DUPLICATE_PLAN_LINE',
  'DECISION_DATE_OUT_OF_RANGE',
  // convention, reports, payments
  'INVALID_PAYMENT_SCHEDULE',
  'CONVENTION_START_OUTSIDE_CAMPAIGN_YEAR',
  'NOT_A_SIGNATORY',
  'ALREADY_SIGNED',
  'REPORT_NOT_EXPECTED',
  'REPORT_NOT_SUBMITTED',
  'REPORT_ALREADY_ACCEPTED',
  'UNKNOWN_INSTALLMENT',
  'PAYMENT_NOT_DUE',
  'PAYMENTS_SUSPENDED',
  'NOT_RECONCILED',
  'SPENT_FOR_UNFUNDED_FUNDER',
  'SPENT_NOT_REPORTED',
  'NOTHING_AWARDED_TO_JUSTIFY',
  'JUSTIFIED_BEYOND_AWARD',
  // envelope and campaign money
  'EMPTY_RESERVATION',
  'ENVELOPE_EXCEEDED',
  'ENVELOPE_BELOW_RESERVED',
  'WRONG_ENVELOPE',
  'INVALID_WINDOW',
  // what a workflow can carry
  'AGGREGATE_TOO_LARGE',
] as const;

export type DomainErrorCode = (typeof domainErrorCodes)[number];

/** A field of a command, as its keys and indexes name it (`['dossier', 'budget', 0, 'otherResourcesCents']`). */
export type FieldPath = readonly (string | number)[];

export interface DomainError {
  code: DomainErrorCode;
  /** French, for a person: what was wrong, and what is possible instead. */
  message: string;
  details?: Record<string, unknown>;
  /**
   * The field of the command the refusal is about, when it is about one: a form shows the message
   * next to that field. The HTTP bodies carry the commands' fields under the same names.
   */
  field?: FieldPath;
}

export function domainError(
  code: DomainErrorCode,
  message: string,
  details?: Record<string, unknown>,
): DomainError {
  return details === undefined ? { code, message } : { code, message, details };
}

/** The refusal, about the command's field at `path`. */
export const atField = (error: DomainError, ...path: FieldPath): DomainError => ({ ...error, field: path });

/**
 * A refusal about a part of a command (a dossier checked on its own) as a refusal about the command:
 * its field, if any, is then found under `prefix`.
 */
export const underField = (prefix: FieldPath, error: DomainError): DomainError =>
  error.field === undefined ? error : { ...error, field: [...prefix, ...error.field] };

/**
 * What kind of refusal a code is, for transports: 'invalid' — the request itself is wrong;
 * 'forbidden' — not this actor (HTTP 403); 'conflict' — not possible in the current state or at this
 * time. The HTTP API answers 'invalid' and 'conflict' alike, 422 (the rules refused; 409 is kept for
 * nothing: docs/http.md). A refusal never changes anything, so a client may correct and retry.
 */
export type DomainErrorCategory = 'invalid' | 'forbidden' | 'conflict';

const forbidden: readonly DomainErrorCode[] = [
  'FORBIDDEN_ROLE',
  'WRONG_INSTITUTION',
  'NOT_OWNER',
  'MISSING_PORTEUR_ID',
  'PORTEUR_IDENTITY_MISMATCH',
];
const invalid: readonly DomainErrorCode[] = [
  'INVALID_COMMAND',
  'DATE_IN_PAST',
  'DATE_TOO_FAR',
  'UNKNOWN_QPV',
  'UNKNOWN_FUNDER',
  'BUDGET_YEARS_MISMATCH',
  'REQUESTED_EXCEEDS_COST',
  'UNBALANCED_BUDGET',
  'NOTHING_REQUESTED',
  'DUPLICATE_FUNDER',
  'DUPLICATE_QPV',
  'JUSTIFICATION_REQUIRED',
  'FUNDER_NOT_SOLICITED',
  'COMMITMENT_EXCEEDS_REQUEST',
  'EMPTY_COMMITMENT',
  'YEAR_OUT_OF_RANGE',
  'AWARD_EXCEEDS_COMMITMENT',
  'FUNDER_NOT_COMMITTED',
  'DUPLICATE_YEAR',
  'DUPLICATE_PLAN_LINE',
  'DECISION_DATE_OUT_OF_RANGE',
  'INVALID_PAYMENT_SCHEDULE',
  'CONVENTION_START_OUTSIDE_CAMPAIGN_YEAR',
  'NOT_A_SIGNATORY',
  'UNKNOWN_INSTALLMENT',
  'SPENT_FOR_UNFUNDED_FUNDER',
  'SPENT_NOT_REPORTED',
  'NOTHING_AWARDED_TO_JUSTIFY',
  'JUSTIFIED_BEYOND_AWARD',
  'EMPTY_RESERVATION',
  'WRONG_ENVELOPE',
  'INVALID_WINDOW',
  'AGGREGATE_TOO_LARGE',
];

export function domainErrorCategory(code: DomainErrorCode): DomainErrorCategory {
  if (forbidden.includes(code)) return 'forbidden';
  if (invalid.includes(code)) return 'invalid';
  return 'conflict';
}
