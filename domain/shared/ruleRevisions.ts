// Business rules change; applications live for years. Temporal replays a workflow's history through
// decide after every restart, so a rule that now refuses a step it accepted back then would make the
// workflow take another path than the one it recorded (a non-determinism error, the workflow stuck).
// Each rule added later names the revision it arrived with; the workflow tells decide which revision
// it runs under (workflows/shared/ruleRevision.ts: Temporal patch markers), and the steps it recorded
// before a revision are decided again as they were.
import type { CommandMeta } from './meta';

/** The revision each later rule arrived with (revision 1: the rules of the first release). */
export const ruleRevisions = {
  /** DraftConvention: a convention starts within a year of its campaign's year. */
  conventionStartBounds: 2,
  /** A dossier names each quartier once (a repeated code counted its money twice per quartier). */
  distinctQuartiers: 3,
  /**
   * A porteur whose account carries its organisation's SIRET or RNA (vouched by the identity
   * provider) files dossiers in that organisation's name only.
   */
  porteurIdentity: 3,
  /** A committee's decision date lies between the submission and the day it is recorded. */
  committeeDecisionDate: 4,
  /**
   * DraftConvention: a year's report is due six months after its last day (month-end convention);
   * before, a day early for a year starting on a 29th–31st (conventionYears).
   */
  reportDueAfterYearEnd: 5,
  /**
   * TerminateConvention: what a funder's year is justified by stays within what it awarded for that
   * year (a typo of a few zeros cancelled the recovery without a word).
   */
  justifiedWithinAward: 6,
  /**
   * A deadline the grant manager sets (co-decision, complements, signature, corrections) falls within
   * a year: « 2207-01-15 » for « 2027-01-15 » left a file waiting two centuries, its reservations held.
   */
  deadlineWithinAYear: 7,
} as const;

export type RevisedRule = keyof typeof ruleRevisions;

export const latestRuleRevision = Math.max(1, ...Object.values(ruleRevisions));

/** Does this rule apply to the command? Without a revision (tools, tests, validators): the latest rules. */
export const appliesRule = (meta: Pick<CommandMeta, 'ruleRevision'>, rule: RevisedRule): boolean =>
  (meta.ruleRevision ?? latestRuleRevision) >= ruleRevisions[rule];
