// The applications projection's flush handed over to the slices after it: once to each reader,
// never twice, and let go once every reader took it (in a rebuild the list holds the folded states
// of thousands of applications that nothing else keeps).
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grantsProjections } from '../../services/readModels';
import {
  type FlushedApplication,
  flushedApplicationsReaders,
  publishFlushedApplications,
  takeFlushedApplications,
} from '../../services/readModels/shared/applicationChange';

const written = [{ seq: 1 } as FlushedApplication, { seq: 2 } as FlushedApplication];

describe('flushed applications hand-over', () => {
  let db: Database.Database;
  beforeEach(() => (db = new Database(':memory:')));
  afterEach(() => db.close());

  it('gives each reader the batch once, then lets it go when every reader has it', () => {
    publishFlushedApplications(db, written);
    expect(takeFlushedApplications(db, 'reports')).toBe(written);
    expect(takeFlushedApplications(db, 'reports')).toEqual([]);
    // Still there for the other reader…
    expect(takeFlushedApplications(db, 'campaign-summary')).toBe(written);
    // …and released after it: nothing holds the list any more.
    expect(takeFlushedApplications(db, 'someone-else')).toEqual([]);
  });

  it('gives nothing before a flush, and a new batch replaces the last one', () => {
    expect(takeFlushedApplications(db, 'reports')).toEqual([]);
    publishFlushedApplications(db, written);
    const next = [{ seq: 3 } as FlushedApplication];
    publishFlushedApplications(db, next);
    expect(takeFlushedApplications(db, 'reports')).toBe(next);
  });

  it('runs every reader after the applications projection in the grants set (else it would take the flush of the batch before)', () => {
    const order = grantsProjections.map((p) => p.name);
    const readers = flushedApplicationsReaders();
    expect([...readers].sort()).toEqual(['campaign-summary', 'reports']);
    for (const reader of readers)
      expect(order.indexOf(reader)).toBeGreaterThan(order.indexOf('applications'));
  });
});
