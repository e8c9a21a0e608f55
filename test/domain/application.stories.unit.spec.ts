// Two whole lives of an application, read as plain scenarios: a four-year CPO and a one-year action.
import { describe, expect, it } from 'vitest';
import { expectedReservations, fundingSummary, type ApplicationEvent } from '../../domain';
import { dossier, MAUBEUGE } from './support/fixtures';
import { Story } from './support/story';

const types = (events: ApplicationEvent[]) => events.map((e) => e.type);
const payments = (events: ApplicationEvent[]) =>
  events.flatMap((e) =>
    e.type === 'PaymentOrdered' ? [`${e.data.installmentId}:${e.data.amountCents}`] : [],
  );

describe('a four-year CPO, from the AMI to closure', () => {
  it('goes through co-decision, signature, four yearly reports, a late report and a recovery', () => {
    const story = new Story();

    // Dépôt pendant la fenêtre de l'AMI 2027.
    story.submit(dossier(4));
    expect(story.as('under_review').findings.every((f) => f.outcome === 'pass')).toBe(true);

    // Recevabilité, puis co-décision des financeurs et avis du conseil citoyen.
    story.on('2027-04-12').declareEligible('2027-05-31');
    story
      .on('2027-05-05')
      .commit('ETAT')
      .commit('REGION', 80, 'Bilan qualitatif intermédiaire demandé')
      .commit(MAUBEUGE);
    expect(story.allowed()).not.toContain('RecordCommitteeApproval'); // the conseil citoyen has not spoken yet
    story.opinion('favourable');
    expect(story.allowed()).toContain('RecordCommitteeApproval');
    story.on('2027-06-15').approve();
    story.as('approved');

    // Convention pluriannuelle (CPO), signatures, entrée en vigueur et avances de l'année 1.
    story.on('2027-06-20').draft('2027-01-01', '2027-07-31');
    const drafted = story.as('awaiting_signatures');
    expect(drafted.convention.kind).toBe('CPO');
    expect(drafted.convention.years.map((y) => y.reportDueDate)).toEqual([
      '2028-06-30',
      '2029-06-30',
      '2030-06-30',
      '2031-06-30',
    ]);
    expect(drafted.convention.conditions).toEqual([
      { funder: 'REGION', conditions: 'Bilan qualitatif intermédiaire demandé' },
    ]);
    story.on('2027-07-01').signByPorteur().signByFunder('ETAT').signByFunder('REGION');
    const inForce = story.do(
      { type: 'SignConvention', signatory: { kind: 'funder', funder: MAUBEUGE } },
      {
        id: 'user-maubeuge',
        role: 'funder',
        institution: MAUBEUGE,
      },
    );
    expect(types(inForce)).toEqual([
      'ConventionSigned',
      'ConventionEnteredIntoForce',
      'PaymentOrdered',
      'PaymentOrdered',
      'PaymentOrdered',
    ]);
    expect(payments(inForce)).toEqual([
      'COMMUNE-59392-y1-1:250000',
      'ETAT-y1-1:500000',
      'REGION-y1-1:200000',
    ]);

    // Année 1 : le compte rendu devient exigible au 1er janvier 2028, déposé puis accepté.
    story.on('2028-01-02');
    expect(story.deadlines().map((d) => [d.id, d.dueAt])).toEqual([
      ['report-reminder-1', '2028-05-31T07:00:00.000Z'], // 9 h, Paris summer time
      ['report-overdue-1-2028-06-30', '2028-06-30T22:00:00.000Z'], // end of 30 June, Paris
      ['report-due-2', '2028-12-31T23:00:00.000Z'], // 1 January 2029, 0 h Paris winter time
      ['report-due-3', '2029-12-31T23:00:00.000Z'],
      ['report-due-4', '2030-12-31T23:00:00.000Z'],
    ]);
    story.on('2028-04-15').submitReport(1);
    const accepted1 = story
      .on('2028-05-02')
      .do({ type: 'AcceptYearlyReport', year: 1 }, { id: 'cdm', role: 'grant_manager' });
    // Balance of year 1 and advance of year 2, for each funder.
    expect(payments(accepted1)).toEqual([
      'COMMUNE-59392-y1-2:250000',
      'ETAT-y1-2:500000',
      'REGION-y1-2:200000',
      'COMMUNE-59392-y2-1:250000',
      'ETAT-y2-1:500000',
      'REGION-y2-1:200000',
    ]);

    // Année 2 : rappel le 31 mai 2029, retard constaté le 1er juillet : versements suspendus.
    story.on('2029-07-02');
    const afterYear2 = story.events.slice(-3).map((e) => e.type);
    expect(afterYear2).toEqual([
      'YearlyReportRequested',
      'YearlyReportReminderSent',
      'YearlyReportMarkedOverdue',
    ]);
    expect(story.allowed()).not.toContain('OrderPayment');
    // Late report: the Région's grant was partly spent (3 000 € of 4 000 €).
    story.on('2029-07-10').submitReport(2, { REGION: 300_000 });
    const accepted2 = story
      .on('2029-07-20')
      .do({ type: 'AcceptYearlyReport', year: 2 }, { id: 'cdm', role: 'grant_manager' });
    expect(payments(accepted2)).toContain('REGION-y2-2:100000'); // balance capped by what was justified
    expect(types(accepted2)).not.toContain('RecoveryOrdered');

    // Année 3 : l'État n'a vu dépenser que 4 000 € de ses 10 000 € (5 000 € avancés) → reversement de 1 000 €.
    story.on('2030-03-01').submitReport(3, { ETAT: 400_000 });
    const accepted3 = story
      .on('2030-03-15')
      .do({ type: 'AcceptYearlyReport', year: 3 }, { id: 'cdm', role: 'grant_manager' });
    const recovery = accepted3.find((e) => e.type === 'RecoveryOrdered');
    expect(recovery?.data).toMatchObject({
      funder: 'ETAT',
      year: 3,
      amountCents: 100_000,
      reason: 'unspent',
    });
    expect(types(accepted3)).toContain('InstallmentCancelled');

    // Année 4 puis clôture.
    story.on('2031-02-01').submitReport(4);
    story.on('2031-02-15').acceptReport(4);
    expect(story.allowed()).toContain('CloseApplication');
    story.do(
      { type: 'CloseApplication', comment: 'Action menée à son terme.' },
      { id: 'cdm', role: 'grant_manager' },
    );
    story.as('closed');
    expect(story.deadlines()).toEqual([]);

    const rows = fundingSummary(story.state);
    const total = (
      key: 'requestedCents' | 'committedCents' | 'awardedCents' | 'paidCents' | 'recoveredCents',
    ) => rows.reduce((sum, r) => sum + r[key], 0);
    expect(total('requestedCents')).toBe(8_000_000);
    expect(total('awardedCents')).toBe(7_600_000); // the Région committed 80 %: 4 000 € a year
    expect(total('paidCents')).toBe(7_600_000 - 100_000 - 500_000); // Région y2 balance reduced, État y3 balance cancelled
    expect(total('recoveredCents')).toBe(100_000);
    // At closure the envelopes keep only what was paid net of recoveries.
    const kept = expectedReservations(story.state).flatMap((r) => r.amountsByYear.map((a) => a.amountCents));
    expect(kept.reduce((a, b) => a + b, 0)).toBe(7_000_000 - 100_000);
  });
});

