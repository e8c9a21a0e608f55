// Request bodies of the command API, built from the domain's command schemas so the API and the
// rules cannot drift apart. Strict at every depth: an unknown field, top-level or nested
// (`position.extra`, `funders.0.extra`), is a 400 naming it, never silently dropped.
import { z } from 'zod';
import {
  POSITION_TEXT_MAX_LENGTH,
  REPORT_NARRATIVE_MAX_LENGTH,
  acceptYearlyReportSchema,
  actionSchema,
  budgetYearSchema,
  closeApplicationSchema,
  declareEligibleSchema,
  declareIneligibleSchema,
  dossierSchema,
  draftConventionSchema,
  giveCitizenOpinionSchema,
  indicatorSchema,
  orderPaymentSchema,
  provideComplementsSchema,
  recordCommitteeApprovalSchema,
  recordCommitteeRejectionSchema,
  recordFunderPositionSchema,
  requestComplementsSchema,
  requestReportChangesSchema,
  scheduleLineSchema,
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

// ---- the bounds of what people type (docs/http.md, « Input limits ») ----
// An application keeps all it was given for its whole life, and all it keeps must fit in what its
// workflow may carry (1 MiB: workflows/shared/aggregateWorkflow.ts, viewByteLimit). Each bound is
// far above what a real file needs, so that only a typing or pasting mistake reaches it, and is
// answered 400 naming the field rather than stored; the detail belongs in the attached documents.

/**
 * A reason, a comment, a justification, an item of a demande de compléments: a few paragraphs, as
 * long as a funder's reason or conditions (the domain keeps those to it).
 */
export const FREE_TEXT_MAX_LENGTH = POSITION_TEXT_MAX_LENGTH;
/**
 * The longest answer to a demande de compléments, as long as a yearly report's narrative: the
 * application keeps every answer for its whole life, and all it keeps must fit in what its workflow
 * may carry (workflows/shared/aggregateWorkflow.ts, viewByteLimit); the detail goes in the documents.
 */
export const COMPLEMENTS_RESPONSE_MAX_LENGTH = 20_000;
/** Items asked for, reasons given, corrections requested, documents referred to: one list's length. */
export const LIST_MAX_ITEMS = 50;
/** A reference to a document kept elsewhere (a file name, a URL, a reference in a GED). */
export const DOCUMENT_REF_MAX_LENGTH = 500;
/** A decision's reference (« COPIL 2027-04 »), as long as a funder's own (domain/application/events.ts). */
export const DECISION_REFERENCE_MAX_LENGTH = 200;
/** The indicators of one yearly report. */
export const INDICATORS_MAX_ITEMS = 100;
/**
 * The funders of a campaign, and so the lines of one year of a budget or a report: the institutions
 * and the communes of a contrat de ville, with room to spare.
 */
export const FUNDERS_MAX_ITEMS = 100;
/** A line per funder and convention year: a funding plan, what a termination justifies. */
export const FUNDER_YEAR_LINES_MAX_ITEMS = FUNDERS_MAX_ITEMS * 4;
/** A payment schedule: an advance and a balance per funder and convention year. */
export const PAYMENT_SCHEDULE_MAX_ITEMS = FUNDER_YEAR_LINES_MAX_ITEMS * 2;
/** The quartiers a campaign's territory covers (about 1,600 in all France). */
export const TERRITORY_QPV_MAX_ITEMS = 500;
/** The quartiers one action targets. */
export const ACTION_QPV_MAX_ITEMS = 100;
/** The themes a campaign retains (the national nomenclature has fewer sub-themes). */
export const CAMPAIGN_THEMES_MAX_ITEMS = 50;
/** A territory's name, as long as a campaign's. */
export const NAME_MAX_LENGTH = 200;
/** A code: a QPV reference's version, an installment's id (« ETAT-y1-1 »). */
export const CODE_MAX_LENGTH = 100;
/**
 * People an action expects to reach, or a report says it reached, in one year: every QPV of France
 * together is about 5.4 million residents, so a million for one action is already a typing mistake.
 * Unbounded, one such count (9,007,199,254,740,991) made every beneficiary total of its campaign,
 * quartiers and theme inexact for good: a filed dossier is never replaced.
 */
export const BENEFICIARIES_MAX = 1_000_000;

const freeText = text.max(FREE_TEXT_MAX_LENGTH);
/** A list of reasons, items or comments: at least one, each readable, not too many nor too long. */
const freeTexts = z.array(freeText).min(1).max(LIST_MAX_ITEMS);
const documentRefs = z.array(text.max(DOCUMENT_REF_MAX_LENGTH)).max(LIST_MAX_ITEMS).default([]);

/**
 * The domain command's fields, without its `type` (the route says which command it is), with the
 * API's bounds in place of some of them, strict at every depth (the domain's nested objects are
 * plain z.object: they strip unknown keys).
 */
function bodyOf<S extends z.ZodObject, B extends z.core.$ZodLooseShape = Record<never, never>>(
  schema: S,
  bounds?: B,
) {
  const { type: _type, ...shape } = schema.shape;
  return strictDeep(
    z.strictObject({ ...(shape as Omit<S['shape'], 'type' | keyof B>), ...(bounds ?? ({} as B)) }),
  );
}

/**
 * The contact person's reference: a key into the erasable contacts' directory, written into the
 * history for good. A name, an e-mail or a phone number there could never be erased (DOMAIN.md:
 * personal data erasable without breaking the history), so what reads like one is refused: no space
 * nor « @ », and no French phone number. A name written as one word cannot be told from a key.
 */
export const contactRefSchema = text
  .max(DECISION_REFERENCE_MAX_LENGTH)
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N}._:/#-]*$/u,
    'une référence de l’annuaire des contacts (lettres, chiffres et « . _ : / # - », sans espace ni « @ ») : jamais un nom, un courriel ni un téléphone, données personnelles qui resteraient pour toujours dans l’historique',
  )
  .refine((ref) => !/(?:^|\D)0[1-9]\d{8}(?:\D|$)/u.test(ref), {
    message:
      'ressemble à un numéro de téléphone : la référence du contact ne porte aucune donnée personnelle (le numéro se garde dans l’annuaire des contacts, effaçable)',
  });

