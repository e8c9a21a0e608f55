// Requests Node's HTTP parser refuses before any handler sees them — headers beyond its limit, a
// request that is not HTTP, a Content-Length beside a Transfer-Encoding (smuggling) — answered as
// every other error of the API is: problem+json with a stable code and a French detail, not Node's
// bare « 400 Bad Request » or « 431 » without a body.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

/** What the server answers to these raw bytes, until it closes the connection. */
function raw(bytes: string): Promise<string> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parse(answer: string): { status: number; headers: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return {
    status: Number(head.split(' ')[1]),
    headers: head.toLowerCase(),
    body: JSON.parse(body) as Record<string, unknown>,
  };
}

describe('a request Node refuses before the app', () => {
  it('with headers beyond the limit: 431 problem+json REQUEST_HEADERS_TOO_LARGE', async () => {
    const answer = parse(
      await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    expect(answer.status).toBe(431);
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(answer.body).toMatchObject({
      status: 431,
      code: 'REQUEST_HEADERS_TOO_LARGE',
      type: '/api/docs#problem-headersTooLarge',
    });
    expect(String(answer.body.detail)).toMatch(/en-têtes/);
  });

  it('not HTTP, or with a Content-Length beside a Transfer-Encoding: 400 problem+json UNREADABLE_REQUEST', async () => {
    for (const bytes of [
      'BONJOUR\r\n\r\n',
      'POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ]) {
      const answer = parse(await raw(bytes));
      expect(answer.status, bytes).toBe(400);
      expect(answer.headers, bytes).toContain('content-type: application/problem+json');
      expect(answer.body, bytes).toMatchObject({ status: 400, code: 'UNREADABLE_REQUEST' });
      expect(String(answer.body.detail)).toMatch(/requête/);
    }
  });
});
