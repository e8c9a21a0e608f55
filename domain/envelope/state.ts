import { OrderedMap } from 'immutable';
import type { FunderId } from '../shared/funders';
import type { EnvelopeEvent } from './events';

export const envelopeStatuses = ['not_opened', 'open'] as const;
export type EnvelopeStatus = (typeof envelopeStatuses)[number];

export interface Reservation {
  amountsByYear: { year: number; amountCents: number }[];
  totalCents: number;
}

export type EnvelopeState =
  | { status: 'not_opened' }
  | {
      status: 'open';
      campaignId: string;
      funder: FunderId;
      amountCents: number;
      /**
       * By application id, in the order they were first made. A persistent map: every application
       * of a campaign reserves on the same envelope, and a plain record copied on each event would
       * make folding the stream cost the square of its length (25,000 applications: minutes). It
       * serialises (JSON) as the plain record.
       */
      reservations: OrderedMap<string, Reservation>;
      reservedCents: number;
    };

export const initialEnvelopeState: EnvelopeState = { status: 'not_opened' };

/** The stream of one funder's envelope in one campaign. */
export const envelopeStreamName = (campaignId: string, funder: FunderId): string =>
  `envelope-${campaignId}-${funder}`;

export const remainingCents = (state: Extract<EnvelopeState, { status: 'open' }>): number =>
  state.amountCents - state.reservedCents;

function unexpected(state: EnvelopeState, event: EnvelopeEvent): never {
  throw new Error(
    `Événement ${event.type} impossible au statut ${state.status} de l'enveloppe (flux corrompu ?)`,
  );
}

export function evolveEnvelope(state: EnvelopeState, event: EnvelopeEvent): EnvelopeState {
  switch (event.type) {
    case 'EnvelopeOpened':
      if (state.status !== 'not_opened') return unexpected(state, event);
      return { status: 'open', ...event.data, reservations: OrderedMap(), reservedCents: 0 };
    case 'EnvelopeAdjusted':
      if (state.status !== 'open') return unexpected(state, event);
      return { ...state, amountCents: event.data.amountCents };
    case 'FundsReserved': {
      if (state.status !== 'open') return unexpected(state, event);
      const previous = state.reservations.get(event.data.applicationId)?.totalCents ?? 0;
      return {
        ...state,
        reservations: state.reservations.set(event.data.applicationId, {
          amountsByYear: event.data.amountsByYear,
          totalCents: event.data.totalCents,
        }),
        reservedCents: state.reservedCents - previous + event.data.totalCents,
      };
    }
    case 'FundsReleased': {
      if (state.status !== 'open') return unexpected(state, event);
      const released = state.reservations.get(event.data.applicationId);
      return {
        ...state,
        reservations: state.reservations.delete(event.data.applicationId),
        reservedCents: state.reservedCents - (released?.totalCents ?? 0),
      };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}
