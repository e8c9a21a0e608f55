// Answers of the query API kept as the bytes sent, until the read models change. The read models
// only change when a projector commits, and between two commits the same question from the same
// caller gets the same answer: serialising a campaign summary or a page of 50 applications again
// costs 10 to 50 times what sending the kept bytes does.
//
// Correctness rests on three things:
//  - the key holds the caller's whole visibility (role, porteur, institution), so an answer computed
//    for one porteur or funder is never served to another, whatever the route does with the scope;
//  - the read models' version is read BEFORE the answer is computed: an answer computed from data
//    newer than the version it is filed under is dropped at the next request, never served stale;
//  - the version moves on every commit: `PRAGMA data_version` changes when another connection (a
//    projector in another process, a rebuild's swap) commits, `total_changes()` counts the rows the
//    API's own connection changed (the in-process projector shares it, services/engine.ts).
// Every answer, cached or not, carries a strong ETag (a hash of its bytes) and If-None-Match gets a
// 304: the bytes are the representation, so equal bytes, equal tag, across versions and restarts.
//
// A caller that accepts gzip (browsers, the console, `curl --compressed`) gets answers of 1 KiB or
// more compressed: a page of 50 applications is 47,606 bytes as JSON, 2,932 gzipped (bench). The
// gzip bytes are made once per kept answer, on the first request that wants them, and kept beside
// the JSON, so a kept answer costs no compression; their ETag is the JSON's with `-gzip` (another
// representation, another strong tag), and every such answer says `Vary: Accept-Encoding`.
import { hash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import type { Request, Response } from 'express';
import type { Principal } from '../http/platform/auth';
import { acceptsGzip } from '../http/platform/encoding';

export interface AnswerCacheOptions {
  /** Bytes of answers kept at most (least recently used dropped first). Default 32 MiB. */
  maxBytes?: number;
}

export interface ReadModelAnswers {
  /**
   * Sends the JSON of `compute()` for this request (200 with ETag, or 304 when If-None-Match
   * matches), from the cache when the read models have not changed since it was computed for the
   * same route, query and caller's visibility. `compute` returns the value to serialise, or a
   * JsonText. Errors thrown by `compute` are not cached.
   */
  send(req: Request, res: Response, key: AnswerKey, compute: () => unknown): void;
  /** Answers kept, their bytes and the lookups that found one (for tests and metrics). */
  stats(): { entries: number; bytes: number; hits: number; misses: number };
}

export interface AnswerKey {
  /** The route, as mounted ('/api/campaigns/:id/summary'). */
  route: string;
  /** The validated params and query (zod's output: defaults applied, keys in the schema's order). */
  input: unknown;
  principal: Principal;
}

/** An answer already serialised (a query that writes its JSON itself): sent as is. */
export class JsonText {
  constructor(readonly text: string) {}
}

interface Answer {
  body: Buffer;
  etag: string;
  /** The body gzipped, made on the first request that accepts it. */
  gzipped?: Buffer;
}

/** Below this, compressing saves less than it costs (headers, CPU). */
export const COMPRESS_FROM_BYTES = 1024;

/**
 * Changes whenever the read models may have changed (see above). `total_changes()` is read at every
 * call (0.1 µs): the in-process projector may commit between two requests. `PRAGMA data_version`
 * takes a read snapshot (2–8 µs, the more under load), so it is read once per turn of the event loop
 * and forgotten at that turn's check phase: under load a turn handles several requests, and another
 * process's commit then reaches the answers from the next turn on, a fraction of a millisecond later
 * (the read models already trail the events by the projector's lag).
 */
export function readModelVersion(db: Database): () => string {
  // Two statements rather than one SELECT of both: the pragma alone takes a read snapshot, the
  // table-valued pragma_data_version inside a SELECT costs half as much again.
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck(true);
  const totalChanges = db.prepare<[], number>('SELECT total_changes()').pluck(true);
  let thisTurn: number | undefined;
  const forget = (): void => {
    thisTurn = undefined;
  };
  return () => {
    if (thisTurn === undefined) {
      thisTurn = dataVersion.get() ?? 0;
      setImmediate(forget);
    }
    return `${thisTurn}:${totalChanges.get() ?? ''}`;
  };
}

/** Who the caller is, as far as what it may see goes. */
const visibilityOf = (p: Principal): string =>
  `${p.role}\u0000${p.porteurId ?? ''}\u0000${p.institution ?? ''}`;

const keyOf = (key: AnswerKey): string =>
  `${key.route}\u0000${JSON.stringify(key.input)}\u0000${visibilityOf(key.principal)}`;

function answerOf(value: unknown): Answer {
  const body = Buffer.from(value instanceof JsonText ? value.text : JSON.stringify(value), 'utf8');
  return { body, etag: `"${hash('sha1', body, 'base64url')}"` };
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/"x" matches "x". */
function notModified(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return (t.startsWith('W/') ? t.slice(2) : t) === etag;
  });
}

