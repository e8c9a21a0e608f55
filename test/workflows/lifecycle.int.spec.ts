// Whole lifecycles on the time-skipping server: real workflows, real activities, a real SQLite
// event store; months and years of deadlines pass in seconds (the test drives time with
// env.sleep, since the server does not skip time on its own while a test waits on an update).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ulid } from 'ulid';
import { toCampaignSnapshot } from '../../domain/campaign';
import {
  applicationStreamName,
  type ApplicationCommand,
  type ApplicationState,
} from '../../domain/application';
import { parisInstant, toEpochMs, type CivilDate } from '../../domain/calendar';
import type { StepActor } from '../../workflows/client';
import { createTimeSkippingEnv } from '../support/temporal';
import { actors, createCampaignCommand, day, dossier } from '../support/fixtures';
import { as, createHarness, type Harness } from './support/harness';

let env: TestWorkflowEnvironment;
let h: Harness;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
  h = await createHarness(env);
});
afterAll(async () => {
  await h?.close();
  await env?.teardown();
});

const now = async (): Promise<number> => Number(await env.currentTimeMs());
/** Lets workflow time pass until the start of that Paris day (plus a margin for timers to run). */
async function sleepUntil(date: CivilDate, extraMs = 60_000): Promise<void> {
  const wait = toEpochMs(parisInstant(date)) + extraMs - (await now());
  if (wait > 0) await env.sleep(wait);
}

async function openCampaign(campaignId: string): Promise<void> {
  const t = await now();
  await h.grants.createCampaign(createCampaignCommand(t, { campaignId }), as(actors.manager));
  await sleepUntil(day(t, 2));
  const campaign = await h.grants.campaignView(campaignId);
  expect(campaign.state.status).toBe('open');
}

function stepper(applicationId: string) {
  return async (actor: StepActor, command: ApplicationCommand): Promise<ApplicationState> =>
    (await h.grants.applicationCommand(applicationId, command, as(actor))).state;
}

async function submit(campaignId: string, options: Parameters<typeof dossier>[0] = {}) {
  const applicationId = ulid();
  const campaign = toCampaignSnapshot((await h.grants.campaignView(campaignId)).state);
  if (!campaign) throw new Error('campaign missing');
  const view = await h.grants.submitApplication(
    { type: 'SubmitApplication', applicationId, campaign, dossier: dossier(options) },
    as(actors.porteur()),
  );
  expect(view.state.status).toBe('under_review');
  return { applicationId, step: stepper(applicationId) };
}

const eventTypes = async (applicationId: string): Promise<string[]> =>
  (await h.eventStore.readStream(applicationStreamName(applicationId))).map((e) => e.type);

describe('application workflow on the time-skipping server', () => {
  it(
    'takes a one-year action from submission to closure',
    () =>
      h.run(async () => {
        await openCampaign('camvs-annual');
        const { applicationId, step } = await submit('camvs-annual', {
          durationYears: 1,
          perYear: { ETAT: 1_000_000, EPCI: 500_000 },
        });
        const t = await now();
        await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: day(t, 20) });
        await step(actors.funder('ETAT'), {
          type: 'RecordFunderPosition',
          funder: 'ETAT',
          position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: 1_000_000 }] },
        });
        await step(actors.funder('EPCI'), {
          type: 'RecordFunderPosition',
          funder: 'EPCI',
          position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: 400_000 }] },
        });
        await step(actors.council, {
          type: 'GiveCitizenOpinion',
          opinion: 'favourable',
          comment: 'Action attendue.',
        });
        await step(actors.manager, {
          type: 'RecordCommitteeApproval',
          decisionReference: 'COPIL-2027-03',
          decisionDate: day(t, 5),
          plan: [
            { funder: 'ETAT', year: 1, amountCents: 1_000_000 },
            { funder: 'EPCI', year: 1, amountCents: 400_000 },
          ],
        });
        await step(actors.manager, {
          type: 'DraftConvention',
          startDate: day(t, 30),
          signatureDueDate: day(t, 25),
        });
        await step(actors.porteur(), { type: 'SignConvention', signatory: { kind: 'porteur' } });
        await step(actors.funder('ETAT'), {
          type: 'SignConvention',
          signatory: { kind: 'funder', funder: 'ETAT' },
        });
        const inForce = await step(actors.funder('EPCI'), {
          type: 'SignConvention',
          signatory: { kind: 'funder', funder: 'EPCI' },
        });
        expect(inForce.status).toBe('in_force');

        // The convention year ends; the report becomes expected, then the porteur files it.
        await sleepUntil(day(t, 30 + 366));
        const view = await h.grants.applicationView(applicationId);
        expect(view.state.status).toBe('in_force');
        await step(actors.porteur(), {
          type: 'SubmitYearlyReport',
          year: 1,
          spentByFunder: [
            { funder: 'ETAT', amountCents: 1_000_000 },
            { funder: 'EPCI', amountCents: 400_000 },
          ],
          beneficiariesReached: 110,
          narrative: 'Objectifs atteints.',
        });
        await step(actors.manager, { type: 'AcceptYearlyReport', year: 1 });
        const final = await step(actors.manager, { type: 'CloseApplication' });
        expect(final.status).toBe('closed');
        expect(await eventTypes(applicationId)).toEqual([
          'ApplicationSubmitted',
          'ApplicationDeclaredEligible',
          'FunderPositionRecorded',
          'FunderPositionRecorded',
          'CitizenOpinionGiven',
          'CommitteeApprovalRecorded',
          'ConventionDrafted',
          'ConventionSigned',
          'ConventionSigned',
          'ConventionSigned',
          'ConventionEnteredIntoForce',
          'PaymentOrdered',
          'PaymentOrdered',
          'YearlyReportRequested',
          'YearlyReportSubmitted',
          'YearlyReportAccepted',
          'PaymentOrdered',
          'PaymentOrdered',
          'ApplicationClosed',
        ]);
        // The envelope holds what was paid for this application: nothing was returned to it.
        const etat = await h.eventStore.readStream('envelope-camvs-annual-ETAT');
        expect(etat.map((e) => e.type)).toEqual(['EnvelopeOpened', 'FundsReserved']);
      }),
    120_000,
  );
});
