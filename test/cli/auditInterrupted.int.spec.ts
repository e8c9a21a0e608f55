// `grants audit verify` (and `digest`) stopped by Ctrl-C half way through the log: it listened to no
// signal and died where it stood — 130 in the shell, the progress line cut, and not a word, so that
// an auditor could not tell an interrupted check from a crash. Now it says how far it had read and
// that there is no verdict (nor digest), and exits with 130. The command is held still (SIGSTOP) once
// its first progress line is out, so that the signal arrives half way every time.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../infra/eventstore/port';
import { FundingWorld, openTestStore, playFundingYear } from '../audit/support';
import { endGrants, holdWhen, startGrants, type RunningGrants } from './support';

let work: string;
let data: string;
let events: number;
let running: RunningGrants | undefined;

/**
 * A log of some 20 000 events (a few seconds to verify on a slow machine, well past its first
 * progress line): a year of funding played, then its streams appended again under other names, with
 * new ids — each copy a stream of its own, its hash chain computed by the store.
 */
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'grants-audit-interrupted-'));
  data = join(work, 'donnees');
  mkdirSync(data);
  const t = openTestStore();
  try {
    await playFundingYear(new FundingWorld(t));
    const byStream = new Map<string, RecordedEvent[]>();
    for await (const event of t.store.readAll({}))
      byStream.set(event.stream, [...(byStream.get(event.stream) ?? []), event]);
    for (let copy = 1; Number(await t.store.headPosition()) < 20_000; copy++)
      for (const [stream, streamEvents] of byStream)
        await t.store.append(
          `${stream}-copie-${copy}`,
          streamEvents.map((e) => ({
            id: randomUUID(),
            type: e.type,
            data: e.data,
            metadata: {
              correlationId: e.metadata.correlationId,
              causationId: e.metadata.causationId,
              actor: e.metadata.actor,
              occurredAt: e.metadata.occurredAt,
            },
          })),
          { expectedRevision: 'no_stream' },
        );
    events = Number(await t.store.headPosition());
    await t.store.close();
    copyFileSync(t.file, join(data, 'events.sqlite'));
  } finally {
    await t.close();
  }
}, 180_000);
afterEach(() => {
  endGrants(running);
  running = undefined;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

describe('grants audit interrupted half way', () => {
  it.each([
    {
      command: 'verify',
      said: (read: string) =>
        `Vérification interrompue après ${read} événements lus sur ${thousands(events)} : aucun verdict, ` +
        'le journal n’est déclaré ni intact ni altéré (relancez grants audit verify pour en avoir un).',
      verdict: /Intégrité vérifiée|altér/,
    },
    {
      command: 'digest',
      said: (read: string) =>
        `Calcul de l’empreinte interrompu après ${read} événements lus sur ${thousands(events)} : aucune ` +
        'empreinte (relancez grants audit digest pour l’avoir).',
      verdict: /mpreinte du journal/,
    },
  ])(
    'grants audit $command: says how far it read, no verdict, exit 130',
    async ({ command, said, verdict }) => {
      const audit = startGrants({ GRANTS_DATA_DIR: data, GRANTS_LOG_LEVEL: 'warn' }, 'audit', command);
      running = audit;
      let err = '';
      audit.child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      // Its first progress line (« [..........] 4 % 1 000 / 20 034 événements lus · … »): the rest to come.
      await holdWhen(audit, () => err.includes('événements lus'));
      // Ctrl-C at the terminal, then let it go on: it finds the signal waiting.
      process.kill(-audit.child.pid!, 'SIGINT');
      process.kill(-audit.child.pid!, 'SIGCONT');
      const result = await audit.done;
      expect({ status: result.status, signal: result.signal }, result.err).toEqual({
        status: 130,
        signal: null,
      });
      const interrupted =
        /(?:Vérification|Calcul de l’empreinte) interrompue? après ([\d ]+) événements/.exec(result.err);
      expect(interrupted, result.err).not.toBeNull();
      const read = interrupted![1]!;
      expect(Number(read.replace(/ /g, ''))).toBeGreaterThanOrEqual(1000);
      expect(Number(read.replace(/ /g, ''))).toBeLessThan(events);
      expect(result.err).toContain(`\n${said(read)}\n`);
      // No verdict, no digest: nothing on stdout.
      expect(result.out).not.toMatch(verdict);
      expect(result.out).toBe('');
    },
  );
});
