import { z } from 'zod';
import { civilDateSchema, instantSchema } from '../calendar';
import { funderIdSchema } from '../shared/funders';
import { centsSchema, positiveCentsSchema } from '../shared/money';
import { budgetYearV1Schema, dossierSchema, yearIndexSchema } from './dossier';
import { campaignTermsAtSubmissionSchema, findingSchema } from './eligibility';

export const yearAmountSchema = z.object({ year: yearIndexSchema, amountCents: centsSchema });

/**
 * The funder's own decision behind its position (its deliberation, order or committee: « CP
 * 2027-04-112 »): the referenceDecision of its rows in SCDL exports, where the steering committee's
 * reference stands in without it. Optional, added later: positions recorded before have none.
 */
const funderDecisionReferenceSchema = z.string().trim().min(1).max(200).optional();

/** The longest reason or conditions a funder's position may carry. */
export const POSITION_TEXT_MAX_LENGTH = 5000;

export const funderPositionSchema = z.discriminatedUnion('decision', [
  z.object({
    decision: z.literal('committed'),
    /** Per convention year; years left out mean nothing for that year. */
    amountsByYear: z.array(yearAmountSchema).min(1),
    conditions: z.string().max(POSITION_TEXT_MAX_LENGTH).optional(),
    decisionReference: funderDecisionReferenceSchema,
  }),
  z.object({
    decision: z.literal('declined'),
    reason: z.string().min(1).max(POSITION_TEXT_MAX_LENGTH),
    decisionReference: funderDecisionReferenceSchema,
  }),
]);
export type FunderPosition = z.infer<typeof funderPositionSchema>;

export const citizenOpinionSchema = z.enum(['favourable', 'reserved', 'unfavourable']);
export type CitizenOpinion = z.infer<typeof citizenOpinionSchema>;

export const planLineSchema = z.object({
  funder: funderIdSchema,
  year: yearIndexSchema,
  amountCents: positiveCentsSchema,
});
export type PlanLine = z.infer<typeof planLineSchema>;

export const paymentTriggerSchema = z.discriminatedUnion('kind', [
  /** When the convention enters into force (all signatures). */
  z.object({ kind: z.literal('signature') }),
  /** When the yearly report of that convention year is accepted. */
  z.object({ kind: z.literal('report_accepted'), reportYear: yearIndexSchema }),
]);
export type PaymentTrigger = z.infer<typeof paymentTriggerSchema>;

export const installmentSchema = z.object({
  /** Deterministic: '<funder>-y<year>-<n>'. */
  id: z.string().min(1),
  funder: funderIdSchema,
  year: yearIndexSchema,
  amountCents: positiveCentsSchema,
  trigger: paymentTriggerSchema,
});
export type Installment = z.infer<typeof installmentSchema>;

export const conventionYearSchema = z.object({
  year: yearIndexSchema,
  startDate: civilDateSchema,
  endDate: civilDateSchema,
  /** Six months after the year ends (30 June of the next year for calendar years). */
  reportDueDate: civilDateSchema,
});
export type ConventionYear = z.infer<typeof conventionYearSchema>;

export const signatorySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('porteur') }),
  z.object({ kind: z.literal('funder'), funder: funderIdSchema }),
]);
export type Signatory = z.infer<typeof signatorySchema>;

export const indicatorSchema = z.object({
  name: z.string().min(1).max(300),
  target: z.number().optional(),
  achieved: z.number(),
  unit: z.string().max(50).optional(),
});

/** The longest narrative a yearly report may carry (the command keeps to it too). */
export const REPORT_NARRATIVE_MAX_LENGTH = 20_000;

export const yearlyReportSchema = z.object({
  year: yearIndexSchema,
  /** Money spent from each funder's grant during that year. */
  spentByFunder: z.array(z.object({ funder: funderIdSchema, amountCents: centsSchema })),
  beneficiariesReached: z.number().int().nonnegative(),
  indicators: z.array(indicatorSchema),
  narrative: z.string().min(1).max(REPORT_NARRATIVE_MAX_LENGTH),
  documentRefs: z.array(z.string().min(1)),
});
export type YearlyReport = z.infer<typeof yearlyReportSchema>;

