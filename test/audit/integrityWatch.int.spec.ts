// The engine's periodic verification of its own log (services/audit/integrityWatch.ts), on a real
// SQLite store: intact, it says so on /health's component and in the gauges; altered in place, it
// logs an error naming the first broken event and its gauge turns to 0; stopped, it starts nothing.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infra/eventstore';
import { watchIntegrity, type IntegrityWatch } from '../../services/audit/integrityWatch';
import { formatPrometheus } from '../../services/http/metrics';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { waitFor } from '../support/processes';
import {
  APPLICATION_A,
  editFirstEventInPlace,
  FundingWorld,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';

let t: TestStore | undefined;
let watch: IntegrityWatch | undefined;
afterEach(async () => {
  await watch?.stop();
  watch = undefined;
  await t?.close();
  t = undefined;
});

/** A logger whose JSON lines are kept, to read what the watch said. */
function recordingLogger() {
  const lines: { level: number; msg: string; audit?: Record<string, unknown> }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as never);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

async function played(): Promise<TestStore> {
  t = openTestStore();
  await playFundingYear(new FundingWorld(t));
  return t;
}

const verified = (w: IntegrityWatch) =>
  waitFor('a verification', () => Promise.resolve(w.last() !== undefined || undefined), 20_000);

describe('the engine’s periodic verification of its log', () => {
  it('finds an intact log intact, on its health component and its gauges', async () => {
    const test = await played();
    const { logger, lines } = recordingLogger();
    watch = watchIntegrity(test.store, { firstAfterMs: 0, everyMs: 3_600_000, logger });
    const before = await watch.probe.check(new AbortController().signal);
    expect(['pas encore vérifié', 'vérification en cours']).toContain(before.verdict);

    await verified(watch);
    const head = Number(await test.store.headPosition());
    expect(await watch.probe.check(new AbortController().signal)).toMatchObject({
      verdict: 'intact',
      checked: head,
      everyHours: 1,
      summary: `Intégrité vérifiée sur le journal entier : ${head} événements, aucune altération.`,
    });
    const text = formatPrometheus(await watch.metrics());
    expect(text).toContain('\ngrants_log_integrity_ok 1\n');
    expect(text).toContain('\ngrants_log_integrity_broken_streams 0\n');
    expect(text).toContain(`\ngrants_log_integrity_checked_events ${head}\n`);
    expect(lines.some((l) => l.level === 30 && l.msg.includes('aucune altération'))).toBe(true);
  });

  it('finds an event edited in place: an error in the log, the gauge at 0, the health verdict « altéré »', async () => {
    const test = await played();
    await test.store.close();
    const stream = `application-${APPLICATION_A}`;
    const { position } = editFirstEventInPlace(test.file, stream);
    test.store = openSqliteEventStore({ file: test.file, registry: createGrantsEventRegistry() });

    const { logger, lines } = recordingLogger();
    watch = watchIntegrity(test.store, { firstAfterMs: 0, everyMs: 3_600_000, logger });
    await verified(watch);
    const health = await watch.probe.check(new AbortController().signal);
    expect(health.verdict).toBe('altéré');
    expect(health.summary).toContain(`flux ${stream}, révision 0 (position ${position}`);
    const gauges = formatPrometheus(await watch.metrics());
    expect(gauges).toContain('\ngrants_log_integrity_ok 0\n');
    expect(gauges).toContain('\ngrants_log_integrity_broken_streams 1\n');
    const error = lines.find((l) => l.level === 50);
    expect(error?.msg).toContain('Altération détectée');
    expect(error?.msg).toContain('Lancez grants audit verify.');
  });

  it('gives no gauge before its first verification, and starts none once stopped', async () => {
    const test = await played();
    const { logger, lines } = recordingLogger();
    watch = watchIntegrity(test.store, { firstAfterMs: 0, everyMs: 5, logger });
    await verified(watch);
    await watch.stop();
    const after = lines.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.length).toBe(after);

    const idle = watchIntegrity(test.store, { firstAfterMs: 3_600_000, everyMs: 3_600_000, logger });
    expect(await idle.metrics()).toEqual([]);
    expect((await idle.probe.check(new AbortController().signal)).verdict).toBe('pas encore vérifié');
    await idle.stop();
  });
});
