// Realistic commands for tests: the CAMVS AMI with its funders, and an association's dossier.
// QPV codes come from the shipped sample, whose codes are placeholders (it says so itself).
import { qpvCodesOf, qpvSampleCamvs } from '../../domain/reference/qpv';
import { addDays, parisDateOf, parisInstant, fromEpochMs, type CivilDate } from '../../domain/calendar';
import type { ApplicationCommand } from '../../domain/application';
import type { CampaignCommand } from '../../domain/campaign';
import type { StepActor } from '../../workflows/client';

export const qpvCodes = qpvCodesOf(qpvSampleCamvs);

export const actors = {
  manager: { id: 'cdm-1', role: 'grant_manager' },
  porteur: (porteurId = 'asso-1'): StepActor => ({ id: `user-${porteurId}`, role: 'porteur', porteurId }),
  funder: (institution: string): StepActor => ({ id: `rep-${institution}`, role: 'funder', institution }),
  council: { id: 'cc-maubeuge', role: 'citizen_council' },
} satisfies Record<string, StepActor | ((...args: string[]) => StepActor)>;

export const day = (nowMs: number, offsetDays: number): CivilDate =>
  addDays(parisDateOf(fromEpochMs(nowMs)), offsetDays);

export function createCampaignCommand(
  nowMs: number,
  options: {
    campaignId?: string;
    opensInDays?: number;
    closesInDays?: number;
    envelopes?: Record<string, number>;
  } = {},
): Extract<CampaignCommand, { type: 'CreateCampaign' }> {
  const envelopes = options.envelopes ?? { ETAT: 50_000_000, REGION: 20_000_000, EPCI: 30_000_000 };
  return {
    type: 'CreateCampaign',
    campaignId: options.campaignId ?? 'camvs-2027',
    year: 2027,
    name: 'AMI Contrat de ville CAMVS 2027',
    submissionWindow: {
      opensAt: parisInstant(day(nowMs, options.opensInDays ?? 1)),
      closesAt: parisInstant(day(nowMs, options.closesInDays ?? 60)),
    },
    themes: ['1.1', '1.5a', '2.1', '3.1'],
    funders: Object.entries(envelopes).map(([funder, envelopeCents]) => ({ funder, envelopeCents })),
    maxDurationYears: 4,
    publicShareCapPercent: 80,
    multiYearTargetPercent: 50,
    territory: { name: 'CA Maubeuge Val de Sambre', qpvCodes, qpvReferenceVersion: qpvSampleCamvs.version },
  };
}

/** A balanced dossier asking each funder `perYear` cents every year. */
export function dossier(
  options: { durationYears?: number; perYear?: Record<string, number>; title?: string } = {},
) {
  const durationYears = options.durationYears ?? 4;
  const perYear = options.perYear ?? { ETAT: 1_500_000, REGION: 1_000_000, EPCI: 500_000 };
  const requestedTotal = Object.values(perYear).reduce((a, b) => a + b, 0);
  return {
    porteur: { name: 'Association Sambre Avenir', siret: '12345678900011', contactRef: 'contact-ref-1' },
    action: {
      title: options.title ?? 'Accompagnement scolaire à Sous-le-Bois',
      summary: 'Aide aux devoirs et ateliers parents-enfants, quatre soirs par semaine.',
      theme: '1.1',
      qpvCodes: [qpvCodes[0]!],
      expectedBeneficiaries: 120,
      residentsInvolvement: 'Comité de pilotage avec des parents du quartier, réunions trimestrielles.',
    },
    durationYears,
    budget: Array.from({ length: durationYears }, (_, i) => ({
      year: i + 1,
      totalCostCents: requestedTotal * 2,
      requested: Object.entries(perYear).map(([funder, amountCents]) => ({ funder, amountCents })),
      otherResourcesCents: requestedTotal,
    })),
  };
}

export type SubmitCommand = Extract<ApplicationCommand, { type: 'SubmitApplication' }>;
