// Request bodies of the command API, built from the domain's command schemas so the API and the
// rules cannot drift apart. Strict: an unknown field is a 400 naming it, never silently dropped.
import { z } from 'zod';
import {
  acceptYearlyReportSchema,
  closeApplicationSchema,
  declareEligibleSchema,
  declareIneligibleSchema,
  dossierSchema,
  draftConventionSchema,
  giveCitizenOpinionSchema,
  orderPaymentSchema,
  provideComplementsSchema,
  recordCommitteeApprovalSchema,
  recordCommitteeRejectionSchema,
  recordFunderPositionSchema,
  requestComplementsSchema,
  requestReportChangesSchema,
  submitYearlyReportSchema,
  terminateConventionSchema,
  withdrawApplicationSchema,
} from '../../domain/application';
import { adjustFunderEnvelopeSchema, closeCampaignSchema, createCampaignSchema } from '../../domain/campaign';

/** The domain command's fields, without its `type` (the route says which command it is), strict. */
function bodyOf<S extends z.ZodObject>(schema: S) {
  const { type: _type, ...shape } = schema.shape;
  return z.strictObject(shape as Omit<S['shape'], 'type'>);
}

export const createCampaignBody = bodyOf(createCampaignSchema);
export const closeCampaignBody = bodyOf(closeCampaignSchema);
export const openCampaignBody = z.strictObject({});
export const adjustEnvelopeBody = bodyOf(adjustFunderEnvelopeSchema);

export const submitApplicationBody = z.strictObject({
  campaignId: z.string().min(1),
  dossier: dossierSchema,
});

export const eligibilityBody = z.discriminatedUnion('decision', [
  bodyOf(declareEligibleSchema).extend({ decision: z.literal('eligible') }),
  bodyOf(declareIneligibleSchema).extend({ decision: z.literal('ineligible') }),
  bodyOf(requestComplementsSchema).extend({ decision: z.literal('complements') }),
]);
export const complementsBody = bodyOf(provideComplementsSchema);
/** The funder is the caller's institution (from the token), never a field the caller picks. */
export const positionBody = z.strictObject({ position: recordFunderPositionSchema.shape.position });
export const citizenOpinionBody = bodyOf(giveCitizenOpinionSchema);
export const committeeDecisionBody = z.discriminatedUnion('decision', [
  bodyOf(recordCommitteeApprovalSchema).extend({ decision: z.literal('approved') }),
  bodyOf(recordCommitteeRejectionSchema).extend({ decision: z.literal('rejected') }),
]);
export const conventionBody = bodyOf(draftConventionSchema);
/** The signatory is the caller (porteur, or the funder's institution). */
export const signatureBody = z.strictObject({});
export const reportBody = bodyOf(submitYearlyReportSchema);
export const reportReviewBody = z.discriminatedUnion('decision', [
  bodyOf(acceptYearlyReportSchema)
    .omit({ year: true })
    .extend({ decision: z.literal('accepted') }),
  bodyOf(requestReportChangesSchema)
    .omit({ year: true })
    .extend({ decision: z.literal('changes_requested') }),
]);
export const paymentBody = bodyOf(orderPaymentSchema);
export const closeBody = bodyOf(closeApplicationSchema);
export const terminateBody = bodyOf(terminateConventionSchema);
export const withdrawBody = bodyOf(withdrawApplicationSchema);

export const applicationIdParams = z.strictObject({
  id: z.ulid('Identifiant de candidature invalide (ULID attendu)'),
});
export const campaignIdParams = z.strictObject({ id: createCampaignSchema.shape.campaignId });
export const reportParams = applicationIdParams.extend({ year: z.coerce.number().int().min(1).max(4) });
