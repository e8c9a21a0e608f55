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
import { hash } from 'node:crypto';
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
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          out += (i === 0 ? '' : ',') + (v === undefined ? 'null' : canonicalJson(v));
        }
        return out + ']';
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        // Dates, Maps, class instances: their JSON form is not what a reader gets back.
        throw new TypeError(`canonicalJson: not a plain object (${Object.prototype.toString.call(value)})`);
      }
      const record = value as Record<string, unknown>;
      let out = '{';
      for (const key of Object.keys(record).sort()) {
        const v = record[key];
        if (v === undefined) continue;
        out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(v);
      }
      return out + '}';
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

const str = (s: unknown): string => JSON.stringify(s) ?? 'null';

/**
 * canonicalJson of the hashed metadata fields, written out by hand for speed (it runs for every
 * event appended): the fixed shape, keys already in sorted order, optional fields left out when
 * undefined. A property test holds it equal to canonicalJson on the same object.
 */
export function canonicalHashedMetadata(m: HashInput['metadata']): string {
  const a = m.actor;
  return (
    '{"actor":{"id":' +
    str(a.id) +
    (a.institution === undefined ? '' : ',"institution":' + str(a.institution)) +
    ',"role":' +
    str(a.role) +
    '},"causationId":' +
    str(m.causationId) +
    ',"correlationId":' +
    str(m.correlationId) +
    ',"occurredAt":' +
    str(m.occurredAt) +
    ',"recordedAt":' +
    str(m.recordedAt) +
    (m.runId === undefined ? '' : ',"runId":' + str(m.runId)) +
    ',"schemaVersion":' +
    str(m.schemaVersion) +
    (m.workflowId === undefined ? '' : ',"workflowId":' + str(m.workflowId)) +
    '}'
  );
}

/**
 * The exact text that is hashed: canonicalJson({ data, id, metadata, previousHash, revision, stream,
 * type, v }) — keys in that (sorted) order. `data` and `metadata` are given already encoded
 * (canonicalJson(data), canonicalHashedMetadata(metadata)) so the append path encodes each once.
 */
export function hashedText(
  input: Omit<HashInput, 'data' | 'metadata'>,
  dataCanonical: string,
  metadataCanonical: string,
): string {
  return (
    '{"data":' +
    dataCanonical +
    ',"id":' +
    str(input.id) +
    ',"metadata":' +
    metadataCanonical +
    ',"previousHash":' +
    str(input.previousHash) +
    ',"revision":' +
    str(input.revision.toString()) +
    ',"stream":' +
    str(input.stream) +
    ',"type":' +
    str(input.type) +
    ',"v":' +
    String(HASH_SCHEME_VERSION) +
    '}'
  );
}

// One-shot crypto.hash: measurably cheaper than createHash().update().digest() for small inputs.
export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

/** SHA-256 (hex) of the event, as the verifier recomputes it from what is stored. */
export function computeEventHash(input: HashInput): string {
  return sha256Hex(hashedText(input, canonicalJson(input.data), canonicalHashedMetadata(input.metadata)));
}
