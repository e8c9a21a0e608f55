// The embedded Temporal server kept running. Killed (the OOM killer, a stray `kill`) or crashed, it
// left the engine half alive: every step and campaign read failing, the worker's polls retried in
// silence, until someone restarted the whole engine. Now its end is logged as an error and it is
// started again on the same SQLite file and ports: the worker and the clients reconnect by
// themselves, and what was accepted before is taken up again (the workflows' histories are in that
// file). A server that keeps dying is left down, said once, with what to do.
import type { Logger } from '../logging/logger';
import type { RunningDevServer } from './devServer';

export interface DevServerSupervision {
  /** Starts the server again (the same options as the first start). */
  restart(): Promise<RunningDevServer>;
  /** Called with each server started again (its pid goes into the engine's lock). */
  onRestarted(server: RunningDevServer): void;
  logger: Logger;
  /** At most this many restarts within `windowMs` (default 5 within 10 minutes). */
  maxRestarts?: number;
  windowMs?: number;
  /** Waited before a restart, times the restarts in the window (default 1 s). */
  backoffMs?: number;
  /**
   * False once the engine is asked to stop: a Ctrl-C in a terminal reaches the server too (same
   * process group), and it may end before the engine's own stop comes to it. Asked after the wait.
   */
  shouldRestart?: () => boolean;
}

/** The running server, supervised: `pid` is the current process's; `stop()` ends supervision first. */
export function superviseDevServer(
  first: RunningDevServer,
  supervision: DevServerSupervision,
): RunningDevServer {
  const log = supervision.logger.child({ component: 'temporal-dev-server' });
  const maxRestarts = supervision.maxRestarts ?? 5;
  const windowMs = supervision.windowMs ?? 10 * 60_000;
  const backoffMs = supervision.backoffMs ?? 1_000;
  let current = first;
  let stopping = false;
  let restarting: Promise<void> = Promise.resolve();
  /** Ends the wait before a restart at once (the engine stopping). */
  let wakeUp: (() => void) | undefined;
  const restarts: number[] = [];

  const watch = (server: RunningDevServer): void => {
    void server.exited.then((code) => {
      if (stopping) return;
      restarting = restartAfter(code);
    });
  };

  const engineStopping = (): boolean => stopping || supervision.shouldRestart?.() === false;

  /** Waits before a restart, at most `ms`; ended at once by stop(). */
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      wakeUp = undefined;
    });

  /** Starts the server again after it ended with `code`; a start that fails counts as one more end. */
  async function restartAfter(code: number | null): Promise<void> {
    let failure: unknown;
    for (;;) {
      const now = Date.now();
      while (restarts.length > 0 && (restarts[0] ?? now) < now - windowMs) restarts.shift();
      // Waited first, then decided: the engine being stopped (a Ctrl-C that reached the server too) is
      // known by then, and nothing is said or started.
      await pause(backoffMs * (restarts.length + 1));
      if (engineStopping()) return;
      const why =
        failure === undefined
          ? `s’est arrêté (code ${code ?? 'signal'})`
          : `n’a pas pu redémarrer (${failure instanceof Error ? failure.message.split('\n')[0] : 'cause inconnue'})`;
      if (restarts.length >= maxRestarts) {
        log.error(
          { code, restarts: restarts.length, err: failure },
          `Le serveur Temporal embarqué ${why} après ${restarts.length} relances en ` +
            `${Math.round(windowMs / 60_000)} minutes : il n’est plus relancé. Les étapes et la lecture des ` +
            'campagnes échouent (503) ; arrêtez le moteur (Ctrl-C) et relancez-le (npm start) une fois la cause trouvée.',
        );
        return;
      }
      restarts.push(now);
      log.error(
        { code, err: failure },
        `Le serveur Temporal embarqué ${why} : il est relancé sur la même base ; les étapes en cours reprendront ensuite.`,
      );
      let server: RunningDevServer;
      try {
        server = await supervision.restart();
      } catch (error) {
        // A Ctrl-C during the start reaches the new server too: nothing to say then.
        if (engineStopping()) return;
        failure = error;
        continue;
      }
      if (stopping) {
        await server.stop();
        return;
      }
      current = server;
      watch(server);
      log.warn({ pid: server.pid }, 'serveur Temporal embarqué relancé');
      try {
        supervision.onRestarted(server);
      } catch (error) {
        log.error(
          { err: error, pid: server.pid },
          'serveur Temporal embarqué relancé, mais le verrou du moteur n’a pas pu le noter : après un arrêt brutal ' +
            'du moteur, arrêtez ce processus vous-même avant de relancer',
        );
      }
      return;
    }
  }

  watch(first);
  return {
    address: first.address,
    uiUrl: first.uiUrl,
    get pid() {
      return current.pid;
    },
    get exited() {
      return current.exited;
    },
    async stop() {
      stopping = true;
      wakeUp?.();
      await restarting;
      await current.stop();
    },
  };
}
