// A bounded HTTP/1.1 load loop for loopback benchmarks: N keep-alive connections, each sending one
// GET, waiting for the whole response, then sending the next, until a fixed duration is over (a
// closed loop, like autocannon without pipelining). Raw sockets and a minimal response parser, not
// fetch or http.request: the client shares a 2-core machine with the server, and the less CPU it
// spends per request the less it skews what the server can do. Responses must carry Content-Length
// (Express's res.json does); anything else fails the run rather than being measured wrongly.
// Every socket reads into one reusable buffer (net's `onread`), not a new 64 KiB buffer per read
// as 'data' events get: with those, a 47 KB answer cost the loop twice the CPU of a small one and
// its garbage collections showed up as the server's latency, larger the larger the answers.
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  /** http://127.0.0.1:port/path?query — loopback only. */
  url: string;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  /** The status every response must have (default 200). */
  expectStatus?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Size of the last response body, for the record. */
  bodyBytes: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** A connection silent this long is stuck: the run fails rather than wait for ever. */
const IDLE_LIMIT_MS = 10_000;

/** The p-th percentile (0 < p ≤ 1) of ascending values, nearest-rank. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

interface Parsed {
  status: number;
  /** Bytes of the whole response (headers and body), or undefined until the headers are complete. */
  total: number | undefined;
  bodyBytes: number;
}

function parseHead(buffer: Buffer): Parsed | undefined {
  const end = buffer.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const head = buffer.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (match === null) {
    throw new Error(`réponse sans Content-Length (statut ${status}) : ${head.split('\r\n')[0] ?? ''}`);
  }
  const bodyBytes = Number(match[1]);
  return { status, total: end + HEADER_END.length + bodyBytes, bodyBytes };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`boucle de charge limitée au loopback en http : ${options.url}`);
  }
  const expectStatus = options.expectStatus ?? 200;
  const headerLines = Object.entries({ host: url.host, ...options.headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\n${headerLines}\r\n`, 'latin1');
  const latencies: number[] = [];
  let bodyBytes = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  // Read callbacks run one at a time, each to its end before the next read: one buffer serves every
  // connection, provided nothing keeps a view of it (a head split across reads is copied).
  const readBuffer = Buffer.allocUnsafe(256 * 1024);

  const connection = () =>
    new Promise<void>((done, fail) => {
      let onRead: (bytes: number, buffer: Buffer) => void = () => undefined;
      const socket: Socket = connect({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port),
        onread: {
          buffer: readBuffer,
          callback: (bytes, buffer) => {
            onRead(bytes, buffer as Buffer);
            return true;
          },
        },
      });
      socket.setNoDelay(true);
      /** The start of a response whose head has not been read whole yet (copies). */
      let headParts: Buffer[] = [];
      let received = 0;
      let expected: Parsed | undefined;
      let sentAt = 0;
      let stopped = false;
      const send = () => {
        sentAt = performance.now();
        socket.write(request);
      };
      const stop = (error?: Error) => {
        stopped = true;
        socket.destroy();
        if (error) fail(error);
        else done();
      };
      socket.once('connect', send);
      socket.on('error', (error) => stop(error));
      // A response that never comes whole fails the run instead of hanging it.
      socket.setTimeout(IDLE_LIMIT_MS, () =>
        stop(
          new Error(
            `aucun octet depuis ${IDLE_LIMIT_MS / 1000} s sur une connexion (${received} reçus de la réponse en cours) : ${options.url}`,
          ),
        ),
      );
      onRead = (bytes, buffer) => {
        if (stopped) return;
        received += bytes;
        try {
          if (expected === undefined) {
            const chunk = buffer.subarray(0, bytes);
            if (headParts.length === 0) expected = parseHead(chunk);
            if (expected === undefined) {
              headParts.push(Buffer.from(chunk));
              if (headParts.length > 1) expected = parseHead(Buffer.concat(headParts));
              if (expected === undefined) return;
            }
          }
          if (expected.total === undefined || received < expected.total) return;
          if (received > expected.total)
            throw new Error('octets en trop après la réponse (pas de pipelining ici)');
          const now = performance.now();
          if (expected.status !== expectStatus) {
            throw new Error(`statut ${expected.status} au lieu de ${expectStatus} pour ${options.url}`);
          }
          latencies.push(now - sentAt);
          bodyBytes = expected.bodyBytes;
          headParts = [];
          received = 0;
          expected = undefined;
          if (now < deadline) send();
          else stop();
        } catch (error) {
          stop(error instanceof Error ? error : new Error(String(error)));
        }
      };
      socket.on('close', () => {
        if (performance.now() < deadline) stop(new Error(`connexion fermée par le serveur : ${options.url}`));
      });
    });

  await Promise.all(Array.from({ length: options.connections }, connection));
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    bodyBytes,
  };
}
