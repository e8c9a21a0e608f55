// Request bodies of the command API, built from the domain's command schemas so the API and the
// rules cannot drift apart. Strict at every depth: an unknown field, top-level or nested
// (`position.extra`, `funders.0.extra`), is a 400 naming it, never silently dropped.
import { z } from 'zod';
import {
  POSITION_TEXT_MAX_LENGTH,
  REPORT_NARRATIVE_MAX_LENGTH,
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
import { strictDeep } from '../http/platform/strictSchema';
import { decimalInteger } from '../http/platform/validate';

/**
 * Stricter than the domain's commands on what people type, here rather than there: the workflows
 * decide every step of their history again when they replay it, so a command schema that now refused
 * what it once accepted would make them take another path (docs/workflows.md). A reason is text a
 * person can read (never blank); a text is no longer than its event keeps.
 */
const text = z.string().trim().min(1);

/**
 * The domain command's fields, without its `type` (the route says which command it is), strict at
 * every depth (the domain's nested objects are plain z.object: they strip unknown keys).
 */
function bodyOf<S extends z.ZodObject>(schema: S) {
  const { type: _type, ...shape } = schema.shape;
  return strictDeep(z.strictObject(shape as Omit<S['shape'], 'type'>));
}

export const createCampaignBody = bodyOf(createCampaignSchema);
export const closeCampaignBody = bodyOf(closeCampaignSchema).extend({ reason: text.optional() });
export const openCampaignBody = z.strictObject({});
export const adjustEnvelopeBody = bodyOf(adjustFunderEnvelopeSchema).extend({ reason: text });

export const submitApplicationBody = z.strictObject({
  campaignId: z.string().min(1),
  dossier: strictDeep(dossierSchema),
});

export const eligibilityBody = z.discriminatedUnion('decision', [
  bodyOf(declareEligibleSchema).extend({ decision: z.literal('eligible') }),
  bodyOf(declareIneligibleSchema).extend({ decision: z.literal('ineligible') }),
  bodyOf(requestComplementsSchema).extend({ decision: z.literal('complements') }),
]);
/**
 * The longest answer to a demande de compléments, as long as a yearly report's narrative: the
 * application keeps every answer for its whole life, and all it keeps must fit in what its workflow
 * may carry (workflows/shared/aggregateWorkflow.ts, viewByteLimit); the detail goes in the documents.
 */
export const COMPLEMENTS_RESPONSE_MAX_LENGTH = 20_000;
export const complementsBody = bodyOf(provideComplementsSchema).extend({
  response: text.max(COMPLEMENTS_RESPONSE_MAX_LENGTH),
});
/** The funder is the caller's institution (from the token), never a field the caller picks. */
/** An act decided outside the engine and keyed in later keeps its own day (its business time). */
const actDate = (whose: string) =>
  z.iso
    .date()
    .optional()
    .meta({
      description:
        `Jour de la décision ${whose}, quand elle est saisie après coup : les événements valent dès ce jour ` +
        '(date métier, heure de Paris). Entre le dépôt et aujourd’hui ; absent : le jour de la saisie.',
      example: '2027-04-28',
    });
const [committedPosition, declinedPosition] = recordFunderPositionSchema.shape.position.options;
export const positionBody = z.strictObject({
  position: strictDeep(
    z.discriminatedUnion('decision', [
      committedPosition,
      declinedPosition.extend({ reason: text.max(POSITION_TEXT_MAX_LENGTH) }),
    ]),
  ),
  decisionDate: actDate('de votre institution (délibération, arrêté, commission)'),
});
export const citizenOpinionBody = bodyOf(giveCitizenOpinionSchema).extend({
  decisionDate: actDate('du conseil citoyen (sa réunion)'),
});
export const committeeDecisionBody = z.discriminatedUnion('decision', [
  bodyOf(recordCommitteeApprovalSchema).extend({ decision: z.literal('approved') }),
  bodyOf(recordCommitteeRejectionSchema).extend({ decision: z.literal('rejected') }),
]);
export const conventionBody = bodyOf(draftConventionSchema);
/** The signatory is the caller (porteur, or the funder's institution). */
export const signatureBody = z.strictObject({});
export const reportBody = bodyOf(submitYearlyReportSchema).extend({
  narrative: text.max(REPORT_NARRATIVE_MAX_LENGTH),
});
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

/**
 * An application id: a ULID, which Crockford's base 32 reads the same in either case. Ids are minted
 * upper case, so a lower-case one is upper-cased here rather than answered 404.
 */
export const applicationIdSchema = z.ulid('Identifiant de candidature invalide (ULID attendu)').toUpperCase();

export const applicationIdParams = z.strictObject({ id: applicationIdSchema });
export const campaignIdParams = z.strictObject({ id: createCampaignSchema.shape.campaignId });
/** The convention year: decimal digits only (`1.0` or `0x1` are typos, not year 1). */
export const reportParams = applicationIdParams.extend({ year: decimalInteger(1, 4) });
