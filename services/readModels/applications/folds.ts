// The folded state of each application, in memory only: the read models keep what queries need
// (rows, tags, funding lines), not a copy of the state, which the event log already holds. An
// application not in memory (after a restart, or evicted) is folded again from its stream before a
// batch that needs it (foldFromLog, in the projection's prepare), and the detail query folds the
// stream up to the revision its row shows.
//
// In memory (ApplicationFolds): the applications touched since the last flush (dirty, never
// evicted: the tables do not hold them yet) and a bounded LRU of clean ones.
import type { Database } from 'better-sqlite3';
import {
  evolveApplication,
  initialApplicationState,
  type ApplicationEvent,
  type ApplicationState,
  type SubmittedState,
} from '../../../domain/application';
import type { StreamReader } from '../../../infra/projections/projection';
import { perDatabase } from '../shared/db';
import { APPLICATION_STREAM_PREFIX } from '../shared/events';
import type { ApplicationFacts, FundingLine } from './facts';

/** What the tables hold of an application (as of the last flush). */
export interface Flushed {
  state: SubmittedState;
  facts: ApplicationFacts;
  /** The derived columns as last written. */
  row: (string | number | null)[];
}

/** One application as folded in memory. */
export interface ApplicationFold {
  applicationId: string;
  seq: number;
  /** Revision of the last event folded. */
  revision: bigint;
  state: SubmittedState;
  funding: FundingLine[];
  /** The last event's columns (business time, record time, position). */
  last: { occurredAt: string; recordedAt: string; position: bigint };
  /** Undefined until it is first written. */
  flushed: Flushed | undefined;
}

/**
 * The application's state after its events 0…`revision`, folded from its stream. Throws when the
 * stream has fewer events, or they do not fold (a log that disagrees with the read models).
 */
export async function foldFromLog(
  log: StreamReader,
  applicationId: string,
  revision: bigint,
): Promise<SubmittedState> {
  const stream = `${APPLICATION_STREAM_PREFIX}${applicationId}`;
  const count = Number(revision) + 1;
  const events = await log.readStream(stream, { maxCount: count });
  if (events.length < count)
    throw new Error(
      `Flux ${stream} : ${events.length} événement(s) dans le journal, les vues en attendent ${count}.`,
    );
  let state: ApplicationState = initialApplicationState;
  for (const e of events)
    state = evolveApplication(state, { type: e.type, data: e.data } as ApplicationEvent);
  if (state.status === 'not_submitted')
    throw new Error(`Flux ${stream} : les événements ne déposent pas de candidature.`);
  return state;
}

/**
 * A few tens of thousands of states cover the applications active in any stretch of the history;
 * beyond, the least recently used clean ones are folded again from the log (still correct, slower).
 */
export const STATE_CACHE_SIZE = 30_000;

export class ApplicationFolds {
  /** Touched since the last flush: what the tables lack. Never evicted. */
  readonly dirty = new Map<string, ApplicationFold>();
  /** As the tables hold them; Map order is insertion order, so the first is the least recent. */
  private readonly clean = new Map<string, ApplicationFold>();
  /** Dirty ones whose stream has ended (forget): dropped when written. */
  private readonly ended = new Set<string>();
  constructor(private readonly capacity = STATE_CACHE_SIZE) {}

  get(applicationId: string): ApplicationFold | undefined {
    return this.dirty.get(applicationId) ?? this.clean.get(applicationId);
  }

  /** The fold is about to change: it leaves the clean ones until the flush. */
  touch(fold: ApplicationFold): void {
    if (this.dirty.has(fold.applicationId)) return;
    this.clean.delete(fold.applicationId);
    this.dirty.set(fold.applicationId, fold);
  }

  /** Folded again from the log as the tables hold it: among the clean ones, at the young end. */
  loaded(fold: ApplicationFold): void {
    this.clean.delete(fold.applicationId);
    this.clean.set(fold.applicationId, fold);
    this.evict();
  }

  /** Written: back among the clean ones, at the young end (unless its stream has ended). */
  settle(fold: ApplicationFold): void {
    this.dirty.delete(fold.applicationId);
    if (this.ended.delete(fold.applicationId)) return;
    this.clean.set(fold.applicationId, fold);
    this.evict();
  }

  private evict(): void {
    while (this.clean.size > this.capacity) {
      const oldest = this.clean.keys().next();
      if (oldest.done === true) break;
      this.clean.delete(oldest.value);
    }
  }

  /**
   * A rebuild read the application's last event: no event of it will come again, so its fold need
   * not be kept once written (a rebuild stream after stream would otherwise fill the cache for nothing).
   */
  forget(applicationId: string): void {
    if (this.dirty.has(applicationId)) this.ended.add(applicationId);
    else this.clean.delete(applicationId);
  }

  /** The tables may not hold what is here (rolled back, or replaced by another process). */
  clear(): void {
    this.dirty.clear();
    this.clean.clear();
    this.ended.clear();
  }
}

export const applicationFoldsOf = perDatabase((_db: Database) => new ApplicationFolds());
