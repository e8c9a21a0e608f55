// The auditor's check: walk one stream or the whole log, recompute every hash from the stored data
// and metadata, and name the first event whose hash, chain link or revision does not hold.
import { computeEventHash } from './hash';
import type { EventStore, RecordedEvent } from './port';

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

export interface IntegrityReport {
  ok: boolean;
  /** Events checked (up to and including the first broken one). */
  checked: number;
  firstBroken?: IntegrityFailure;
}

export interface VerifyOptions {
  /** One stream; all streams in global order when absent. */
  stream?: string;
  /** Called every `progressEvery` events (default 1000) and once at the end, e.g. for a progress bar. */
  onProgress?: (checked: number) => void;
  progressEvery?: number;
}

interface Link {
  revision: bigint;
  hash: string;
}

/** What is wrong with `event`, given the previous link of its stream, or undefined if it holds. */
function check(
  event: RecordedEvent,
  previous: Link | undefined,
): Omit<IntegrityFailure, 'stream' | 'revision' | 'position' | 'eventId'> | undefined {
  const m = event.metadata as Partial<RecordedEvent['metadata']> | undefined;
  if (!m || typeof m.hash !== 'string' || m.previousHash === undefined || m.actor === undefined) {
    return { reason: 'malformed', detail: 'métadonnées sans empreinte lisible' };
  }
  const expectedRevision = previous ? previous.revision + 1n : 0n;
  if (event.revision !== expectedRevision) {
    return {
      reason: 'revision_gap',
      detail: `révision ${event.revision} trouvée, ${expectedRevision} attendue`,
    };
  }
  const expectedPrevious = previous ? previous.hash : null;
  if (m.previousHash !== expectedPrevious) {
    return {
      reason: 'chain_broken',
      detail: `empreinte précédente ${m.previousHash ?? 'absente'} au lieu de ${expectedPrevious ?? 'absente'}`,
    };
  }
  let recomputed: string;
  try {
    const { hash: _h, previousHash: _p, ...rest } = event.metadata;
    recomputed = computeEventHash({
      id: event.id,
      stream: event.stream,
      revision: event.revision,
      type: event.type,
      data: event.data,
      metadata: rest,
      previousHash: m.previousHash,
    });
  } catch (error) {
    return { reason: 'malformed', detail: `contenu non canonique : ${(error as Error).message}` };
  }
  if (recomputed !== m.hash) {
    return { reason: 'hash_mismatch', detail: `empreinte enregistrée ${m.hash}, recalculée ${recomputed}` };
  }
  return undefined;
}

/**
 * Verifies the hash chain over the data as stored (raw reads: no upcasting, which would change what
 * was hashed). Streams are checked in global order with the last link of each stream kept in memory
 * (about a hundred bytes per stream).
 */
export async function verifyIntegrity(
  store: EventStore,
  options: VerifyOptions = {},
): Promise<IntegrityReport> {
  const every = options.progressEvery ?? 1000;
  const links = new Map<string, Link>();
  let checked = 0;
  const events: AsyncIterable<RecordedEvent> | RecordedEvent[] =
    options.stream === undefined
      ? store.readAll({ raw: true })
      : await store.readStream(options.stream, { raw: true });
  for await (const event of events) {
    checked++;
    const failure = check(event, links.get(event.stream));
    if (failure) {
      options.onProgress?.(checked);
      return {
        ok: false,
        checked,
        firstBroken: {
          stream: event.stream,
          revision: event.revision,
          position: event.position,
          eventId: event.id,
          ...failure,
        },
      };
    }
    links.set(event.stream, { revision: event.revision, hash: event.metadata.hash });
    if (checked % every === 0) options.onProgress?.(checked);
  }
  options.onProgress?.(checked);
  return { ok: true, checked };
}
