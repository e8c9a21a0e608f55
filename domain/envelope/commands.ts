import { z } from 'zod';
import { funderIdSchema } from '../shared/funders';
import { centsSchema } from '../shared/money';
import { reservationYearSchema } from './events';

export const openEnvelopeSchema = z.object({
  type: z.literal('OpenEnvelope'),
  campaignId: z.string().min(1),
  funder: funderIdSchema,
  amountCents: centsSchema,
});
export const adjustEnvelopeSchema = z.object({
  type: z.literal('AdjustEnvelope'),
  amountCents: centsSchema,
  reason: z.string().min(1),
});
/**
 * Reserves this application's share of the envelope. A second reservation for the same application
 * REPLACES the first (a funder revising its position, a committee awarding less): only the
 * difference has to fit in what is left. The same amounts again is an accepted no-op.
 */
export const reserveFundsSchema = z.object({
  type: z.literal('ReserveFunds'),
  /** Must be the envelope's funder: it guards against routing to the wrong stream. */
  funder: funderIdSchema,
  applicationId: z.string().min(1),
  amountsByYear: z.array(reservationYearSchema).min(1),
});
/** Releases all of an application's reservation; releasing nothing is an accepted no-op. */
export const releaseFundsSchema = z.object({
  type: z.literal('ReleaseFunds'),
  applicationId: z.string().min(1),
  reason: z.string().min(1),
});

export const envelopeCommandSchema = z.discriminatedUnion('type', [
  openEnvelopeSchema,
  adjustEnvelopeSchema,
  reserveFundsSchema,
  releaseFundsSchema,
]);
export type EnvelopeCommand = z.input<typeof envelopeCommandSchema>;
export type ParsedEnvelopeCommand = z.output<typeof envelopeCommandSchema>;
export type EnvelopeCommandType = EnvelopeCommand['type'];
