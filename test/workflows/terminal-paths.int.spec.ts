// Every way an application can end before (or instead of) closure, on the time-skipping server:
// the final status, the workflow completed, and the funders' envelopes given back what the
// application no longer needs (the domain's expectedReservations says how much it keeps).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { expectedReservations, type ApplicationState } from '../../domain/application';
import { addDays, addYears } from '../../domain/calendar';
import {
  actors,
  approval,
  commit,
  decline,
  opinion,
  signByFunder,
  signByPorteur,
  yearlyReport,
  type Step,
  type WorkflowStory,
} from '../support/fixtures';
import type { Harness } from './support/harness';
import { startStoryWorld, type StoryWorld } from './support/storyWorld';

let h: Harness;
let story: WorkflowStory;
let world: StoryWorld | undefined;
beforeAll(async () => {
  world = await startStoryWorld();
  ({ h, story } = world);
});
afterAll(async () => {
  await world?.stop();
});

const funders = ['ETAT', 'REGION', 'EPCI'] as const;
const perYear = { ETAT: 1_500_000, REGION: 1_000_000, EPCI: 500_000 };

interface Application {
  campaignId: string;
  applicationId: string;
  step: Step;
}

/** A fresh campaign (each path its own, so time passing in one does not close another's window). */
async function submitted(): Promise<Application> {
  const campaignId = `camvs-${ulid().toLowerCase()}`;
  await story.openCampaign(campaignId);
  const { applicationId, step } = await story.submit(campaignId, { durationYears: 2, perYear });
  return { campaignId, applicationId, step };
}

/** Declared eligible; the État and the Région commit (their envelopes reserve), the EPCI declines. */
async function inCoDecision(): Promise<Application> {
  const app = await submitted();
  const { step } = app;
  await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: await story.today(20) });
  await step(actors.funder('ETAT'), commit('ETAT', [1_500_000, 1_500_000]));
  await step(actors.funder('REGION'), commit('REGION', [1_000_000, 1_000_000]));
  await step(actors.funder('EPCI'), decline('EPCI', 'Enveloppe 2027 déjà engagée sur ce quartier.'));
  expect(await story.reservation(app.campaignId, 'ETAT', app.applicationId)).toEqual([
    { year: 1, amountCents: 1_500_000 },
    { year: 2, amountCents: 1_500_000 },
  ]);
  return app;
}

/** Approved by the committee (État and EPCI), convention drafted: awaiting signatures. */
async function awaitingSignatures(signatureDueInDays: number): Promise<Application & { start: string }> {
  const app = await submitted();
  const { step } = app;
  await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: await story.today(20) });
  await step(actors.funder('ETAT'), commit('ETAT', [1_500_000, 1_500_000]));
  await step(actors.funder('REGION'), decline('REGION', 'Hors des priorités régionales.'));
  await step(actors.funder('EPCI'), commit('EPCI', [500_000, 500_000]));
  await step(actors.council, opinion('favourable'));
  const today = await story.today();
  await step(
    actors.manager,
    approval('COPIL-2027-07', today, { ETAT: [1_500_000, 1_500_000], EPCI: [500_000, 500_000] }),
  );
  const start = addDays(today, 10);
  const drafted = await step(actors.manager, {
    type: 'DraftConvention',
    startDate: start,
    signatureDueDate: addDays(today, signatureDueInDays),
  });
  expect(drafted.status).toBe('awaiting_signatures');
  return { ...app, start };
}

/** The workflow ended by itself with this status; returns its final state. */
async function ended(app: Application, status: ApplicationState['status']): Promise<ApplicationState> {
  const completion = await story.completion(app.applicationId);
  expect(completion.state.status).toBe(status);
  expect(completion.status).toBe('COMPLETED');
  return completion.state;
}

/** Every envelope holds nothing for the application, and those that held something released it. */
async function released(app: Application, state: ApplicationState, heldBy: readonly string[]) {
  expect(expectedReservations(state)).toEqual([]);
  for (const funder of funders) {
    expect(await story.reservation(app.campaignId, funder, app.applicationId)).toBeUndefined();
    const types = await story.envelopeEventTypes(app.campaignId, funder);
    if (heldBy.includes(funder)) expect(types.at(-1)).toBe('FundsReleased');
    else expect(types).toEqual(['EnvelopeOpened']);
  }
}