export const terminationReasonSchema = z.enum(['breach', 'porteur_dissolved', 'mutual_agreement']);
export type TerminationReason = z.infer<typeof terminationReasonSchema>;

// ---- event data, one schema per event type ----

export const applicationSubmittedSchema = z.object({
  applicationId: z.string().min(1),
  campaignId: z.string().min(1),
  /** The porteur account that owns the application (from the submitting actor). */
  porteurId: z.string().min(1),
  submittedAt: instantSchema,
  dossier: dossierSchema,
  terms: campaignTermsAtSubmissionSchema,
  findings: z.array(findingSchema),
});
/** Version 1: budget lines had no otherResourcesCents. */
export const applicationSubmittedV1Schema = applicationSubmittedSchema.extend({
  dossier: dossierSchema.extend({ budget: z.array(budgetYearV1Schema).min(1).max(4) }),
});

export const applicationDeclaredEligibleSchema = z.object({
  solicitedFunders: z.array(funderIdSchema).min(1),
  coDecisionDueDate: civilDateSchema,
  /** Required when an automatic finding failed: why the grant manager declares it eligible anyway. */
  justification: z.string().optional(),
});
export const applicationDeclaredIneligibleSchema = z.object({ reasons: z.array(z.string().min(1)).min(1) });
export const complementsRequestedSchema = z.object({
  requestNumber: z.number().int().min(1),
  items: z.array(z.string().min(1)).min(1),
  dueDate: civilDateSchema,
});
export const complementsProvidedSchema = z.object({
  requestNumber: z.number().int().min(1),
  response: z.string().min(1),
  documentRefs: z.array(z.string().min(1)),
  amendedDossier: dossierSchema.optional(),
  /** Findings recomputed on the (possibly amended) dossier. */
  findings: z.array(findingSchema),
});
export const complementsDeadlineMissedSchema = z.object({
  requestNumber: z.number().int().min(1),
  dueDate: civilDateSchema,
});
export const funderPositionRecordedSchema = z.object({
  funder: funderIdSchema,
  position: funderPositionSchema,
});
export const citizenOpinionGivenSchema = z.object({
  opinion: citizenOpinionSchema,
  comment: z.string().min(1),
});
export const silentFundersLapsedSchema = z.object({
  dueDate: civilDateSchema,
  /** Funders that had not spoken: they count as declining. */
  funders: z.array(funderIdSchema),
  citizenOpinionMissing: z.boolean(),
});
export const committeeApprovalRecordedSchema = z.object({
  decisionReference: z.string().min(1),
  decisionDate: civilDateSchema,
  plan: z.array(planLineSchema).min(1),
});
export const committeeRejectionRecordedSchema = z.object({
  decisionReference: z.string().min(1),
  decisionDate: civilDateSchema,
  reasons: z.array(z.string().min(1)).min(1),
});
export const conventionDraftedSchema = z.object({
  kind: z.enum(['CPO', 'annual']),
  startDate: civilDateSchema,
  endDate: civilDateSchema,
  years: z.array(conventionYearSchema).min(1),
  signatureDueDate: civilDateSchema,
  signatories: z.array(signatorySchema).min(2),
  installments: z.array(installmentSchema).min(1),
  /** Conditions each funder attached to its position, carried into the convention. */
  conditions: z.array(z.object({ funder: funderIdSchema, conditions: z.string() })),
});
export const conventionSignedSchema = z.object({ signatory: signatorySchema, signedAt: instantSchema });
export const conventionEnteredIntoForceSchema = z.object({ at: instantSchema });
export const conventionLapsedSchema = z.object({
  signatureDueDate: civilDateSchema,
  missingSignatories: z.array(signatorySchema),
});
export const yearlyReportRequestedSchema = z.object({ year: yearIndexSchema, dueDate: civilDateSchema });
export const yearlyReportReminderSentSchema = z.object({ year: yearIndexSchema, dueDate: civilDateSchema });
export const yearlyReportMarkedOverdueSchema = z.object({ year: yearIndexSchema, dueDate: civilDateSchema });
export const yearlyReportSubmittedSchema = z.object({
  report: yearlyReportSchema,
  submittedAt: instantSchema,
});
export const yearlyReportChangesRequestedSchema = z.object({
  year: yearIndexSchema,
  comments: z.array(z.string().min(1)).min(1),
  dueDate: civilDateSchema,
});
export const yearlyReportAcceptedSchema = z.object({ year: yearIndexSchema, comment: z.string().optional() });
export const paymentOrderedSchema = z.object({
  installmentId: z.string().min(1),
  funder: funderIdSchema,
  year: yearIndexSchema,
  /** May be less than scheduled: a balance is capped by what the report justified. */
  amountCents: positiveCentsSchema,
  scheduledCents: positiveCentsSchema,
  orderedAt: instantSchema,
});
export const installmentCancelledSchema = z.object({
  installmentId: z.string().min(1),
  funder: funderIdSchema,
  year: yearIndexSchema,
  scheduledCents: positiveCentsSchema,
  reason: z.string().min(1),
});
export const recoveryOrderedSchema = z.object({
  funder: funderIdSchema,
  year: yearIndexSchema,
  amountCents: positiveCentsSchema,
  reason: z.enum(['unspent', 'termination']),
  detail: z.string().min(1),
});
export const applicationClosedSchema = z.object({ closedAt: instantSchema, comment: z.string().optional() });
export const conventionTerminatedSchema = z.object({
  reason: terminationReasonSchema,
  comment: z.string().min(1),
  terminatedAt: instantSchema,
});
export const applicationWithdrawnSchema = z.object({
  withdrawnAt: instantSchema,
  reason: z.string().optional(),
});

