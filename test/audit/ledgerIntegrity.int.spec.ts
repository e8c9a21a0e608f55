// The ledger and the exports say what the engine last found of its log: an auditor reading figures
// from an altered log is told so beside them, and a whole-log verification asked for through the
// API becomes the engine's verdict (/health, the gauge) at once, not hours later at the next
// periodic check. Real SQLite store, real HTTP, real JWTs.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchIntegrity, type IntegrityWatch } from '../../services/audit/integrityWatch';
import { auditRouter } from '../../services/audit/routes';
import { formatPrometheus } from '../../services/http/metrics';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import {
  APPLICATION_A,
  editFirstEventInPlace,
  FundingWorld,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';

const secret = 'secret-de-test-integrite-0123456789-abcdef';

interface Json {
  [key: string]: unknown;
}

describe('the integrity verdict beside the ledger and the exports', () => {
  let t: TestStore;
  let watch: IntegrityWatch;
  let watched: RunningHttpServer;
  let unwatched: RunningHttpServer;
  let auditor: string;

  beforeAll(async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
    // No periodic check during the test: only the verifications asked for.
    watch = watchIntegrity(t.store, {
      firstAfterMs: 3_600_000,
      everyMs: 3_600_000,
      logger: pino({ level: 'silent' }),
    });
    const serve = (withWatch: boolean) => {
      const platform = createHttpPlatform({
        logger: pino({ level: 'silent' }),
        auth: { mode: 'embedded', secret },
      });
      platform.mount(
        auditRouter({
          eventStore: t.store,
          authenticate: platform.authenticate,
          ...(withWatch ? { integrity: watch } : {}),
        }),
      );
      return listen(platform.finish(), '127.0.0.1', 0);
    };
    watched = await serve(true);
    unwatched = await serve(false);
    auditor = await mintDevelopmentToken({ secret, role: 'auditor' });
  });
  afterAll(async () => {
    await watch.stop();
    await watched.close();
    await unwatched.close();
    await t.close();
  });

  const call = (server: RunningHttpServer, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${auditor}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
  const ledgerIntegrity = async (server: RunningHttpServer): Promise<Json> => {
    const response = await call(server, '/api/audit/ledger?limit=5');
    expect(response.status).toBe(200);
    return ((await response.json()) as Json).integrity as Json;
  };
  const csvHeader = async (path: string): Promise<string | null> => {
    const response = await call(watched, path);
    expect(response.status).toBe(200);
    await response.text();
    return response.headers.get('grants-log-integrity');
  };
  const verifyWholeLog = async (): Promise<Json> => {
    const response = await call(watched, '/api/audit/verify', { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    return (await response.json()) as Json;
  };

  it('says the log is not checked yet before any verification, and not watched without a watch', async () => {
    expect(await ledgerIntegrity(watched)).toEqual({ verdict: 'pas encore vérifié', checkedAt: null });
    expect(await csvHeader('/api/audit/ledger.csv')).toBe('unchecked');
    expect(await ledgerIntegrity(unwatched)).toEqual({ verdict: 'non suivi', checkedAt: null });
  });

  it('carries an alteration found by a verification asked for: ledger, CSV, SCDL, health and gauge', async () => {
    const stream = `application-${APPLICATION_A}`;
    const edit = editFirstEventInPlace(t.file, stream);
    try {
      // One stream checked: not a verdict on the whole log.
      const one = await call(watched, '/api/audit/verify', {
        method: 'POST',
        body: JSON.stringify({ stream }),
      });
      expect(((await one.json()) as Json).ok).toBe(false);
      expect(watch.last()).toBeUndefined();

      expect((await verifyWholeLog()).ok).toBe(false);
      const integrity = await ledgerIntegrity(watched);
      expect(integrity.verdict).toBe('altéré');
      expect(integrity.checkedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(integrity.warning).toContain('l’a trouvé altéré');
      expect(integrity.warning).toContain(`flux ${stream}, révision 0`);
      expect(integrity.warning).toContain('n’en publiez rien');
      const header = `altered; checked-at=${String(integrity.checkedAt)}`;
      expect(await csvHeader('/api/audit/ledger.csv')).toBe(header);
      expect(await csvHeader('/api/audit/exports/scdl.csv?year=2027&allowIncomplete=true')).toBe(header);
      // The SCDL review (JSON) carries the same verdict and warning as the ledger.
      const scdl = await call(watched, '/api/audit/exports/scdl?year=2027');
      expect(scdl.status).toBe(200);
      expect(((await scdl.json()) as Json).integrity).toEqual(integrity);
      // The engine's own signals, at once.
      expect((await watch.probe.check(new AbortController().signal)).verdict).toBe('altéré');
      expect(formatPrometheus(await watch.metrics())).toContain('\ngrants_log_integrity_ok 0\n');
    } finally {
      edit.restore();
    }
    expect((await verifyWholeLog()).ok).toBe(true);
    const intact = await ledgerIntegrity(watched);
    expect(Object.keys(intact)).toEqual(['verdict', 'checkedAt']);
    expect(intact.verdict).toBe('intact');
    expect(intact.checkedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await csvHeader('/api/audit/ledger.csv')).toBe(`intact; checked-at=${String(intact.checkedAt)}`);
    const scdl = await call(watched, '/api/audit/exports/scdl?year=2027');
    expect(((await scdl.json()) as Json).integrity).toEqual(intact);
    expect((await watch.probe.check(new AbortController().signal)).verdict).toBe('intact');
  });
});