/** The dossier as filed or amended, with its lists bounded and its contact a reference only. */
const boundedDossier = dossierSchema.extend({
  porteur: dossierSchema.shape.porteur.safeExtend({ contactRef: contactRefSchema }),
  action: actionSchema.extend({
    qpvCodes: actionSchema.shape.qpvCodes.max(ACTION_QPV_MAX_ITEMS),
    expectedBeneficiaries: actionSchema.shape.expectedBeneficiaries.max(BENEFICIARIES_MAX),
  }),
  budget: z
    .array(budgetYearSchema.extend({ requested: budgetYearSchema.shape.requested.max(FUNDERS_MAX_ITEMS) }))
    .min(1)
    .max(4),
});

const { territory, themes, funders } = createCampaignSchema.shape;
export const createCampaignBody = bodyOf(createCampaignSchema, {
  // A name of blanks would be listed as an empty line, in every list and export of the campaign.
  name: text.max(NAME_MAX_LENGTH),
  themes: themes.max(CAMPAIGN_THEMES_MAX_ITEMS),
  funders: funders.max(FUNDERS_MAX_ITEMS),
  territory: territory.extend({
    name: text.max(NAME_MAX_LENGTH),
    qpvCodes: territory.shape.qpvCodes.max(TERRITORY_QPV_MAX_ITEMS),
    qpvReferenceVersion: territory.shape.qpvReferenceVersion.max(CODE_MAX_LENGTH),
  }),
});
export const closeCampaignBody = bodyOf(closeCampaignSchema, { reason: freeText.optional() });
export const openCampaignBody = z.strictObject({});
export const adjustEnvelopeBody = bodyOf(adjustFunderEnvelopeSchema, { reason: freeText });

export const submitApplicationBody = z.strictObject({
  /** No campaign id is longer (domain/campaign/events.ts). */
  campaignId: z.string().min(1).max(64),
  dossier: strictDeep(boundedDossier),
});