describe('a one-year action, with complements, a silent funder and an annual convention', () => {
  it('is closed after its single report', () => {
    const story = new Story();
    story.submit(dossier(1));
    story.on('2027-04-02').requestComplements('2027-04-20');
    story.as('awaiting_complements');
    story.on('2027-04-10').provideComplements();
    story.on('2027-04-12').declareEligible('2027-05-31');
    story.on('2027-05-10').commit('ETAT').decline(MAUBEUGE).opinion('reserved');
    // The Région stays silent: at the end of 31 May (Paris) it counts as declining.
    story.on('2027-06-03');
    expect(story.as('co_decision').coDecision.positions.REGION).toEqual({ decision: 'lapsed' });
    story.on('2027-06-15').approve();
    story.on('2027-06-20').draft('2027-09-01', '2027-07-31');
    const convention = story.as('awaiting_signatures').convention;
    expect(convention.kind).toBe('annual');
    expect(convention.years).toEqual([
      { year: 1, startDate: '2027-09-01', endDate: '2028-08-31', reportDueDate: '2029-02-28' },
    ]);
    story.on('2027-07-02').signAll();
    story.as('in_force');
    story.on('2028-10-01').submitReport(1);
    story.on('2028-10-15').acceptReport(1);
    story.do({ type: 'CloseApplication' }, { id: 'cdm', role: 'grant_manager' });
    story.as('closed');
    expect(fundingSummary(story.state).filter((r) => r.paidCents > 0)).toEqual([
      {
        funder: 'ETAT',
        year: 1,
        requestedCents: 1_000_000,
        committedCents: 1_000_000,
        awardedCents: 1_000_000,
        paidCents: 1_000_000,
        recoveredCents: 0,
      },
    ]);
  });
});
