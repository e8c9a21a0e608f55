// Test data: the CAMVS sample territory (placeholder QPV codes), a 2027 campaign, dossiers.
import {
  qpvSampleCamvs,
  type Actor,
  type CampaignSnapshot,
  type CommandMeta,
  type Dossier,
  type FunderId,
} from '../../../domain';

export const QPV = qpvSampleCamvs.entries.map((e) => e.code);
export const [QPV_SOUS_LE_BOIS = '', QPV_MONTPLAISIR = '', QPV_PONT_DE_PIERRE = ''] = [
  QPV[0],
  QPV[1],
  QPV[5],
];
export const MAUBEUGE: FunderId = 'COMMUNE-59392';

export const actors = {
  porteur: { id: 'user-porteur-1', role: 'porteur', porteurId: 'porteur-asso-sambre' },
  otherPorteur: { id: 'user-porteur-2', role: 'porteur', porteurId: 'porteur-autre-asso' },
  grantManager: { id: 'user-cdm-camvs', role: 'grant_manager' },
  citizenCouncil: { id: 'conseil-citoyen-maubeuge', role: 'citizen_council' },
  auditor: { id: 'user-audit', role: 'auditor' },
  evaluator: { id: 'user-eval', role: 'evaluator' },
  system: { id: 'system', role: 'system' },
  funder: (institution: FunderId): Actor => ({
    id: `user-${institution.toLowerCase()}`,
    role: 'funder',
    institution,
  }),
} as const satisfies Record<string, Actor | ((f: FunderId) => Actor)>;

let commandCounter = 0;
export function meta(actor: Actor, at: string): CommandMeta {
  commandCounter += 1;
  return { actor, at, commandId: `cmd-${commandCounter}` };
}

export const campaign2027: CampaignSnapshot = {
  campaignId: '2027',
  year: 2027,
  status: 'open',
  submissionWindow: { opensAt: '2027-01-15T08:00:00.000Z', closesAt: '2027-03-31T22:00:00.000Z' },
  themes: ['1.1', '1.3', '1.4', '1.5', '1.5a', '2.1', '3.2'],
  funders: ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI', MAUBEUGE],
  maxDurationYears: 4,
  publicShareCapPercent: 80,
  qpvCodes: QPV,
};

export const APPLICATION_ID = '01JQ7Z8X9Y0A1B2C3D4E5F6G7H';

/** Per year: what is asked of each funder; the rest of the cost comes from other resources. */
export function dossier(
  durationYears: number,
  requestedPerYear: Partial<Record<FunderId, number>> = {
    ETAT: 1_000_000,
    REGION: 500_000,
    [MAUBEUGE]: 500_000,
  },
  otherResourcesPerYear = 2_000_000,
): Dossier {
  const requested = Object.entries(requestedPerYear).map(([funder, amountCents]) => ({
    funder,
    amountCents: amountCents ?? 0,
  }));
  const total = requested.reduce((sum, r) => sum + r.amountCents, 0) + otherResourcesPerYear;
  return {
    porteur: {
      name: 'Association Sambre Avenir (fictive)',
      siret: '81234567800013',
      rna: 'W593000001',
      contactRef: 'contact-7f3a9c',
    },
    action: {
      title: 'Ateliers numériques parents-enfants',
      summary: "Ateliers hebdomadaires d'accompagnement au numérique pour les familles des quartiers.",
      theme: '1.3',
      qpvCodes: [QPV_SOUS_LE_BOIS, QPV_MONTPLAISIR],
      expectedBeneficiaries: 120,
      residentsInvolvement:
        'Un comité de parents co-construit le programme des ateliers et en évalue chaque trimestre les effets avec les animateurs.',
    },
    durationYears,
    budget: Array.from({ length: durationYears }, (_, i) => ({
      year: i + 1,
      totalCostCents: total,
      requested: requested.map((r) => ({ ...r })),
      otherResourcesCents: otherResourcesPerYear,
    })),
  };
}
