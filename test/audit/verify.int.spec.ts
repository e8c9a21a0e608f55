// Tampering with the SQLite file itself — as someone with the file could, dropping the append-only
// triggers first — and the audit naming every broken stream's first broken event, through the API
// and the CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { openSqliteEventStore } from '../../infra/eventstore';
import { verifyIntegrity } from '../../infra/eventstore/integrity';
import type { EventStore, IntegrityFailure } from '../../infra/eventstore/port';
import {
  integrityReportJson,
  integritySummary,
  type IntegrityFailureJson,
} from '../../services/audit/integrity';
import { auditRouter } from '../../services/audit/routes';
import { integrityReportResponse } from '../../services/audit/schemas';
import { createHttpPlatform } from '../../services/http/platform/app';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen } from '../../services/http/server';
import { runAudit, verificationProgress } from '../../services/cli/audit';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import {
  APPLICATION_A,
  APPLICATION_B,
  FundingWorld,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';
import { captureCliOutput } from '../support/cliOutput';

const silent = pino({ level: 'silent' });

/** Runs SQL on the closed store's file, as an intruder with file access would. */
function tamper(file: string, sql: string, ...params: unknown[]): number {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
    return db.prepare(sql).run(...params).changes;
  } finally {
    db.close();
  }
}

/** POST /api/audit/verify as an auditor, on a server built over `store`. */
async function verifyOverHttp(store: EventStore): Promise<{ status: number; body: unknown }> {
  const secret = 'secret-de-test-audit-0123456789-abcdef';
  const platform = createHttpPlatform({ logger: silent, auth: { mode: 'embedded', secret } });
  platform.mount(auditRouter({ eventStore: store, authenticate: platform.authenticate }));
  const server = await listen(platform.finish(), '127.0.0.1', 0);
  try {
    const response = await fetch(`${server.url}/api/audit/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await mintDevelopmentToken({ secret, role: 'auditor' })}` },
    });
    return { status: response.status, body: await response.json() };
  } finally {
    await server.close();
  }
}

