// A ledger large enough to leave in many chunks: a client that hangs up mid-download stops the
// store's read, the server logs it calmly and goes on answering; a client that accepts gzip gets it
// gzipped as it streams.
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../infra/eventstore/port';
import { auditRouter } from '../../services/audit/routes';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { rawGet } from '../support/rawHttp';
import { openTestStore, type TestStore } from './support';

/** Events in the log: one envelope opened, then reservations (four ledger entries each). */
const EVENTS = 12_000;
const ENTRIES = 1 + (EVENTS - 1) * 4;

const metadata = {
  correlationId: 'chargement-de-test',
  causationId: 'chargement-de-test',
  actor: { id: 'rep-etat', role: 'funder', institution: 'ETAT' },
  occurredAt: '2027-03-10T09:00:00.000Z',
};

describe('streaming the ledger', () => {
  let t: TestStore;
  let server: RunningHttpServer;
  let pulled = 0;
  const logs: string[] = [];
  const secret = 'secret-de-test-audit-0123456789-abcdef';

  beforeAll(async () => {
    t = openTestStore();
    // Several megabytes of CSV, far more than the sockets between client and server can buffer. The
    // events are written straight to the store (the domain would refuse so many reservations).
    await t.store.append(
      'envelope-2027-ETAT',
      [
        {
          id: randomUUID(),
          type: 'EnvelopeOpened',
          data: { campaignId: '2027', funder: 'ETAT', amountCents: 50_000_000 },
          metadata,
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    for (let done = 1; done < EVENTS; done += 1000) {
      const batch = Array.from({ length: Math.min(1000, EVENTS - done) }, (_, i) => ({
        id: randomUUID(),
        type: 'FundsReserved',
        data: {
          applicationId: '01JQA00000000000000000000A',
          amountsByYear: [1, 2, 3, 4].map((year) => ({ year, amountCents: 1000 + done + i })),
          totalCents: 4 * (1000 + done + i),
          previousTotalCents: 0,
        },
        metadata,
      }));
      await t.store.append('envelope-2027-ETAT', batch, { expectedRevision: 'any' });
    }
    const counting: EventStore = {
      ...t.store,
      readAll: (options) => {
        const inner = t.store.readAll(options);
        return (async function* () {
          for await (const event of inner) {
            pulled += 1;
            yield event;
          }
        })();
      },
    };
    const platform = createHttpPlatform({
      logger: pino({ level: 'info' }, { write: (line: string) => logs.push(line) }),
      auth: { mode: 'embedded', secret },
    });
    platform.mount(auditRouter({ eventStore: counting, authenticate: platform.authenticate }));
    server = await listen(platform.finish(), '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it('stops reading when the client leaves, and keeps serving', async () => {
    const headers = { authorization: `Bearer ${await mintDevelopmentToken({ secret, role: 'auditor' })}` };
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/audit/ledger.csv`, {
      headers,
      signal: controller.signal,
    });
    const first = await response.body!.getReader().read();
    expect(first.done).toBe(false);
    controller.abort();
    await expect.poll(() => logs.some((l) => l.includes('export interrompu')), { timeout: 5000 }).toBe(true);
    expect(pulled).toBeLessThan(EVENTS / 2);

    pulled = 0;
    const full = await fetch(`${server.url}/api/audit/ledger.csv`, { headers });
    expect(full.status).toBe(200);
    const text = await full.text();
    expect(text.split('\r\n')).toHaveLength(1 + ENTRIES + 1);
    expect(pulled).toBe(EVENTS);
    expect(logs.some((l) => /"level":50/.test(l))).toBe(false);
    // The departure is still on record, as information: nothing failed on the server's side.
    expect(logs.some((l) => /"level":30/.test(l) && l.includes('interrompue'))).toBe(true);
  });

  it('gzips the CSV as it streams for a client that accepts it: the same bytes once gunzipped', async () => {
    const authorization = `Bearer ${await mintDevelopmentToken({ secret, role: 'auditor' })}`;
    const download = (headers: Record<string, string>) =>
      rawGet(`${server.url}/api/audit/ledger.csv`, { authorization, ...headers });
    const plain = await download({});
    const gzipped = await download({ 'accept-encoding': 'gzip, deflate, br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('Accept-Encoding');
    expect(gzipped.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(plain.body.toString('utf8').split('\r\n')).toHaveLength(1 + ENTRIES + 1);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 5);
  });
});
