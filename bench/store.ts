// Event store benchmark (SQLite adapter), each figure measured side by side with a raw
// better-sqlite3 baseline in the same run, on the same disk, with the same pragmas:
//  - appends of 1 and 10 events per call at the default durability (synchronous=FULL), against raw
//    inserts of the same rows with the same transaction pattern (BEGIN IMMEDIATE … COMMIT per call);
//  - readAll over N events with validation, against a raw row scan parsing the same JSON columns;
//  - subscription catch-up over the same N events.
// Sizes: BENCH_STORE_APPENDS (default 2000 calls), BENCH_STORE_EVENTS (default 1,000,000 events),
// BENCH_STORE_ROUNDS (default 3).
// Baseline and adapter alternate in rounds so that disk or CPU noise hits both alike.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { createEventRegistry, defineEvent } from '../infra/eventstore/registry';
import { openSqliteEventStore, SQLITE_SCHEMA } from '../infra/eventstore/sqlite';
import type { EventStore, NewEvent } from '../infra/eventstore/port';
import { envInt, median, note, seconds, throughput, timed, withTempDir, type BenchLine } from './lib';

const AmountRequested = defineEvent({
  type: 'AmountRequested',
  version: 1,
  schema: z.object({
    applicationId: z.string().min(1),
    funder: z.enum(['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI']),
    year: z.number().int().min(2000).max(2100),
    amountCents: z.number().int().nonnegative(),
    comment: z.string().max(500).optional(),
  }),
});
const registry = createEventRegistry([AmountRequested]);
const funders = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI'] as const;

function event(i: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'AmountRequested',
    data: {
      applicationId: `01J${String(i % 100_000).padStart(8, '0')}`,
      funder: funders[i % funders.length],
      year: 2024 + (i % 4),
      amountCents: 1_000_00 + (i % 997) * 100,
      comment: 'Action de médiation sociale dans le quartier',
    },
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actor: { id: 'u-1234', role: 'grant_manager', institution: 'EPCI' },
      occurredAt: '2026-03-02T10:00:00.000+01:00',
      workflowId: `application-01J${String(i % 100_000).padStart(8, '0')}`,
      runId: '3f1c2b9e-0d4e-4d8a-9a57-1f1f2f3f4f5f',
    },
  };
}

/** A row as the adapter would store it, for the raw baseline (same sizes, same indexes hit). */
function rawRow(e: NewEvent, position: number, stream: string, revision: number): unknown[] {
  const metadata = {
    ...e.metadata,
    recordedAt: new Date().toISOString(),
    schemaVersion: 1,
    previousHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
  };
  return [position, stream, revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(metadata)];
}

function openRaw(file: string, synchronous: string): Database.Database {
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(SQLITE_SCHEMA);
  return db;
}

