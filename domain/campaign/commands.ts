import { z } from 'zod';
import { funderIdSchema } from '../shared/funders';
import { centsSchema } from '../shared/money';
import { campaignTermsSchema } from './events';

export const createCampaignSchema = z.object({
  type: z.literal('CreateCampaign'),
  ...campaignTermsSchema.shape,
  multiYearTargetPercent: z.number().min(0).max(100).default(50),
});
export const openCampaignSchema = z.object({ type: z.literal('OpenCampaign') });
export const closeCampaignSchema = z.object({
  type: z.literal('CloseCampaign'),
  reason: z.string().min(1).optional(),
});
export const adjustFunderEnvelopeSchema = z.object({
  type: z.literal('AdjustFunderEnvelope'),
  funder: funderIdSchema,
  amountCents: centsSchema,
  reason: z.string().min(1),
});

export const campaignCommandSchema = z.discriminatedUnion('type', [
  createCampaignSchema,
  openCampaignSchema,
  closeCampaignSchema,
  adjustFunderEnvelopeSchema,
]);
/** As callers write it (multiYearTargetPercent may be omitted: 50 %). */
export type CampaignCommand = z.input<typeof campaignCommandSchema>;
export type ParsedCampaignCommand = z.output<typeof campaignCommandSchema>;
export type CampaignCommandType = CampaignCommand['type'];
