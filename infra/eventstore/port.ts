// The event store port: EventStoreDB's semantics, so the embedded SQLite adapter and the
// EventStoreDB adapter mean the same thing. Revisions and positions are bigint, never number.
import type { z } from 'zod';

/** What the writer expects of the stream before its append (EventStoreDB's four expectations). */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** Who did it, as recorded in every event's metadata. */
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
  /** Record time: when the store committed it (ISO 8601). */
  recordedAt: string;
  schemaVersion: number;
  /** SHA-256 (hex) of the previous event in the same stream, or null for the first. */
  previousHash: string | null;
  /** SHA-256 (hex) over the canonical encoding of type, data, metadata (less hash) and previousHash. */
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
  data: D;
  metadata: EventMetadata;
  revision: bigint;
  position: bigint;
}

export interface AppendResult {
  /** Revision of the last event written: the expectation for the next append. */
  nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  position: bigint;
}

export interface ReadStreamOptions {
  /** 'start' | 'end' or an exact revision. */
  from?: 'start' | 'end' | bigint;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

export interface EventFilter {
  streamPrefixes?: string[];
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /** Read events strictly after this position; 'start' or undefined = from the beginning. */
  after?: 'start' | bigint;
  filter?: EventFilter;
  maxCount?: number;
  direction?: 'forwards' | 'backwards';
}

/** What a subscription yields: events, and one signal when it has caught up with the head. */
export type SubscriptionItem = { kind: 'event'; event: RecordedEvent } | { kind: 'caughtUp'; position: bigint };

export interface Subscription extends AsyncIterable<SubscriptionItem> {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  after?: 'start' | bigint;
  filter?: EventFilter;
}

/** A typed event: a zod schema, its current version, and upcasters from older versions. */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  version: number;
  schema: S;
  /** upcasters[v] turns data stored at version v into version v + 1. */
  upcasters?: Record<number, (data: unknown) => unknown>;
}

export interface EventStore {
  append(stream: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /** Position of the last event in the store (0n when empty... see adapter docs), for lag. */
  headPosition(): Promise<bigint>;
  close(): Promise<void>;
}
