import { z } from 'zod';
import { funderIdSchema } from '../shared/funders';
import { centsSchema, positiveCentsSchema } from '../shared/money';

export const reservationYearSchema = z.object({
  year: z.number().int().min(1).max(4),
  amountCents: centsSchema,
});

export const envelopeOpenedSchema = z.object({
  campaignId: z.string().min(1),
  funder: funderIdSchema,
  amountCents: centsSchema,
});
export const envelopeAdjustedSchema = z.object({
  previousCents: centsSchema,
  amountCents: centsSchema,
  reason: z.string().min(1),
});
export const fundsReservedSchema = z.object({
  applicationId: z.string().min(1),
  amountsByYear: z.array(reservationYearSchema).min(1),
  totalCents: positiveCentsSchema,
  /** What this application held before (0 for a first reservation): the new amount replaces it. */
  previousTotalCents: centsSchema,
});
export const fundsReleasedSchema = z.object({
  applicationId: z.string().min(1),
  amountCents: centsSchema,
  reason: z.string().min(1),
});

export const envelopeEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('EnvelopeOpened'), data: envelopeOpenedSchema }),
  z.object({ type: z.literal('EnvelopeAdjusted'), data: envelopeAdjustedSchema }),
  z.object({ type: z.literal('FundsReserved'), data: fundsReservedSchema }),
  z.object({ type: z.literal('FundsReleased'), data: fundsReleasedSchema }),
]);
export type EnvelopeEvent = z.infer<typeof envelopeEventSchema>;
export type EnvelopeEventType = EnvelopeEvent['type'];

export const envelopeEventDefinitions = [
  { type: 'EnvelopeOpened', version: 1, schema: envelopeOpenedSchema },
  { type: 'EnvelopeAdjusted', version: 1, schema: envelopeAdjustedSchema },
  { type: 'FundsReserved', version: 1, schema: fundsReservedSchema },
  { type: 'FundsReleased', version: 1, schema: fundsReleasedSchema },
] as const satisfies readonly { type: EnvelopeEventType; version: number; schema: z.ZodType }[];
