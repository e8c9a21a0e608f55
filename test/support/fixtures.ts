// Realistic commands for tests: the CAMVS AMI with its funders, an association's dossier, one
// builder per business step, and a driver for stories played on real workflows.
// QPV codes come from the shipped sample, whose codes are placeholders (it says so itself).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ulid } from 'ulid';
import { qpvCodesOf, qpvSampleCamvs } from '../../domain/reference/qpv';
import {
  addDays,
  parisDateOf,
  parisInstant,
  fromEpochMs,
  toEpochMs,
  type CivilDate,
} from '../../domain/calendar';
import {
  applicationStreamName,
  type ApplicationCommand,
  type ApplicationState,
} from '../../domain/application';
import { toCampaignSnapshot, type CampaignCommand } from '../../domain/campaign';
import {
  envelopeStreamName,
  evolveEnvelope,
  initialEnvelopeState,
  type EnvelopeEvent,
  type EnvelopeState,
} from '../../domain/envelope';
import type { EventStore } from '../../infra/eventstore/port';
import type { GrantsClient, StepActor } from '../../workflows/client';

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
    /** Default: next year's AMI, launched now (its conventions start around its year). */
    year?: number;
  } = {},
): Extract<CampaignCommand, { type: 'CreateCampaign' }> {
  const envelopes = options.envelopes ?? { ETAT: 50_000_000, REGION: 20_000_000, EPCI: 30_000_000 };
  // Whatever the date the tests run on (or the time-skipping server has reached).
  const year = options.year ?? Number(day(nowMs, 0).slice(0, 4)) + 1;
  return {
    type: 'CreateCampaign',
    campaignId: options.campaignId ?? `camvs-${year}`,
    year,
    name: `AMI Contrat de ville CAMVS ${year}`,
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
): SubmitCommand['dossier'] {
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

// ---- command builders: one line per business step in the stories ----

type CommandOf<T extends ApplicationCommand['type']> = Extract<ApplicationCommand, { type: T }>;

/** Amounts by convention year, year 1 first: `[1_500_000, 1_500_000]` → years 1 and 2. */
const byYear = (amounts: readonly number[]) =>
  amounts.map((amountCents, i) => ({ year: i + 1, amountCents }));

/** A funder committing `amounts` (year 1 first), as its own representative sends it. */
export const commit = (
  funder: string,
  amounts: readonly number[],
  conditions?: string,
): CommandOf<'RecordFunderPosition'> => ({
  type: 'RecordFunderPosition',
  funder,
  position: {
    decision: 'committed',
    amountsByYear: byYear(amounts),
    ...(conditions === undefined ? {} : { conditions }),
  },
});

export const decline = (funder: string, reason: string): CommandOf<'RecordFunderPosition'> => ({
  type: 'RecordFunderPosition',
  funder,
  position: { decision: 'declined', reason },
});

export const opinion = (
  value: 'favourable' | 'reserved' | 'unfavourable',
  comment = 'Avis rendu après présentation en séance plénière.',
): CommandOf<'GiveCitizenOpinion'> => ({ type: 'GiveCitizenOpinion', opinion: value, comment });

/** The steering committee's plan: per funder, amounts by year (year 1 first). */
export const approval = (
  decisionReference: string,
  decisionDate: CivilDate,
  plan: Record<string, readonly number[]>,
): CommandOf<'RecordCommitteeApproval'> => ({
  type: 'RecordCommitteeApproval',
  decisionReference,
  decisionDate,
  plan: Object.entries(plan).flatMap(([funder, amounts]) =>
    byYear(amounts).map((line) => ({ funder, ...line })),
  ),
});

export const signByPorteur: CommandOf<'SignConvention'> = {
  type: 'SignConvention',
  signatory: { kind: 'porteur' },
};
export const signByFunder = (funder: string): CommandOf<'SignConvention'> => ({
  type: 'SignConvention',
  signatory: { kind: 'funder', funder },
});

/** A yearly report spending `spent` cents per funder. */
export const yearlyReport = (
  year: number,
  spent: Record<string, number>,
  narrative = 'Actions menées comme prévu ; voir le bilan joint.',
): CommandOf<'SubmitYearlyReport'> => ({
  type: 'SubmitYearlyReport',
  year,
  spentByFunder: Object.entries(spent).map(([funder, amountCents]) => ({ funder, amountCents })),
  beneficiariesReached: 100 + year,
  narrative,
});

// ---- a story on real workflows: time, campaign, submission, steps, and what the stores hold ----

export interface WorkflowWorld {
  env: TestWorkflowEnvironment;
  grants: GrantsClient;
  eventStore: EventStore;
}

export type Step = (actor: StepActor, command: ApplicationCommand) => Promise<ApplicationState>;

/**
 * Drives stories against running workflows. Time passes only through env.sleep: the
 * time-skipping server does not skip on its own while a test waits on an update.
 */
export function workflowStory(world: WorkflowWorld) {
  const { env, grants, eventStore } = world;
  const context = (actor: StepActor) => ({ actor, commandId: ulid() });
  const now = async (): Promise<number> => Number(await env.currentTimeMs());

  /** Lets workflow time pass until the start of that Paris day (plus a margin for timers to run). */
  async function sleepUntil(date: CivilDate, extraMs = 60_000): Promise<void> {
    const wait = toEpochMs(parisInstant(date)) + extraMs - (await now());
    if (wait > 0) await env.sleep(wait);
  }

  const step =
    (applicationId: string): Step =>
    async (actor, command) =>
      (await grants.applicationCommand(applicationId, command, context(actor))).state;

  return {
    now,
    sleepUntil,
    step,
    /** Today (Paris) plus `offsetDays`, in workflow time. */
    today: async (offsetDays = 0): Promise<CivilDate> => day(await now(), offsetDays),

    /** Creates the campaign and waits for its window to open (by the campaign's own timer). */
    async openCampaign(campaignId: string): Promise<void> {
      const t = await now();
      await grants.createCampaign(createCampaignCommand(t, { campaignId }), context(actors.manager));
      await sleepUntil(day(t, 2));
      const status = (await grants.campaignView(campaignId)).state.status;
      if (status !== 'open') throw new Error(`campagne ${campaignId} : ${status}, attendu open`);
    },

    async submit(
      campaignId: string,
      options: Parameters<typeof dossier>[0] = {},
      porteur: StepActor = actors.porteur(),
    ): Promise<{ applicationId: string; step: Step }> {
      const applicationId = ulid();
      const campaign = toCampaignSnapshot((await grants.campaignView(campaignId)).state);
      if (!campaign) throw new Error(`campagne ${campaignId} introuvable`);
      const view = await grants.submitApplication(
        { type: 'SubmitApplication', applicationId, campaign, dossier: dossier(options) },
        context(porteur),
      );
      if (view.state.status !== 'under_review')
        throw new Error(`dépôt : ${view.state.status}, attendu under_review`);
      return { applicationId, step: step(applicationId) };
    },

    eventTypes: async (applicationId: string): Promise<string[]> =>
      (await eventStore.readStream(applicationStreamName(applicationId))).map((e) => e.type),

    envelopeEventTypes: async (campaignId: string, funder: string): Promise<string[]> =>
      (await eventStore.readStream(envelopeStreamName(campaignId, funder))).map((e) => e.type),

    /** What the funder's envelope holds for the application now (undefined: nothing). */
    async reservation(campaignId: string, funder: string, applicationId: string) {
      const events = await eventStore.readStream(envelopeStreamName(campaignId, funder));
      const state = events.reduce<EnvelopeState>(
        (s, e) => evolveEnvelope(s, { type: e.type, data: e.data } as EnvelopeEvent),
        initialEnvelopeState,
      );
      if (state.status !== 'open') throw new Error(`enveloppe ${campaignId}/${funder} non ouverte`);
      return state.reservations.get(applicationId)?.amountsByYear;
    },

    /** Waits for the application's workflow to end; its final state and Temporal status. */
    async completion(applicationId: string): Promise<{ state: ApplicationState; status: string }> {
      const handle = env.client.workflow.getHandle(applicationStreamName(applicationId));
      const state = (await handle.result()) as ApplicationState;
      const status = (await handle.describe()).status.name;
      return { state, status };
    },
  };
}

export type WorkflowStory = ReturnType<typeof workflowStory>;
