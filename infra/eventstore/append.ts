// What both adapters do the same way around an append: validate everything before touching the
// backend (bad data → nothing written), decide what an expectation means, and seal events into the
// hash chain. Kept here so the two adapters cannot drift apart.
import { canonicalHashedMetadata, canonicalJson, hashedText, sha256Hex } from './hash';
import { EventValidationError, type ValidationIssue } from './errors';
import type { EventRegistry } from './registry';
import { streamNameSchema, toIssues } from './registry';
import type { EventFilter, EventMetadataInput, ExpectedRevision, NewEvent } from './port';

export interface PreparedEvent {
  id: string;
  type: string;
  /** Validated data. */
  data: unknown;
  /** Canonical JSON of data: what is hashed, and (being valid JSON) what is stored. */
  dataJson: string;
  schemaVersion: number;
  metadata: EventMetadataInput;
}

const invalid = (type: string, id: string | undefined, issues: ValidationIssue[]): EventValidationError =>
  new EventValidationError(type, id, issues, 'append');

/** Validates an append request; throws EventValidationError (nothing is written) or returns the batch. */
export function prepareAppend(
  registry: EventRegistry,
  stream: string,
  events: readonly NewEvent[],
  expectedRevision: ExpectedRevision,
): PreparedEvent[] {
  const streamOk = streamNameSchema.safeParse(stream);
  if (!streamOk.success) throw invalid('(append)', undefined, toIssues('stream', streamOk.error));
  if (
    typeof expectedRevision === 'bigint'
      ? expectedRevision < 0n
      : !['any', 'no_stream', 'stream_exists'].includes(expectedRevision)
  ) {
    throw invalid('(append)', undefined, [
      { path: 'expectedRevision', message: `attente invalide : ${String(expectedRevision)}` },
    ]);
  }
  if (events.length === 0) {
    throw invalid('(append)', undefined, [{ path: 'events', message: 'au moins un événement est requis' }]);
  }
  const seen = new Set<string>();
  return events.map((event, index) => {
    const { data, schemaVersion } = registry.prepareForAppend(event);
    if (seen.has(event.id)) {
      throw invalid(event.type, event.id, [
        { path: `events.${index}.id`, message: 'identifiant répété dans le même ajout' },
      ]);
    }
    seen.add(event.id);
    let dataJson: string;
    try {
      dataJson = canonicalJson(data);
    } catch (error) {
      throw invalid(event.type, event.id, [
        { path: 'data', message: `valeur non JSON (${(error as Error).message})` },
      ]);
    }
    return {
      id: event.id,
      type: event.type,
      data,
      dataJson,
      schemaVersion,
      metadata: event.metadata,
    };
  });
}

export interface SealedEvent {
  hash: string;
  /** The full metadata (EventMetadata) as JSON text, only its known fields. */
  metadataJson: string;
}

/** Seals an event at its place in the stream: its hash, chained to the previous one, and its metadata. */
export function sealEvent(
  event: PreparedEvent,
  stream: string,
  revision: bigint,
  previousHash: string | null,
  recordedAt: string,
): SealedEvent {
  const m = event.metadata;
  const metadataCanonical = canonicalHashedMetadata({
    correlationId: m.correlationId,
    causationId: m.causationId,
    actor: m.actor,
    occurredAt: m.occurredAt,
    workflowId: m.workflowId,
    runId: m.runId,
    recordedAt,
    schemaVersion: event.schemaVersion,
  });
  const hash = sha256Hex(
    hashedText(
      { id: event.id, stream, revision, type: event.type, previousHash },
      event.dataJson,
      metadataCanonical,
    ),
  );
  return {
    hash,
    metadataJson:
      metadataCanonical.slice(0, -1) +
      ',"previousHash":' +
      JSON.stringify(previousHash) +
      ',"hash":"' +
      hash +
      '"}',
  };
}

/** Does the stream's current state satisfy the expectation? */
export function expectationHolds(expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 'no_stream';
    case 'stream_exists':
      return actual !== 'no_stream';
    default:
      return actual === expected;
  }
}

/**
 * A retried append found all its ids already committed, consecutively from `firstRevision`: was that
 * the place its expectation pointed at? Then it is the same append, and its original result stands.
 */
export function retryPlaceMatches(expected: ExpectedRevision, firstRevision: bigint): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return firstRevision === 0n;
    case 'stream_exists':
      return firstRevision > 0n;
    default:
      return firstRevision === expected + 1n;
  }
}

/** The filter as a predicate, for backends that filter client-side. */
export function filterPredicate(filter: EventFilter | undefined): (stream: string, type: string) => boolean {
  const prefixes = filter?.streamPrefixes;
  const types = filter?.eventTypes ? new Set(filter.eventTypes) : undefined;
  if (!prefixes && !types) return () => true;
  return (stream, type) =>
    (!prefixes || prefixes.some((p) => stream.startsWith(p))) && (!types || types.has(type));
}
