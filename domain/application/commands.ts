import { z } from 'zod';
import { civilDateSchema } from '../calendar';
import { campaignSnapshotSchema } from '../campaign/snapshot';
import { funderIdSchema } from '../shared/funders';
import { centsSchema, positiveCentsSchema } from '../shared/money';
import { dossierSchema, yearIndexSchema } from './dossier';
import {
  citizenOpinionSchema,
  funderPositionSchema,
  indicatorSchema,
  paymentTriggerSchema,
  planLineSchema,
  signatorySchema,
  terminationReasonSchema,
} from './events';

const text = z.string().trim().min(1);

export const submitApplicationSchema = z.object({
  type: z.literal('SubmitApplication'),
  applicationId: z.ulid(),
  /** The campaign as it stands now (toCampaignSnapshot): decide checks the window against meta.at. */
  campaign: campaignSnapshotSchema,
  dossier: dossierSchema,
});
export const declareEligibleSchema = z.object({
  type: z.literal('DeclareEligible'),
  /** Last day for the funders' positions and the conseil citoyen's opinion (Paris time). */
  coDecisionDueDate: civilDateSchema,
  /** Required when an automatic finding failed. */
  justification: text.optional(),
});
export const declareIneligibleSchema = z.object({
  type: z.literal('DeclareIneligible'),
  reasons: z.array(text).min(1),
});
export const requestComplementsSchema = z.object({
  type: z.literal('RequestComplements'),
  items: z.array(text).min(1),
  /** Last day to answer (Paris time); after it the application becomes ineligible. */
  dueDate: civilDateSchema,
});
export const provideComplementsSchema = z.object({
  type: z.literal('ProvideComplements'),
  response: text,
  documentRefs: z.array(text).default([]),
  /** The whole corrected dossier, when the answer changes it; checked like a submission. */
  amendedDossier: dossierSchema.optional(),
});
export const markComplementsMissedSchema = z.object({
  type: z.literal('MarkComplementsMissed'),
  /** The request whose due date passed: a timer from an older request is refused as stale. */
  requestNumber: z.number().int().min(1),
});
export const recordFunderPositionSchema = z.object({
  type: z.literal('RecordFunderPosition'),
  funder: funderIdSchema,
  position: funderPositionSchema,
  /**
   * The day the funder decided (its deliberation, its committee), when the position is keyed in
   * after that day: the position's business time. Omitted: decided the day it is recorded.
   */
  decisionDate: civilDateSchema.optional(),
});
export const giveCitizenOpinionSchema = z.object({
  type: z.literal('GiveCitizenOpinion'),
  opinion: citizenOpinionSchema,
  comment: text,
  /**
   * The day the conseil citoyen gave it (its meeting), when keyed in after that day: the opinion's
   * business time. Omitted: given the day it is recorded.
   */
  decisionDate: civilDateSchema.optional(),
});
export const lapseSilentFundersSchema = z.object({ type: z.literal('LapseSilentFunders') });
export const recordCommitteeApprovalSchema = z.object({
  type: z.literal('RecordCommitteeApproval'),
  /** The steering committee's decision reference (referenceDecision in SCDL exports). */
  decisionReference: text,
  decisionDate: civilDateSchema,
  plan: z.array(planLineSchema).min(1),
});
export const recordCommitteeRejectionSchema = z.object({
  type: z.literal('RecordCommitteeRejection'),
  decisionReference: text,
  decisionDate: civilDateSchema,
  reasons: z.array(text).min(1),
});
export const scheduleLineSchema = z.object({
  funder: funderIdSchema,
  year: yearIndexSchema,
  amountCents: positiveCentsSchema,
  trigger: paymentTriggerSchema,
});
export const draftConventionSchema = z.object({
  type: z.literal('DraftConvention'),
  /** First day of convention year 1. */
  startDate: civilDateSchema,
  /** Last day to sign (Paris time); after it the application lapses. */
  signatureDueDate: civilDateSchema,
  /** Omitted: defaultPaymentSchedule (advance 50 % / balance after the report). */
  paymentSchedule: z.array(scheduleLineSchema).min(1).optional(),
});
export const signConventionSchema = z.object({
  type: z.literal('SignConvention'),
  signatory: signatorySchema,
});
export const lapseConventionSchema = z.object({ type: z.literal('LapseConvention') });
export const requestYearlyReportSchema = z.object({
  type: z.literal('RequestYearlyReport'),
  year: yearIndexSchema,
});
export const sendReportReminderSchema = z.object({
  type: z.literal('SendReportReminder'),
  year: yearIndexSchema,
});
export const markReportOverdueSchema = z.object({
  type: z.literal('MarkReportOverdue'),
  year: yearIndexSchema,
});
export const submitYearlyReportSchema = z.object({
  type: z.literal('SubmitYearlyReport'),
  year: yearIndexSchema,
  /** Every funder that awarded money for that year must appear (0 if nothing was spent). */
  spentByFunder: z.array(z.object({ funder: funderIdSchema, amountCents: centsSchema })),
  beneficiariesReached: z.number().int().nonnegative(),
  indicators: z.array(indicatorSchema).default([]),
  narrative: text,
  documentRefs: z.array(text).default([]),
});
export const acceptYearlyReportSchema = z.object({
  type: z.literal('AcceptYearlyReport'),
  year: yearIndexSchema,
  comment: text.optional(),
});
export const requestReportChangesSchema = z.object({
  type: z.literal('RequestReportChanges'),
  year: yearIndexSchema,
  comments: z.array(text).min(1),
  /** Last day for the corrected report; after it the report is overdue again. */
  dueDate: civilDateSchema,
});
export const orderPaymentSchema = z.object({ type: z.literal('OrderPayment'), installmentId: text });
export const closeApplicationSchema = z.object({
  type: z.literal('CloseApplication'),
  comment: text.optional(),
});
export const terminateConventionSchema = z.object({
  type: z.literal('TerminateConvention'),
  reason: terminationReasonSchema,
  comment: text,
  /**
   * For convention years without an accepted report: what the porteur did justify, per funder.
   * Everything paid beyond it is recovered. Omitted: nothing justified for those years.
   */
  justified: z
    .array(z.object({ funder: funderIdSchema, year: yearIndexSchema, amountCents: centsSchema }))
    .default([]),
});
export const withdrawApplicationSchema = z.object({
  type: z.literal('WithdrawApplication'),
  reason: text.optional(),
});

