// The `applications` projection folds each application event with the domain's evolve once; the
// slices after it in the set (campaign summary, reports, ledger) read that fold here instead of
// folding again. Two hand-overs, both per connection:
//  - per event: the state and funding lines before and after it (the ledger's movements and the
//    campaign totals are differences event by event);
//  - per batch: at its flush, every application it wrote, with the state and facts the tables held
//    before and those derived now (the reports and the campaign totals are brought in line once per
//    batch from them).
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
  /** The facts the tables held before this flush; undefined when it was new. */
  beforeFacts: ApplicationFacts | undefined;
  after: SubmittedState;
  facts: ApplicationFacts;
}

interface Flush {
  written: FlushedApplication[];
  /** The projections that took it already. */
  takenBy: Set<string>;
}

const lastFlush = new WeakMap<Database, Flush>();

/**
 * The projections that take every flush. Once each has taken it the list is let go: in a rebuild it
 * holds the folded states of up to 25,000 applications that nothing else keeps.
 */
const flushReaders = new Set<string>();

/** Declares a projection that takes the flushes (at module load, before any batch). */
export function readsFlushedApplications(reader: string): void {
  flushReaders.add(reader);
}

/** The projections declared as readers of the flushes (the set must run each after `applications`). */
export const flushedApplicationsReaders = (): readonly string[] => [...flushReaders];

export function publishFlushedApplications(db: Database, written: FlushedApplication[]): void {
  lastFlush.set(db, { written, takenBy: new Set() });
}

/**
 * What the applications projection wrote at this batch's flush, handed over once to each reader:
 * taking it again (a batch without an applications flush) gives nothing, so a batch is never
 * counted twice.
 */
export function takeFlushedApplications(db: Database, reader: string): FlushedApplication[] {
  const flush = lastFlush.get(db);
  if (flush === undefined || flush.takenBy.has(reader)) return [];
  flush.takenBy.add(reader);
  if ([...flushReaders].every((r) => flush.takenBy.has(r))) lastFlush.delete(db);
  return flush.written;
}

/** Drops both hand-overs (a rolled-back batch). */
export function forgetApplicationChanges(db: Database): void {
  lastChange.delete(db);
  lastFlush.delete(db);
}
