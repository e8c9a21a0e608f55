import { z } from 'zod';

/** Money is integer euro cents, never floats. */
export const centsSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const positiveCentsSchema = centsSchema.min(1);
export type Cents = number;

export const sumCents = (amounts: readonly number[]): Cents => amounts.reduce((a, b) => a + b, 0);

export const euros = (amount: number): Cents => Math.round(amount * 100);

const eur = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });

/**
 * '12 500,00 €' — with the narrow no-break space (U+202F) between thousands and the no-break space
 * (U+00A0) before €, as French typography and Intl write them.
 */
export const formatEuros = (cents: Cents): string => eur.format(cents / 100);
