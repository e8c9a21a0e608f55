// The auditor's check: walk one stream or the whole log, recompute every hash from the stored data
// and metadata, and name, for every stream that breaks, the first event whose hash, chain link or
// revision does not hold.
import { computeEventHash } from './hash';
import type { EventStore, IntegrityFailure, IntegrityReport, RecordedEvent, VerifyOptions } from './port';

export type { IntegrityFailure, IntegrityFailureReason, IntegrityReport, VerifyOptions } from './port';

export interface Link {
  revision: bigint;
  hash: string;
}

/**
 * The hash of what `event` says (a raw read: data as stored), as the verifier recomputes it; throws
 * a TypeError when the data or metadata are not canonical JSON values.
 */
export function recomputedHash(event: RecordedEvent): string {
  const { hash: _h, previousHash, ...rest } = event.metadata;
  return computeEventHash({
    id: event.id,
    stream: event.stream,
    revision: event.revision,
    type: event.type,
    data: event.data,
    metadata: rest,
    previousHash,
  });
}

/** What is wrong with `event`, given the previous link of its stream, or undefined if it holds. */
export function checkEvent(
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
    recomputed = recomputedHash(event);
  } catch (error) {
    return { reason: 'malformed', detail: `contenu non canonique : ${(error as Error).message}` };
  }
  if (recomputed !== m.hash) {
    return { reason: 'hash_mismatch', detail: `empreinte enregistrée ${m.hash}, recalculée ${recomputed}` };
  }
  return undefined;
}

/** Broken streams listed in a report (IntegrityReport.broken); brokenStreams still counts them all. */
export const BROKEN_LISTED = 1000;

/** The report from what a verification found; both checks make it here, so its shape cannot differ. */
export function integrityReport(
  read: number,
  unchecked: number,
  broken: IntegrityFailure[],
  brokenStreams: number,
): IntegrityReport {
  const [first] = broken;
  return {
    ok: brokenStreams === 0,
    checked: read - unchecked,
    unchecked,
    ...(first === undefined ? {} : { firstBroken: first }),
    broken,
    brokenStreams,
  };
}

/**
 * Verifies the hash chain: the adapter's own check when it has one (EventStore.verifyIntegrity; the
 * SQLite one reads the stored text, see sqliteIntegrity.ts), the generic one otherwise.
 */
export function verifyIntegrity(store: EventStore, options: VerifyOptions = {}): Promise<IntegrityReport> {
  return store.verifyIntegrity ? store.verifyIntegrity(options) : verifyIntegrityGeneric(store, options);
}

/**
 * Stands in for the last link of a stream that broke: its later events are not checked, since the
 * stream's chain no longer says what should come next. One object compared by identity, so intact
 * events pay nothing for it.
 */
const BROKEN: Link = { revision: -1n, hash: '' };

/**
 * The generic check, for any adapter: over the data as stored (raw reads: no upcasting, which would
 * change what was hashed), each hash recomputed from the parsed data and metadata re-encoded
 * canonically. Streams are checked in global order with the last link of each stream kept in memory
 * (about a hundred bytes per stream). A broken stream is reported once, at its first broken event;
 * the other streams go on being checked.
 */
export async function verifyIntegrityGeneric(
  store: EventStore,
  options: VerifyOptions = {},
): Promise<IntegrityReport> {
  const every = options.progressEvery ?? 1000;
  const links = new Map<string, Link>();
  const broken: IntegrityFailure[] = [];
  let brokenStreams = 0;
  let read = 0;
  let unchecked = 0;
  const events: AsyncIterable<RecordedEvent> | RecordedEvent[] =
    options.stream === undefined
      ? store.readAll({ raw: true })
      : await store.readStream(options.stream, { raw: true });
  for await (const event of events) {
    read++;
    const previous = links.get(event.stream);
    if (previous === BROKEN) {
      unchecked++;
    } else {
      const failure = checkEvent(event, previous);
      if (failure === undefined) {
        links.set(event.stream, { revision: event.revision, hash: event.metadata.hash });
      } else {
        links.set(event.stream, BROKEN);
        brokenStreams++;
        if (broken.length < BROKEN_LISTED) {
          broken.push({
            stream: event.stream,
            revision: event.revision,
            position: event.position,
            eventId: event.id,
            ...failure,
          });
        }
      }
    }
    if (read % every === 0) options.onProgress?.(read);
  }
  options.onProgress?.(read);
  return integrityReport(read, unchecked, broken, brokenStreams);
}