const event = <T extends string, S extends z.ZodType>(type: T, data: S) =>
  z.object({ type: z.literal(type), data });

export const applicationEventSchema = z.discriminatedUnion('type', [
  event('ApplicationSubmitted', applicationSubmittedSchema),
  event('ApplicationDeclaredEligible', applicationDeclaredEligibleSchema),
  event('ApplicationDeclaredIneligible', applicationDeclaredIneligibleSchema),
  event('ComplementsRequested', complementsRequestedSchema),
  event('ComplementsProvided', complementsProvidedSchema),
  event('ComplementsDeadlineMissed', complementsDeadlineMissedSchema),
  event('FunderPositionRecorded', funderPositionRecordedSchema),
  event('CitizenOpinionGiven', citizenOpinionGivenSchema),
  event('SilentFundersLapsed', silentFundersLapsedSchema),
  event('CommitteeApprovalRecorded', committeeApprovalRecordedSchema),
  event('CommitteeRejectionRecorded', committeeRejectionRecordedSchema),
  event('ConventionDrafted', conventionDraftedSchema),
  event('ConventionSigned', conventionSignedSchema),
  event('ConventionEnteredIntoForce', conventionEnteredIntoForceSchema),
  event('ConventionLapsed', conventionLapsedSchema),
  event('YearlyReportRequested', yearlyReportRequestedSchema),
  event('YearlyReportReminderSent', yearlyReportReminderSentSchema),
  event('YearlyReportMarkedOverdue', yearlyReportMarkedOverdueSchema),
  event('YearlyReportSubmitted', yearlyReportSubmittedSchema),
  event('YearlyReportChangesRequested', yearlyReportChangesRequestedSchema),
  event('YearlyReportAccepted', yearlyReportAcceptedSchema),
  event('PaymentOrdered', paymentOrderedSchema),
  event('InstallmentCancelled', installmentCancelledSchema),
  event('RecoveryOrdered', recoveryOrderedSchema),
  event('ApplicationClosed', applicationClosedSchema),
  event('ConventionTerminated', conventionTerminatedSchema),
  event('ApplicationWithdrawn', applicationWithdrawnSchema),
]);
export type ApplicationEvent = z.infer<typeof applicationEventSchema>;
export type ApplicationEventType = ApplicationEvent['type'];
export type ApplicationEventOf<T extends ApplicationEventType> = Extract<ApplicationEvent, { type: T }>;

