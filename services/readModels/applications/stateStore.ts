// The folded state of each application: a snapshot kept as JSON parts, plus the events applied
// since (see schema.ts). Writing an event's small data is much cheaper than rewriting the parts it
// changes; a snapshot at every SNAPSHOT_EVERY-th revision keeps the tail short. Where the snapshots
// fall depends on the revision only, never on how events were batched, so a rebuild in large
// batches and a projector applying events one by one store exactly the same rows.
//
// In memory (ApplicationFolds): the applications touched since the last flush (dirty, never
// evicted: the tables do not hold them yet) and a bounded LRU of clean ones, so that an application
// seen again soon is not read back from the tables.
import type { Database } from 'better-sqlite3';
import { evolveApplication, type ApplicationEvent, type SubmittedState } from '../../../domain/application';
import { perDatabase } from '../shared/db';
import type { ApplicationFacts, FundingLine } from './facts';

/** A snapshot at every revision that is a multiple of this (0: the submission), the events since in the tail. */
export const SNAPSHOT_EVERY = 12;

const SCALARS = '';

const statements = perDatabase((db: Database) => ({
  parts: db.prepare<[number], { part: string; json: string }>(
    'SELECT part, json FROM application_state_parts WHERE seq = ?',
  ),
  upsert: db.prepare(
    `INSERT INTO application_state_parts (seq, part, json) VALUES (?, ?, ?)
     ON CONFLICT (seq, part) DO UPDATE SET json = excluded.json`,
  ),
  remove: db.prepare('DELETE FROM application_state_parts WHERE seq = ? AND part = ?'),
  tail: db.prepare<[number], { type: string; data: string }>(
    'SELECT type, data FROM application_state_tail WHERE seq = ? ORDER BY revision',
  ),
  append: db.prepare('INSERT INTO application_state_tail (seq, revision, type, data) VALUES (?, ?, ?, ?)'),
  truncate: db.prepare('DELETE FROM application_state_tail WHERE seq = ?'),
}));

const isPart = (value: unknown): boolean => typeof value === 'object' && value !== null;

export interface StoredState {
  state: SubmittedState;
  /** The state of the snapshot `state` was folded from. */
  snapshot: SubmittedState;
  /** Events applied since the snapshot. */
  tail: number;
}

/** The state as stored (snapshot and events since), or undefined when the application has none yet. */
export function readState(db: Database, seq: number): StoredState | undefined {
  const s = statements(db);
  const rows = s.parts.all(seq);
  if (rows.length === 0) return undefined;
  const parts: Record<string, unknown> = {};
  for (const row of rows) {
    if (row.part === SCALARS) Object.assign(parts, JSON.parse(row.json) as Record<string, unknown>);
    else parts[row.part] = JSON.parse(row.json);
  }
  const snapshot = parts as unknown as SubmittedState;
  let state: SubmittedState = snapshot;
  const tail = s.tail.all(seq);
  for (const e of tail) {
    const next = evolveApplication(state, {
      type: e.type,
      data: JSON.parse(e.data) as unknown,
    } as ApplicationEvent);
    if (next.status === 'not_submitted') throw new Error(`Candidature ${seq} : état replié incohérent.`);
    state = next;
  }
  return { state, snapshot, tail: tail.length };
}

/**
 * Writes what changed between two snapshots. evolveApplication keeps the parts an event does not
 * touch (same object), so a changed reference is a changed part.
 */
function writeParts(
  db: Database,
  seq: number,
  before: SubmittedState | undefined,
  after: SubmittedState,
): void {
  const s = statements(db);
  const old = (before ?? {}) as unknown as Record<string, unknown>;
  const now = after as unknown as Record<string, unknown>;
  let scalarsChanged = before === undefined;
  const scalars: Record<string, unknown> = {};
  for (const key of Object.keys(now)) {
    const value = now[key];
    if (isPart(value)) {
      if (old[key] !== value) s.upsert.run(seq, key, JSON.stringify(value));
    } else {
      scalars[key] = value;
      if (!scalarsChanged && old[key] !== value) scalarsChanged = true;
    }
  }
  for (const key of Object.keys(old)) {
    if (key in now) continue;
    if (isPart(old[key])) s.remove.run(seq, key);
    else scalarsChanged = true;
  }
  if (scalarsChanged) s.upsert.run(seq, SCALARS, JSON.stringify(scalars));
}

/** An event folded since the snapshot and not yet written to the tail. */
interface TailEvent {
  revision: bigint;
  type: string;
  data: unknown;
}

/** What the tables hold of an application (as of the last flush). */
export interface Flushed {
  state: SubmittedState;
  facts: ApplicationFacts;
  /** The derived columns as last written. */
  row: (string | number | null)[];
  snapshot: SubmittedState;
  /** Tail rows after that snapshot. */
  tail: number;
}

/** One application as folded in memory. */
export interface ApplicationFold {
  applicationId: string;
  seq: number;
  /** Revision of the last event folded. */
  revision: bigint;
  state: SubmittedState;
  funding: FundingLine[];
  /** The state at the last snapshot revision, and the events since that the tables lack. */
  snapshot: SubmittedState;
  pendingTail: TailEvent[];
  /** The last event's columns (business time, record time, position, revision). */
  last: { occurredAt: string; recordedAt: string; position: bigint };
  /** Undefined until it is first written. */
  flushed: Flushed | undefined;
}

/** Folds `event` (revision `revision`) into the fold's snapshot bookkeeping, after its state moved on. */
export function noteSnapshot(fold: ApplicationFold, revision: bigint, type: string, data: unknown): void {
  if (revision % BigInt(SNAPSHOT_EVERY) === 0n) {
    fold.snapshot = fold.state;
    fold.pendingTail = [];
  } else {
    fold.pendingTail.push({ revision, type, data });
  }
}

/** Brings the stored state in line with the fold: a new snapshot if one fell due, then the tail. */
export function writeFoldedState(
  db: Database,
  fold: ApplicationFold,
): { snapshot: SubmittedState; tail: number } {
  const s = statements(db);
  const stored = fold.flushed;
  let tail = stored?.tail ?? 0;
  if (stored === undefined || stored.snapshot !== fold.snapshot) {
    writeParts(db, fold.seq, stored?.snapshot, fold.snapshot);
    if (tail > 0) s.truncate.run(fold.seq);
    tail = 0;
  }
  for (const e of fold.pendingTail) s.append.run(fold.seq, e.revision, e.type, JSON.stringify(e.data));
  tail += fold.pendingTail.length;
  fold.pendingTail = [];
  return { snapshot: fold.snapshot, tail };
}

/**
 * A few tens of thousands of states cover the applications active in any stretch of the history;
 * beyond, the least recently used clean ones are read back from the tables (still correct, slower).
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

  /** Written: back among the clean ones, at the young end (unless its stream has ended). */
  settle(fold: ApplicationFold): void {
    this.dirty.delete(fold.applicationId);
    if (this.ended.delete(fold.applicationId)) return;
    this.clean.set(fold.applicationId, fold);
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

export const applicationFoldsOf = perDatabase(() => new ApplicationFolds());
