// The one contract every event store backend must pass. Each test works under its own stream
// prefix, so the same suite runs against a fresh SQLite file or a shared EventStoreDB server.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventStoreClosedError,
  EventValidationError,
  UnknownEventTypeError,
  WrongExpectedVersionError,
} from '../../infra/eventstore/errors';
import type { EventStoreConfig } from '../../infra/eventstore/index';
import { computeEventHash } from '../../infra/eventstore/hash';
import { verifyIntegrity, verifyIntegrityGeneric } from '../../infra/eventstore/integrity';
import type {
  EventMetadata,
  EventStore,
  NewEvent,
  RecordedEvent,
  Subscription,
  SubscriptionItem,
} from '../../infra/eventstore/port';
import { createEventRegistry, type EventRegistry } from '../../infra/eventstore/registry';
import { FundingRequested, FundingRequestedV1, StepRecorded, metadata, step, steps } from './fixtures/events';
import type { ChildLine } from './fixtures/child';
import { spawnChild } from './fixtures/spawn';

export interface ContractHarness {
  /** A new store, with its own connection, on the storage under test. */
  open(options?: { registry?: EventRegistry; pageSize?: number }): Promise<EventStore>;
  /** The same storage, as a configuration a child process opens with createEventStore. */
  childConfig: EventStoreConfig;
  /** Racing appenders each open their own connection (SQLite) or share one per process (a server). */
  connectionPerAppender: boolean;
  /** Backend-specific check of the storage itself after a crash (e.g. PRAGMA integrity_check). */
  checkStorage?(): Promise<void>;
  /**
   * Writes events exactly as given — their metadata sealed by the caller, hash fields included — at
   * the stream's next revisions, past the adapter's own sealing, as someone with write access to the
   * storage could. (An EventStoreDB event never changes once written: writing forged ones is what
   * tampering can do there.)
   */
  writeForged(stream: string, events: ForgedEvent[]): Promise<void>;
  dispose(): Promise<void>;
}

/** An event with its stored metadata, hash and previous hash as someone chose to write them. */
export interface ForgedEvent {
  id: string;
  type: string;
  data: { n: number };
  metadata: EventMetadata;
}

/** StepRecorded events of `stream` sealed into a chain as the store seals them (revisions from 0). */
function sealedChain(stream: string, count: number): ForgedEvent[] {
  let previousHash: string | null = null;
  return Array.from({ length: count }, (_, n) => {
    const id = randomUUID();
    const data = { n };
    const hashed = { ...metadata(), recordedAt: '2026-03-02T09:00:00.000Z', schemaVersion: 1 };
    const hash = computeEventHash({
      id,
      stream,
      revision: BigInt(n),
      type: 'StepRecorded',
      data,
      metadata: hashed,
      previousHash,
    });
    const event: ForgedEvent = {
      id,
      type: 'StepRecorded',
      data,
      metadata: { ...hashed, previousHash, hash },
    };
    previousHash = hash;
    return event;
  });
}

