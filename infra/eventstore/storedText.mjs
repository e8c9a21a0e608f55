// The SQLite adapter's integrity check over the text as stored. The adapter stores exactly the text it
// hashed (data: canonical JSON; metadata: the canonical hashed metadata followed by previousHash and
// hash), so the hashed text can be rebuilt from the columns by concatenation — no JSON.parse, no
// validation, no re-encoding — and a byte changed anywhere shows. Plain JavaScript on purpose: the
// worker threads that split a whole-log check (sqliteIntegrity.ts) load it without a TypeScript
// loader, and the main thread uses the same code for one stream or a small log.
import { hash } from 'node:crypto';

/** The columns read, in this order. */
export const STORED_TEXT_COLUMNS = 'position, stream, revision, id, type, data, metadata';

// The metadata ends with one of these two fixed-length tails (append.ts, sealEvent):
//   ,"previousHash":null,"hash":"<64 hex>"}           95 characters
//   ,"previousHash":"<64 hex>","hash":"<64 hex>"}     157 characters
const TAIL_NULL = 95;
const TAIL_HEX = 157;
const PREVIOUS_KEY = ',"previousHash":';
const HASH_KEY = ',"hash":"';
const METADATA_START = '{"actor":';
const METADATA_KEY = ',"metadata":';

/**
 * The stored chain fields of a metadata text, or undefined when it is not shaped as the store writes
 * it: starting as the hashed metadata starts, ending with one of the two tails above. `core` is the
 * hashed metadata without its closing brace.
 */
export function storedChainFields(metadata) {
  if (typeof metadata !== 'string') return undefined;
  const end = metadata.length;
  if (
    end < TAIL_HEX ||
    !metadata.startsWith(METADATA_START) ||
    metadata.charCodeAt(end - 1) !== 125 /* } */ ||
    metadata.charCodeAt(end - 2) !== 34 /* " */ ||
    !metadata.startsWith(HASH_KEY, end - 75)
  ) {
    return undefined;
  }
  const storedHash = metadata.slice(end - 66, end - 2);
  if (metadata.startsWith(PREVIOUS_KEY + 'null', end - TAIL_NULL)) {
    return { core: metadata.slice(0, end - TAIL_NULL), previousHash: null, hash: storedHash };
  }
  if (metadata.startsWith(PREVIOUS_KEY + '"', end - TAIL_HEX) && metadata.charCodeAt(end - 76) === 34) {
    return {
      core: metadata.slice(0, end - TAIL_HEX),
      previousHash: metadata.slice(end - 140, end - 76),
      hash: storedHash,
    };
  }
  return undefined;
}

/**
 * hash.ts's hashedText, rebuilt from the stored columns. The checker below takes it only from a
 * metadata text that starts with {"actor": and holds no ,"metadata": — then no two different rows
 * rebuild the same text, so a row passes only when its stored bytes are exactly the bytes hashed.
 * Why, reading from the fixed end: type and stream are JSON string literals preceded by `:` (a
 * literal starting inside another would be preceded by the backslash of an escaped quote), the
 * revision a decimal, previousHash null or a quoted hex string: all in their original places, so the
 * metadata ends where the original did. It cannot start later: the hashed metadata holds {"actor":
 * only at its start (no other key actor; no `{"` inside a JSON string, where quotes are escaped). Nor
 * earlier: it would then hold ,"metadata": (which the hashed metadata never does, for the same
 * reasons) or start with a character of it, not `{`. The id is again a literal after `:`, and the
 * data is what remains.
 */
export function rebuiltText(stream, revision, id, type, data, core, previousHash) {
  return (
    '{"data":' +
    data +
    ',"id":' +
    JSON.stringify(id) +
    ',"metadata":' +
    core +
    '},"previousHash":' +
    (previousHash === null ? 'null' : '"' + previousHash + '"') +
    ',"revision":"' +
    revision +
    '","stream":' +
    JSON.stringify(stream) +
    ',"type":' +
    JSON.stringify(type) +
    ',"v":1}'
  );
}

/**
 * Stands in for the last link of a stream that broke, so that its later rows fail the link check and
 * reach the (cold) failure path, which counts them unchecked: intact rows pay nothing for it. Its
 * hash matches no stored previousHash (null or 64 hex digits).
 */
const BROKEN = { revision: -1, hash: '' };

/**
 * Checks rows (STORED_TEXT_COLUMNS, raw arrays, integers as numbers) in the order given, keeping the
 * last link of every stream. A stream is reported once, at its first row that does not hold (in
 * `failures`, with the stream's previous link here); its later rows are not checked but counted in
 * `unchecked` (and per stream, in `uncheckedByStream`). `deferFirstLinks`: a stream's first row in
 * this range is not checked against a previous link (it is in another range) but recorded in
 * `boundary` for the caller to check once the ranges before are known; everything else about it is
 * checked here.
 */
export function createStoredTextChecker({ deferFirstLinks = false, onProgress, progressEvery = 1000 } = {}) {
  /** stream → { revision, hash } of its last row so far (BROKEN once it broke). */
  const links = new Map();
  const boundary = { streams: [], revisions: [], previous: [], positions: [] };
  const failures = { streams: [], positions: [], links: [] };
  const uncheckedByStream = new Map();
  let read = 0;
  let unchecked = 0;

  /** A row that does not hold: its stream's first break, or a row after it. */
  function failed(row) {
    const stream = row[1];
    const link = links.get(stream);
    if (link === BROKEN) {
      unchecked++;
      uncheckedByStream.set(stream, (uncheckedByStream.get(stream) ?? 0) + 1);
    } else {
      failures.streams.push(stream);
      failures.positions.push(row[0]);
      failures.links.push(link === undefined ? null : { revision: link.revision, hash: link.hash });
      links.set(stream, BROKEN);
    }
    read++;
    if (onProgress !== undefined && read % progressEvery === 0) onProgress(read);
  }

  return {
    links,
    boundary,
    failures,
    uncheckedByStream,
    get read() {
      return read;
    },
    get unchecked() {
      return unchecked;
    },
    /** Checks rows[start...] in order. */
    check(rows, start = 0) {
      for (let i = start; i < rows.length; i++) {
        const row = rows[i];
        const stream = row[1];
        const revision = row[2];
        const chain = storedChainFields(row[6]);
        if (
          chain === undefined ||
          chain.core.includes(METADATA_KEY) ||
          typeof row[5] !== 'string' ||
          typeof row[3] !== 'string' ||
          typeof stream !== 'string' ||
          typeof row[4] !== 'string'
        ) {
          failed(row);
          continue;
        }
        const link = links.get(stream);
        if (link !== undefined) {
          if (revision !== link.revision + 1 || chain.previousHash !== link.hash) {
            failed(row);
            continue;
          }
        } else if (!deferFirstLinks && (revision !== 0 || chain.previousHash !== null)) {
          failed(row);
          continue;
        }
        const text = rebuiltText(stream, revision, row[3], row[4], row[5], chain.core, chain.previousHash);
        if (hash('sha256', text, 'hex') !== chain.hash) {
          failed(row);
          continue;
        }
        if (link === undefined && deferFirstLinks) {
          boundary.streams.push(stream);
          boundary.revisions.push(revision);
          boundary.previous.push(chain.previousHash);
          boundary.positions.push(row[0]);
        }
        if (link === undefined) links.set(stream, { revision, hash: chain.hash });
        else {
          link.revision = revision;
          link.hash = chain.hash;
        }
        read++;
        if (onProgress !== undefined && read % progressEvery === 0) onProgress(read);
      }
    },
  };
}