export const eligibilityBody = z.discriminatedUnion('decision', [
  bodyOf(declareEligibleSchema, { decision: z.literal('eligible'), justification: freeText.optional() }),
  bodyOf(declareIneligibleSchema, { decision: z.literal('ineligible'), reasons: freeTexts }),
  bodyOf(requestComplementsSchema, { decision: z.literal('complements'), items: freeTexts }),
]);
export const complementsBody = bodyOf(provideComplementsSchema, {
  response: text.max(COMPLEMENTS_RESPONSE_MAX_LENGTH),
  documentRefs,
  amendedDossier: boundedDossier.optional(),
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
      // One amount per convention year (4 at most); a year twice is the rules' DUPLICATE_YEAR.
      committedPosition.extend({ amountsByYear: committedPosition.shape.amountsByYear.max(4) }),
      declinedPosition.extend({ reason: text.max(POSITION_TEXT_MAX_LENGTH) }),
    ]),
  ),
  decisionDate: actDate('de votre institution (délibération, arrêté, commission)'),
});
export const citizenOpinionBody = bodyOf(giveCitizenOpinionSchema, {
  comment: freeText,
  decisionDate: actDate('du conseil citoyen (sa réunion)'),
});
const decisionReference = text.max(DECISION_REFERENCE_MAX_LENGTH);
export const committeeDecisionBody = z.discriminatedUnion('decision', [
  bodyOf(recordCommitteeApprovalSchema, {
    decision: z.literal('approved'),
    decisionReference,
    plan: recordCommitteeApprovalSchema.shape.plan.max(FUNDER_YEAR_LINES_MAX_ITEMS),
  }),
  bodyOf(recordCommitteeRejectionSchema, {
    decision: z.literal('rejected'),
    decisionReference,
    reasons: freeTexts,
  }),
]);
export const conventionBody = bodyOf(draftConventionSchema, {
  paymentSchedule: z.array(scheduleLineSchema).min(1).max(PAYMENT_SCHEDULE_MAX_ITEMS).optional(),
});
/** The signatory is the caller (porteur, or the funder's institution). */
export const signatureBody = z.strictObject({});
export const reportBody = bodyOf(submitYearlyReportSchema, {
  spentByFunder: submitYearlyReportSchema.shape.spentByFunder.max(FUNDERS_MAX_ITEMS),
  beneficiariesReached: submitYearlyReportSchema.shape.beneficiariesReached.max(BENEFICIARIES_MAX),
  indicators: z.array(indicatorSchema).max(INDICATORS_MAX_ITEMS).default([]),
  narrative: text.max(REPORT_NARRATIVE_MAX_LENGTH),
  documentRefs,
});
export const reportReviewBody = z.discriminatedUnion('decision', [
  bodyOf(acceptYearlyReportSchema, { decision: z.literal('accepted'), comment: freeText.optional() }).omit({
    year: true,
  }),
  bodyOf(requestReportChangesSchema, { decision: z.literal('changes_requested'), comments: freeTexts }).omit({
    year: true,
  }),
]);
export const paymentBody = bodyOf(orderPaymentSchema, { installmentId: text.max(CODE_MAX_LENGTH) });
export const closeBody = bodyOf(closeApplicationSchema, { comment: freeText.optional() });
export const terminateBody = bodyOf(terminateConventionSchema, {
  comment: freeText,
  justified: terminateConventionSchema.shape.justified.unwrap().max(FUNDER_YEAR_LINES_MAX_ITEMS).default([]),
});
export const withdrawBody = bodyOf(withdrawApplicationSchema, { reason: freeText.optional() });

/**
 * An application id: a ULID, which Crockford's base 32 reads the same in either case. Ids are minted
 * upper case, so a lower-case one is upper-cased here rather than answered 404.
 */
export const applicationIdSchema = z.ulid('Identifiant de candidature invalide (ULID attendu)').toUpperCase();

export const applicationIdParams = z.strictObject({ id: applicationIdSchema });
export const campaignIdParams = z.strictObject({ id: createCampaignSchema.shape.campaignId });
/** The convention year: decimal digits only (`1.0` or `0x1` are typos, not year 1). */
export const reportParams = applicationIdParams.extend({ year: decimalInteger(1, 4) });
