// The 2027 campaign's history as its specs replay it: created by a grant manager through the real
// decider, opened at the start of its window, closed at its end by the system.
import { campaignDecider, qpvSampleCamvs, type CampaignCommand, type CampaignEvent } from '../../../domain';
import { MAUBEUGE, QPV, actors, meta } from './fixtures';

export const createCampaign2027: Extract<CampaignCommand, { type: 'CreateCampaign' }> = {
  type: 'CreateCampaign',
  campaignId: '2027',
  year: 2027,
  name: 'Appel à manifestation d’intérêt 2027',
  submissionWindow: { opensAt: '2027-01-15T09:00:00+01:00', closesAt: '2027-03-31T23:59:59+02:00' },
  themes: ['1.1', '1.3', '1.4', '2.1'],
  funders: [
    { funder: 'ETAT', envelopeCents: 30_000_000 },
    { funder: 'REGION', envelopeCents: 10_000_000 },
    { funder: MAUBEUGE, envelopeCents: 8_000_000 },
  ],
  maxDurationYears: 4,
  publicShareCapPercent: 80,
  territory: {
    name: 'CA Maubeuge Val-de-Sambre',
    qpvCodes: QPV,
    qpvReferenceVersion: qpvSampleCamvs.version,
  },
};

export const created = (): CampaignEvent[] => {
  const result = campaignDecider.decide(
    createCampaign2027,
    campaignDecider.initialState,
    meta(actors.grantManager, '2027-01-02T10:00:00Z'),
  );
  if (!result.ok) throw new Error(result.error.message);
  return result.events;
};

export const opened = (): CampaignEvent[] => [
  ...created(),
  { type: 'CampaignOpened', data: { openedAt: '2027-01-15T08:00:00.000Z', trigger: 'window_start' } },
];

export const closed = (): CampaignEvent[] => [
  ...opened(),
  {
    type: 'CampaignClosed',
    data: {
      closedAt: '2027-03-31T21:59:59.000Z',
      trigger: 'window_end',
      reason: 'Fin de la fenêtre de dépôt',
    },
  },
];