describe('integrity verification of a tampered log', () => {
  let t: TestStore | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function playedAndClosed(): Promise<TestStore> {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
    await t.store.close();
    return t;
  }
  const reopen = (test: TestStore) => {
    const store = openSqliteEventStore({ file: test.file, registry: createGrantsEventRegistry() });
    test.store = store;
    return store;
  };
  const cli = async (test: TestStore, argv: string[]) => {
    const c = captureCliOutput();
    const code = await runAudit(loadConfig({ GRANTS_DATA_DIR: test.dir }), silent, argv, c.io);
    return { code, out: c.out(), err: c.err() };
  };

  it('passes an intact log, with a progress line and a French summary (exit 0)', async () => {
    const test = await playedAndClosed();
    const result = await cli(test, ['verify']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /^Intégrité vérifiée sur le journal entier : \d+ événements, aucune altération\.\n$/,
    );
    expect(result.err).toMatch(/\[##########\] 100 % \d+ \/ \d+ événements lus · .* év\.\/s · terminé en/);
    reopen(test);
  });

  it('names the event whose amount was changed in place (hash mismatch), through the API report and the CLI', async () => {
    const test = await playedAndClosed();
    const changed = tamper(
      test.file,
      `UPDATE events SET data = json_set(data, '$.plan[0].amountCents', 9000000)
        WHERE stream = ? AND type = 'CommitteeApprovalRecorded'`,
      `application-${APPLICATION_A}`,
    );
    expect(changed).toBe(1);

    const store = reopen(test);
    const report = integrityReportJson(await verifyIntegrity(store));
    expect(await verifyOverHttp(store)).toEqual({ status: 200, body: report });
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toMatchObject({
      stream: `application-${APPLICATION_A}`,
      revision: '6',
      reason: 'hash_mismatch',
    });
    expect(report.summary).toContain(`flux application-${APPLICATION_A}, révision 6`);
    expect(report.summary).toContain('contenu modifié');

    const result = await cli(test, ['verify']);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`Altération détectée dans le journal entier`);
    expect(result.out).toContain(`flux application-${APPLICATION_A}, révision 6`);
    expect(result.out).toContain(report.firstBroken!.eventId);

    // Other streams still hold.
    expect((await cli(test, ['verify', '--stream', `application-${APPLICATION_B}`])).code).toBe(0);
    expect((await cli(test, ['verify', '--stream', `application-${APPLICATION_A}`])).code).toBe(1);
  });

  it('goes on after a break: two streams altered differently, both named, the events after each break unchecked', async () => {
    const test = await playedAndClosed();
    const a = `application-${APPLICATION_A}`;
    const b = `application-${APPLICATION_B}`;
    expect(
      tamper(
        test.file,
        `UPDATE events SET data = json_set(data, '$.plan[0].amountCents', 9000000)
          WHERE stream = ? AND type = 'CommitteeApprovalRecorded'`,
        a,
      ),
    ).toBe(1);
    expect(tamper(test.file, 'DELETE FROM events WHERE stream = ? AND revision = 2', b)).toBe(1);

    const store = reopen(test);
    const lengthOf = async (stream: string) => (await store.readStream(stream, { raw: true })).length;
    // A breaks at its revision 6 (7th event), B at its revision 3 (3rd event left).
    const unchecked = (await lengthOf(a)) - 7 + ((await lengthOf(b)) - 3);
    let events = 0;
    for await (const _ of store.readAll({ raw: true })) events++;

    const report = integrityReportJson(await verifyIntegrity(store));
    expect(await verifyOverHttp(store)).toEqual({ status: 200, body: report });
    // Every field is in the documented answer (parsing drops those that are not).
    expect(integrityReportResponse.parse(report)).toEqual(report);
    expect(report).toMatchObject({ ok: false, brokenStreams: 2, unchecked, checked: events - unchecked });
    const found = [
      { stream: a, revision: '6', reason: 'hash_mismatch' },
      { stream: b, revision: '3', reason: 'revision_gap' },
    ];
    // In log order, whichever stream broke first.
    const inLogOrder = [...report.broken].sort((x, y) => Number(x.position) - Number(y.position));
    expect(report.broken).toEqual(inLogOrder);
    expect(report.broken).toMatchObject(report.broken[0]!.stream === a ? found : found.reverse());
    expect(report.firstBroken).toEqual(report.broken[0]);
    const [first, other] = report.broken as [IntegrityFailureJson, IntegrityFailureJson];
    expect(report.summary).toContain('Altération détectée dans le journal entier : 2 flux altérés.');
    expect(report.summary).toContain(`Le premier : flux ${first.stream}, révision ${first.revision}`);
    expect(report.summary).toContain(`Autres flux altérés : ${other.stream} (révision ${other.revision}, `);
    expect(report.summary).toContain(
      `${unchecked} non vérifiés : ils suivent la première altération de leur flux`,
    );

    // What to do next, the same over HTTP and on the command line, naming the first broken stream.
    expect(report.nextSteps).toHaveLength(5);
    expect(report.nextSteps?.[2]).toContain('grants audit verify --against');
    expect(report.nextSteps?.[3]).toContain(`GET /api/audit/streams/${first.stream}/events`);
    const result = await cli(test, ['verify']);
    expect(result.code).toBe(1);
    expect(result.out).toBe(
      `${report.summary}\nQue faire :\n${report.nextSteps!.map((step, i) => `  ${i + 1}. ${step}`).join('\n')}\n`,
    );
    // The progress line counts every event read, the unchecked ones included (its total is the head
    // position, one more than the events left here).
    expect(result.err).toContain(`% ${events} / ${events + 1} événements lus`);
  });

  it('notices a record time rewritten to hide a late entry', async () => {
    const test = await playedAndClosed();
    tamper(
      test.file,
      `UPDATE events SET metadata = json_set(metadata, '$.recordedAt', json_extract(metadata, '$.occurredAt'))
        WHERE stream = ? AND type = 'FunderPositionRecorded' AND json_extract(data, '$.funder') = 'COMMUNE-59392'`,
      `application-${APPLICATION_A}`,
    );
    const report = await verifyIntegrity(reopen(test), { stream: `application-${APPLICATION_A}` });
    expect(report.firstBroken).toMatchObject({ revision: 5n, reason: 'hash_mismatch' });
  });

  it('names the event after a deleted one (revision gap)', async () => {
    const test = await playedAndClosed();
    tamper(test.file, 'DELETE FROM events WHERE stream = ? AND revision = 2', `application-${APPLICATION_B}`);
    reopen(test);
    const result = await cli(test, ['verify', '--stream', `application-${APPLICATION_B}`]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`flux application-${APPLICATION_B}, révision 3`);
    expect(result.out).toContain('révisions non consécutives');
  });

  it('finds an application’s stream named with its id in lower case, as the API does', async () => {
    const test = await playedAndClosed();
    reopen(test);
    const result = await cli(test, ['verify', '--stream', `application-${APPLICATION_A.toLowerCase()}`]);
    expect(result.err).not.toContain('n’existe pas');
    expect(result.code).toBe(0);
    expect(result.out).toContain(`Intégrité vérifiée sur le flux application-${APPLICATION_A} : `);
  });
});

describe('the verdict said for people', () => {
  const failure = (s: number): IntegrityFailure => ({
    stream: `application-${s}`,
    revision: BigInt(s),
    position: BigInt(100 + s),
    eventId: `event-${s}`,
    reason: s % 2 === 0 ? 'hash_mismatch' : 'chain_broken',
    detail: 'détail',
  });

  it('names ten other broken streams at most, and counts the rest and the events left unchecked', () => {
    const broken = Array.from({ length: 15 }, (_, s) => failure(s));
    const summary = integritySummary({
      ok: false,
      checked: 1234,
      unchecked: 56,
      firstBroken: broken[0]!,
      broken,
      brokenStreams: 1015,
    });
    expect(summary).toBe(
      'Altération détectée dans le journal entier : 1 015 flux altérés. Le premier : flux application-0, ' +
        'révision 0 (position 100, événement event-0) — contenu modifié (l’empreinte recalculée ne correspond ' +
        'plus) ; détail. Autres flux altérés : ' +
        Array.from(
          { length: 10 },
          (_, i) =>
            `application-${i + 1} (révision ${i + 1}, ${i % 2 === 0 ? 'chaînage rompu' : 'contenu modifié'})`,
        ).join(' ; ') +
        ' ; et 1 004 autres. 1 234 événements vérifiés ; 56 non vérifiés : ils suivent la première altération ' +
        'de leur flux, dont le chaînage n’est plus une référence sûre.',
    );
  });

  it('says one broken stream without a count, and one unchecked event in the singular', () => {
    const first = failure(3);
    expect(
      integritySummary(
        { ok: false, checked: 4, unchecked: 1, firstBroken: first, broken: [first], brokenStreams: 1 },
        'application-3',
      ),
    ).toBe(
      'Altération détectée dans le flux application-3 : flux application-3, révision 3 (position 103, ' +
        'événement event-3) — chaînage rompu (un événement a été supprimé, inséré ou remplacé) ; détail. ' +
        '4 événements vérifiés ; 1 non vérifié : il suit la première altération de son flux, dont le ' +
        'chaînage n’est plus une référence sûre.',
    );
  });
});

describe('grants audit: usage', () => {
  it('explains itself and refuses what it does not know (exit 2)', async () => {
    const c = captureCliOutput();
    const config = loadConfig({ GRANTS_DATA_DIR: '/nonexistent/grants-audit-test' });
    expect(await runAudit(config, silent, [], c.io)).toBe(2);
    expect(c.err()).toContain('Indiquez ce qu’il faut faire : grants audit verify ou grants audit digest.');
    expect(c.err()).toContain('Usage : grants audit verify');
    expect(await runAudit(config, silent, ['repair'], c.io)).toBe(2);
    expect(await runAudit(config, silent, ['verify', '--strem', 'x'], c.io)).toBe(2);
    expect(await runAudit(config, silent, ['verify'], c.io)).toBe(2);
    expect(c.err()).toContain('Aucun journal d’événements à /nonexistent/grants-audit-test/events.sqlite');
  });

  it('tells a log it cannot read from a log found altered: exit 2 with the reason, never 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grants-audit-unreadable-'));
    try {
      // Where the log should be, another SQLite file: opening it read-only fails, nothing is checked.
      new Database(join(dir, 'events.sqlite')).exec('CREATE TABLE notes (x)').close();
      const c = captureCliOutput();
      expect(await runAudit(loadConfig({ GRANTS_DATA_DIR: dir }), silent, ['verify'], c.io)).toBe(2);
      expect(c.err()).toContain(`${join(dir, 'events.sqlite')} n'est pas un journal d'événements`);
      expect(c.out()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws the progress bar in place on a terminal, one line at a time in a file', () => {
    let time = 0;
    const written: string[] = [];
    const tty = verificationProgress(
      { write: (s: string) => written.push(s), isTTY: true, columns: 200 },
      4000,
      () => time,
    );
    time = 1000;
    tty(2000, false);
    time = 2000;
    tty(4000, true);
    expect(written).toEqual([
      '\r[#####.....] 50 % 2 000 / 4 000 événements lus · 2 000 év./s · reste 1 s\x1b[K',
      '\r[##########] 100 % 4 000 / 4 000 événements lus · 2 000 év./s · terminé en 2 s\x1b[K\n',
    ]);

    const lines: string[] = [];
    time = 0;
    const file = verificationProgress({ write: (s: string) => lines.push(s) }, undefined, () => time);
    time = 1000;
    file(1000, false);
    time = 2000;
    file(2000, false); // within 5 s of the previous line: not written
    file(3000, true);
    expect(lines).toEqual([
      '1 000 événements lus · 1 000 év./s\n',
      '3 000 événements lus · 1 500 év./s · terminé en 2 s\n',
    ]);
  });
});
