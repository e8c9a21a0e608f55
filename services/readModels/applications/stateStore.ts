// The folded state of each application: a snapshot kept as JSON parts, plus the events applied
// since (see schema.ts), and for speed a bounded in-memory cache per connection (see
// applyApplicationEvent for when it is trusted). Writing an event's small data is much cheaper than
// rewriting the parts it changes; a snapshot every SNAPSHOT_EVERY events keeps the tail short.
import type { Database } from 'better-sqlite3';
import { evolveApplication, type ApplicationEvent, type SubmittedState } from '../../../domain/application';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import { perDatabase } from '../shared/db';
import type { ApplicationFacts } from './facts';

/** Events kept after a snapshot before the next one. */
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
 * Writes what changed between two states. evolveApplication keeps the parts an event does not
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

/** Records `event`, which took the application from `before` (undefined: its submission) to `after`. */
export function writeState(
  db: Database,
  seq: number,
  before: StoredState | undefined,
  after: SubmittedState,
  event: RecordedEvent,
): Omit<StoredState, 'state'> {
  if (before === undefined || before.tail + 1 >= SNAPSHOT_EVERY) {
    writeParts(db, seq, before?.snapshot, after);
    if (before !== undefined && before.tail > 0) statements(db).truncate.run(seq);
    return { snapshot: after, tail: 0 };
  }
  statements(db).append.run(seq, event.revision, event.type, JSON.stringify(event.data));
  return { snapshot: before.snapshot, tail: before.tail + 1 };
}

export interface CachedApplication extends StoredState {
  seq: number;
  revision: number;
  facts: ApplicationFacts;
  /** The derived columns as last written. */
  row: (string | number | null)[];
}

/**
 * A few thousand states cover the applications active in any stretch of the history; beyond, the
 * least recently used are read back from the table (a replay stays correct, only slower).
 */
export const STATE_CACHE_SIZE = 20_000;

export class StateCache {
  private readonly entries = new Map<string, CachedApplication>();
  constructor(private readonly capacity = STATE_CACHE_SIZE) {}

  get(applicationId: string): CachedApplication | undefined {
    return this.entries.get(applicationId);
  }

  set(applicationId: string, entry: CachedApplication): void {
    // Map order is insertion order: re-inserting moves the entry to the young end.
    this.entries.delete(applicationId);
    this.entries.set(applicationId, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}

export const stateCacheOf = perDatabase(() => new StateCache());
