// The `applications` projection folds each application event with the domain's evolve once; the
// slices after it in the set (campaign summary, reports, ledger) read that fold here instead of
// folding again. The hand-over lives for one event on one connection.
import type { Database } from 'better-sqlite3';
import type { SubmittedState } from '../../../domain/application';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import type { ApplicationFacts } from '../applications/facts';

export interface FoldedApplication {
  state: SubmittedState;
  facts: ApplicationFacts;
}

export interface ApplicationChange {
  event: RecordedEvent;
  /** The application's row key (position of its submission). */
  seq: number;
  /** Undefined for the submission itself. */
  before: FoldedApplication | undefined;
  after: FoldedApplication;
}

const lastChange = new WeakMap<Database, ApplicationChange>();

export function publishApplicationChange(db: Database, change: ApplicationChange): void {
  lastChange.set(db, change);
}

/** The fold of this very event; throws when the applications projection did not run before. */
export function applicationChangeFor(db: Database, event: RecordedEvent, reader: string): ApplicationChange {
  const change = lastChange.get(db);
  if (change === undefined || change.event.id !== event.id || change.event.position !== event.position) {
    throw new Error(
      `La projection ${reader} lit le repli de la projection applications : placez-la après elle dans le même ensemble (événement ${event.id}).`,
    );
  }
  return change;
}
