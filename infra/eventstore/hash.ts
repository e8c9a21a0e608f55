// Tamper evidence: every event carries SHA-256 over a canonical encoding of what it says, chained to
// the previous event of its stream. Both adapters compute it client-side with this one function, so a
// log moved from SQLite to EventStoreDB (or back) verifies the same way.
//
// Hashed (scheme v1), as canonical JSON:
//   { v: 1, id, stream, revision (decimal string), type, data (as stored, before upcasting),
//     metadata: { correlationId, causationId, actor, occurredAt, workflowId?, runId?, recordedAt,
//                 schemaVersion },
//     previousHash }
// recordedAt is included so that record time cannot be rewritten unnoticed; id, stream and revision
// so that an event cannot be moved, renumbered or swapped with another. The hash itself and the
// position are not (the position is assigned by the backend after the hash is computed).
import { createHash } from 'node:crypto';
import type { EventMetadata } from './port';

export const HASH_SCHEME_VERSION = 1;

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as RFC 8785), no whitespace, undefined
 * members dropped (as JSON.stringify). Only JSON values are accepted, so that what is hashed is
 * exactly what a JSON round trip through storage gives back.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return '[' + value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v))).join(',') + ']';
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        // Dates, Maps, class instances: their JSON form is not what a reader gets back.
        throw new TypeError(`canonicalJson: not a plain object (${Object.prototype.toString.call(value)})`);
      }
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const v = record[key];
        if (v === undefined) continue;
        parts.push(JSON.stringify(key) + ':' + canonicalJson(v));
      }
      return '{' + parts.join(',') + '}';
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      throw new TypeError(`canonicalJson: ${typeof value} is not a JSON value`);
  }
}

export interface HashInput {
  id: string;
  stream: string;
  revision: bigint;
  type: string;
  /** The data as stored (for an upcast event: the stored, older form). */
  data: unknown;
  metadata: Omit<EventMetadata, 'hash' | 'previousHash'>;
  previousHash: string | null;
}

/**
 * SHA-256 (hex) of the event. `dataCanonical`, when given, is canonicalJson(input.data) computed
 * beforehand (the append path encodes data once, to validate it and to hash it).
 */
export function computeEventHash(input: HashInput, dataCanonical?: string): string {
  const m = input.metadata;
  const rest = {
    v: HASH_SCHEME_VERSION,
    id: input.id,
    stream: input.stream,
    revision: input.revision.toString(),
    type: input.type,
    // Listed field by field: a stray key in stored metadata must not change the hash's meaning.
    metadata: {
      correlationId: m.correlationId,
      causationId: m.causationId,
      actor: { id: m.actor.id, role: m.actor.role, institution: m.actor.institution },
      occurredAt: m.occurredAt,
      workflowId: m.workflowId,
      runId: m.runId,
      recordedAt: m.recordedAt,
      schemaVersion: m.schemaVersion,
    },
    previousHash: input.previousHash,
  };
  // "data" sorts before every other key, so the canonical object is {"data":…, then the rest in order}.
  const data = dataCanonical ?? canonicalJson(input.data);
  const encoded = '{"data":' + data + ',' + canonicalJson(rest).slice(1);
  return createHash('sha256').update(encoded).digest('hex');
}
