// Which revision of the business rules a workflow decides under (domain/shared/ruleRevisions.ts).
// Each revision is a Temporal patch: live, `patched` records its marker and says yes; replaying a
// history recorded before the revision existed, it finds no marker and says no, so the steps of that
// history are decided again under the rules they were decided under. Once the replay reaches the
// present, the workflow records the marker and takes the new rules from its next step on.
import { patched } from '@temporalio/workflow';
import { latestRuleRevision } from '../../domain/shared/ruleRevisions';

/** The highest revision whose marker is in force at this point of the history (1: none). */
export function ruleRevisionInForce(): number {
  let revision = 1;
  // Always every revision, in order: the markers of a new step are recorded in the same order.
  for (let r = 2; r <= latestRuleRevision; r++) if (patched(`rule-revision-${r}`)) revision = r;
  return revision;
}
