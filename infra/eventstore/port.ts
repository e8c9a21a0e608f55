// The event store port: EventStoreDB's semantics, so the embedded SQLite adapter and the
// EventStoreDB adapter mean the same thing. Revisions and positions are bigint, never number.
import type { z } from 'zod';

/** What the writer expects of the stream before its append (EventStoreDB's four expectations). */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** Who did it, as recorded in every event's metadata. `id` is an opaque identifier, never a name or email. */
export interface Actor {
  id: string;
  role: string;
  institution?: string | undefined;
}

/** Metadata the writer provides; the store adds recordedAt, the schema version and the hash chain. */
export interface EventMetadataInput {
  correlationId: string;
  causationId: string;
  actor: Actor;
  /** Business time: when it happened in the world (ISO 8601). */
  occurredAt: string;
  workflowId?: string | undefined;
  runId?: string | undefined;
}

export interface EventMetadata extends EventMetadataInput {
  /** Record time: when the store committed it (ISO 8601, UTC). */
  recordedAt: string;
  /** Version of the event's schema the data was written under (before any upcasting on read). */
  schemaVersion: number;
  /** SHA-256 (hex) of the previous event in the same stream, or null for the first. */
  previousHash: string | null;
  /** SHA-256 (hex) over the canonical encoding described in hash.ts. */
  hash: string;
}

export interface NewEvent<T extends string = string, D = unknown> {
  /** UUID; deterministic when a workflow writes it, so a retried append repeats it. */
  id: string;
  type: T;
  data: D;
  metadata: EventMetadataInput;
}

export interface RecordedEvent<T extends string = string, D = unknown> {
  id: string;
  stream: string;
  type: T;
  /** Validated and upcast to the current schema version, unless read with `raw: true`. */
  data: D;
  metadata: EventMetadata;
  /** 0-based position of the event in its stream. */
  revision: bigint;
  /** Position in the global order ($all); strictly increasing, not necessarily contiguous. */
  position: bigint;
}

export interface AppendResult {
  /** Revision of the last event written: the expectation for the next append. */
  nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  position: bigint;
}

export interface ReadStreamOptions {
  /** 'start' | 'end' or an exact revision (inclusive). Default: 'start' forwards, 'end' backwards. */
  from?: 'start' | 'end' | bigint;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
  /** Data as stored: no validation, no upcasting (audit and integrity checks). */
  raw?: boolean;
}

export interface EventFilter {
  /** Keep events whose stream name starts with one of these. */
  streamPrefixes?: string[];
  /** Keep events of exactly these types. Both filters given → both must hold. */
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /** Forwards: read events strictly after this position; 'start' or undefined = from the beginning. */
  after?: 'start' | bigint;
  /** Backwards: read events strictly before this position; undefined = from the head. */
  before?: bigint;
  filter?: EventFilter;
  maxCount?: number;
  direction?: 'forwards' | 'backwards';
  /** Data as stored: no validation, no upcasting (audit and integrity checks). */
  raw?: boolean;
}

/**
 * What a subscription yields: events, and one caughtUp signal when it first reaches the head (then
 * it is live).
 * `position` of caughtUp is a safe checkpoint: every matching event at or below it has been yielded,
 * even when the filter hid the events just before it.
 */
export type SubscriptionItem =
  { kind: 'event'; event: RecordedEvent } | { kind: 'caughtUp'; position: bigint };

/** Iterate it once. close() ends the iteration cleanly (the pending or next `next()` returns done). */
export interface Subscription extends AsyncIterable<SubscriptionItem> {
  close(): Promise<void>;
}

export interface ReadByStreamOptions {
  /** Only events at or below this global position (a head read beforehand: a consistent cut of the log). */
  upTo: bigint;
  filter?: EventFilter;
  /** Only streams whose name is at or after this one, and before `before` (a share of the streams). */
  fromStream?: string;
  before?: string;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this checkpoint; 'start' or undefined = from the beginning. */
  after?: 'start' | bigint;
  filter?: EventFilter;
}

/** Turns data stored at version v into version v + 1. Pure; throws on data it cannot convert. */
export type Upcaster = (data: unknown) => unknown;

