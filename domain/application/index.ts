import { decideApplication } from './decide';
import { evolveApplication, initialApplicationState } from './state';

export * from './dossier';
export * from './eligibility';
export * from './events';
export * from './commands';
export * from './state';
export * from './queries';
export {
  conventionYears,
  defaultPaymentSchedule,
  dueInstallments,
  paymentsSuspended,
  REPORT_DUE_MONTHS,
  REPORT_REMINDER_DAYS,
  type ScheduleLine,
} from './convention';
export { decideApplication } from './decide';
export {
  allowedApplicationCommands,
  applicationCommandHint,
  applicationCommandLabels,
  applicationCommandRoles,
  notNowApplicationCommands,
  openApplicationCommands,
  unawaitedApplicationCommands,
} from './allowed';
export { applicationDeadlines, type ApplicationDeadline } from './deadlines';

export const applicationDecider = {
  decide: decideApplication,
  evolve: evolveApplication,
  initialState: initialApplicationState,
};