/** Sends the answer; returns the bytes it added to the cache (a gzipped body made for it). */
function reply(req: Request, res: Response, answer: Answer): number {
  const compressible = answer.body.length >= COMPRESS_FROM_BYTES;
  const gzip = compressible && acceptsGzip(req);
  // The gzip tag derives from the JSON's: a 304 needs no compression.
  const etag = gzip ? `${answer.etag.slice(0, -1)}-gzip"` : answer.etag;
  if (compressible) res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('ETag', etag);
  if (notModified(req.get('If-None-Match'), etag)) {
    res.status(304).end();
    return 0;
  }
  let made = 0;
  if (gzip && answer.gzipped === undefined) {
    answer.gzipped = gzipSync(answer.body);
    made = answer.gzipped.length;
  }
  const body = gzip && answer.gzipped !== undefined ? answer.gzipped : answer.body;
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', body.length);
  res.end(body);
  return made;
}

/**
 * The answers of one read-model connection. `false` keeps nothing (every answer computed again,
 * still with its ETag and 304): the cold figures of the bench, and a switch should a doubt arise.
 */
export function createReadModelAnswers(db: Database, options: AnswerCacheOptions | false): ReadModelAnswers {
  const counters = { hits: 0, misses: 0 };
  if (options === false) {
    return {
      send(req, res, _key, compute) {
        counters.misses++;
        reply(req, res, answerOf(compute()));
      },
      stats: () => ({ entries: 0, bytes: 0, hits: 0, misses: counters.misses }),
    };
  }
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  const version = readModelVersion(db);
  // Insertion order is recency: a hit is deleted and set again, so the first key is the coldest.
  const answers = new Map<string, Answer>();
  let bytes = 0;
  let filedUnder = '';

  const sizeOf = (key: string, answer: Answer): number =>
    answer.body.length + (answer.gzipped?.length ?? 0) + key.length * 2;
  const evict = (): void => {
    for (const [coldest, old] of answers) {
      if (bytes <= maxBytes) break;
      answers.delete(coldest);
      bytes -= sizeOf(coldest, old);
    }
  };
  const file = (key: string, answer: Answer): void => {
    const size = sizeOf(key, answer);
    // One answer that would push out an eighth of the cache is not worth keeping.
    if (size > maxBytes / 8) return;
    answers.set(key, answer);
    bytes += size;
    evict();
  };

  return {
    send(req, res, key, compute) {
      const current = version();
      if (current !== filedUnder) {
        answers.clear();
        bytes = 0;
        filedUnder = current;
      }
      const k = keyOf(key);
      let answer = answers.get(k);
      if (answer === undefined) {
        counters.misses++;
        answer = answerOf(compute());
        file(k, answer);
      } else {
        counters.hits++;
        answers.delete(k);
        answers.set(k, answer);
      }
      const made = reply(req, res, answer);
      // The gzipped bytes count once kept (an answer too large to keep was not filed).
      if (made > 0 && answers.get(k) === answer) {
        bytes += made;
        evict();
      }
    },
    stats: () => ({ entries: answers.size, bytes, hits: counters.hits, misses: counters.misses }),
  };
}
