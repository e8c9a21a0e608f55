// Anchoring the log: what the hash chains alone cannot show. Each stream's chain proves its events
// were not changed in place, but someone with the file who rewrites the end of a stream AND
// recomputes the hashes after it, or cuts the end of a stream, leaves chains that hold. Two answers:
//  - a digest of the whole log up to a position (SHA-256 over every event's position, id and hash,
//    in the log's order): a short text to keep apart from the data (a backup's manifest, a register,
//    a deliberation), that the same log recomputes identically and any rewrite before that position
//    changes;
//  - the first event where two logs part ways (the live log and a backup's copy of it), for people to
//    see what was rewritten.
import { createHash } from 'node:crypto';
import type { EventStore, RecordedEvent } from './port';

export interface LogDigest {
  /** Events up to and including `upTo`. */
  events: number;
  upTo: bigint;
  /** SHA-256 (hex). */
  digest: string;
}

/** One event's share of the digest. */
const digestLine = (e: RecordedEvent): string => `${e.position}\t${e.id}\t${String(e.metadata.hash)}\n`;

export async function logDigest(
  store: EventStore,
  upTo: bigint,
  onProgress?: (events: number) => void,
): Promise<LogDigest> {
  const hash = createHash('sha256');
  let events = 0;
  for await (const event of store.readAll({ raw: true })) {
    if (event.position > upTo) break;
    hash.update(digestLine(event));
    events += 1;
    if (events % 1000 === 0) onProgress?.(events);
  }
  onProgress?.(events);
  return { events, upTo, digest: hash.digest('hex') };
}

export interface Divergence {
  /** Position in the reference log (`expected`) where the two part ways. */
  position: bigint;
  expected: { stream: string; revision: bigint; id: string; hash: string } | undefined;
  found: { stream: string; revision: bigint; id: string; hash: string } | undefined;
}

export interface Comparison {
  /** Events of the reference compared (up to its head, or to the first divergence). */
  compared: number;
  divergence: Divergence | undefined;
  /** The digest of `actual` over the reference's span, when they did not part ways. */
  digest: LogDigest | undefined;
}

const brief = (e: RecordedEvent | undefined): Divergence['expected'] =>
  e === undefined
    ? undefined
    : { stream: e.stream, revision: e.revision, id: e.id, hash: String(e.metadata.hash) };

/**
 * Walks `reference` (a backup's copy) and `actual` (the live log) side by side in the log's order,
 * up to `reference`'s last event: each event must be at the same position with the same id and
 * hash. Events `actual` has after that are new, not a divergence.
 */
export async function compareLogs(
  reference: EventStore,
  actual: EventStore,
  onProgress?: (compared: number) => void,
): Promise<Comparison> {
  const upTo = await reference.headPosition();
  const hash = createHash('sha256');
  const theirs = actual.readAll({ raw: true })[Symbol.asyncIterator]();
  let compared = 0;
  try {
    for await (const expected of reference.readAll({ raw: true })) {
      const next = await theirs.next();
      const found = next.done === true ? undefined : next.value;
      if (
        found === undefined ||
        found.position !== expected.position ||
        found.id !== expected.id ||
        found.metadata.hash !== expected.metadata.hash
      ) {
        // An event missing from `actual` shows as the one found in its place (or nothing).
        return {
          compared,
          divergence: { position: expected.position, expected: brief(expected), found: brief(found) },
          digest: undefined,
        };
      }
      hash.update(digestLine(found));
      compared += 1;
      if (compared % 1000 === 0) onProgress?.(compared);
    }
  } finally {
    await theirs.return?.();
  }
  onProgress?.(compared);
  return { compared, divergence: undefined, digest: { events: compared, upTo, digest: hash.digest('hex') } };
}