/** v1 → v2: budget lines gain otherResourcesCents, 0 for old dossiers (they had to be fully covered). */
export function upcastApplicationSubmittedV1(data: unknown): unknown {
  const v1 = applicationSubmittedV1Schema.parse(data);
  return {
    ...v1,
    dossier: {
      ...v1.dossier,
      budget: v1.dossier.budget.map((line) => ({ ...line, otherResourcesCents: 0 })),
    },
  };
}

export const applicationEventDefinitions = [
  {
    type: 'ApplicationSubmitted',
    version: 2,
    schema: applicationSubmittedSchema,
    upcasters: { 1: upcastApplicationSubmittedV1 },
  },
  { type: 'ApplicationDeclaredEligible', version: 1, schema: applicationDeclaredEligibleSchema },
  { type: 'ApplicationDeclaredIneligible', version: 1, schema: applicationDeclaredIneligibleSchema },
  { type: 'ComplementsRequested', version: 1, schema: complementsRequestedSchema },
  { type: 'ComplementsProvided', version: 1, schema: complementsProvidedSchema },
  { type: 'ComplementsDeadlineMissed', version: 1, schema: complementsDeadlineMissedSchema },
  { type: 'FunderPositionRecorded', version: 1, schema: funderPositionRecordedSchema },
  { type: 'CitizenOpinionGiven', version: 1, schema: citizenOpinionGivenSchema },
  { type: 'SilentFundersLapsed', version: 1, schema: silentFundersLapsedSchema },
  { type: 'CommitteeApprovalRecorded', version: 1, schema: committeeApprovalRecordedSchema },
  { type: 'CommitteeRejectionRecorded', version: 1, schema: committeeRejectionRecordedSchema },
  { type: 'ConventionDrafted', version: 1, schema: conventionDraftedSchema },
  { type: 'ConventionSigned', version: 1, schema: conventionSignedSchema },
  { type: 'ConventionEnteredIntoForce', version: 1, schema: conventionEnteredIntoForceSchema },
  { type: 'ConventionLapsed', version: 1, schema: conventionLapsedSchema },
  { type: 'YearlyReportRequested', version: 1, schema: yearlyReportRequestedSchema },
  { type: 'YearlyReportReminderSent', version: 1, schema: yearlyReportReminderSentSchema },
  { type: 'YearlyReportMarkedOverdue', version: 1, schema: yearlyReportMarkedOverdueSchema },
  { type: 'YearlyReportSubmitted', version: 1, schema: yearlyReportSubmittedSchema },
  { type: 'YearlyReportChangesRequested', version: 1, schema: yearlyReportChangesRequestedSchema },
  { type: 'YearlyReportAccepted', version: 1, schema: yearlyReportAcceptedSchema },
  { type: 'PaymentOrdered', version: 1, schema: paymentOrderedSchema },
  { type: 'InstallmentCancelled', version: 1, schema: installmentCancelledSchema },
  { type: 'RecoveryOrdered', version: 1, schema: recoveryOrderedSchema },
  { type: 'ApplicationClosed', version: 1, schema: applicationClosedSchema },
  { type: 'ConventionTerminated', version: 1, schema: conventionTerminatedSchema },
  { type: 'ApplicationWithdrawn', version: 1, schema: applicationWithdrawnSchema },
] as const satisfies readonly {
  type: ApplicationEventType;
  version: number;
  schema: z.ZodType;
  upcasters?: Record<number, (data: unknown) => unknown>;
}[];
