// The scale-out backend: EventStoreDB (or KurrentDB) through @eventstore/db-client. The client's
// constants, errors and number types stop here; callers see the port's types only.
//
// Positions: the port's bigint position is the event's commit position. The client's own samples and
// Kurrent's newer clients resume from { commit: p, prepare: p }, i.e. one number per event in
// servers since 20.x, which is what this mapping assumes.
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamSubscription,
  type Filter,
  type JSONType,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';
import {
  expectationHolds,
  filterPredicate,
  prepareAppend,
  retryPlaceMatches,
  sealEvent,
  type PreparedEvent,
} from './append';
import {
  EventStoreBackendError,
  EventStoreClosedError,
  EventStoreError,
  WrongExpectedVersionError,
} from './errors';
import type {
  AppendResult,
  EventFilter,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionItem,
} from './port';
import type { EventRegistry } from './registry';
import { withoutCredentials } from '../config/config';

export interface EsdbEventStoreOptions {
  connectionString: string;
  registry: EventRegistry;
  /** Rows per page when catching up with readAll (default 1000). */
  pageSize?: number;
  /** How many times an append with 'any' / 'stream_exists' re-reads and retries after a race (default 50). */
  maxAppendRetries?: number;
  clock?: () => Date;
}

/** The fields of the client's recorded events this adapter uses (JSON or binary, from a stream or $all). */
interface EsdbEvent {
  streamId: string;
  id: string;
  isJson: boolean;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: unknown;
  position?: Position;
}

