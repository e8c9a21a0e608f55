// Whole lifecycles on the time-skipping server: real workflows, real activities, a real SQLite
// event store; months and years of deadlines pass in seconds (the story drives time with
// env.sleep, since the server does not skip time on its own while a test waits on an update).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  applicationStreamName,
  expectedReservations,
  paymentsSuspended,
  type ApplicationState,
} from '../../domain/application';
import { addDays, addYears, parisDateOf, parisInstant } from '../../domain/calendar';
import { envelopeStreamName } from '../../domain/envelope';
import { DomainRefusalError } from '../../workflows/client';
import {
  actors,
  approval,
  commit,
  opinion,
  signByFunder,
  signByPorteur,
  yearlyReport,
  type WorkflowStory,
} from '../support/fixtures';
import { as, type Harness } from './support/harness';
import { startStoryWorld, type StoryWorld } from './support/storyWorld';

let env: TestWorkflowEnvironment;
let h: Harness;
let story: WorkflowStory;
let world: StoryWorld | undefined;
beforeAll(async () => {
  world = await startStoryWorld();
  ({ env, h, story } = world);
});
afterAll(async () => {
  await world?.stop();
});

/** The command types a role (and institution) may send now, as the workflow answers. */
const allowedTypes = async (applicationId: string, role: string, institution?: string) =>
  (
    await h.grants.allowedFor('application', applicationId, {
      role,
      ...(institution === undefined ? {} : { institution }),
    })
  ).map((a) => a.type);

function inForce(state: ApplicationState) {
  if (state.status !== 'in_force') throw new Error(`attendu in_force, trouvé ${state.status}`);
  return state;
}

