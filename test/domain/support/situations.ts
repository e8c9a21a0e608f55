// One or more representative situations for every application status, built through the real
// decider. The matrix spec checks every command in each; a status without a situation fails it.
import { dossier, MAUBEUGE } from './fixtures';
import { Story } from './story';

export interface Situation {
  name: string;
  story: Story;
}

const submitted = (years = 2) => new Story().submit(dossier(years));
const coDecision = (years = 2) =>
  submitted(years).on('2027-04-12').declareEligible('2027-05-31').on('2027-05-05');
const allSpoken = (years = 2) => coDecision(years).commitAll().opinion();
const approved = (years = 2) => allSpoken(years).on('2027-06-15').approve();
const drafted = (years = 2) => approved(years).on('2027-06-20').draft('2027-01-01', '2027-07-31');
/** A convention of `years` years in force since 1 July 2027 (its years from 1 January 2027). */
export const inForce = (years = 2) => drafted(years).on('2027-07-01').signAll();
const reportExpected = (years = 2) => inForce(years).on('2028-01-05');
const allAccepted = () =>
  inForce(1).on('2028-02-01').submitReport(1).on('2028-02-15').acceptReport(1).on('2028-02-20');

export function applicationSituations(): Situation[] {
  const s = (name: string, build: () => Story): Situation => ({ name, story: build() });
  return [
    s('not submitted', () => new Story()),
    s('under review', () => submitted()),
    s('under review after complements', () =>
      submitted().on('2027-04-02').requestComplements('2027-04-20').provideComplements(),
    ),
    s('awaiting complements', () =>
      submitted().on('2027-04-02').requestComplements('2027-04-20').on('2027-04-05'),
    ),
    s('co-decision, nobody has spoken', () => coDecision()),
    s('co-decision, one funder committed', () => coDecision().commit('ETAT')),
    s('co-decision, all spoken', () => allSpoken()),
    s('co-decision, all declined', () =>
      coDecision().decline('ETAT').decline('REGION').decline(MAUBEUGE).opinion(),
    ),
    s('co-decision, deadline passed with a silent funder', () =>
      coDecision().commit('ETAT').on('2027-06-02'),
    ),
    s('approved', () => approved()),
    s('awaiting signatures, none yet', () => drafted().on('2027-06-25')),
    s('awaiting signatures, porteur signed', () => drafted().on('2027-06-25').signByPorteur()),
    s('in force, year 1 running', () => inForce().on('2027-09-01')),
    s('in force, report 1 expected', () => reportExpected()),
    s('in force, report 1 overdue', () => reportExpected().on('2028-07-02')),
    s('in force, report 1 submitted', () => reportExpected().on('2028-03-01').submitReport(1)),
    s('in force, report 1 sent back for changes', () =>
      reportExpected()
        .on('2028-03-01')
        .submitReport(1)
        .on('2028-03-10')
        .requestReportChanges(1, '2028-04-30'),
    ),
    s('in force, report 1 accepted', () =>
      reportExpected().on('2028-03-01').submitReport(1).on('2028-03-15').acceptReport(1),
    ),
    s('in force, all reports accepted', allAccepted),
    s('in force, payment held back by a late report, report now filed', () =>
      reportExpected()
        .on('2029-01-10')
        .submitReport(2)
        .on('2029-01-20')
        .acceptReport(2) // report 1 is overdue: year 2's balance waits
        .on('2029-02-01')
        .submitReport(1),
    ),
    s('withdrawn', () => coDecision().withdraw()),
    s('ineligible (ruled)', () => submitted().on('2027-04-02').declareIneligible()),
    s('ineligible (complements missed)', () =>
      submitted().on('2027-04-02').requestComplements('2027-04-20').on('2027-04-25'),
    ),
    s('rejected', () => allSpoken().on('2027-06-15').reject()),
    s('lapsed', () => drafted().on('2027-08-02')),
    s('closed', () => allAccepted().close()),
    s('terminated', () => reportExpected().on('2028-02-01').terminate()),
  ];
}
