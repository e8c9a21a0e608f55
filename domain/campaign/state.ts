import type { CampaignEvent, CampaignTerms } from './events';

export const campaignStatuses = ['not_created', 'draft', 'open', 'closed'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export type CampaignState =
  | { status: 'not_created' }
  | ({ status: 'draft' } & CampaignTerms)
  | ({ status: 'open'; openedAt: string } & CampaignTerms)
  | ({ status: 'closed'; openedAt: string | null; closedAt: string } & CampaignTerms);

export const initialCampaignState: CampaignState = { status: 'not_created' };

function unexpected(state: CampaignState, event: CampaignEvent): never {
  throw new Error(
    `Événement ${event.type} impossible au statut ${state.status} de la campagne (flux corrompu ?)`,
  );
}

export function evolveCampaign(state: CampaignState, event: CampaignEvent): CampaignState {
  switch (event.type) {
    case 'CampaignCreated':
      if (state.status !== 'not_created') return unexpected(state, event);
      return { status: 'draft', ...event.data };
    case 'CampaignOpened':
      if (state.status !== 'draft') return unexpected(state, event);
      return { ...state, status: 'open', openedAt: event.data.openedAt };
    case 'CampaignClosed':
      if (state.status === 'open') return { ...state, status: 'closed', closedAt: event.data.closedAt };
      if (state.status === 'draft')
        return { ...state, status: 'closed', openedAt: null, closedAt: event.data.closedAt };
      return unexpected(state, event);
    case 'FunderEnvelopeAdjusted':
      if (state.status === 'not_created') return unexpected(state, event);
      return {
        ...state,
        funders: state.funders.map((f) =>
          f.funder === event.data.funder ? { funder: f.funder, envelopeCents: event.data.amountCents } : f,
        ),
      };
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** The campaign's stream: campaignId is the year ('2027') or a ULID. */
export const campaignStreamName = (campaignId: string): string => `campaign-${campaignId}`;