/** How long the opening waits for the server's first answer. */
const OPENING_DEADLINE_MS = 10_000;
const isSystem = (e: EsdbEvent): boolean => e.type.startsWith('$') || e.streamId.startsWith('$');
const toReadPosition = (p: bigint): Position => ({ commit: p, prepare: p });
const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function convertError(error: unknown, what: string, expected?: ExpectedRevision): Error {
  if (error instanceof EventStoreError) return error;
  if (error instanceof EsdbWrongExpectedVersionError) {
    const actual = error.actualVersion;
    return new WrongExpectedVersionError(
      error.streamName,
      expected ?? (error.expectedVersion === 'stream_exists' ? 'stream_exists' : error.expectedVersion),
      actual === NO_STREAM ? 'no_stream' : actual,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EventStoreBackendError(`EventStoreDB (${what}) : ${message}`, { cause: error });
}

export async function openEsdbEventStore(options: EsdbEventStoreOptions): Promise<EventStore> {
  const { registry } = options;
  const pageSize = options.pageSize ?? 1000;
  const maxAppendRetries = options.maxAppendRetries ?? 50;
  const clock = options.clock ?? (() => new Date());
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(options.connectionString);
  } catch (error) {
    // The client's parser says where, in English: kept as the detail.
    throw new EventStoreBackendError(
      `Chaîne de connexion EventStoreDB illisible (${withoutCredentials(options.connectionString)}) : ${(error as Error).message}`,
      { cause: error },
    );
  }
  let closed = false;
  const subscriptions = new Set<EsdbSubscription>();
  const ensureOpen = () => {
    if (closed) throw new EventStoreClosedError();
  };

  /** One stream read, [] when the stream does not exist. */
  async function readStreamRaw(
    stream: string,
    fromRevision: ReadRevision,
    direction: typeof FORWARDS | typeof BACKWARDS,
    maxCount: number | undefined,
  ): Promise<EsdbEvent[]> {
    const out: EsdbEvent[] = [];
    try {
      const read = client.readStream(stream, {
        fromRevision,
        direction,
        ...(maxCount === undefined ? {} : { maxCount: BigInt(maxCount) }),
      });
      for await (const resolved of read) {
        if (resolved.event) out.push(resolved.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw convertError(error, 'lecture');
    }
    return out;
  }

  function toEvent(e: EsdbEvent, raw: boolean): RecordedEvent {
    if (!e.isJson || typeof e.metadata !== 'object' || e.metadata === null) {
      throw new EventStoreBackendError(
        `Événement ${e.id} du flux « ${e.streamId} » écrit hors de ce magasin (pas de métadonnées JSON).`,
      );
    }
    const {
      $correlationId: _c,
      $causationId: _k,
      ...metadata
    } = e.metadata as EventMetadata & {
      $correlationId?: string;
      $causationId?: string;
    };
    const position = e.position?.commit ?? -1n;
    return {
      id: e.id,
      stream: e.streamId,
      type: e.type,
      data: raw
        ? e.data
        : registry.decode(e.type, metadata.schemaVersion, e.data, {
            stream: e.streamId,
            revision: e.revision,
            position,
            id: e.id,
          }),
      metadata,
      revision: e.revision,
      position,
    };
  }

  /**
   * Were these events already committed where the expectation points? EventStoreDB's own
   * de-duplication is a best-effort cache, so the stream is read back and ids compared: the window
   * the expectation points to, the tail just read (a retry whose caller re-read the head), or — for
   * 'any' / 'stream_exists' — the whole stream. Returns the original result, throws the conflict on
   * a partial or misplaced match, or null when none of the ids is there.
   */
  async function alreadyCommitted(
    stream: string,
    batch: PreparedEvent[],
    expected: ExpectedRevision,
    actual: bigint | 'no_stream',
    tail: EsdbEvent[],
  ): Promise<AppendResult | null> {
    if (actual === 'no_stream') return null;
    const ids = new Set(batch.map((e) => e.id));
    let matching = tail.filter((e) => ids.has(e.id)).reverse();
    if (typeof expected === 'bigint' || expected === 'no_stream') {
      const first = expected === 'no_stream' ? 0n : expected + 1n;
      if (actual >= first) {
        const window = (await readStreamRaw(stream, first, FORWARDS, batch.length)).filter((e) =>
          ids.has(e.id),
        );
        if (window.length > 0) matching = window;
      }
    } else {
      // O(stream length), paid only by writers that did not give an exact revision.
      matching = (await readStreamRaw(stream, START, FORWARDS, undefined)).filter((e) => ids.has(e.id));
    }
    if (matching.length === 0) return null;
    const firstRevision = matching[0]!.revision;
    const complete =
      matching.length === batch.length &&
      matching.every((e, i) => e.id === batch[i]!.id && e.revision === firstRevision + BigInt(i));
    if (complete && retryPlaceMatches(expected, firstRevision)) {
      const last = matching[matching.length - 1]!;
      return { nextExpectedRevision: last.revision, position: last.position?.commit ?? -1n };
    }
    throw new WrongExpectedVersionError(
      stream,
      expected,
      actual,
      'ajout déjà partiellement ou autrement enregistré',
    );
  }

  async function append(
    stream: string,
    events: NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    ensureOpen();
    const batch = prepareAppend(registry, stream, events, expected);
    for (let attempt = 0; ; attempt++) {
      // The tail as long as the batch: its head gives the revision and previous hash, and a retry
      // whose events are already the tail is recognised without another read.
      const tail = await readStreamRaw(stream, END, BACKWARDS, batch.length);
      const last = tail[0];
      const actual = last ? last.revision : 'no_stream';
      const original = await alreadyCommitted(stream, batch, expected, actual, tail);
      if (original) return original;
      if (!expectationHolds(expected, actual)) throw new WrongExpectedVersionError(stream, expected, actual);

      // Sealed against the last event we read, so the write must land right after it: always send
      // the exact revision, whatever the caller's expectation.
      let previousHash = last ? (last.metadata as EventMetadata).hash : null;
      let revision = last ? last.revision : -1n;
      const recordedAt = clock().toISOString();
      const data = batch.map((e) => {
        revision += 1n;
        const sealed = sealEvent(e, stream, revision, previousHash, recordedAt);
        previousHash = sealed.hash;
        const metadata = JSON.parse(sealed.metadataJson) as EventMetadata;
        return jsonEvent({
          id: e.id,
          type: e.type,
          data: e.data as JSONType,
          // $correlationId/$causationId: EventStoreDB's own conventions, for its UI and projections.
          metadata: {
            ...metadata,
            $correlationId: metadata.correlationId,
            $causationId: metadata.causationId,
          },
        });
      });
      try {
        const result = await client.appendToStream(stream, data, {
          expectedRevision: last ? last.revision : NO_STREAM,
        });
        let position = result.position?.commit;
        if (position === undefined) {
          const [written] = await readStreamRaw(stream, result.nextExpectedRevision, FORWARDS, 1);
          position = written?.position?.commit ?? -1n;
        }
        return { nextExpectedRevision: result.nextExpectedRevision, position };
      } catch (error) {
        // A race: the next round reads the stream back and compares ids before calling it a
        // conflict (exact / no_stream), or retries on the new head ('any' / 'stream_exists').
        if (error instanceof EsdbWrongExpectedVersionError && attempt < maxAppendRetries) {
          // Only writers that will write again need to spread out; an exact one just reads back.
          if (expected === 'any' || expected === 'stream_exists') {
            await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
          }
          continue;
        }
        throw convertError(error, 'ajout', expected);
      }
    }
  }

  /**
   * Every record of $all from a position (inclusive, as the server reads), page by page so that a
   * slow consumer never holds one server read open for hours. System events included.
   */
  async function* scanAll(
    from: ReadPosition,
    direction: 'forwards' | 'backwards',
  ): AsyncGenerator<EsdbEvent & { position: Position }> {
    let fromPosition = from;
    for (;;) {
      ensureOpen();
      let seen = 0;
      let lastPosition: Position | undefined;
      try {
        const read = client.readAll({
          fromPosition,
          direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
          maxCount: BigInt(pageSize),
        });
        for await (const resolved of read) {
          seen++;
          const e = resolved.event as (EsdbEvent & { position: Position }) | undefined;
          if (!e) continue;
          // Pages overlap by one record (fromPosition is inclusive): skip the one already given.
          if (
            lastPosition === undefined &&
            fromPosition !== from &&
            e.position.commit === (fromPosition as Position).commit
          ) {
            continue;
          }
          lastPosition = e.position;
          yield e;
        }
      } catch (error) {
        throw convertError(error, 'lecture');
      }
      if (seen < pageSize || lastPosition === undefined) return;
      fromPosition = lastPosition;
    }
  }

  async function* readAllEvents(options: ReadAllOptions): AsyncGenerator<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    const raw = options.raw ?? false;
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    const keep = filterPredicate(options.filter);
    const after = options.after === undefined || options.after === 'start' ? undefined : options.after;
    const before = options.before;
    const from: ReadPosition =
      direction === 'forwards'
        ? after === undefined
          ? START
          : toReadPosition(after)
        : before === undefined
          ? END
          : toReadPosition(before);
    let count = 0;
    for await (const e of scanAll(from, direction)) {
      const p = e.position.commit;
      // after/before are exclusive; the server's fromPosition is not.
      if (direction === 'forwards' ? after !== undefined && p <= after : before !== undefined && p >= before)
        continue;
      if (isSystem(e) || !keep(e.streamId, e.type)) continue;
      yield toEvent(e, raw);
      if (++count >= limit) return;
    }
  }

  class EsdbSubscription implements Subscription {
    private closed = false;
    private started = false;
    private live: AllStreamSubscription | undefined;
    constructor(private readonly options: SubscribeOptions) {}

    async close(): Promise<void> {
      this.closed = true;
      subscriptions.delete(this);
      await this.live?.unsubscribe();
    }

    [Symbol.asyncIterator](): AsyncIterator<SubscriptionItem> {
      if (this.started) throw new Error('A subscription is iterated once; subscribe again to restart.');
      this.started = true;
      return this.run();
    }

    private serverFilter(filter: EventFilter | undefined): Filter {
      // Server-side filters narrow the stream; the exact filter (both criteria) is re-applied below.
      if (filter?.streamPrefixes?.length) return streamNameFilter({ prefixes: filter.streamPrefixes });
      if (filter?.eventTypes?.length) {
        return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(regexEscape).join('|')})$` });
      }
      return excludeSystemEvents();
    }

    private async *run(): AsyncGenerator<SubscriptionItem> {
      const { filter } = this.options;
      let checkpoint =
        this.options.after === undefined || this.options.after === 'start' ? undefined : this.options.after;
      try {
        // Catch up by reading pages of $all ourselves: this knows exactly when it reached the head on
        // every server version, where the server's caughtUp message needs 23.10 or later. The
        // checkpoint follows every record read, filtered or not, so live starts right after it.
        const keepCaughtUp = filterPredicate(filter);
        for await (const e of scanAll(
          checkpoint === undefined ? START : toReadPosition(checkpoint),
          'forwards',
        )) {
          if (this.closed) return;
          const p = e.position.commit;
          if (checkpoint !== undefined && p <= checkpoint) continue;
          checkpoint = p;
          if (isSystem(e) || !keepCaughtUp(e.streamId, e.type)) continue;
          yield { kind: 'event', event: toEvent(e, false) };
        }
        checkpoint ??= 0n;
        if (this.closed) return;
        yield { kind: 'caughtUp', position: checkpoint };

        // Live from the last record we read; the server replays anything appended since, so nothing
        // falls between catch-up and live. Positions at or below the checkpoint are skipped.
        this.live = client.subscribeToAll({
          fromPosition: checkpoint === 0n ? START : toReadPosition(checkpoint),
          filter: this.serverFilter(filter),
        });
        if (this.closed) {
          await this.live.unsubscribe();
          return;
        }
        for await (const resolved of this.live) {
          if (this.closed) return;
          const e = resolved.event as (EsdbEvent & { position: Position }) | undefined;
          if (!e || e.position.commit <= checkpoint || isSystem(e) || !keepCaughtUp(e.streamId, e.type))
            continue;
          checkpoint = e.position.commit;
          yield { kind: 'event', event: toEvent(e, false) };
        }
      } catch (error) {
        if (this.closed) return;
        throw convertError(error, 'abonnement');
      } finally {
        this.closed = true;
        subscriptions.delete(this);
        await this.live?.unsubscribe().catch(() => undefined);
      }
    }
  }

  /**
   * The last event of the log: the server's own records after it ($-streams such as `$$…` stream
   * metadata or `$scavenges`, $-types) are not events of ours. Counting them, the head would stay
   * ahead of every checkpoint (the subscription skips them once live), and the projections would
   * look behind the log for good.
   */
  async function headPosition(deadline?: number): Promise<bigint> {
    ensureOpen();
    const page = 64;
    try {
      let fromPosition: ReadPosition = END;
      for (;;) {
        let seen = 0;
        let lastSystem: Position | undefined;
        for await (const resolved of client.readAll({
          fromPosition,
          direction: BACKWARDS,
          maxCount: BigInt(page),
          ...(deadline === undefined ? {} : { deadline }),
        })) {
          seen++;
          const e = resolved.event as (EsdbEvent & { position: Position }) | undefined;
          if (!e) continue;
          if (!isSystem(e)) return e.position.commit;
          lastSystem = e.position;
        }
        if (seen < page || lastSystem === undefined) return 0n;
        fromPosition = lastSystem;
      }
    } catch (error) {
      throw convertError(error, 'lecture');
    }
  }

  // Fail at start-up with a clear message rather than on the first append, and within a bounded
  // time: an address that swallows packets would otherwise keep the start waiting.
  try {
    await headPosition(OPENING_DEADLINE_MS);
  } catch (error) {
    await client.dispose();
    throw new EventStoreBackendError(
      `EventStoreDB injoignable (${withoutCredentials(options.connectionString)}) : ${(error as Error).message}`,
      { cause: error },
    );
  }

  return {
    kind: 'eventstoredb',

    append: (stream, events, { expectedRevision }) => append(stream, events, expectedRevision),

    async readStream(stream: string, options: ReadStreamOptions = {}) {
      ensureOpen();
      const direction = options.direction ?? 'forwards';
      const from = options.from ?? (direction === 'forwards' ? 'start' : 'end');
      const events = await readStreamRaw(
        stream,
        from === 'start' ? START : from === 'end' ? END : from,
        direction === 'forwards' ? FORWARDS : BACKWARDS,
        options.maxCount,
      );
      const raw = options.raw ?? false;
      return events.map((e) => toEvent(e, raw));
    },

    readAll: (options: ReadAllOptions = {}) => readAllEvents(options),

    subscribeToAll(options: SubscribeOptions = {}) {
      ensureOpen();
      const subscription = new EsdbSubscription(options);
      subscriptions.add(subscription);
      return subscription;
    },

    headPosition: () => headPosition(),

    async close() {
      if (closed) return;
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
      await client.dispose();
    },
  };
}