describe('terminal paths of the application workflow', () => {
  it('withdrawn: the porteur withdraws during co-decision, the reservations are released', async () => {
    const app = await inCoDecision();
    await app.step(actors.porteur(), {
      type: 'WithdrawApplication',
      reason: "L'association a obtenu un financement privé pour cette action.",
    });
    const state = await ended(app, 'withdrawn');
    expect(await story.eventTypes(app.applicationId)).toEqual([
      'ApplicationSubmitted',
      'ApplicationDeclaredEligible',
      'FunderPositionRecorded',
      'FunderPositionRecorded',
      'FunderPositionRecorded',
      'ApplicationWithdrawn',
    ]);
    await released(app, state, ['ETAT', 'REGION']);
    expect(await story.envelopeEventTypes(app.campaignId, 'ETAT')).toEqual([
      'EnvelopeOpened',
      'FundsReserved',
      'FundsReleased',
    ]);
  });

  it('ineligible: the grant manager rules the application out', async () => {
    const app = await submitted();
    await app.step(actors.manager, {
      type: 'DeclareIneligible',
      reasons: ["L'action ne touche aucun quartier prioritaire du territoire."],
    });
    const state = await ended(app, 'ineligible');
    expect(state.status === 'ineligible' && state.automatic).toBe(false);
    expect(await story.eventTypes(app.applicationId)).toEqual([
      'ApplicationSubmitted',
      'ApplicationDeclaredIneligible',
    ]);
    await released(app, state, []);
  });

  it('ineligible: the complements due date passes without an answer (timer)', async () => {
    const app = await submitted();
    const dueDate = await story.today(10);
    await app.step(actors.manager, {
      type: 'RequestComplements',
      items: ['Attestation de co-construction avec le conseil citoyen'],
      dueDate,
    });
    await story.sleepUntil(addDays(dueDate, 1));
    const state = await ended(app, 'ineligible');
    if (state.status !== 'ineligible') throw new Error(state.status);
    expect(state.automatic).toBe(true);
    expect(state.reasons[0]).toContain('Compléments non fournis');
    expect(await story.eventTypes(app.applicationId)).toEqual([
      'ApplicationSubmitted',
      'ComplementsRequested',
      'ComplementsDeadlineMissed',
    ]);
    await released(app, state, []);
  });

  it('rejected: the steering committee rejects, the reservations are released', async () => {
    const app = await inCoDecision();
    // The Région turns its commitment into a decline: its reservation goes at once.
    await app.step(
      actors.funder('REGION'),
      decline('REGION', 'Crédits redéployés vers la rénovation urbaine.'),
    );
    expect(await story.reservation(app.campaignId, 'REGION', app.applicationId)).toBeUndefined();
    await app.step(actors.council, opinion('unfavourable', 'Action redondante avec le centre social.'));
    await app.step(actors.manager, {
      type: 'RecordCommitteeRejection',
      decisionReference: 'COPIL-2027-06',
      decisionDate: await story.today(),
      reasons: ['Action déjà couverte par le centre social du quartier.'],
    });
    const state = await ended(app, 'rejected');
    expect((await story.eventTypes(app.applicationId)).slice(-2)).toEqual([
      'CitizenOpinionGiven',
      'CommitteeRejectionRecorded',
    ]);
    await released(app, state, ['ETAT', 'REGION']);
  });

  it('lapsed: the signature deadline passes with a signature missing (timer)', async () => {
    const app = await awaitingSignatures(8);
    await app.step(actors.porteur(), signByPorteur);
    await app.step(actors.funder('ETAT'), signByFunder('ETAT'));
    const awaiting = (await h.grants.applicationView(app.applicationId)).state;
    if (awaiting.status !== 'awaiting_signatures') throw new Error(awaiting.status);
    await story.sleepUntil(addDays(awaiting.convention.signatureDueDate, 1));
    const state = await ended(app, 'lapsed');
    if (state.status !== 'lapsed') throw new Error(state.status);
    expect(state.missingSignatories).toEqual([{ kind: 'funder', funder: 'EPCI' }]);
    expect((await story.eventTypes(app.applicationId)).slice(-3)).toEqual([
      'ConventionSigned',
      'ConventionSigned',
      'ConventionLapsed',
    ]);
    await released(app, state, ['ETAT', 'EPCI']);
  });

  it('terminated: early termination recovers what was paid and not justified', async () => {
    const app = await awaitingSignatures(8);
    await app.step(actors.porteur(), signByPorteur);
    await app.step(actors.funder('ETAT'), signByFunder('ETAT'));
    await app.step(actors.funder('EPCI'), signByFunder('EPCI'));
    // Year 1 is reported and accepted; year 2 starts, then the association stops the action.
    await story.sleepUntil(addYears(app.start, 1));
    await app.step(actors.porteur(), yearlyReport(1, { ETAT: 1_500_000, EPCI: 500_000 }));
    await app.step(actors.manager, { type: 'AcceptYearlyReport', year: 1 });
    await story.sleepUntil(addDays(addYears(app.start, 1), 90));
    await app.step(actors.manager, {
      type: 'TerminateConvention',
      reason: 'breach',
      comment: "Action interrompue en mars : l'animatrice n'a pas été remplacée.",
      justified: [{ funder: 'ETAT', year: 2, amountCents: 300_000 }],
    });
    const state = await ended(app, 'terminated');
    if (state.status !== 'terminated') throw new Error(state.status);
    // Year 2 advances were 7 500 € (État) and 2 500 € (EPCI); 3 000 € of the État's were justified.
    expect(state.recoveries).toEqual([
      { funder: 'EPCI', year: 2, amountCents: 250_000, reason: 'termination' },
      { funder: 'ETAT', year: 2, amountCents: 450_000, reason: 'termination' },
    ]);
    expect((await story.eventTypes(app.applicationId)).slice(-3)).toEqual([
      'ConventionTerminated',
      'RecoveryOrdered',
      'RecoveryOrdered',
    ]);
    // The envelopes keep what was paid net of recoveries; the rest of the award returns to them.
    const expected = new Map(expectedReservations(state).map((r) => [r.funder, r.amountsByYear]));
    expect(Object.fromEntries(expected)).toEqual({
      ETAT: [
        { year: 1, amountCents: 1_500_000 },
        { year: 2, amountCents: 300_000 },
      ],
      EPCI: [{ year: 1, amountCents: 500_000 }],
    });
    for (const funder of funders)
      expect(await story.reservation(app.campaignId, funder, app.applicationId)).toEqual(
        expected.get(funder),
      );
    expect((await story.envelopeEventTypes(app.campaignId, 'ETAT')).at(-1)).toBe('FundsReserved');
  });
});