/** A typed event: a zod schema, its current version, and upcasters from older versions. */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  /** Current version, 1 or more. New events are written at this version. */
  version: number;
  /** Schema of the current version. It must not transform: its output must parse to itself. */
  schema: S;
  /** upcasters[v] turns data stored at version v into version v + 1; one for each v below `version`. */
  upcasters?: Record<number, Upcaster>;
}

/** Why an event fails the integrity check (see integrity.ts). */
export type IntegrityFailureReason =
  /** The stored hash is not the hash of the stored content: the event was altered. */
  | 'hash_mismatch'
  /** previousHash is not the hash of the event before it: an event was removed, inserted or replaced. */
  | 'chain_broken'
  /** Revisions do not follow 0, 1, 2, ...: an event was removed or renumbered. */
  | 'revision_gap'
  /** The stored metadata cannot even be read as the store wrote it. */
  | 'malformed';

export interface IntegrityFailure {
  stream: string;
  revision: bigint;
  position: bigint;
  eventId: string;
  reason: IntegrityFailureReason;
  /** For people: what did not hold, in French. */
  detail: string;
}

/**
 * The verdict over a stream or the whole log. Once a stream breaks, its chain no longer gives a
 * trustworthy link: the verification names that first broken event, skips the stream's later events
 * (counted in `unchecked`) and goes on with the other streams. Events read = checked + unchecked.
 */
export interface IntegrityReport {
  /** No stream broke. */
  ok: boolean;
  /** Events whose check ran: every event read but those after their stream's first break. */
  checked: number;
  /** Events not checked because they come after their stream's first break. */
  unchecked: number;
  /** The first broken event in log order (broken[0]). */
  firstBroken?: IntegrityFailure;
  /**
   * The first broken event of each broken stream, in log order (revision order for one stream, so at
   * most one entry), at most BROKEN_LISTED (integrity.ts) of them.
   */
  broken: IntegrityFailure[];
  /** How many streams broke: broken.length, unless the list was cut at BROKEN_LISTED. */
  brokenStreams: number;
}

export interface VerifyOptions {
  /** One stream; all streams in global order when absent. */
  stream?: string;
  /**
   * Called about every `progressEvery` events read (default 1000) and once at the end with the
   * number read (checked + unchecked), e.g. for a progress bar.
   */
  onProgress?: (read: number) => void;
  progressEvery?: number;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'eventstoredb';
  /** All events are written or none. Throws WrongExpectedVersionError, EventValidationError, ... (errors.ts). */
  append(
    stream: string,
    events: NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /** Events of one stream; [] when the stream does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The global order, streamed page by page (never the whole log in memory). */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /**
   * Optional, for rebuilds: the events up to a position, stream after stream (streams in name order,
   * each in revision order), validated like readAll. A projection that only depends on the order
   * within each stream can be rebuilt from it holding one stream's fold at a time instead of every
   * open aggregate. EventStoreDB has no such read ($all is in commit order only): its rebuilds read
   * the global order.
   */
  readAllByStream?(options: ReadByStreamOptions): AsyncIterable<RecordedEvent>;
  /**
   * Optional, with readAllByStream: stream names (ascending) that split the streams having events at
   * or below `upTo` into `parts` ranges of about as many events each, for readers working in
   * parallel (fewer names when there are few streams; a stream is never split).
   */
  splitStreams?(parts: number, upTo: bigint): Promise<string[]>;
  /** Position of the last event in the store (0n when the SQLite store is empty), for lag. */
  headPosition(): Promise<bigint>;
  /**
   * Optional: the adapter's own integrity check, which verifyIntegrity (integrity.ts) calls when it
   * is there; adapters without one get the generic check over raw reads. It must give the same report
   * as the generic check (the same broken events, for the same reasons, the same counts) — and may be
   * stricter, never laxer (the SQLite one also refuses stored text that differs from the text hashed
   * even where the parsed values agree).
   */
  verifyIntegrity?(options?: VerifyOptions): Promise<IntegrityReport>;
  close(): Promise<void>;
}
