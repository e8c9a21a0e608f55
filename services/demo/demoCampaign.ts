// A living demo for newcomers: the CAMVS AMI for next year (launched, as AMIs are, in the autumn
// before), its partners, and a few dozen applications at every step of the lifecycle; beside it, a
// few conventions of an earlier AMI already running (seedRunningConventions), so that yearly reports
// overdue, due soon, accepted with a payment or a recovery, and files closed are there to see. Every name,
// SIRET (valid key, SIREN 999…) and amount here is fictitious (QPV codes come from the shipped
// sample, itself marked as placeholder codes).
import { ulid } from 'ulid';
import {
  addDays,
  addMonths,
  fromEpochMs,
  formatFrenchDate,
  parisDateOf,
  parisInstant,
  type CivilDate,
} from '../../domain/calendar';
import { toCampaignSnapshot, type CampaignCommand, type CampaignSnapshot } from '../../domain/campaign';
import { qpvCodesOf, qpvSampleCamvs } from '../../domain/reference/qpv';
import type { FunderId } from '../../domain/shared';
import {
  applicationStatusLabels,
  type ApplicationCommand,
  type ApplicationState,
} from '../../domain/application';
import { DomainRefusalError, type GrantsClient, type StepActor } from '../../workflows/client';

const manager: StepActor = { id: 'demo-cdm', role: 'grant_manager' };
const council: StepActor = { id: 'demo-conseil-citoyen', role: 'citizen_council' };
const funder = (institution: string): StepActor => ({
  id: `demo-${institution}`,
  role: 'funder',
  institution,
});

const associations = [
  { id: 'asso-sambre-avenir', name: 'Sambre Avenir (fictive)', siret: '99900000100001' },
  { id: 'asso-lire-ensemble', name: 'Lire Ensemble Maubeuge (fictive)', siret: '99900000200009' },
  { id: 'asso-sport-quartiers', name: 'Sport dans les quartiers (fictive)', siret: '99900000300007' },
  { id: 'asso-parents-relais', name: 'Parents Relais Louvroil (fictive)', siret: '99900000400005' },
  { id: 'asso-emploi-jeunes', name: 'Tremplin Emploi Jeunes (fictive)', siret: '99900000500002' },
  { id: 'asso-jardins-partages', name: 'Jardins partagés de l’Épinette (fictive)', siret: '99900000600000' },
];
/** A demo association's porteur, its account vouching for its SIRET as an identity provider would. */
const porteur = (porteurId: string): StepActor => ({
  id: `demo-${porteurId}`,
  role: 'porteur',
  porteurId,
  siret: associations.find((a) => a.id === porteurId)?.siret,
});
const actions: { title: string; theme: '1.1' | '1.2' | '1.3' | '1.4' | '1.5b' | '2.1' | '3.1' }[] = [
  { title: 'Accompagnement scolaire du soir', theme: '1.1' },
  { title: 'Ateliers santé et nutrition', theme: '1.2' },
  { title: 'Café des parents', theme: '1.3' },
  { title: 'Fresque participative', theme: '1.4' },
  { title: 'Sport pour toutes au féminin', theme: '1.5b' },
  { title: 'Chantiers d’insertion jeunes', theme: '2.1' },
  { title: 'Jardins partagés en pied d’immeuble', theme: '3.1' },
];

