// The embedded Temporal server killed under a running engine (the OOM killer, a stray kill -9): the
// engine started it again on the same SQLite file and ports, noted the new process in its lock, and
// the steps go through again with what was recorded before intact — where it used to stay half
// alive, every step failing, until someone restarted it. The real engine, the real Temporal CLI dev
// server, real HTTP.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineLockFile } from '../../services/engineLock';
import { createCampaignCommand } from '../support/fixtures';
import { openCampaignToday, startTestEngine, type RunningEngine } from './support/engine';

let e: RunningEngine;
let manager = '';

beforeAll(async () => {
  e = await startTestEngine();
  manager = await e.token({ role: 'grant_manager' });
}, 120_000);
afterAll(async () => {
  await e?.stop();
});

const temporalPid = (): number | undefined =>
  (JSON.parse(readFileSync(engineLockFile(dirname(e.eventsFile)), 'utf8')) as { temporalPid?: number })
    .temporalPid;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} : toujours pas au bout de ${ms} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('the embedded Temporal server killed under the engine', () => {
  it('is started again on its own file: the lock names the new process, steps go through, history kept', async () => {
    await openCampaignToday(e, manager, 'avant-arret');
    const first = temporalPid();
    expect(first).toBeGreaterThan(0);
    process.kill(first ?? 0, 'SIGKILL');

    const second = await until('un nouveau serveur Temporal noté dans le verrou', 90_000, () => {
      const pid = temporalPid();
      return Promise.resolve(pid !== undefined && pid !== first && alive(pid) ? pid : undefined);
    });
    expect(alive(first ?? 0)).toBe(false);
    expect(second).not.toBe(first);

    // What was recorded before: the campaign's workflow answers from the same history.
    const before = await until('la campagne d’avant relue', 60_000, async () => {
      const read = await e.call('GET', '/api/campaigns/avant-arret', { token: manager });
      return read.status === 200 ? read : undefined;
    });
    expect((before.body as { state: { status: string } }).state.status).toBe('open');

    // A new step, resent under one Idempotency-Key until the worker is back: recorded once.
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId: 'apres-arret' });
    const created = await until('une campagne créée après le redémarrage', 90_000, async () => {
      const answer = await e.call('POST', '/api/campaigns', {
        token: manager,
        body: campaign,
        headers: { 'Idempotency-Key': 'apres-arret-1' },
      });
      return answer.status === 201 ? answer : undefined;
    });
    expect(created.status).toBe(201);
    const after = await e.call('GET', '/api/campaigns/apres-arret', { token: manager });
    expect(after.status).toBe(200);
  }, 240_000);
});
