import { z } from 'zod';
import { instantSchema } from '../calendar';
import { qpvCodeSchema } from '../reference/qpv';
import { actionThemeCodeSchema } from '../reference/themes';
import { funderIdSchema } from '../shared/funders';
import { centsSchema } from '../shared/money';

export const submissionWindowSchema = z.object({ opensAt: instantSchema, closesAt: instantSchema });

export const campaignTermsSchema = z.object({
  campaignId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'Identifiant de campagne : lettres, chiffres et tirets'),
  year: z.number().int().min(2000).max(2100),
  name: z.string().min(1).max(200),
  submissionWindow: submissionWindowSchema,
  themes: z.array(actionThemeCodeSchema).min(1),
  funders: z.array(z.object({ funder: funderIdSchema, envelopeCents: centsSchema })).min(1),
  maxDurationYears: z.number().int().min(1).max(4),
  /** Cap on the share of public funding requested in the action's total cost, in percent. */
  publicShareCapPercent: z.number().min(0).max(100),
  /** The contrat de ville's target share of multi-year (CPO) actions, in percent. */
  multiYearTargetPercent: z.number().min(0).max(100),
  territory: z.object({
    name: z.string().min(1),
    qpvCodes: z.array(qpvCodeSchema).min(1),
    /** Version of the QPV reference the codes were taken from (see reference/qpv). */
    qpvReferenceVersion: z.string().min(1),
  }),
});
export type CampaignTerms = z.infer<typeof campaignTermsSchema>;

export const campaignCreatedSchema = campaignTermsSchema;
export const campaignOpenedSchema = z.object({
  openedAt: instantSchema,
  trigger: z.enum(['manual', 'window_start']),
});
export const campaignClosedSchema = z.object({
  closedAt: instantSchema,
  trigger: z.enum(['manual', 'window_end']),
  reason: z.string().optional(),
});
export const funderEnvelopeAdjustedSchema = z.object({
  funder: funderIdSchema,
  previousCents: centsSchema,
  amountCents: centsSchema,
  reason: z.string().min(1),
});

export const campaignEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CampaignCreated'), data: campaignCreatedSchema }),
  z.object({ type: z.literal('CampaignOpened'), data: campaignOpenedSchema }),
  z.object({ type: z.literal('CampaignClosed'), data: campaignClosedSchema }),
  z.object({ type: z.literal('FunderEnvelopeAdjusted'), data: funderEnvelopeAdjustedSchema }),
]);
export type CampaignEvent = z.infer<typeof campaignEventSchema>;
export type CampaignEventType = CampaignEvent['type'];

/** For the event store: one definition per event type (data schema, current version). */
export const campaignEventDefinitions = [
  { type: 'CampaignCreated', version: 1, schema: campaignCreatedSchema },
  { type: 'CampaignOpened', version: 1, schema: campaignOpenedSchema },
  { type: 'CampaignClosed', version: 1, schema: campaignClosedSchema },
  { type: 'FunderEnvelopeAdjusted', version: 1, schema: funderEnvelopeAdjustedSchema },
] as const satisfies readonly { type: CampaignEventType; version: number; schema: z.ZodType }[];