const unique = (label: string): string => `${label}${randomUUID().slice(0, 8)}-`;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function rejection<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}, but the call succeeded`);
}

/** Iterates a subscription until `stop` says so; closes it after `timeoutMs` so a hang fails, not freezes. */
async function consume(
  subscription: Subscription,
  stop: (items: SubscriptionItem[]) => boolean,
  onItem?: (item: SubscriptionItem, items: SubscriptionItem[]) => Promise<void>,
  timeoutMs = 30_000,
): Promise<SubscriptionItem[]> {
  const items: SubscriptionItem[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for await (const item of subscription) {
      items.push(item);
      await onItem?.(item, items);
      if (stop(items)) break;
    }
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  return items;
}

const eventsOf = (items: SubscriptionItem[]): RecordedEvent[] =>
  items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));

function expectIncreasing(positions: bigint[]): void {
  for (let i = 1; i < positions.length; i++) {
    if (!(positions[i]! > positions[i - 1]!)) {
      throw new Error(`positions not strictly increasing at ${i}: ${positions[i - 1]} then ${positions[i]}`);
    }
  }
}

export function eventStoreContract(
  name: string,
  setup: () => Promise<ContractHarness>,
  skipReason?: string,
): void {
  describe.skipIf(skipReason !== undefined)(`event store contract — ${name}`, () => {
    let harness: ContractHarness;
    let store: EventStore;

    beforeAll(async () => {
      harness = await setup();
      store = await harness.open();
    });
    afterAll(async () => {
      await store?.close();
      await harness?.dispose();
    });

    describe('append and read', () => {
      it('writes events in order with revisions, positions and sealed metadata', async () => {
        const stream = unique('order') + 'a';
        const first = await store.append(stream, steps(0, 3), { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(2n);
        const second = await store.append(stream, steps(3, 2), { expectedRevision: 2n });
        expect(second.nextExpectedRevision).toBe(4n);
        expect(second.position > first.position).toBe(true);
        expect(typeof second.position).toBe('bigint');

        const events = await store.readStream(stream);
        expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(events.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
        expectIncreasing(events.map((e) => e.position));
        expect(events[2]!.position).toBe(first.position);
        expect(events[4]!.position).toBe(second.position);
        const [e0, e1] = events;
        expect(e0!.metadata).toMatchObject({
          correlationId: 'corr-1',
          causationId: 'cause-1',
          actor: { id: 'user-42', role: 'grant_manager', institution: 'EPCI' },
          occurredAt: '2026-03-02T10:00:00.000+01:00',
          schemaVersion: 1,
          previousHash: null,
        });
        expect(e0!.metadata.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(e0!.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(e1!.metadata.previousHash).toBe(e0!.metadata.hash);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(second.position);
      });

      it('keeps workflow ids, and positions grow across streams', async () => {
        const prefix = unique('cross');
        const a = await store.append(
          `${prefix}a`,
          [{ ...step(1), metadata: metadata({ workflowId: 'wf-1', runId: 'run-1' }) }],
          {
            expectedRevision: 'any',
          },
        );
        const b = await store.append(`${prefix}b`, [step(2)], { expectedRevision: 'any' });
        expect(b.position > a.position).toBe(true);
        const [event] = await store.readStream(`${prefix}a`);
        expect(event!.metadata.workflowId).toBe('wf-1');
        expect(event!.metadata.runId).toBe('run-1');
        const [other] = await store.readStream(`${prefix}b`);
        expect(other!.metadata.workflowId).toBeUndefined();
      });

      it('reads a stream forwards, backwards, from a revision, with a maximum count', async () => {
        const stream = unique('read') + 's';
        await store.append(stream, steps(0, 6), { expectedRevision: 'no_stream' });
        const n = (events: RecordedEvent[]) => events.map((e) => Number(e.revision));
        expect(n(await store.readStream(stream, { from: 2n, maxCount: 3 }))).toEqual([2, 3, 4]);
        expect(n(await store.readStream(stream, { direction: 'backwards' }))).toEqual([5, 4, 3, 2, 1, 0]);
        expect(n(await store.readStream(stream, { direction: 'backwards', maxCount: 2 }))).toEqual([5, 4]);
        expect(n(await store.readStream(stream, { direction: 'backwards', from: 1n }))).toEqual([1, 0]);
        expect(n(await store.readStream(stream, { from: 'end' }))).toEqual([]);
        expect(await store.readStream(unique('missing') + 's')).toEqual([]);
      });

      it('holds a 10,000-event stream', async () => {
        const stream = unique('long') + 's';
        let expected: bigint | 'no_stream' = 'no_stream';
        for (let batch = 0; batch < 100; batch++) {
          const result = await store.append(stream, steps(batch * 100, 100), { expectedRevision: expected });
          expected = result.nextExpectedRevision;
        }
        expect(expected).toBe(9999n);
        const events = await store.readStream(stream);
        expect(events).toHaveLength(10_000);
        events.forEach((e, i) => {
          if (e.revision !== BigInt(i) || (e.data as { n: number }).n !== i)
            throw new Error(`event ${i} out of place`);
        });
        expectIncreasing(events.map((e) => e.position));
        const tail = await store.readStream(stream, { direction: 'backwards', maxCount: 3 });
        expect(tail.map((e) => e.revision)).toEqual([9999n, 9998n, 9997n]);
        const middle = await store.readStream(stream, { from: 5000n, maxCount: 2 });
        expect(middle.map((e) => e.revision)).toEqual([5000n, 5001n]);
        const report = await verifyIntegrity(store, { stream });
        expect(report).toEqual({ ok: true, checked: 10_000, unchecked: 0, broken: [], brokenStreams: 0 });
      }, 60_000);
    });

    describe('expected revision', () => {
      it('honours any, no_stream, stream_exists and an exact revision, with a typed error', async () => {
        const stream = unique('expect') + 's';
        const missing = await rejection(
          store.append(stream, steps(0, 1), { expectedRevision: 'stream_exists' }),
          WrongExpectedVersionError,
        );
        expect(missing).toMatchObject({
          stream,
          expected: 'stream_exists',
          actual: 'no_stream',
          code: 'wrong_expected_version',
        });
        const exactOnMissing = await rejection(
          store.append(stream, steps(0, 1), { expectedRevision: 0n }),
          WrongExpectedVersionError,
        );
        expect(exactOnMissing).toMatchObject({ stream, expected: 0n, actual: 'no_stream' });

        await store.append(stream, steps(0, 2), { expectedRevision: 'no_stream' });
        const again = await rejection(
          store.append(stream, steps(2, 1), { expectedRevision: 'no_stream' }),
          WrongExpectedVersionError,
        );
        expect(again).toMatchObject({ stream, expected: 'no_stream', actual: 1n });
        const stale = await rejection(
          store.append(stream, steps(2, 1), { expectedRevision: 0n }),
          WrongExpectedVersionError,
        );
        expect(stale).toMatchObject({ stream, expected: 0n, actual: 1n });
        expect(stale.message).toContain(stream);

        expect(
          (await store.append(stream, steps(2, 1), { expectedRevision: 'stream_exists' }))
            .nextExpectedRevision,
        ).toBe(2n);
        expect(
          (await store.append(stream, steps(3, 1), { expectedRevision: 'any' })).nextExpectedRevision,
        ).toBe(3n);
        expect((await store.append(stream, steps(4, 1), { expectedRevision: 3n })).nextExpectedRevision).toBe(
          4n,
        );
        const fresh = unique('expect') + 'any';
        expect(
          (await store.append(fresh, steps(0, 1), { expectedRevision: 'any' })).nextExpectedRevision,
        ).toBe(0n);
        expect(await store.readStream(stream)).toHaveLength(5);
      });
    });

    describe('idempotent appends', () => {
      it('returns the original result for a retried append and writes nothing', async () => {
        const stream = unique('idem') + 's';
        const first = steps(0, 3);
        const original = await store.append(stream, first, { expectedRevision: 'no_stream' });
        expect(await store.append(stream, first, { expectedRevision: 'no_stream' })).toEqual(original);
        expect(await store.append(stream, first, { expectedRevision: 'any' })).toEqual(original);

        const second = steps(3, 2);
        const next = await store.append(stream, second, { expectedRevision: 2n });
        expect(await store.append(stream, second, { expectedRevision: 2n })).toEqual(next);
        expect(await store.append(stream, second, { expectedRevision: 'stream_exists' })).toEqual(next);
        expect(await store.append(stream, second, { expectedRevision: 'any' })).toEqual(next);
        expect(await store.readStream(stream)).toHaveLength(5);
      });

      it('rejects a partly committed or misplaced retry with the concurrency error', async () => {
        const stream = unique('partial') + 's';
        const first = steps(0, 2);
        await store.append(stream, first, { expectedRevision: 'no_stream' });
        const partial = await rejection(
          store.append(stream, [first[1]!, step(9)], { expectedRevision: 0n }),
          WrongExpectedVersionError,
        );
        expect(partial).toMatchObject({ stream, actual: 1n });
        await rejection(
          store.append(stream, [step(9), first[0]!], { expectedRevision: 'any' }),
          WrongExpectedVersionError,
        );
        await rejection(
          store.append(stream, [first[1]!, first[0]!], { expectedRevision: 'any' }),
          WrongExpectedVersionError,
        );
        // All ids committed, but not where the expectation points.
        await rejection(
          store.append(stream, [first[1]!], { expectedRevision: 1n }),
          WrongExpectedVersionError,
        );
        const events = await store.readStream(stream);
        expect(events.map((e) => e.id)).toEqual(first.map((e) => e.id));
      });
    });

    describe('typed events', () => {
      it('refuses bad data naming the field, and writes nothing of the batch', async () => {
        const stream = unique('invalid') + 's';
        const bad: NewEvent = { ...step(0), data: { n: -1 } };
        const error = await rejection(
          store.append(stream, [step(1), bad], { expectedRevision: 'any' }),
          EventValidationError,
        );
        expect(error).toMatchObject({
          path: 'data.n',
          stage: 'append',
          eventType: 'StepRecorded',
          eventId: bad.id,
        });
        expect(error.message).toContain('data.n');

        const noRole = { ...step(2), metadata: { ...metadata(), actor: { id: 'u', role: '' } } };
        expect(
          await rejection(store.append(stream, [noRole], { expectedRevision: 'any' }), EventValidationError),
        ).toMatchObject({
          path: 'metadata.actor.role',
        });
        const badId = { ...step(3), id: 'not-a-uuid' };
        expect(
          await rejection(store.append(stream, [badId], { expectedRevision: 'any' }), EventValidationError),
        ).toMatchObject({
          path: 'id',
        });
        const unknown = { ...step(4), type: 'NeverDefined' };
        await rejection(store.append(stream, [unknown], { expectedRevision: 'any' }), UnknownEventTypeError);
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('upcasts an event stored under an older schema version on read', async () => {
        const stream = unique('upcast') + 's';
        const oldCode = await harness.open({
          registry: createEventRegistry([StepRecorded, FundingRequestedV1]),
        });
        await oldCode.append(
          stream,
          [
            {
              id: randomUUID(),
              type: 'FundingRequested',
              data: { funder: 'CAF', year: 2025, amount: '1234.5' },
              metadata: metadata(),
            },
            {
              id: randomUUID(),
              type: 'FundingRequested',
              data: { funder: 'ETAT', year: 2026, amount: '80' },
              metadata: metadata(),
            },
          ],
          { expectedRevision: 'no_stream' },
        );
        await oldCode.close();

        const newCode = await harness.open({
          registry: createEventRegistry([StepRecorded, FundingRequested]),
        });
        try {
          const events = await newCode.readStream(stream);
          expect(events.map((e) => e.data)).toEqual([
            { funder: 'CAF', year: 2025, amountCents: 123_450 },
            { funder: 'ETAT', year: 2026, amountCents: 8_000 },
          ]);
          expect(events[0]!.metadata.schemaVersion).toBe(1);
          const raw = await newCode.readStream(stream, { raw: true });
          expect(raw[0]!.data).toEqual({ funder: 'CAF', year: 2025, amount: '1234.5' });
          // The hash covers the stored form, so upcasting never breaks the chain.
          expect((await verifyIntegrity(newCode, { stream })).ok).toBe(true);
          const appended = await newCode.append(
            stream,
            [
              {
                id: randomUUID(),
                type: 'FundingRequested',
                data: { funder: 'CAF', year: 2027, amountCents: 5 },
                metadata: metadata(),
              },
            ],
            { expectedRevision: 1n },
          );
          const [latest] = await newCode.readStream(stream, { from: appended.nextExpectedRevision });
          expect(latest!.metadata.schemaVersion).toBe(2);
          const oldShape = {
            id: randomUUID(),
            type: 'FundingRequested',
            data: { funder: 'CAF', year: 2027, amount: '1' },
            metadata: metadata(),
          };
          expect(
            await rejection(
              newCode.append(stream, [oldShape], { expectedRevision: 'any' }),
              EventValidationError,
            ),
          ).toMatchObject({
            path: 'data.amountCents',
          });
        } finally {
          await newCode.close();
        }
      });
    });

    describe('readAll', () => {
      it('reads the global order, filtered by stream prefix and event types, after a position, both ways', async () => {
        const prefix = unique('all');
        const funding = (year: number): NewEvent => ({
          id: randomUUID(),
          type: 'FundingRequested',
          data: { funder: 'REGION', year, amountCents: 100 },
          metadata: metadata(),
        });
        await store.append(`${prefix}a-1`, [step(0), funding(2025)], { expectedRevision: 'any' });
        await store.append(`${prefix}b-1`, [step(1)], { expectedRevision: 'any' });
        await store.append(`${prefix}a-2`, [funding(2026), step(2)], { expectedRevision: 'any' });
        const label = (e: RecordedEvent) =>
          `${e.stream.slice(prefix.length)}:${e.type === 'StepRecorded' ? 'step' : 'funding'}`;

        const all = await collect(store.readAll({ filter: { streamPrefixes: [prefix] } }));
        expect(all.map(label)).toEqual(['a-1:step', 'a-1:funding', 'b-1:step', 'a-2:funding', 'a-2:step']);
        expectIncreasing(all.map((e) => e.position));

        const onlyA = await collect(store.readAll({ filter: { streamPrefixes: [`${prefix}a-`] } }));
        expect(onlyA.map(label)).toEqual(['a-1:step', 'a-1:funding', 'a-2:funding', 'a-2:step']);
        const typed = await collect(
          store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ['FundingRequested'] } }),
        );
        expect(typed.map(label)).toEqual(['a-1:funding', 'a-2:funding']);
        const twoPrefixes = await collect(
          store.readAll({ filter: { streamPrefixes: [`${prefix}b-`, `${prefix}a-2`] } }),
        );
        expect(twoPrefixes.map(label)).toEqual(['b-1:step', 'a-2:funding', 'a-2:step']);

        const after = await collect(
          store.readAll({ after: all[1]!.position, filter: { streamPrefixes: [prefix] } }),
        );
        expect(after.map(label)).toEqual(['b-1:step', 'a-2:funding', 'a-2:step']);
        const limited = await collect(
          store.readAll({ after: all[0]!.position, maxCount: 2, filter: { streamPrefixes: [prefix] } }),
        );
        expect(limited.map(label)).toEqual(['a-1:funding', 'b-1:step']);
        const backwards = await collect(
          store.readAll({ direction: 'backwards', maxCount: 3, filter: { streamPrefixes: [prefix] } }),
        );
        expect(backwards.map(label)).toEqual(['a-2:step', 'a-2:funding', 'b-1:step']);
        const before = await collect(
          store.readAll({
            direction: 'backwards',
            before: all[4]!.position,
            maxCount: 2,
            filter: { streamPrefixes: [prefix] },
          }),
        );
        expect(before.map(label)).toEqual(['a-2:funding', 'b-1:step']);
        const rawRead = await collect(
          store.readAll({ raw: true, filter: { streamPrefixes: [`${prefix}b-`] } }),
        );
        expect(rawRead.map((e) => e.data)).toEqual([{ n: 1 }]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up from a checkpoint, signals it, goes live, and closes cleanly', async () => {
        const prefix = unique('sub');
        const positions: bigint[] = [];
        for (let i = 0; i < 5; i++) {
          positions.push((await store.append(`${prefix}s`, [step(i)], { expectedRevision: 'any' })).position);
        }
        await store.append(unique('noise') + 's', [step(99)], { expectedRevision: 'any' });
        const subscription = store.subscribeToAll({
          after: positions[1]!,
          filter: { streamPrefixes: [prefix] },
        });
        let liveAppended = false;
        const items = await consume(
          subscription,
          (all) => eventsOf(all).length === 5,
          async (item) => {
            if (item.kind === 'caughtUp' && !liveAppended) {
              liveAppended = true;
              await store.append(`${prefix}s`, steps(5, 2), { expectedRevision: 4n });
            }
          },
        );
        const kinds = items.map((i) =>
          i.kind === 'event' ? Number((i.event.data as { n: number }).n) : 'caughtUp',
        );
        expect(kinds).toEqual([2, 3, 4, 'caughtUp', 5, 6]);
        const caughtUp = items[3] as Extract<SubscriptionItem, { kind: 'caughtUp' }>;
        expect(caughtUp.position >= positions[4]!).toBe(true);
        expectIncreasing(eventsOf(items).map((e) => e.position));
      });

      it('resumes from a caughtUp checkpoint without repeating or missing an event', async () => {
        const prefix = unique('resume');
        await store.append(`${prefix}s`, steps(0, 3), { expectedRevision: 'no_stream' });
        const first = await consume(
          store.subscribeToAll({ filter: { streamPrefixes: [prefix] } }),
          (all) => all.at(-1)?.kind === 'caughtUp',
        );
        const checkpoint = (first.at(-1) as Extract<SubscriptionItem, { kind: 'caughtUp' }>).position;
        // Other streams move the head past the last matching event: the checkpoint must cover them.
        await store.append(unique('other') + 's', steps(0, 2), { expectedRevision: 'any' });
        await store.append(`${prefix}s`, steps(3, 2), { expectedRevision: 2n });
        const second = await consume(
          store.subscribeToAll({ after: checkpoint, filter: { streamPrefixes: [prefix] } }),
          (all) => all.at(-1)?.kind === 'caughtUp',
        );
        expect(eventsOf(first).map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2]);
        expect(eventsOf(second).map((e) => (e.data as { n: number }).n)).toEqual([3, 4]);
      });

      it('signals caught up even when nothing matches, and close() ends a waiting iteration', async () => {
        const subscription = store.subscribeToAll({ filter: { streamPrefixes: [unique('nothing')] } });
        const iterator = subscription[Symbol.asyncIterator]();
        const first = await iterator.next();
        expect(first).toMatchObject({ done: false, value: { kind: 'caughtUp' } });
        const pending = iterator.next();
        await sleep(50);
        await subscription.close();
        expect(await pending).toEqual({ done: true, value: undefined });
      });

      it('misses nothing and reorders nothing while another process appends during catch-up', async () => {
        const prefix = unique('race-sub');
        for (let s = 0; s < 20; s++) {
          await store.append(`${prefix}old-${s}`, steps(0, 100), { expectedRevision: 'no_stream' });
        }
        const feeder = spawnChild({
          mode: 'batches',
          store: harness.childConfig,
          streamPrefix: `${prefix}live-`,
          streams: 4,
          batchSize: 3,
          batches: 150,
        });
        await feeder.waitFor((l) => l.kind === 'ack' && l.batch >= 2, 60_000);
        // Small pages and a slow consumer, so catch-up and the feeder's appends really overlap.
        const reader = await harness.open({ pageSize: 50 });
        const items = await consume(
          reader.subscribeToAll({ filter: { streamPrefixes: [prefix] } }),
          (all) => eventsOf(all).length === 2000 + 450,
          async (_item, all) => {
            if (all.length % 100 === 0) await sleep(2);
          },
          60_000,
        );
        const exit = await feeder.exited;
        expect(exit.code, feeder.stderr()).toBe(0);
        await reader.close();
        const seen = eventsOf(items);
        const expected = await collect(store.readAll({ filter: { streamPrefixes: [prefix] } }));
        expect(expected).toHaveLength(2450);
        expect(seen.map((e) => e.id)).toEqual(expected.map((e) => e.id));
        expectIncreasing(seen.map((e) => e.position));
        expect(items.filter((i) => i.kind === 'caughtUp').length).toBeLessThanOrEqual(1);
      }, 90_000);
    });

    describe('concurrency and crashes', () => {
      it('200 appenders in 4 processes racing on one stream: one winner per revision, nothing lost', async () => {
        const stream = unique('race') + 's';
        const children = Array.from({ length: 4 }, (_, k) =>
          spawnChild({
            mode: 'race',
            store: harness.childConfig,
            stream,
            appenders: 50,
            connectionPerAppender: harness.connectionPerAppender,
            label: `p${k}`,
          }),
        );
        await Promise.all(children.map((c) => c.waitFor((l) => l.kind === 'ready', 60_000)));
        for (const c of children) c.send('go');
        await Promise.all(children.map((c) => c.waitFor((l) => l.kind === 'done', 90_000)));
        const wins = children.flatMap((c) =>
          c.lines.filter((l): l is Extract<ChildLine, { kind: 'won' }> => l.kind === 'won'),
        );
        expect(wins).toHaveLength(200);
        expect(wins.map((w) => Number(w.revision)).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 200 }, (_, i) => i),
        );
        const events = await store.readStream(stream);
        expect(events).toHaveLength(200);
        const wonAt = new Map(wins.map((w) => [w.id, BigInt(w.revision)]));
        for (const e of events) expect(wonAt.get(e.id)).toBe(e.revision);
        const conflicts = children.reduce((sum, c) => {
          const done = c.lines.find((l) => l.kind === 'done');
          return sum + (done?.kind === 'done' ? done.conflicts : 0);
        }, 0);
        expect(conflicts).toBeGreaterThan(0);
        expect((await verifyIntegrity(store, { stream })).ok).toBe(true);
        await Promise.all(children.map((c) => c.exited));
      }, 120_000);

      it('kill -9 mid-batch loses no acknowledged event and leaves no half-written append', async () => {
        const prefix = unique('crash');
        const acks: Extract<ChildLine, { kind: 'ack' }>[] = [];
        // Three writers in turn, each killed at a different moment, on the same streams.
        for (const [cycle, killAfter] of [15, 30, 45].entries()) {
          const writer = spawnChild({
            mode: 'batches',
            store: harness.childConfig,
            streamPrefix: prefix,
            streams: 5,
            batchSize: 10,
            padding: 20_000,
            labelPrefix: `cycle${cycle}`,
          });
          await writer.waitFor((l) => l.kind === 'ack' && l.batch >= killAfter, 60_000);
          writer.kill('SIGKILL');
          const exit = await writer.exited;
          expect(exit.signal).toBe('SIGKILL');
          acks.push(
            ...writer.lines.filter((l): l is Extract<ChildLine, { kind: 'ack' }> => l.kind === 'ack'),
          );
          await harness.checkStorage?.();
        }

        const reopened = await harness.open();
        try {
          const events = await collect(reopened.readAll({ filter: { streamPrefixes: [prefix] } }));
          const byBatch = new Map<string, RecordedEvent[]>();
          for (const e of events) {
            const batch = (e.data as { label: string }).label.split('|')[0]!;
            byBatch.set(batch, [...(byBatch.get(batch) ?? []), e]);
          }
          // All or nothing: every batch present is whole, in one run of revisions of one stream.
          for (const [batch, batchEvents] of byBatch) {
            expect(batchEvents, batch).toHaveLength(10);
            const first = batchEvents[0]!;
            batchEvents.forEach((e, i) => {
              expect(e.stream).toBe(first.stream);
              expect(e.revision).toBe(first.revision + BigInt(i));
            });
          }
          // Nothing acknowledged is lost, and it is where the acknowledgement said.
          const byId = new Map(events.map((e) => [e.id, e]));
          for (const ack of acks) {
            const last = byId.get(ack.ids[9]!);
            expect(last, `batch ${ack.batch}`).toBeDefined();
            expect(last!.revision).toBe(BigInt(ack.nextExpectedRevision));
            expect(last!.position).toBe(BigInt(ack.position));
            for (const id of ack.ids) expect(byId.has(id)).toBe(true);
          }
          // At most the append in flight at each kill may have committed without its ack.
          expect(byBatch.size - acks.length).toBeGreaterThanOrEqual(0);
          expect(byBatch.size - acks.length).toBeLessThanOrEqual(3);
          for (let s = 0; s < 5; s++) {
            expect((await verifyIntegrity(reopened, { stream: `${prefix}${s}` })).ok).toBe(true);
          }
          // The store still takes appends after the crashes.
          await reopened.append(`${prefix}0`, [step(1)], { expectedRevision: 'stream_exists' });
        } finally {
          await reopened.close();
        }
      }, 120_000);

      it('refuses work once closed', async () => {
        const own = await harness.open();
        await own.close();
        await rejection(
          own.append(unique('closed') + 's', [step(0)], { expectedRevision: 'any' }),
          EventStoreClosedError,
        );
      });
    });

    describe('integrity verification', () => {
      it('goes on after a break: each broken stream named once, at its first break, its later events unchecked', async () => {
        const prefix = unique('broken');
        const edited = `${prefix}edited`;
        const gapped = `${prefix}gapped`;
        const intact = `${prefix}intact`;
        // Data changed after sealing (revision 3 of 7), and an event left out of a chain (the third of 6).
        const editedEvents = sealedChain(edited, 7);
        editedEvents[3] = { ...editedEvents[3]!, data: { n: 300 } };
        const gappedEvents = sealedChain(gapped, 6);
        gappedEvents.splice(2, 1);
        // Interleaved in the log with each other and with a stream appended as usual.
        for (let round = 0; round < 7; round++) {
          for (const [stream, events] of [
            [edited, editedEvents],
            [gapped, gappedEvents],
          ] as const) {
            const event = events[round];
            if (event) await harness.writeForged(stream, [event]);
          }
          await store.append(intact, [step(round)], { expectedRevision: round === 0 ? 'no_stream' : 'any' });
        }

        const one = (stream: string) => verifyIntegrity(store, { stream });
        const editedReport = await one(edited);
        expect(editedReport).toMatchObject({ ok: false, checked: 4, unchecked: 3, brokenStreams: 1 });
        expect(editedReport.broken).toMatchObject([
          { stream: edited, revision: 3n, reason: 'hash_mismatch' },
        ]);
        expect(editedReport.firstBroken).toEqual(editedReport.broken[0]);
        const gappedReport = await one(gapped);
        expect(gappedReport).toMatchObject({ ok: false, checked: 3, unchecked: 2, brokenStreams: 1 });
        expect(gappedReport.broken).toMatchObject([{ stream: gapped, revision: 2n, reason: 'chain_broken' }]);
        expect(await one(intact)).toEqual({
          ok: true,
          checked: 7,
          unchecked: 0,
          broken: [],
          brokenStreams: 0,
        });

        // The whole log: both breaks, in log order, as the single-stream checks named them. A shared
        // server may hold other runs' forged streams, hence only this run's are counted exactly.
        const whole = await verifyIntegrity(store);
        expect(whole.broken.filter((b) => b.stream.startsWith(prefix))).toEqual([
          gappedReport.firstBroken,
          editedReport.firstBroken,
        ]);
        expect(whole.ok).toBe(false);
        expect(whole.firstBroken).toEqual(whole.broken[0]);
        expect(whole.brokenStreams).toBeGreaterThanOrEqual(2);
        expect(whole.unchecked).toBeGreaterThanOrEqual(3 + 2);
        let read = 0;
        for await (const _ of store.readAll({ raw: true })) read++;
        expect(whole.checked + whole.unchecked).toBe(read);
        // An adapter's own check gives the generic check's report.
        if (store.verifyIntegrity) expect(whole).toEqual(await verifyIntegrityGeneric(store));
      }, 120_000);
    });
  });
}
