// The `applications` projection folds each application event with the domain's evolve once; the
// slices after it in the set (campaign summary, reports, ledger) read that fold here instead of
// folding again. Two hand-overs, both per connection:
//  - per event: the state and funding lines before and after it (the ledger's movements and the
//    campaign totals are differences event by event);
//  - per batch: at its flush, every application it wrote, with the state the tables held before
//    and the facts derived now (the reports are rewritten once per batch from them).
import type { Database } from 'better-sqlite3';
import type { SubmittedState } from '../../../domain/application';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import type { ApplicationFacts, FundingLine } from '../applications/facts';

export interface FoldedApplication {
  state: SubmittedState;
  /** fundingLines(state), computed once per event and shared. */
  funding: FundingLine[];
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

/** One application as the applications projection wrote it at a flush. */
export interface FlushedApplication {
  seq: number;
  /** The state the tables held before this flush; undefined when it was new. */
  before: SubmittedState | undefined;
  after: SubmittedState;
  facts: ApplicationFacts;
}

const lastFlush = new WeakMap<Database, FlushedApplication[]>();

export function publishFlushedApplications(db: Database, flushed: FlushedApplication[]): void {
  lastFlush.set(db, flushed);
}

/**
 * What the applications projection wrote at this batch's flush, handed over once: the reader takes
 * it (a second reader, or a batch without an applications flush, gets nothing).
 */
export function takeFlushedApplications(db: Database): FlushedApplication[] {
  const flushed = lastFlush.get(db) ?? [];
  lastFlush.delete(db);
  return flushed;
}

/** Drops both hand-overs (a rolled-back batch). */
export function forgetApplicationChanges(db: Database): void {
  lastChange.delete(db);
  lastFlush.delete(db);
}
