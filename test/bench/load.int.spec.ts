// The bench's load loop (bench/support/load.ts) against real servers on 127.0.0.1: it counts whole
// responses, small or larger than a read, whose head may come in pieces; it keeps one request in
// flight per connection; it refuses what it cannot measure rightly.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/support/load';

const servers: (HttpServer | NetServer)[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((done) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close(() => done());
        }),
    ),
  );
});

async function serve<S extends HttpServer | NetServer>(server: S): Promise<string> {
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('adresse inattendue');
  return `http://127.0.0.1:${address.port}`;
}

describe('bench load loop', () => {
  it('counts every whole response, one request in flight per connection, small and large bodies', async () => {
    const large = JSON.stringify({ items: 'x'.repeat(300_000) });
    let served = 0;
    // Requests in flight per connection, and the most seen on any.
    const inFlight = new Map<Socket, number>();
    let mostInFlight = 0;
    const url = await serve(
      createHttpServer((req, res) => {
        const now = (inFlight.get(req.socket) ?? 0) + 1;
        inFlight.set(req.socket, now);
        mostInFlight = Math.max(mostInFlight, now);
        const body = req.url === '/large' ? large : '{"ok":true}';
        // Answer a moment later, so that requests of several connections overlap.
        setTimeout(() => {
          served++;
          inFlight.set(req.socket, (inFlight.get(req.socket) ?? 1) - 1);
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        }, 1);
      }),
    );
    for (const path of ['/small', '/large']) {
      served = 0;
      mostInFlight = 0;
      inFlight.clear();
      const result = await runLoad({ url: `${url}${path}`, connections: 4, durationMs: 300 });
      expect(result.requests).toBe(served);
      expect(result.requests).toBeGreaterThan(20);
      expect(mostInFlight).toBe(1);
      // Keep-alive: the four connections, each used again and again.
      expect(inFlight.size).toBe(4);
      expect(result.bodyBytes).toBe(path === '/large' ? Buffer.byteLength(large) : 11);
      expect(result.p50Ms).toBeGreaterThan(0);
    }
  });

  it('reads a head that arrives in several pieces', async () => {
    const body = '{"parts":3}';
    const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const url = await serve(
      createNetServer((socket: Socket) => {
        socket.setNoDelay(true);
        let pending = '';
        socket.on('data', (chunk) => {
          // One answer per whole request (a request may itself come in pieces).
          pending += chunk.toString('latin1');
          for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
            pending = pending.slice(end + 4);
            // Head cut in the middle of a header name, then of the blank line, then the body: each
            // piece written once the one before has left, a moment apart.
            const cuts = [20, head.length - 2, head.length];
            const pieces = [head.slice(0, cuts[0]), head.slice(cuts[0], cuts[1]), head.slice(cuts[1]), body];
            const writeFrom = (i: number): void => {
              const piece = pieces[i];
              if (piece === undefined || socket.destroyed) return;
              socket.write(piece, () => setTimeout(() => writeFrom(i + 1), 2));
            };
            writeFrom(0);
          }
        });
        // The client hangs up at the end of the run, maybe while pieces are on their way.
        socket.on('error', () => undefined);
      }),
    );
    const result = await runLoad({ url, connections: 2, durationMs: 200 });
    expect(result.requests).toBeGreaterThan(5);
    expect(result.bodyBytes).toBe(body.length);
  });

  it('fails on an unexpected status or a response without Content-Length', async () => {
    const url = await serve(
      createHttpServer((req, res) => {
        if (req.url === '/missing') {
          res.writeHead(404, { 'content-length': 2 }).end('{}');
          return;
        }
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        res.end('{"chunked":true}');
      }),
    );
    await expect(runLoad({ url: `${url}/missing`, connections: 1, durationMs: 100 })).rejects.toThrow(
      /statut 404 au lieu de 200/,
    );
    await expect(runLoad({ url: `${url}/chunked`, connections: 1, durationMs: 100 })).rejects.toThrow(
      /sans Content-Length/,
    );
  });
});