async function* appends(perCall: 1 | 10, calls: number, rounds: number): AsyncGenerator<BenchLine> {
  const lines = await withTempDir('bench-store-append-', async (dir) => {
    const store = openSqliteEventStore({ file: join(dir, 'store.sqlite'), registry });
    const raw = openRaw(join(dir, 'raw.sqlite'), 'FULL');
    const insert = raw.prepare(
      'INSERT INTO events (position, stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const rawTx = raw.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(...row);
    });
    const streams = 50;
    const batches = Array.from({ length: calls }, (_, c) =>
      Array.from({ length: perCall }, (_, k) => event(c * perCall + k)),
    );
    const rawBatches = batches.map((batch, c) =>
      batch.map((e, k) =>
        rawRow(e, c * perCall + k + 1, `application-${c % streams}`, Math.floor(c / streams) * perCall + k),
      ),
    );
    const revisions = new Map<string, bigint>();
    const store_ = { wall: 0, cpu: 0 };
    const raw_ = { wall: 0, cpu: 0 };
    const add = (into: { wall: number; cpu: number }, t: { wall: number; cpu: number }) => {
      into.wall += t.wall;
      into.cpu += t.cpu;
    };
    // Small alternating chunks, so that the other tenants' load hits both sides alike.
    const chunk = Math.max(1, Math.min(50, Math.ceil(calls / (rounds * 4))));
    for (let from = 0, turn = 0; from < calls; from += chunk, turn++) {
      const to = Math.min(calls, from + chunk);
      const runStore = () =>
        timed(async () => {
          for (let c = from; c < to; c++) {
            const stream = `application-${c % streams}`;
            const result = await store.append(stream, batches[c]!, {
              expectedRevision: revisions.get(stream) ?? 'no_stream',
            });
            revisions.set(stream, result.nextExpectedRevision);
          }
        });
      const runRaw = () =>
        timed(() => {
          for (let c = from; c < to; c++) rawTx.immediate(rawBatches[c]!);
        });
      if (turn % 2 === 0) {
        add(store_, await runStore());
        add(raw_, await runRaw());
      } else {
        add(raw_, await runRaw());
        add(store_, await runStore());
      }
    }
    await store.close();
    raw.close();
    const events = calls * perCall;
    const baselineName = 'raw better-sqlite3 insert, same rows and transactions';
    note(
      `${perCall} par appel : magasin ${((store_.wall / calls) * 1e6).toFixed(0)} µs/appel ` +
        `(CPU ${((store_.cpu / calls) * 1e6).toFixed(0)} µs), brut ${((raw_.wall / calls) * 1e6).toFixed(0)} µs/appel ` +
        `(CPU ${((raw_.cpu / calls) * 1e6).toFixed(0)} µs)`,
    );
    return [
      throughput(`store.append.${perCall}PerCall.full`, 'events/s', events / store_.wall, {
        name: baselineName,
        value: events / raw_.wall,
      }),
      throughput(`store.append.${perCall}PerCall.full.cpu`, 'events/CPU-s', events / store_.cpu, {
        name: baselineName,
        value: events / raw_.cpu,
      }),
    ];
  });
  yield* lines;
}

async function populate(file: string, events: number): Promise<void> {
  // Set-up only: synchronous=OFF to fill the file fast; the reads below reopen it at FULL.
  const store = openSqliteEventStore({ file, registry, synchronous: 'OFF' });
  const perStream = 100;
  let i = 0;
  for (let s = 0; i < events; s++) {
    const batch = Array.from({ length: Math.min(perStream, events - i) }, () => event(i++));
    await store.append(`application-${s}`, batch, { expectedRevision: 'no_stream' });
  }
  await store.close();
}

type RawRow = [bigint, string, bigint, string, string, string, string];

/**
 * The raw baseline: every row, both JSON columns parsed, nothing else. Two ways — one iterate() over
 * the table, or keyset pages of 1000 rows — and the faster is the baseline, so the adapter is held
 * to the best a hand-written reader does on this machine.
 */
function rawScan(file: string, how: 'iterate' | 'pages'): number {
  const db = new Database(file, { readonly: true });
  // The same row shape as the adapter's reads: arrays, and bigint for position/revision (the port's rule).
  const columns = 'SELECT position, stream, revision, id, type, data, metadata FROM events';
  let count = 0;
  let checksum = 0;
  const visit = (row: RawRow) => {
    const data = JSON.parse(row[5]) as { amountCents: number };
    const metadata = JSON.parse(row[6]) as { schemaVersion: number };
    checksum += data.amountCents + metadata.schemaVersion;
    count++;
  };
  if (how === 'iterate') {
    const stmt = db.prepare(`${columns} ORDER BY position`).raw(true).safeIntegers(true);
    for (const row of stmt.iterate() as IterableIterator<RawRow>) visit(row);
  } else {
    const stmt = db
      .prepare(`${columns} WHERE position > ? ORDER BY position LIMIT 1000`)
      .raw(true)
      .safeIntegers(true);
    let after = 0n;
    for (;;) {
      const rows = stmt.all(after) as RawRow[];
      for (const row of rows) visit(row);
      if (rows.length < 1000) break;
      after = rows[rows.length - 1]![0];
    }
  }
  db.close();
  if (checksum === 0) throw new Error('unreachable');
  return count;
}

