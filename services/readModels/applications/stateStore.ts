// The folded state of each application, kept as JSON parts (see schema.ts) and, for speed, in a
// bounded in-memory cache per connection (see applyApplicationEvent for when it is trusted).
import type { Database } from 'better-sqlite3';
import type { SubmittedState } from '../../../domain/application';
import { perDatabase } from '../shared/db';
import type { ApplicationFacts } from './facts';

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
}));

const isPart = (value: unknown): boolean => typeof value === 'object' && value !== null;

/** The state as stored, or undefined when the application has no state yet. */
export function readState(db: Database, seq: number): SubmittedState | undefined {
  const rows = statements(db).parts.all(seq);
  if (rows.length === 0) return undefined;
  const state: Record<string, unknown> = {};
  for (const row of rows) {
    if (row.part === SCALARS) Object.assign(state, JSON.parse(row.json) as Record<string, unknown>);
    else state[row.part] = JSON.parse(row.json);
  }
  return state as unknown as SubmittedState;
}

/**
 * Writes what changed between two states. evolveApplication keeps the parts an event does not
 * touch (same object), so a changed reference is a changed part.
 */
export function writeState(
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

export interface CachedApplication {
  seq: number;
  revision: number;
  state: SubmittedState;
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
