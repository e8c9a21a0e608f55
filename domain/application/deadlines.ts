import { addDays, endOfParisDay, parisInstant } from '../calendar';
import type { Deadline } from '../shared/deadlines';
import type { ApplicationCommand } from './commands';
import { reminderAt } from './rules';
import type { ApplicationState } from './state';

export type ApplicationDeadline = Deadline<ApplicationCommand>;

/**
 * The timers the workflow must arm now. Kinds: complements-due, co-decision-due, signature-due,
 * report-due (the convention year ended: the report becomes expected), report-reminder,
 * report-overdue.
 */
export function applicationDeadlines(state: ApplicationState): ApplicationDeadline[] {
  switch (state.status) {
    case 'awaiting_complements':
      return [
        {
          id: `complements-${state.request.number}`,
          kind: 'complements-due',
          dueAt: endOfParisDay(state.request.dueDate),
          command: { type: 'MarkComplementsMissed', requestNumber: state.request.number },
        },
      ];
    case 'co_decision':
      return state.coDecision.deadlinePassed
        ? []
        : [
            {
              id: 'co-decision',
              kind: 'co-decision-due',
              dueAt: endOfParisDay(state.coDecision.dueDate),
              command: { type: 'LapseSilentFunders' },
            },
          ];
    case 'awaiting_signatures':
      return [
        {
          id: 'signature',
          kind: 'signature-due',
          dueAt: endOfParisDay(state.convention.signatureDueDate),
          command: { type: 'LapseConvention' },
        },
      ];
    case 'in_force':
      return state.reports.flatMap((r): ApplicationDeadline[] => {
        switch (r.status) {
          case 'not_due': {
            const year = state.convention.years.find((y) => y.year === r.year);
            return year
              ? [
                  {
                    id: `report-due-${r.year}`,
                    kind: 'report-due',
                    dueAt: parisInstant(addDays(year.endDate, 1)),
                    command: { type: 'RequestYearlyReport', year: r.year },
                  },
                ]
              : [];
          }
          case 'expected':
          case 'changes_requested': {
            if (r.overdue) return [];
            const overdue: ApplicationDeadline = {
              id: `report-overdue-${r.year}-${r.dueDate}`,
              kind: 'report-overdue',
              dueAt: endOfParisDay(r.dueDate),
              command: { type: 'MarkReportOverdue', year: r.year },
            };
            if (r.status === 'expected' && !r.reminderSent) {
              return [
                {
                  id: `report-reminder-${r.year}`,
                  kind: 'report-reminder',
                  dueAt: reminderAt(r.dueDate),
                  command: { type: 'SendReportReminder', year: r.year },
                },
                overdue,
              ];
            }
            return [overdue];
          }
          case 'submitted':
          case 'accepted':
            return [];
          default: {
            const never: never = r;
            return never;
          }
        }
      });
    case 'not_submitted':
    case 'under_review':
    case 'approved':
    case 'withdrawn':
    case 'ineligible':
    case 'rejected':
    case 'lapsed':
    case 'closed':
    case 'terminated':
      return [];
    default: {
      const never: never = state;
      return never;
    }
  }
}