/** A demo dossier: the association, its action in the i-th QPV, `perYear` asked every year. */
function demoDossier(options: {
  i: number;
  association: (typeof associations)[number];
  title: string;
  theme: (typeof actions)[number]['theme'];
  durationYears: number;
  perYear: Record<string, number>;
  expectedBeneficiaries: number;
}): Extract<ApplicationCommand, { type: 'SubmitApplication' }>['dossier'] {
  const { i, association, durationYears, perYear } = options;
  const qpvCodes = qpvCodesOf(qpvSampleCamvs);
  const requested = Object.values(perYear).reduce((a, b) => a + b, 0);
  return {
    porteur: { name: association.name, siret: association.siret, contactRef: `demo-contact-${ulid()}` },
    action: {
      title: `${options.title} — ${qpvSampleCamvs.entries[i % qpvSampleCamvs.entries.length]!.name}`,
      summary: 'Action de démonstration : objectifs, public et calendrier fictifs.',
      theme: options.theme,
      qpvCodes: [qpvCodes[i % qpvCodes.length]!],
      expectedBeneficiaries: options.expectedBeneficiaries,
      residentsInvolvement: 'Co-construite avec des habitants du quartier lors de réunions publiques.',
    },
    durationYears,
    budget: Array.from({ length: durationYears }, (_, y) => ({
      year: y + 1,
      totalCostCents: requested * 2,
      requested: Object.entries(perYear).map(([f, amountCents]) => ({ funder: f, amountCents })),
      otherResourcesCents: requested,
    })),
  };
}

/**
 * Creates the campaign and sees it open: its window opens today, so its own workflow opens it at
 * once; the manager opens it too unless the workflow was first (either way it is open, not a failure).
 */
async function createOpenCampaign(
  grants: GrantsClient,
  create: Extract<CampaignCommand, { type: 'CreateCampaign' }>,
): Promise<CampaignSnapshot> {
  await grants.createCampaign(create, { actor: manager, commandId: ulid() });
  if ((await grants.campaignView(create.campaignId)).state.status === 'draft')
    await grants
      .campaignCommand(create.campaignId, { type: 'OpenCampaign' }, { actor: manager, commandId: ulid() })
      .catch((error: unknown) => {
        if (!(error instanceof DomainRefusalError && error.code === 'CAMPAIGN_ALREADY_OPEN')) throw error;
      });
  const snapshot = toCampaignSnapshot((await grants.campaignView(create.campaignId)).state);
  if (!snapshot) throw new Error('campagne introuvable après sa création');
  return snapshot;
}

/** Files a demo dossier as its association's porteur; `send` then takes it further, step by step. */
async function fileDemoApplication(
  grants: GrantsClient,
  campaign: CampaignSnapshot,
  dossier: Parameters<typeof demoDossier>[0],
): Promise<{
  applicationId: string;
  as: StepActor;
  send: (actor: StepActor, command: ApplicationCommand) => Promise<unknown>;
}> {
  const applicationId = ulid();
  const as = porteur(dossier.association.id);
  const step = (actor: StepActor) => ({ actor, commandId: ulid() });
  await grants.submitApplication(
    { type: 'SubmitApplication', applicationId, campaign, dossier: demoDossier(dossier) },
    step(as),
  );
  return {
    applicationId,
    as,
    send: (actor, command) => grants.applicationCommand(applicationId, command, step(actor)),
  };
}

/** The steps an application of the demo is taken to. */
export const demoStages = [
  'under_review',
  'awaiting_complements',
  'co_decision',
  'approved',
  'awaiting_signatures',
  'in_force',
  'withdrawn',
  'ineligible',
  'rejected',
] as const;
export type DemoStage = (typeof demoStages)[number];

/**
 * The fewest applications `grants seed demo` makes: one at each step, the i-th application taken to
 * the (i mod 9)-th. Fewer would leave steps without any (seedDemo itself takes any count: tests use
 * one application for a lighter demo).
 */
export const DEMO_MINIMUM_COUNT = demoStages.length;

export interface SeedProgress {
  done: number;
  total: number;
  label: string;
}

/** The situations the running conventions of the earlier AMI are taken to. */
export const runningSituations = [
  'report_overdue',
  'report_due_soon',
  'second_year',
  'closed',
  'closed_with_recovery',
] as const;
export type RunningSituation = (typeof runningSituations)[number];

export const runningSituationLabels: Record<RunningSituation, string> = {
  report_overdue: 'compte rendu en retard (versements suspendus)',
  report_due_soon: 'compte rendu attendu dans le mois',
  second_year: 'CPO en deuxième année',
  closed: 'clôturée, solde versé',
  closed_with_recovery: 'clôturée après un reversement',
};