export const applicationCommandSchema = z.discriminatedUnion('type', [
  submitApplicationSchema,
  declareEligibleSchema,
  declareIneligibleSchema,
  requestComplementsSchema,
  provideComplementsSchema,
  markComplementsMissedSchema,
  recordFunderPositionSchema,
  giveCitizenOpinionSchema,
  lapseSilentFundersSchema,
  recordCommitteeApprovalSchema,
  recordCommitteeRejectionSchema,
  draftConventionSchema,
  signConventionSchema,
  lapseConventionSchema,
  requestYearlyReportSchema,
  sendReportReminderSchema,
  markReportOverdueSchema,
  submitYearlyReportSchema,
  acceptYearlyReportSchema,
  requestReportChangesSchema,
  orderPaymentSchema,
  closeApplicationSchema,
  terminateConventionSchema,
  withdrawApplicationSchema,
]);
/** As callers write it (defaults may be omitted). */
export type ApplicationCommand = z.input<typeof applicationCommandSchema>;
/** After parsing (defaults filled in): what the rules see. */
export type ParsedApplicationCommand = z.output<typeof applicationCommandSchema>;
export type ApplicationCommandType = ApplicationCommand['type'];
export type ApplicationCommandOf<T extends ApplicationCommandType> = Extract<ApplicationCommand, { type: T }>;

export const applicationCommandTypes = applicationCommandSchema.options.map((o) => o.shape.type.value);
