// The SQLite adapter's own integrity check (stored text, worker threads) against the generic check
// (parsed events, re-encoded), on real files tampered with as someone with the file could: both must
// give the same report — every broken stream's first broken event, for the same reason, with the
// same counts of events checked and left unchecked — in this thread and split across worker threads,
// whose range boundaries fall inside every stream here.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, hashedText, sha256Hex } from '../../infra/eventstore/hash';
import { BROKEN_LISTED, verifyIntegrityGeneric } from '../../infra/eventstore/integrity';
import type { IntegrityReport, VerifyOptions } from '../../infra/eventstore/port';
import { openSqliteEventStore } from '../../infra/eventstore/sqlite';
import { metadata, step, testRegistry } from './fixtures/events';
import { intact } from './fixtures/integrity';

const STREAMS = 6;
const ROUNDS = 10;
const streamName = (s: number) => `application-01JSTORED${s}`;
// Escapes, non-ASCII and astral characters in the stored text.
const LABEL = 'Comité « quartier » "cité" \\ \t ligne\u2028 😀';

let dir: string;
let pristine: string;
let copies = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grants-eventstore-storedtext-'));
  pristine = join(dir, 'pristine.sqlite');
  const store = openSqliteEventStore({ file: pristine, registry: testRegistry() });
  // Streams interleaved in the global order, metadata with and without the optional fields.
  for (let round = 0; round < ROUNDS; round++) {
    for (let s = 0; s < STREAMS; s++) {
      await store.append(
        streamName(s),
        [
          {
            id: crypto.randomUUID(),
            type: 'StepRecorded',
            data: round % 3 === 0 ? { n: round, label: LABEL } : { n: round },
            metadata: metadata(
              s % 2 === 0
                ? { workflowId: streamName(s), runId: `run-${round}` }
                : { actor: { id: 'porteur-7', role: 'porteur' } },
            ),
          },
        ],
        { expectedRevision: round === 0 ? 'no_stream' : BigInt(round - 1) },
      );
    }
  }
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh copy of the untouched log, tampered with by `sql` past the append-only triggers. */
function tampered(...statements: [sql: string, ...params: unknown[]][]): string {
  const file = join(dir, `copy-${copies++}.sqlite`);
  copyFileSync(pristine, file);
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
    for (const [sql, ...params] of statements) db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
  return file;
}

interface Verdicts {
  generic: IntegrityReport;
  inThread: IntegrityReport;
  workers: IntegrityReport;
  /** What the worker-thread check reported as progress. */
  progress: number[];
}

async function verdicts(file: string, options: VerifyOptions = {}): Promise<Verdicts> {
  const generic = openSqliteEventStore({ file, registry: testRegistry() });
  const inThread = openSqliteEventStore({ file, registry: testRegistry(), integrityWorkers: 1 });
  // Three ranges of about 20 events: every stream crosses both boundaries.
  const workers = openSqliteEventStore({
    file,
    registry: testRegistry(),
    integrityWorkers: 3,
    integrityWorkersFrom: 0,
  });
  const progress: number[] = [];
  try {
    return {
      generic: await verifyIntegrityGeneric(generic, options),
      inThread: await inThread.verifyIntegrity(options),
      workers: await workers.verifyIntegrity({
        ...options,
        progressEvery: 5,
        onProgress: (n) => progress.push(n),
      }),
      progress,
    };
  } finally {
    await Promise.all([generic.close(), inThread.close(), workers.close()]);
  }
}

/** Both checks, both ways, agree; the report is returned. */
async function agreed(file: string, options: VerifyOptions = {}): Promise<IntegrityReport> {
  const v = await verdicts(file, options);
  expect(v.inThread).toEqual(v.generic);
  expect(v.workers).toEqual(v.generic);
  expect(v.progress.at(-1)).toBe(v.generic.checked + v.generic.unchecked);
  return v.generic;
}

const positionOf = (file: string, stream: string, revision: number): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare('SELECT position FROM events WHERE stream = ? AND revision = ?')
      .pluck()
      .get(stream, revision) as number;
  } finally {
    db.close();
  }
};