export interface DemoResult {
  campaignId: string;
  applications: { id: string; stage: DemoStage }[];
  /** The earlier AMI whose conventions are running. */
  running: { campaignId: string; applications: { id: string; situation: RunningSituation }[] };
}

/**
 * The i-th demo application's money: 3 years for even i, 1 for odd, and what it asks each year of the
 * État, the agglomeration and the CAF, and for odd i of the Région too (committed in full by those who
 * commit) — so that every funder offered at the demo's sign-in has files of its own, at every step
 * (the i-th file goes to step i mod 9: odd and even i alternate on each step).
 */
export function demoRequest(i: number): {
  durationYears: number;
  perYear: Record<'ETAT' | 'EPCI' | 'CAF', number> & { REGION?: number };
} {
  return {
    durationYears: i % 2 === 0 ? 3 : 1,
    perYear: {
      ETAT: 1_000_000 + (i % 5) * 250_000,
      EPCI: 500_000 + (i % 3) * 100_000,
      CAF: 300_000,
      ...(i % 2 === 1 ? { REGION: 400_000 } : {}),
    },
  };
}

/** The default demo's envelopes fit its applications (the default count); a larger one gets more. */
const ENVELOPES_SIZED_FOR = 27;

/**
 * The demo campaign's envelopes for `count` applications: those of the default demo, or, for a larger
 * one, at least what all its applications ask of each funder over all their years — more than the steps
 * ever commit, so that no funder runs out (46 applications exhausted the État's 800 000 € and
 * `grants seed demo --count 100` stopped half way on ENVELOPE_EXCEEDED).
 */
export function demoEnvelopes(count: number): { funder: FunderId; envelopeCents: number }[] {
  const asked = new Map<string, number>();
  if (count > ENVELOPES_SIZED_FOR)
    for (let i = 0; i < count; i++) {
      const { durationYears, perYear } = demoRequest(i);
      for (const [funder, cents] of Object.entries(perYear))
        asked.set(funder, (asked.get(funder) ?? 0) + cents * durationYears);
    }
  const defaults: { funder: FunderId; envelopeCents: number }[] = [
    { funder: 'ETAT', envelopeCents: 80_000_000 },
    { funder: 'REGION', envelopeCents: 30_000_000 },
    { funder: 'DEPARTEMENT', envelopeCents: 25_000_000 },
    { funder: 'CAF', envelopeCents: 20_000_000 },
    { funder: 'EPCI', envelopeCents: 40_000_000 },
    { funder: 'COMMUNE-59392', envelopeCents: 15_000_000 },
  ];
  return defaults.map((e) => ({ ...e, envelopeCents: Math.max(e.envelopeCents, asked.get(e.funder) ?? 0) }));
}

