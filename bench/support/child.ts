// A TypeScript script of bench/support in a Node process of its own (through tsx), talking over
// the IPC channel: the store generator (it needs a bigger heap than the bench) and the API server
// (so the load loop and the server do not share one event loop).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface ChildHandle {
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Sends a message over the IPC channel. */
  send(message: string): void;
  /** Asks the child to stop (an IPC message), then ends it by its pid if it has not gone within 10 s. */
  stop(): Promise<void>;
}

export function spawnChild(
  script: string,
  args: unknown,
  options: {
    heapMb?: number;
    /** Where the child's stdout (its log lines) goes; discarded when absent. */
    stdoutFile?: string;
    onMessage: (message: unknown) => void;
  },
): ChildHandle {
  const flags = options.heapMb === undefined ? [] : [`--max-old-space-size=${options.heapMb}`];
  const stdout = options.stdoutFile === undefined ? 'ignore' : openSync(options.stdoutFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', ...flags, resolve(import.meta.dirname, script), JSON.stringify(args)],
    { cwd: repoRoot, stdio: ['ignore', stdout, 'inherit', 'ipc'] },
  );
  if (typeof stdout === 'number') closeSync(stdout);
  if (child.pid === undefined) throw new Error(`bench/support/${script} : processus non démarré`);
  const pid = child.pid;
  child.on('message', options.onMessage);
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'inconnu')),
  );
  return {
    pid,
    exited,
    send(message) {
      child.send(message);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send('stop');
      const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** In the child: the JSON argument the parent passed. */
export function childArgs(): unknown {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('argument JSON attendu');
  return JSON.parse(raw) as unknown;
}

/** In the child: sends a message and waits until it has left (so exiting right after loses nothing). */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise((done, fail) => {
    if (process.send === undefined) {
      fail(new Error('pas de canal IPC : lancez ce script par spawnChild'));
      return;
    }
    process.send(message, undefined, {}, (error: Error | null) => (error ? fail(error) : done()));
  });
}
