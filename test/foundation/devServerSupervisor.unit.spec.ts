// The supervision of the embedded Temporal server, its rules alone (the real server killed and
// started again: test/services/temporalRestart.e2e.spec.ts): started again when it ends on its own,
// never after the engine asked it to stop, and left down — said once — when it keeps dying.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RunningDevServer } from '../../infra/temporal/devServer';
import { superviseDevServer } from '../../infra/temporal/devServerSupervisor';

/** A server whose end the test decides: `die()` as a kill would, `stop()` as the engine does. */
function fakeServer(pid: number) {
  let end: (code: number | null) => void = () => undefined;
  const exited = new Promise<number | null>((resolve) => {
    end = resolve;
  });
  const server: RunningDevServer & { die(): void; stopped: boolean } = {
    address: '127.0.0.1:7233',
    uiUrl: 'http://127.0.0.1:8233',
    pid,
    exited,
    stopped: false,
    die: () => end(null),
    stop: async () => {
      server.stopped = true;
      end(0);
      await exited;
    },
  };
  return server;
}

/** A logger whose lines the test reads. */
function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  return { logger, lines };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('the embedded Temporal server’s supervision', () => {
  it('starts it again when it dies, notes the new one, and stops that one with the engine', async () => {
    const servers = [fakeServer(100), fakeServer(101)];
    const noted: (number | undefined)[] = [];
    const { logger, lines } = capturedLogger();
    let started = 0;
    const supervised = superviseDevServer(servers[0]!, {
      restart: () => Promise.resolve(servers[++started]!),
      onRestarted: (s) => noted.push(s.pid),
      logger,
      backoffMs: 1,
    });
    servers[0]!.die();
    await settle();
    expect(noted).toEqual([101]);
    expect(supervised.pid).toBe(101);
    expect(lines.map((l) => l.msg)).toEqual([
      'Le serveur Temporal embarqué s’est arrêté (code signal) : il est relancé sur la même base ; les étapes en cours reprendront ensuite.',
      'serveur Temporal embarqué relancé',
    ]);
    await supervised.stop();
    expect(servers[1]!.stopped).toBe(true);
    // Stopped by the engine: not started again.
    await settle();
    expect(started).toBe(1);
  });

  it('neither says nor starts anything when the server ended as the engine was asked to stop', async () => {
    // A Ctrl-C in a terminal reaches the server too: it may end before the engine's stop comes to it.
    const first = fakeServer(300);
    const { logger, lines } = capturedLogger();
    let started = 0;
    superviseDevServer(first, {
      restart: () => Promise.resolve(fakeServer(301 + started++)),
      onRestarted: () => undefined,
      shouldRestart: () => false,
      logger,
      backoffMs: 1,
    });
    first.die();
    await settle();
    expect(started).toBe(0);
    expect(lines).toEqual([]);
  });

  it('tries again when a restart fails, within the same budget, and keeps watching the one that starts', async () => {
    const servers = [fakeServer(400), fakeServer(401), fakeServer(402)];
    const { logger, lines } = capturedLogger();
    let attempts = 0;
    let started = 0;
    const supervised = superviseDevServer(servers[0]!, {
      restart: () =>
        ++attempts === 1
          ? Promise.reject(new Error('délai de démarrage dépassé'))
          : Promise.resolve(servers[++started]!),
      // The lock cannot be written: said, and the new server is watched all the same.
      onRestarted: () => {
        throw new Error('EACCES');
      },
      logger,
      backoffMs: 1,
    });
    servers[0]!.die();
    await settle();
    expect(attempts).toBe(2);
    expect(supervised.pid).toBe(401);
    expect(lines.map((l) => l.msg)).toEqual([
      'Le serveur Temporal embarqué s’est arrêté (code signal) : il est relancé sur la même base ; les étapes en cours reprendront ensuite.',
      'Le serveur Temporal embarqué n’a pas pu redémarrer (délai de démarrage dépassé) : il est relancé sur la même base ; les étapes en cours reprendront ensuite.',
      'serveur Temporal embarqué relancé',
      'serveur Temporal embarqué relancé, mais le verrou du moteur n’a pas pu le noter : après un arrêt brutal du moteur, arrêtez ce processus vous-même avant de relancer',
    ]);
    servers[1]!.die();
    await settle();
    expect(supervised.pid).toBe(402);
    await supervised.stop();
  });

  it('leaves a server that keeps dying down, and says what to do', async () => {
    const servers = Array.from({ length: 5 }, (_, i) => fakeServer(200 + i));
    const { logger, lines } = capturedLogger();
    let started = 0;
    superviseDevServer(servers[0]!, {
      restart: () => Promise.resolve(servers[++started]!),
      onRestarted: () => undefined,
      logger,
      maxRestarts: 2,
      backoffMs: 1,
    });
    for (let i = 0; i <= 2; i += 1) {
      servers[i]!.die();
      await settle();
    }
    expect(started).toBe(2);
    expect(lines.at(-1)?.msg).toMatch(
      /^Le serveur Temporal embarqué s’est arrêté \(code signal\) après 2 relances en 10 minutes : il n’est plus relancé\. .*arrêtez le moteur \(Ctrl-C\) et relancez-le \(npm start\)/,
    );
  });
});