export async function seedDemo(
  grants: GrantsClient,
  options: { count: number; now?: Date; onProgress?: (p: SeedProgress) => void },
): Promise<DemoResult> {
  const now = options.now ?? new Date();
  const today = parisDateOf(fromEpochMs(now.getTime()));
  const year = Number(today.slice(0, 4)) + 1;
  const campaignId = `camvs-${year}-demo-${ulid().slice(-6).toLowerCase()}`;
  const qpvCodes = qpvCodesOf(qpvSampleCamvs);
  const create: Extract<CampaignCommand, { type: 'CreateCampaign' }> = {
    type: 'CreateCampaign',
    campaignId,
    year,
    name: `AMI Contrat de ville CAMVS ${year} (démonstration)`,
    submissionWindow: { opensAt: parisInstant(today), closesAt: parisInstant(addDays(today, 90)) },
    themes: ['1.1', '1.2', '1.3', '1.4', '1.5b', '2.1', '3.1'],
    funders: demoEnvelopes(options.count),
    maxDurationYears: 4,
    publicShareCapPercent: 80,
    multiYearTargetPercent: 50,
    territory: { name: 'CA Maubeuge Val-de-Sambre', qpvCodes, qpvReferenceVersion: qpvSampleCamvs.version },
  };
  const total = options.count + 2 + runningSituations.length + 1;
  let done = 0;
  const progress = (label: string) => options.onProgress?.({ done: ++done, total, label });

  const snapshot = await createOpenCampaign(grants, create);
  progress('campagne créée et ouverte');

  const applications: { id: string; stage: DemoStage }[] = [];
  const day = (offset: number): CivilDate => addDays(today, offset);
  for (let i = 0; i < options.count; i += 1) {
    const stage = demoStages[i % demoStages.length]!;
    const association = associations[i % associations.length]!;
    const action = actions[i % actions.length]!;
    const { durationYears, perYear } = demoRequest(i);
    const { applicationId, as, send } = await fileDemoApplication(grants, snapshot, {
      i,
      association,
      title: action.title,
      theme: action.theme,
      durationYears,
      perYear,
      expectedBeneficiaries: 40 + (i % 7) * 15,
    });
    await advance(stage);
    applications.push({ id: applicationId, stage });
    progress(`${association.name} : ${applicationStatusLabels[stage]}`);

    async function advance(target: DemoStage): Promise<void> {
      if (target === 'under_review') return;
      if (target === 'awaiting_complements') {
        await send(manager, {
          type: 'RequestComplements',
          items: ['Budget détaillé signé'],
          dueDate: day(20),
        });
        return;
      }
      if (target === 'ineligible') {
        await send(manager, {
          type: 'DeclareIneligible',
          reasons: ['Action hors des quartiers prioritaires visés'],
        });
        return;
      }
      await send(manager, { type: 'DeclareEligible', coDecisionDueDate: day(45) });
      if (target === 'withdrawn') {
        await send(as, { type: 'WithdrawApplication', reason: 'Projet reporté à l’an prochain' });
        return;
      }
      const years = Array.from({ length: durationYears }, (_, y) => y + 1);
      await send(funder('ETAT'), {
        type: 'RecordFunderPosition',
        funder: 'ETAT',
        position: {
          decision: 'committed',
          amountsByYear: years.map((year) => ({ year, amountCents: perYear.ETAT })),
        },
      });
      if (target === 'co_decision') return;
      await send(funder('EPCI'), {
        type: 'RecordFunderPosition',
        funder: 'EPCI',
        position: {
          decision: 'committed',
          amountsByYear: years.map((year) => ({ year, amountCents: perYear.EPCI })),
          // The agglomeration's own deliberation: the SCDL export names it for its rows.
          decisionReference: `Délibération du bureau communautaire ${today.slice(0, 4)}-017`,
        },
      });
      await send(funder('CAF'), {
        type: 'RecordFunderPosition',
        funder: 'CAF',
        position: {
          decision: 'declined',
          reason: 'Hors des priorités de la convention territoriale globale',
        },
      });
      const region = perYear.REGION;
      // Those who commit (the CAF declines): each has its lines in the plan and signs the convention.
      const committing: [FunderId, number][] = [
        ['ETAT', perYear.ETAT],
        ['EPCI', perYear.EPCI],
      ];
      if (region !== undefined) committing.push(['REGION', region]);
      if (region !== undefined)
        await send(funder('REGION'), {
          type: 'RecordFunderPosition',
          funder: 'REGION',
          position: {
            decision: 'committed',
            amountsByYear: years.map((year) => ({ year, amountCents: region })),
            decisionReference: `Commission permanente du conseil régional, délibération ${today.slice(0, 4)}-0412`,
          },
        });
      await send(council, {
        type: 'GiveCitizenOpinion',
        opinion: 'favourable',
        comment: 'Action utile au quartier.',
      });
      if (target === 'rejected') {
        await send(manager, {
          type: 'RecordCommitteeRejection',
          decisionReference: `COPIL-${year}-01`,
          decisionDate: today,
          reasons: ['Enveloppe insuffisante au regard des priorités'],
        });
        return;
      }
      await send(manager, {
        type: 'RecordCommitteeApproval',
        decisionReference: `COPIL-${year}-01`,
        decisionDate: today,
        plan: years.flatMap((y) =>
          committing.map(([f, amountCents]) => ({ funder: f, year: y, amountCents })),
        ),
      });
      if (target === 'approved') return;
      // The campaign's year is the conventions' first year: money awarded for ${year} counts in
      // ${year} on the dashboards, whatever the day the demo is seeded (the SCDL export files a
      // convention under the year it was signed: the seeding day's).
      await send(manager, {
        type: 'DraftConvention',
        startDate: `${year}-01-01`,
        signatureDueDate: day(30),
      });
      if (target === 'awaiting_signatures') return;
      await send(as, { type: 'SignConvention', signatory: { kind: 'porteur' } });
      for (const [f] of committing)
        await send(funder(f), { type: 'SignConvention', signatory: { kind: 'funder', funder: f } });
    }
  }
  const running = await seedRunningConventions(grants, { today, progress });
  progress('terminé');
  return { campaignId, applications, running };
}

