// What both adapters do the same way around an append: validate everything before touching the
// backend (bad data → nothing written), decide what an expectation means, and seal events into the
// hash chain. Kept here so the two adapters cannot drift apart.
import { canonicalJson, computeEventHash } from './hash';
import { EventValidationError, type ValidationIssue } from './errors';
import type { EventRegistry } from './registry';
import { streamNameSchema, toIssues } from './registry';
import type { EventFilter, EventMetadata, EventMetadataInput, ExpectedRevision, NewEvent } from './port';

export interface PreparedEvent {
  id: string;
  type: string;
  /** Validated data, as it will be stored. */
  data: unknown;
  /** JSON text stored by the backend. */
  dataJson: string;
  /** Canonical JSON of data, computed once for the hash. */
  dataCanonical: string;
  schemaVersion: number;
  metadata: EventMetadataInput;
}

const invalid = (type: string, id: string | undefined, issues: ValidationIssue[]): EventValidationError =>
  new EventValidationError(type, id, issues, 'append');

/** Only the known metadata fields, in a fixed order, without undefined members. */
function normaliseMetadata(m: EventMetadataInput): EventMetadataInput {
  const actor: EventMetadataInput['actor'] = { id: m.actor.id, role: m.actor.role };
  if (m.actor.institution !== undefined) actor.institution = m.actor.institution;
  const out: EventMetadataInput = {
    correlationId: m.correlationId,
    causationId: m.causationId,
    actor,
    occurredAt: m.occurredAt,
  };
  if (m.workflowId !== undefined) out.workflowId = m.workflowId;
  if (m.runId !== undefined) out.runId = m.runId;
  return out;
}

/** Validates an append request; throws EventValidationError (nothing is written) or returns the batch. */
export function prepareAppend(
  registry: EventRegistry,
  stream: string,
  events: readonly NewEvent[],
  expectedRevision: ExpectedRevision,
): PreparedEvent[] {
  const streamOk = streamNameSchema.safeParse(stream);
  if (!streamOk.success) throw invalid('(append)', undefined, toIssues('stream', streamOk.error));
  if (typeof expectedRevision === 'bigint' ? expectedRevision < 0n : !['any', 'no_stream', 'stream_exists'].includes(expectedRevision)) {
    throw invalid('(append)', undefined, [{ path: 'expectedRevision', message: `attente invalide : ${String(expectedRevision)}` }]);
  }
  if (events.length === 0) {
    throw invalid('(append)', undefined, [{ path: 'events', message: 'au moins un événement est requis' }]);
  }
  const seen = new Set<string>();
  return events.map((event, index) => {
    const { data, schemaVersion } = registry.prepareForAppend(event);
    if (seen.has(event.id)) {
      throw invalid(event.type, event.id, [{ path: `events.${index}.id`, message: 'identifiant répété dans le même ajout' }]);
    }
    seen.add(event.id);
    let dataCanonical: string;
    try {
      dataCanonical = canonicalJson(data);
    } catch (error) {
      throw invalid(event.type, event.id, [{ path: 'data', message: `valeur non JSON (${(error as Error).message})` }]);
    }
    return {
      id: event.id,
      type: event.type,
      data,
      dataJson: JSON.stringify(data),
      dataCanonical,
      schemaVersion,
      metadata: normaliseMetadata(event.metadata),
    };
  });
}

/** Metadata of the event once sealed at its place in the stream. */
export function sealEvent(
  event: PreparedEvent,
  stream: string,
  revision: bigint,
  previousHash: string | null,
  recordedAt: string,
): EventMetadata {
  const metadata = { ...event.metadata, recordedAt, schemaVersion: event.schemaVersion };
  const hash = computeEventHash(
    { id: event.id, stream, revision, type: event.type, data: undefined, metadata, previousHash },
    event.dataCanonical,
  );
  return { ...metadata, previousHash, hash };
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