describe('application workflow on the time-skipping server', () => {
  it('takes a one-year action from submission to closure', async () => {
    await story.openCampaign('camvs-annual');
    const { applicationId, step } = await story.submit('camvs-annual', {
      durationYears: 1,
      perYear: { ETAT: 1_000_000, EPCI: 500_000 },
    });
    const today = await story.today();
    await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: addDays(today, 20) });
    await step(actors.funder('ETAT'), commit('ETAT', [1_000_000]));
    await step(actors.funder('EPCI'), commit('EPCI', [400_000]));
    await step(actors.council, opinion('favourable', 'Action attendue.'));
    await step(actors.manager, approval('COPIL-2027-03', today, { ETAT: [1_000_000], EPCI: [400_000] }));
    await step(actors.manager, {
      type: 'DraftConvention',
      startDate: addDays(today, 30),
      signatureDueDate: addDays(today, 25),
    });
    await step(actors.porteur(), signByPorteur);
    await step(actors.funder('ETAT'), signByFunder('ETAT'));
    const signed = await step(actors.funder('EPCI'), signByFunder('EPCI'));
    expect(signed.status).toBe('in_force');

    // The convention year ends; the report becomes expected, then the porteur files it.
    await story.sleepUntil(addDays(today, 30 + 366));
    const view = await h.grants.applicationView(applicationId);
    expect(view.state.status).toBe('in_force');
    await step(actors.porteur(), yearlyReport(1, { ETAT: 1_000_000, EPCI: 400_000 }, 'Objectifs atteints.'));
    await step(actors.manager, { type: 'AcceptYearlyReport', year: 1 });
    const final = await step(actors.manager, { type: 'CloseApplication' });
    expect(final.status).toBe('closed');
    expect(await story.eventTypes(applicationId)).toEqual([
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
    // Who did what, as the audit trail tells it: the EPCI signed; the entry into force and the
    // payments its schedule orders (the État's too) follow by the rules, as the system's, caused
    // by that signature; the acceptance is the grant manager's, the payments after it the system's.
    const recorded = await h.eventStore.readStream(`application-${applicationId}`);
    const who = recorded
      .filter(
        (e) => e.revision >= 9n && e.type !== 'YearlyReportRequested' && e.type !== 'YearlyReportSubmitted',
      )
      .map((e) => [e.type, e.metadata.actor.role, e.metadata.actor.institution ?? null]);
    expect(who).toEqual([
      ['ConventionSigned', 'funder', 'EPCI'],
      ['ConventionEnteredIntoForce', 'system', null],
      ['PaymentOrdered', 'system', null],
      ['PaymentOrdered', 'system', null],
      ['YearlyReportAccepted', 'grant_manager', null],
      ['PaymentOrdered', 'system', null],
      ['PaymentOrdered', 'system', null],
      ['ApplicationClosed', 'grant_manager', null],
    ]);
    const lastSignature = recorded.find((e) => e.revision === 9n);
    expect(
      recorded.filter((e) => e.revision > 9n && e.revision <= 12n).map((e) => e.metadata.causationId),
    ).toEqual(Array.from({ length: 3 }, () => lastSignature?.metadata.causationId));
    // The envelope holds what was paid for this application: nothing was returned to it.
    expect(await story.envelopeEventTypes('camvs-annual', 'ETAT')).toEqual([
      'EnvelopeOpened',
      'FundsReserved',
    ]);
    expect((await story.completion(applicationId)).status).toBe('COMPLETED');
  }, 120_000);

  it('takes a four-year CPO through complements, a silent funder, a late report and a recovery to closure', async () => {
    const started = Date.now();
    const campaignId = 'camvs-cpo';
    await story.openCampaign(campaignId);
    const { applicationId, step } = await story.submit(campaignId, {
      durationYears: 4,
      perYear: { ETAT: 1_500_000, REGION: 1_000_000, EPCI: 500_000 },
    });
    const today = await story.today();

    // Recevabilité: a complements round first, answered in time.
    await step(actors.manager, {
      type: 'RequestComplements',
      items: ['Budget prévisionnel signé par le trésorier', 'Statuts à jour'],
      dueDate: addDays(today, 10),
    });
    await step(actors.porteur(), {
      type: 'ProvideComplements',
      response: 'Budget signé et statuts déposés le jour même.',
      documentRefs: ['doc-budget-2027', 'doc-statuts'],
    });
    const coDecisionDueDate = addDays(today, 20);
    await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate });

    // Co-décision: the État and the agglomeration commit, the Région stays silent.
    await step(actors.funder('ETAT'), commit('ETAT', [1_500_000, 1_500_000, 1_500_000, 1_500_000]));
    await step(actors.funder('EPCI'), commit('EPCI', [500_000, 500_000, 500_000, 500_000]));
    expect(await allowedTypes(applicationId, 'funder', 'REGION')).toEqual(['RecordFunderPosition']);
    expect(await allowedTypes(applicationId, 'funder', 'CAF')).toEqual([]);
    expect(await allowedTypes(applicationId, 'citizen_council')).toEqual(['GiveCitizenOpinion']);
    expect(await allowedTypes(applicationId, 'porteur')).toEqual(['WithdrawApplication']);
    // The committee waits for the Région until the due date.
    expect(await allowedTypes(applicationId, 'grant_manager')).not.toContain('RecordCommitteeApproval');
    await step(actors.council, opinion('favourable'));

    // The co-decision deadline passes: the workflow's timer lapses the Région.
    await story.sleepUntil(addDays(coDecisionDueDate, 1));
    const lapsed = (await h.grants.applicationView(applicationId)).state;
    if (lapsed.status !== 'co_decision') throw new Error(`attendu co_decision : ${lapsed.status}`);
    expect(lapsed.coDecision.positions.REGION).toEqual({ decision: 'lapsed' });
    expect(await allowedTypes(applicationId, 'grant_manager')).toContain('RecordCommitteeApproval');

    // The committee awards less than the agglomeration committed: its reservation shrinks.
    const decided = await story.today();
    await step(
      actors.manager,
      approval('COPIL-CPO-2027-05', decided, {
        ETAT: [1_500_000, 1_500_000, 1_500_000, 1_500_000],
        EPCI: [400_000, 400_000, 400_000, 400_000],
      }),
    );
    const start = addDays(decided, 10);
    const drafted = await step(actors.manager, {
      type: 'DraftConvention',
      startDate: start,
      signatureDueDate: addDays(decided, 8),
    });
    if (drafted.status !== 'awaiting_signatures') throw new Error(drafted.status);
    expect(drafted.convention.kind).toBe('CPO');
    await step(actors.porteur(), signByPorteur);
    await step(actors.funder('ETAT'), signByFunder('ETAT'));
    inForce(await step(actors.funder('EPCI'), signByFunder('EPCI')));

    // Year 1: the report opens when the year ends, is filed and accepted at once.
    await story.sleepUntil(addYears(start, 1));
    await step(actors.porteur(), yearlyReport(1, { ETAT: 1_500_000, EPCI: 400_000 }));
    await step(actors.manager, { type: 'AcceptYearlyReport', year: 1 });

    // Year 2: nothing filed — reminder, then overdue by timer; payments are suspended.
    const year2 = inForce((await h.grants.applicationView(applicationId)).state).convention.years[1]!;
    await story.sleepUntil(addDays(year2.reportDueDate, 1));
    const overdue = inForce((await h.grants.applicationView(applicationId)).state);
    expect(overdue.reports[1]).toMatchObject({ year: 2, status: 'expected', overdue: true });
    expect(paymentsSuspended(overdue)).toBe(true);
    const suspended = await h.grants
      .applicationCommand(
        applicationId,
        { type: 'OrderPayment', installmentId: 'ETAT-y2-2' },
        as(actors.manager),
      )
      .catch((error: unknown) => error);
    expect(suspended).toBeInstanceOf(DomainRefusalError);
    expect((suspended as DomainRefusalError).code).toBe('PAYMENTS_SUSPENDED');
    expect(await allowedTypes(applicationId, 'porteur')).toEqual(['SubmitYearlyReport']);
    expect(await allowedTypes(applicationId, 'grant_manager')).not.toContain('OrderPayment');
    await step(actors.porteur(), yearlyReport(2, { ETAT: 1_500_000, EPCI: 400_000 }));
    await step(actors.manager, { type: 'AcceptYearlyReport', year: 2 });

    // Year 3: the État's grant was only partly spent — the advance exceeds it, recovery.
    await story.sleepUntil(addYears(start, 3));
    await step(actors.porteur(), yearlyReport(3, { ETAT: 500_000, EPCI: 400_000 }));
    const afterYear3 = inForce(await step(actors.manager, { type: 'AcceptYearlyReport', year: 3 }));
    expect(afterYear3.recoveries).toEqual([
      { funder: 'ETAT', year: 3, amountCents: 250_000, reason: 'unspent' },
    ]);

    // Year 4, then closure.
    await story.sleepUntil(addYears(start, 4));
    await step(actors.porteur(), yearlyReport(4, { ETAT: 1_500_000, EPCI: 400_000 }));
    await step(actors.manager, { type: 'AcceptYearlyReport', year: 4 });
    const closed = await step(actors.manager, {
      type: 'CloseApplication',
      comment: 'Action menée à son terme.',
    });
    expect(closed.status).toBe('closed');
    for (const role of ['porteur', 'grant_manager', 'citizen_council'])
      expect(await allowedTypes(applicationId, role)).toEqual([]);

    expect(await story.eventTypes(applicationId)).toEqual([
      'ApplicationSubmitted',
      'ComplementsRequested',
      'ComplementsProvided',
      'ApplicationDeclaredEligible',
      'FunderPositionRecorded',
      'FunderPositionRecorded',
      'CitizenOpinionGiven',
      'SilentFundersLapsed',
      'CommitteeApprovalRecorded',
      'ConventionDrafted',
      'ConventionSigned',
      'ConventionSigned',
      'ConventionSigned',
      'ConventionEnteredIntoForce',
      'PaymentOrdered', // year 1 advances
      'PaymentOrdered',
      'YearlyReportRequested',
      'YearlyReportSubmitted',
      'YearlyReportAccepted',
      'PaymentOrdered', // year 1 balances, year 2 advances
      'PaymentOrdered',
      'PaymentOrdered',
      'PaymentOrdered',
      'YearlyReportRequested',
      'YearlyReportReminderSent',
      'YearlyReportMarkedOverdue',
      'YearlyReportSubmitted',
      'YearlyReportAccepted',
      'PaymentOrdered', // year 2 balances, year 3 advances
      'PaymentOrdered',
      'PaymentOrdered',
      'PaymentOrdered',
      'YearlyReportRequested',
      'YearlyReportSubmitted',
      'YearlyReportAccepted',
      'RecoveryOrdered',
      'PaymentOrdered', // EPCI year 3 balance
      'InstallmentCancelled', // État year 3 balance: nothing left to justify it
      'PaymentOrdered', // year 4 advances
      'PaymentOrdered',
      'YearlyReportRequested',
      'YearlyReportSubmitted',
      'YearlyReportAccepted',
      'PaymentOrdered', // year 4 balances
      'PaymentOrdered',
      'ApplicationClosed',
    ]);

    // Envelopes: the État keeps what it paid net of the recovery, the agglomeration what the
    // committee awarded (all paid), the silent Région never reserved anything.
    const final = (await story.completion(applicationId)).state;
    const expected = new Map(expectedReservations(final).map((r) => [r.funder, r.amountsByYear]));
    expect(Object.fromEntries(expected)).toEqual({
      ETAT: [
        { year: 1, amountCents: 1_500_000 },
        { year: 2, amountCents: 1_500_000 },
        { year: 3, amountCents: 500_000 },
        { year: 4, amountCents: 1_500_000 },
      ],
      EPCI: [1, 2, 3, 4].map((year) => ({ year, amountCents: 400_000 })),
    });
    for (const funder of ['ETAT', 'EPCI', 'REGION'])
      expect(await story.reservation(campaignId, funder, applicationId)).toEqual(expected.get(funder));
    expect(await story.envelopeEventTypes(campaignId, 'ETAT')).toEqual([
      'EnvelopeOpened',
      'FundsReserved', // its commitment
      'FundsReserved', // adjusted at closure: the recovered 2 500 € return to the envelope
    ]);
    expect(await story.envelopeEventTypes(campaignId, 'EPCI')).toEqual([
      'EnvelopeOpened',
      'FundsReserved', // its commitment
      'FundsReserved', // the committee's lower award
    ]);
    expect(await story.envelopeEventTypes(campaignId, 'REGION')).toEqual(['EnvelopeOpened']);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it("dates a committee's decision keyed in days later on the committee's day, the envelope's reservation too", async () => {
    await story.openCampaign('camvs-keyed');
    const { applicationId, step } = await story.submit('camvs-keyed', {
      durationYears: 1,
      perYear: { ETAT: 1_000_000 },
    });
    const filed = await story.today();
    await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: addDays(filed, 20) });
    await step(actors.funder('ETAT'), commit('ETAT', [1_000_000]));
    await step(actors.council, opinion('favourable'));
    // The committee meets the next day; its minutes reach the grant manager three days after.
    const meeting = addDays(filed, 1);
    await story.sleepUntil(addDays(filed, 4));
    await step(actors.manager, approval('COPIL-2027-07', meeting, { ETAT: [800_000] }));

    const recorded = await h.eventStore.readStream(`application-${applicationId}`);
    const approvalEvent = recorded.find((e) => e.type === 'CommitteeApprovalRecorded');
    expect(approvalEvent?.metadata.occurredAt).toBe(parisInstant(meeting));
    // The steps sent on their own day keep the instant they were sent at.
    const opinionEvent = recorded.find((e) => e.type === 'CitizenOpinionGiven');
    expect(parisDateOf(opinionEvent?.metadata.occurredAt ?? '')).toBe(filed);
    // The award shrank the État's reservation on the same day, caused by the same decision.
    const envelope = await h.eventStore.readStream(envelopeStreamName('camvs-keyed', 'ETAT'));
    const shrunk = envelope.at(-1);
    expect(shrunk?.type).toBe('FundsReserved');
    expect(shrunk?.metadata.occurredAt).toBe(parisInstant(meeting));
    expect(shrunk?.metadata.causationId).toBe(approvalEvent?.metadata.causationId);
  }, 60_000);

  it('refuses a funder speaking for another institution, before anything is recorded', async () => {
    await story.openCampaign('camvs-refus');
    const { applicationId, step } = await story.submit('camvs-refus');
    await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: await story.today(20) });
    const before = await story.eventTypes(applicationId);

    const context = as(actors.funder('ETAT'));
    const refused = await h.grants
      .applicationCommand(applicationId, commit('REGION', [1_000_000]), context)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainRefusalError);
    expect((refused as DomainRefusalError).code).toBe('WRONG_INSTITUTION');
    expect((refused as DomainRefusalError).message).toBe(
      "Vous représentez l'État : vous ne pouvez agir que pour votre propre institution, pas pour la Région.",
    );

    // The validator refused it: no event, and no trace of the update in the workflow history.
    expect(await story.eventTypes(applicationId)).toEqual(before);
    const history = await env.client.workflow.getHandle(applicationStreamName(applicationId)).fetchHistory();
    const acceptedUpdates = (history.events ?? []).flatMap((e) => {
      const id = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId;
      return id ? [id] : [];
    });
    expect(acceptedUpdates).toHaveLength(2); // SubmitApplication, DeclareEligible
    expect(acceptedUpdates).not.toContain(context.commandId);
    expect(JSON.stringify(history)).not.toContain(context.commandId);

    // The workflow is unharmed: the Région's own representative is heard.
    const state = await step(actors.funder('REGION'), commit('REGION', [1_000_000]));
    if (state.status !== 'co_decision') throw new Error(state.status);
    expect(state.coDecision.positions.REGION).toMatchObject({ decision: 'committed' });
  }, 60_000);
});