/**
 * A few conventions of an earlier AMI, already running: their dates are set back from today so that
 * what an evaluator and a grant manager follow over the years is there at once — a yearly report
 * overdue (its payments suspended), one due within the month, a CPO in its second year, files closed
 * after the balance or after a recovery. The conventions start in the months before their campaign's
 * workflows decide on them (as a convention signed late in its first year does): the workflows then
 * ask for the reports already due, mark those past their date overdue, and the porteurs file theirs.
 */
async function seedRunningConventions(
  grants: GrantsClient,
  { today, progress }: { today: CivilDate; progress: (label: string) => void },
): Promise<DemoResult['running']> {
  // Starts on the first of a month: 20 months ago, the first year ended 8 months ago and its report
  // was due 2 months ago; 17 months ago, it is due at the end of next month at the latest.
  const monthStart = (monthsAgo: number): CivilDate => `${addMonths(today, -monthsAgo).slice(0, 7)}-01`;
  const longAgo = monthStart(20);
  const year = Number(longAgo.slice(0, 4));
  const campaignId = `camvs-${year}-demo-${ulid().slice(-6).toLowerCase()}`;
  const step = (actor: StepActor) => ({ actor, commandId: ulid() });
  const snapshot = await createOpenCampaign(grants, {
    type: 'CreateCampaign',
    campaignId,
    year,
    // The log is never back-dated: this earlier AMI's steps are recorded today, its conventions
    // dated months ago. Its name says so, for whoever wonders at a 2025 AMI decided this week.
    name: `AMI Contrat de ville CAMVS ${year} (démonstration : conventions en cours, saisies le ${formatFrenchDate(today)})`,
    // Its files are filed today, so its window is open today; closed once they are in.
    submissionWindow: { opensAt: parisInstant(today), closesAt: parisInstant(addDays(today, 30)) },
    themes: ['1.1', '1.3', '2.1'],
    funders: [
      { funder: 'ETAT', envelopeCents: 30_000_000 },
      { funder: 'EPCI', envelopeCents: 15_000_000 },
    ],
    maxDurationYears: 4,
    publicShareCapPercent: 80,
    multiYearTargetPercent: 50,
    territory: {
      name: 'CA Maubeuge Val-de-Sambre',
      qpvCodes: qpvCodesOf(qpvSampleCamvs),
      qpvReferenceVersion: qpvSampleCamvs.version,
    },
  });

  const plans: Record<RunningSituation, { start: CivilDate; durationYears: number; title: string }> = {
    report_overdue: { start: longAgo, durationYears: 1, title: 'Permanence numérique' },
    report_due_soon: { start: monthStart(17), durationYears: 1, title: 'Médiation sociale de nuit' },
    second_year: { start: longAgo, durationYears: 2, title: 'Ateliers parents-enfants' },
    closed: { start: longAgo, durationYears: 1, title: 'Chantier éducatif été' },
    closed_with_recovery: { start: longAgo, durationYears: 1, title: 'Atelier vélo solidaire' },
  };
  const perYear = { ETAT: 800_000, EPCI: 400_000 };
  const applications: DemoResult['running']['applications'] = [];
  for (const [i, situation] of runningSituations.entries()) {
    const plan = plans[situation];
    const association = associations[(i + 2) % associations.length]!;
    const years = Array.from({ length: plan.durationYears }, (_, y) => y + 1);
    const { applicationId, as, send } = await fileDemoApplication(grants, snapshot, {
      i,
      association,
      title: plan.title,
      theme: i % 2 === 0 ? '1.3' : '2.1',
      durationYears: plan.durationYears,
      perYear,
      expectedBeneficiaries: 60 + i * 10,
    });
    await send(manager, { type: 'DeclareEligible', coDecisionDueDate: addDays(today, 45) });
    for (const f of ['ETAT', 'EPCI'] as const)
      await send(funder(f), {
        type: 'RecordFunderPosition',
        funder: f,
        position: {
          decision: 'committed',
          amountsByYear: years.map((year) => ({ year, amountCents: perYear[f] })),
          ...(f === 'EPCI'
            ? { decisionReference: `Délibération du bureau communautaire ${today.slice(0, 4)}-009` }
            : {}),
        },
      });
    await send(council, {
      type: 'GiveCitizenOpinion',
      opinion: 'favourable',
      comment: 'Action utile au quartier.',
    });
    await send(manager, {
      type: 'RecordCommitteeApproval',
      decisionReference: `COPIL-${year}-02`,
      decisionDate: today,
      plan: years.flatMap((y) => [
        { funder: 'ETAT', year: y, amountCents: perYear.ETAT },
        { funder: 'EPCI', year: y, amountCents: perYear.EPCI },
      ]),
    });
    await send(manager, {
      type: 'DraftConvention',
      startDate: plan.start,
      signatureDueDate: addDays(today, 30),
    });
    await send(as, { type: 'SignConvention', signatory: { kind: 'porteur' } });
    for (const f of ['ETAT', 'EPCI'] as const)
      await send(funder(f), { type: 'SignConvention', signatory: { kind: 'funder', funder: f } });

    if (situation === 'second_year' || situation === 'closed' || situation === 'closed_with_recovery') {
      // The workflow asks for the first year's report on its own (its timer is already due).
      await reportExpected(grants, applicationId, 1);
      // Half was paid at signature: spending 40 % of the year's award leaves a tenth to pay back.
      const share = situation === 'closed_with_recovery' ? 0.4 : 1;
      await send(as, {
        type: 'SubmitYearlyReport',
        year: 1,
        spentByFunder: Object.entries(perYear).map(([f, cents]) => ({
          funder: f,
          amountCents: Math.round(cents * share),
        })),
        beneficiariesReached: 55 + i * 10,
        narrative: 'Actions menées comme prévu ; bilan et pièces justificatives joints.',
      });
      await send(manager, { type: 'AcceptYearlyReport', year: 1, comment: 'Bilan conforme.' });
      if (situation !== 'second_year')
        await send(manager, { type: 'CloseApplication', comment: 'Convention soldée.' });
    }
    applications.push({ id: applicationId, situation });
    progress(`${association.name} : ${runningSituationLabels[situation]}`);
  }
  await grants
    .campaignCommand(campaignId, { type: 'CloseCampaign' }, step(manager))
    .catch((error: unknown) => {
      if (!(error instanceof DomainRefusalError)) throw error;
    });
  progress(`AMI ${year} : conventions en cours`);
  return { campaignId, applications };
}

/** Waits until the workflow has asked for that year's report (its timer fires as soon as it is in force). */
async function reportExpected(grants: GrantsClient, applicationId: string, year: number): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const { state } = await grants.applicationView(applicationId);
    if (reportIsExpected(state, year)) return;
    if (Date.now() > until)
      throw new Error(`le compte rendu de l'année ${year} de ${applicationId} n'a pas été demandé à temps`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const reportIsExpected = (state: ApplicationState, year: number): boolean =>
  'reports' in state && state.reports.some((r) => r.year === year && r.status === 'expected');
