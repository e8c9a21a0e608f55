// `grants seed demo` on the real engine, interrupted: Ctrl-C stops it after the step under way, and
// it names the campaign it created and how many applications it holds (exit 130) — before, the
// process died where it stood and the half-made campaign's id was never printed. The engine is
// reached through its Temporal server, its worker seen polling the task queue.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runSeed } from '../../services/cli/seed';
import { startTestEngine, type RunningEngine } from '../services/support/engine';

let e: RunningEngine;
let elsewhere: string;
beforeAll(async () => {
  e = await startTestEngine();
  elsewhere = mkdtempSync(join(tmpdir(), 'grants-seed-e2e-'));
}, 180_000);
afterAll(async () => {
  await e?.stop();
  rmSync(elsewhere, { recursive: true, force: true });
});

describe('grants seed demo interrupted', () => {
  it('stops after the step under way and names the campaign and its applications (exit 130)', async () => {
    const signals = new EventEmitter();
    let err = '';
    let sent = false;
    const io = {
      out: { write: (s: string) => void s },
      // A terminal: the progress line is redrawn at each step. Ctrl-C as the second application is done.
      err: {
        write: (s: string) => {
          err += s;
          if (!sent && s.includes(' 3/')) {
            sent = true;
            signals.emit('SIGINT', 'SIGINT');
          }
        },
        isTTY: true,
        columns: 200,
      },
      signals,
    };
    // The engine reached as a shell would reach a cluster: its address, its worker polling.
    const config = loadConfig({ GRANTS_DATA_DIR: elsewhere, TEMPORAL_ADDRESS: e.engine.temporalAddress });
    const code = await runSeed(config, pino({ level: 'silent' }), ['demo', '--count', '20'], io);
    expect(code, err).toBe(130);
    expect(err).toContain('\nInterruption demandée (SIGINT) : arrêt après l’étape en cours…\n');
    const named =
      /\nDémonstration interrompue : campagne (camvs-\d{4}-demo-[a-z0-9]{6}), 2 candidatures créées \(sur 20 demandées\)\. Ce qui est créé reste dans le moteur \(API, console\)\.\n$/.exec(
        err,
      );
    expect(named, err).not.toBeNull();
    // It is there, open, in the engine.
    const campaign = await e.engine.grants.campaignView(named![1]!);
    expect(campaign.state.status).toBe('open');
  }, 120_000);
});
