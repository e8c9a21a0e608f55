// A rebuild's shadow file: built without its secondary indexes (kept aside, built once at the swap),
// with its primary keys and UNIQUE constraints, which the projections read through.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFERRED_INDEXES_TABLE, shadowObjects } from '../../infra/projections/database';
import type { Projection } from '../../infra/projections/projection';
import { SHADOW_PAGE_SIZE, createShadowDatabase } from '../../infra/projections/shadow';
import { tempDir } from './support';

const withIndexes: Projection = {
  name: 'indexed',
  version: 1,
  schema: [
    'CREATE TABLE indexed (id INTEGER PRIMARY KEY, code TEXT NOT NULL, kind TEXT NOT NULL, amount INTEGER NOT NULL) STRICT',
    'CREATE UNIQUE INDEX indexed_by_code ON indexed (code)',
    'CREATE INDEX indexed_by_kind ON indexed (kind, id)',
    'CREATE INDEX indexed_large ON indexed (amount) WHERE amount > 1000',
    'CREATE TABLE pairs (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID',
  ],
  apply() {},
};

describe('createShadowDatabase', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('leaves secondary indexes out and keeps their DDL for the swap; keys and UNIQUE stay', () => {
    const db = createShadowDatabase(join(dir, 'shadow.sqlite'), 'read-models', [withIndexes]);
    try {
      const indexes = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
        .pluck()
        .all();
      expect(indexes).toContain('indexed_by_code');
      expect(indexes).not.toContain('indexed_by_kind');
      expect(indexes).not.toContain('indexed_large');
      // The UNIQUE constraint still refuses a duplicate during the replay.
      db.prepare("INSERT INTO indexed (code, kind, amount) VALUES ('A', 'x', 1)").run();
      expect(() => db.prepare("INSERT INTO indexed (code, kind, amount) VALUES ('A', 'y', 2)").run()).toThrow(
        /UNIQUE/,
      );
      expect(db.prepare(`SELECT name, sql FROM ${DEFERRED_INDEXES_TABLE} ORDER BY name`).all()).toEqual([
        { name: 'indexed_by_kind', sql: 'CREATE INDEX indexed_by_kind ON indexed (kind, id)' },
        { name: 'indexed_large', sql: 'CREATE INDEX indexed_large ON indexed (amount) WHERE amount > 1000' },
      ]);
      // What the swap creates in the live file: every object of the schema, deferred indexes included.
      const objects = shadowObjects(db, 'main').map((o) => `${o.type} ${o.name}`);
      expect(objects.sort()).toEqual(
        [
          'table indexed',
          'index indexed_by_code',
          'index indexed_by_kind',
          'index indexed_large',
          'table pairs',
        ].sort(),
      );
    } finally {
      db.close();
    }
  });

  it('lays the shadow out in large pages (fewer pages to write and to read back at the swap)', () => {
    const db = createShadowDatabase(join(dir, 'shadow.sqlite'), 'read-models', [withIndexes]);
    try {
      expect(db.pragma('page_size', { simple: true })).toBe(SHADOW_PAGE_SIZE);
      // Rows written after the schema are in the same file, with the same layout.
      db.prepare("INSERT INTO indexed (code, kind, amount) VALUES ('A', 'x', 1)").run();
      expect(db.prepare('SELECT count(*) FROM indexed').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });
});