async function storeScan(store: EventStore): Promise<number> {
  let count = 0;
  for await (const e of store.readAll()) {
    if ((e.data as { amountCents: number }).amountCents >= 0) count++;
  }
  return count;
}

async function catchUp(store: EventStore): Promise<number> {
  let count = 0;
  const subscription = store.subscribeToAll();
  for await (const item of subscription) {
    if (item.kind === 'caughtUp') break;
    count++;
  }
  await subscription.close();
  return count;
}

async function* reads(events: number, rounds: number): AsyncGenerator<BenchLine> {
  const lines = await withTempDir('bench-store-read-', async (dir) => {
    const file = join(dir, 'read.sqlite');
    note(`remplissage de ${events} événements…`);
    const fill = await seconds(() => populate(file, events));
    note(`rempli en ${fill.toFixed(1)} s`);
    const store = openSqliteEventStore({ file, registry });
    const wall = { raw: [] as number[], read: [] as number[], subscribe: [] as number[] };
    const cpu = { raw: [] as number[], read: [] as number[], subscribe: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      let n = 0;
      const rawIterate = await timed(() => {
        n = rawScan(file, 'iterate');
      });
      const rawPages = await timed(() => {
        if (rawScan(file, 'pages') !== n) throw new Error('the two raw scans disagree');
      });
      const read = await timed(async () => {
        if ((await storeScan(store)) !== n) throw new Error('readAll count differs from the raw scan');
      });
      const subscribe = await timed(async () => {
        if ((await catchUp(store)) !== n) throw new Error('catch-up count differs from the raw scan');
      });
      const show = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(2)} s (CPU ${t.cpu.toFixed(2)} s)`;
      note(
        `tour ${round + 1} : brut iterate ${show(rawIterate)} / pages ${show(rawPages)}, ` +
          `readAll ${show(read)}, abonnement ${show(subscribe)}`,
      );
      wall.raw.push(n / Math.min(rawIterate.wall, rawPages.wall));
      wall.read.push(n / read.wall);
      wall.subscribe.push(n / subscribe.wall);
      cpu.raw.push(n / Math.min(rawIterate.cpu, rawPages.cpu));
      cpu.read.push(n / read.cpu);
      cpu.subscribe.push(n / subscribe.cpu);
    }
    await store.close();
    // Medians of the rounds: on a shared machine one disturbed round must not make the figure.
    const baselineName = 'raw better-sqlite3 row scan + JSON.parse (faster of iterate/pages)';
    return [
      throughput('store.readAll.validated', 'events/s', median(wall.read), {
        name: baselineName,
        value: median(wall.raw),
      }),
      throughput('store.readAll.validated.cpu', 'events/CPU-s', median(cpu.read), {
        name: baselineName,
        value: median(cpu.raw),
      }),
      throughput('store.subscribe.catchUp', 'events/s', median(wall.subscribe), {
        name: baselineName,
        value: median(wall.raw),
      }),
      throughput('store.subscribe.catchUp.cpu', 'events/CPU-s', median(cpu.subscribe), {
        name: baselineName,
        value: median(cpu.raw),
      }),
    ];
  });
  yield* lines;
}

export async function* run(): AsyncGenerator<BenchLine> {
  const calls = envInt('BENCH_STORE_APPENDS', 2000);
  const events = envInt('BENCH_STORE_EVENTS', 1_000_000);
  const rounds = envInt('BENCH_STORE_ROUNDS', 3);
  yield* appends(1, calls, rounds);
  yield* appends(10, calls, rounds);
  yield* reads(events, rounds);
}
