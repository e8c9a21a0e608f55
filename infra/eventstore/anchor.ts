// Anchoring the log: what the hash chains alone cannot show. Each stream's chain proves its events
// were not changed in place, but someone with the file who rewrites the end of a stream AND
// recomputes the hashes after it, or cuts the end of a stream, leaves chains that hold. Two answers:
//  - a digest of the whole log up to a position (SHA-256 over every event's position, id, stored
//    hash and the hash recomputed from what it says, in the log's order): a short text to keep apart
//    from the data (a backup's manifest, a register, a deliberation), that the same log recomputes
//    identically and any rewrite before that position changes — an edit that left the stored hash as
//    it was included, since the recomputed one then differs;
//  - the first event where two logs part ways (the live log and a backup's copy of it), for people to
//    see what was rewritten.
// Both also count the events whose stored hash is not the hash of what they say: a digest taken over
// such a log is the digest of an altered log, and is said to be.
import { createHash } from 'node:crypto';
import { recomputedHash } from './integrity';
import type { EventStore, RecordedEvent } from './port';

/** An event whose stored hash is not the hash of its content (an in-place edit). */
export interface Mismatch {
  position: bigint;
  stream: string;
  revision: bigint;
  id: string;
}

export interface LogDigest {
  /** Events up to and including `upTo`. */
  events: number;
  upTo: bigint;
  /** SHA-256 (hex). */
  digest: string;
  /** Events whose stored hash is not their content's, and the first of them. */
  mismatches: number;
  firstMismatch: Mismatch | undefined;
}

/** What an event's content hashes to, or a marker when it cannot be hashed (not canonical JSON). */
function contentHash(e: RecordedEvent): string {
  try {
    return recomputedHash(e);
  } catch {
    return 'illisible';
  }
}

/** One event's share of the digest, given its content hash. */
const digestLine = (e: RecordedEvent, content: string): string =>
  `${e.position}\t${e.id}\t${String(e.metadata.hash)}\t${content}\n`;

/** The digest being taken, event by event, with the mismatches it meets. */
function digestBuilder(): {
  add(e: RecordedEvent, content: string): void;
  done(upTo: bigint): LogDigest;
} {
  const hash = createHash('sha256');
  let events = 0;
  let mismatches = 0;
  let firstMismatch: Mismatch | undefined;
  return {
    add(e, content) {
      hash.update(digestLine(e, content));
      events += 1;
      if (content !== e.metadata.hash) {
        mismatches += 1;
        firstMismatch ??= { position: e.position, stream: e.stream, revision: e.revision, id: e.id };
      }
    },
    done: (upTo) => ({ events, upTo, digest: hash.digest('hex'), mismatches, firstMismatch }),
  };
}

export async function logDigest(
  store: EventStore,
  upTo: bigint,
  onProgress?: (events: number) => void,
): Promise<LogDigest> {
  const digest = digestBuilder();
  let events = 0;
  for await (const event of store.readAll({ raw: true })) {
    if (event.position > upTo) break;
    digest.add(event, contentHash(event));
    events += 1;
    if (events % 1000 === 0) onProgress?.(events);
  }
  onProgress?.(events);
  return digest.done(upTo);
}

export interface EventBrief {
  position: bigint;
  stream: string;
  revision: bigint;
  id: string;
  /** The hash stored with the event. */
  hash: string;
  /** The hash of what the event says, recomputed. */
  contentHash: string;
}

export interface Divergence {
  /** Position in the reference log (`expected`) where the two part ways. */
  position: bigint;
  expected: EventBrief | undefined;
  found: EventBrief | undefined;
}

export interface Comparison {
  /** Events of the reference compared (up to its head, or to the first divergence). */
  compared: number;
  divergence: Divergence | undefined;
  /** The digest of `actual` over the reference's span, when they did not part ways. */
  digest: LogDigest | undefined;
}

const brief = (e: RecordedEvent | undefined, content: string | undefined): EventBrief | undefined =>
  e === undefined
    ? undefined
    : {
        position: e.position,
        stream: e.stream,
        revision: e.revision,
        id: e.id,
        hash: String(e.metadata.hash),
        contentHash: content ?? '',
      };

/**
 * Walks `reference` (a backup's copy) and `actual` (the live log) side by side in the log's order,
 * up to `reference`'s last event: each event must be at the same position with the same id, the
 * same stored hash and the same content (its recomputed hash). Events `actual` has after that are
 * new, not a divergence.
 */
export async function compareLogs(
  reference: EventStore,
  actual: EventStore,
  onProgress?: (compared: number) => void,
): Promise<Comparison> {
  const upTo = await reference.headPosition();
  const digest = digestBuilder();
  const theirs = actual.readAll({ raw: true })[Symbol.asyncIterator]();
  let compared = 0;
  try {
    for await (const expected of reference.readAll({ raw: true })) {
      const next = await theirs.next();
      const found = next.done === true ? undefined : next.value;
      const expectedContent = contentHash(expected);
      const foundContent = found === undefined ? undefined : contentHash(found);
      if (
        found === undefined ||
        found.position !== expected.position ||
        found.id !== expected.id ||
        found.metadata.hash !== expected.metadata.hash ||
        foundContent !== expectedContent
      ) {
        // An event missing from `actual` shows as the one found in its place (or nothing).
        return {
          compared,
          divergence: {
            position: expected.position,
            expected: brief(expected, expectedContent),
            found: brief(found, foundContent),
          },
          digest: undefined,
        };
      }
      digest.add(found, foundContent);
      compared += 1;
      if (compared % 1000 === 0) onProgress?.(compared);
    }
  } finally {
    await theirs.return?.();
  }
  onProgress?.(compared);
  return { compared, divergence: undefined, digest: digest.done(upTo) };
}