describe('SQLite integrity check over the stored text', () => {
  it('passes the untouched log, whole and stream by stream, with progress up to the count', async () => {
    const file = tampered();
    expect(await agreed(file)).toEqual(intact(STREAMS * ROUNDS));
    const v = await verdicts(file);
    expect(v.progress).toEqual([...v.progress].sort((a, b) => a - b));
    for (let s = 0; s < STREAMS; s++) {
      expect(await agreed(file, { stream: streamName(s) })).toEqual(intact(ROUNDS));
    }
  });

  it('names an event whose data lost or changed one byte (hash mismatch)', async () => {
    const file = tampered([
      `UPDATE events SET data = replace(data, '"n":4', '"n":5') WHERE stream = ? AND revision = 4`,
      streamName(2),
    ]);
    const report = await agreed(file);
    expect(report.firstBroken).toMatchObject({
      stream: streamName(2),
      revision: 4n,
      reason: 'hash_mismatch',
    });
    // Revisions 5 to 9 of that stream come after its break: not checked.
    expect(report).toMatchObject({ checked: STREAMS * ROUNDS - 5, unchecked: 5, brokenStreams: 1 });
    expect(await agreed(file, { stream: streamName(2) })).toMatchObject({ checked: 5, unchecked: 5 });
    expect((await agreed(file, { stream: streamName(3) })).ok).toBe(true);

    const accent = tampered([
      `UPDATE events SET data = replace(data, 'Comité', 'Comite') WHERE stream = ? AND revision = 6`,
      streamName(5),
    ]);
    expect((await agreed(accent)).firstBroken).toMatchObject({
      stream: streamName(5),
      revision: 6n,
      reason: 'hash_mismatch',
    });
  });

  it('names an event whose metadata was rewritten (actor, record time)', async () => {
    const actor = tampered([
      `UPDATE events SET metadata = json_set(metadata, '$.actor.role', 'auditor') WHERE stream = ? AND revision = 7`,
      streamName(1),
    ]);
    expect((await agreed(actor)).firstBroken).toMatchObject({
      stream: streamName(1),
      revision: 7n,
      position: BigInt(positionOf(actor, streamName(1), 7)),
      reason: 'hash_mismatch',
    });
    const recorded = tampered([
      `UPDATE events SET metadata = json_set(metadata, '$.recordedAt', '2020-01-01T00:00:00.000Z') WHERE stream = ? AND revision = 0`,
      streamName(4),
    ]);
    expect((await agreed(recorded)).firstBroken).toMatchObject({
      stream: streamName(4),
      revision: 0n,
      reason: 'hash_mismatch',
    });
  });

  it('names the event after a deleted one, at a range boundary or inside a range', async () => {
    for (const revision of [3, 6]) {
      const file = tampered([
        'DELETE FROM events WHERE stream = ? AND revision = ?',
        streamName(0),
        revision,
      ]);
      const report = await agreed(file);
      expect(report.firstBroken).toMatchObject({
        stream: streamName(0),
        revision: BigInt(revision + 1),
        reason: 'revision_gap',
      });
      expect((await agreed(file, { stream: streamName(0) })).firstBroken).toMatchObject({
        revision: BigInt(revision + 1),
        reason: 'revision_gap',
      });
    }
  });

  it('names swapped events: two of one stream exchanging places, two streams exchanging data', async () => {
    const swapped = tampered(
      ['UPDATE events SET position = -1 WHERE stream = ? AND revision = 2', streamName(3)],
      ['UPDATE events SET position = ? WHERE stream = ? AND revision = 5', 0, streamName(3)],
      [
        'UPDATE events SET position = ? WHERE position = -1',
        (() => positionOf(pristine, streamName(3), 5))(),
      ],
      ['UPDATE events SET position = ? WHERE position = 0', (() => positionOf(pristine, streamName(3), 2))()],
    );
    expect((await agreed(swapped)).firstBroken).toMatchObject({
      stream: streamName(3),
      revision: 5n,
      position: BigInt(positionOf(pristine, streamName(3), 2)),
      reason: 'revision_gap',
    });
    // Read by revision, the stream alone is in order again: its events now sit elsewhere in the log,
    // which the hashes do not cover (positions are assigned after hashing), so it holds.
    expect((await agreed(swapped, { stream: streamName(3) })).ok).toBe(true);

    const exchanged = tampered([
      `UPDATE events SET data = (SELECT data FROM events WHERE stream = ? AND revision = 1)
          WHERE stream = ? AND revision = 2`,
      streamName(4),
      streamName(1),
    ]);
    expect((await agreed(exchanged)).firstBroken).toMatchObject({
      stream: streamName(1),
      revision: 2n,
      reason: 'hash_mismatch',
    });
  });

  it('names a renumbered stream (revision gap) and a re-hashed replacement (chain broken)', async () => {
    const renumbered = tampered([
      'UPDATE events SET revision = revision + 10 WHERE stream = ? AND revision >= 6',
      streamName(4),
    ]);
    expect((await agreed(renumbered)).firstBroken).toMatchObject({
      stream: streamName(4),
      revision: 16n,
      reason: 'revision_gap',
    });

    // An event replaced by one whose own hash is right: the next one's link no longer holds.
    const file = tampered();
    const db = new Database(file);
    try {
      const [id, type, meta] = db
        .prepare('SELECT id, type, metadata FROM events WHERE stream = ? AND revision = 5')
        .raw(true)
        .get(streamName(5)) as [string, string, string];
      const { hash: _hash, previousHash, ...hashed } = JSON.parse(meta) as Record<string, unknown>;
      const data = canonicalJson({ n: 500 });
      const metadataCanonical = canonicalJson(hashed);
      const hash = sha256Hex(
        hashedText(
          { id, stream: streamName(5), revision: 5n, type, previousHash: previousHash as string },
          data,
          metadataCanonical,
        ),
      );
      db.prepare('UPDATE events SET data = ?, metadata = ? WHERE stream = ? AND revision = 5').run(
        data,
        metadataCanonical.slice(0, -1) + `,"previousHash":${JSON.stringify(previousHash)},"hash":"${hash}"}`,
        streamName(5),
      );
    } finally {
      db.close();
    }
    expect((await agreed(file)).firstBroken).toMatchObject({
      stream: streamName(5),
      revision: 6n,
      reason: 'chain_broken',
    });
  });

  it('names metadata without a hash as malformed, like the generic check', async () => {
    const file = tampered([
      `UPDATE events SET metadata = json_remove(metadata, '$.hash') WHERE stream = ? AND revision = 8`,
      streamName(0),
    ]);
    expect((await agreed(file)).firstBroken).toMatchObject({
      stream: streamName(0),
      revision: 8n,
      reason: 'malformed',
    });
  });

  it('goes on after a break: every broken stream once, at its first break, its later events unchecked', async () => {
    // Three streams, three tamperings: a record time rewritten at the very start of one (a range's
    // first row of that stream, found by its worker), data edited in place twice in another (the
    // second edit, after the first break, is not reported), an event deleted from a third (its next
    // event is the first row of its stream in the last range, found by the main thread) and a later
    // one of it edited.
    const file = tampered(
      [
        `UPDATE events SET metadata = json_set(metadata, '$.recordedAt', '2020-01-01T00:00:00.000Z') WHERE stream = ? AND revision = 0`,
        streamName(5),
      ],
      [
        `UPDATE events SET data = replace(data, '"n":4', '"n":40') WHERE stream = ? AND revision = 4`,
        streamName(2),
      ],
      [
        `UPDATE events SET data = replace(data, '"n":8', '"n":80') WHERE stream = ? AND revision = 8`,
        streamName(2),
      ],
      ['DELETE FROM events WHERE stream = ? AND revision = 6', streamName(0)],
      // In the same range as the row after the deletion: its worker finds it, knowing nothing before.
      [
        `UPDATE events SET data = replace(data, '"n":9', '"n":90') WHERE stream = ? AND revision = 9`,
        streamName(0),
      ],
    );
    const report = await agreed(file);
    expect(report.broken).toMatchObject([
      { stream: streamName(5), revision: 0n, reason: 'hash_mismatch' },
      { stream: streamName(2), revision: 4n, reason: 'hash_mismatch' },
      { stream: streamName(0), revision: 7n, reason: 'revision_gap' },
    ]);
    // After their breaks: revisions 1–9 of one, 5–9 of another, 8–9 of the third (its 6 is gone).
    const unchecked = 9 + 5 + 2;
    expect(report).toMatchObject({
      ok: false,
      brokenStreams: 3,
      unchecked,
      checked: STREAMS * ROUNDS - 1 - unchecked,
      firstBroken: report.broken[0],
    });

    // One stream at a time, the same verdicts; the streams left alone still hold.
    const one = async (s: number) => agreed(file, { stream: streamName(s) });
    expect(await one(5)).toMatchObject({ checked: 1, unchecked: 9, brokenStreams: 1 });
    expect(await one(2)).toMatchObject({ checked: 5, unchecked: 5, brokenStreams: 1 });
    expect(await one(0)).toMatchObject({ checked: 7, unchecked: 2, brokenStreams: 1 });
    for (const s of [0, 2, 5]) {
      const single = await one(s);
      expect(single.broken).toEqual([report.broken.find((b) => b.stream === streamName(s))]);
      expect(single.firstBroken).toEqual(single.broken[0]);
    }
    for (const s of [1, 3, 4]) expect(await one(s)).toEqual(intact(ROUNDS));
  });

  it('lists the first 1000 broken streams in log order and counts them all', async () => {
    const many = join(dir, 'many.sqlite');
    const streams = BROKEN_LISTED + 3;
    const name = (s: number) => `application-01JMANY${String(s).padStart(5, '0')}`;
    const store = openSqliteEventStore({ file: many, registry: testRegistry(), synchronous: 'OFF' });
    try {
      // Round by round, so each stream's second event sits in a later worker's range than its first.
      for (let round = 0; round < 2; round++) {
        for (let s = 0; s < streams; s++) {
          await store.append(name(s), [step(round)], { expectedRevision: round === 0 ? 'no_stream' : 0n });
        }
      }
    } finally {
      await store.close();
    }
    const db = new Database(many);
    try {
      db.exec('DROP TRIGGER events_no_update');
      db.prepare(`UPDATE events SET data = '{"n":9}' WHERE revision = 0`).run();
    } finally {
      db.close();
    }
    const report = await agreed(many);
    expect(report).toMatchObject({ ok: false, brokenStreams: streams, checked: streams, unchecked: streams });
    expect(report.broken).toHaveLength(BROKEN_LISTED);
    expect(report.broken.map((b) => b.stream)).toEqual(
      Array.from({ length: BROKEN_LISTED }, (_, s) => name(s)),
    );
    expect(report.broken.every((b) => b.revision === 0n && b.reason === 'hash_mismatch')).toBe(true);
  });

  it('is stricter than the generic check: stored text that is not the text hashed', async () => {
    // Same values, other bytes: the generic check re-encodes and passes; the stored text does not hold.
    const file = tampered([
      `UPDATE events SET data = json_pretty(data) WHERE stream = ? AND revision = 3`,
      streamName(2),
    ]);
    const v = await verdicts(file);
    expect(v.generic).toEqual(intact(STREAMS * ROUNDS));
    for (const report of [v.inThread, v.workers]) {
      expect(report).toMatchObject({
        ok: false,
        checked: STREAMS * ROUNDS - 6,
        unchecked: 6,
        firstBroken: { stream: streamName(2), revision: 3n, reason: 'hash_mismatch' },
      });
      expect(report.firstBroken?.detail).toContain('le texte enregistré n’est pas celui qui a été haché');
    }

    // Metadata that is not JSON at all: the generic check throws on it; this one names it.
    const garbled = tampered([
      `UPDATE events SET metadata = '{"actor":' WHERE stream = ? AND revision = 1`,
      streamName(1),
    ]);
    const store = openSqliteEventStore({ file: garbled, registry: testRegistry() });
    try {
      await expect(verifyIntegrityGeneric(store)).rejects.toThrow();
      expect((await store.verifyIntegrity({})).firstBroken).toMatchObject({
        stream: streamName(1),
        revision: 1n,
        reason: 'malformed',
      });
    } finally {
      await store.close();
    }
  });
});
