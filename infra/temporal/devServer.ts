// The embedded Temporal server: the real Temporal CLI dev server (`temporal server start-dev`),
// one process persisting to a SQLite file, with its Web UI. Started and stopped by `grants start`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../logging/logger';

export interface DevServerOptions {
  cliPath: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  host?: string;
  logger: Logger;
  /** How long to wait for the server to answer, in ms. */
  startTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  /** The server's process (kept by the engine's lock, to stop it after a crash of the engine). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * The CLI picks its HTTP API and metrics ports itself (a free port at that instant): another
 * process may take one before the server binds it. That start is retried; a conflict on the
 * configured ports is the operator's to fix and is reported at once.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const ours = [options.port, options.uiPort].some((p) => message.includes(`:${p}: bind`));
      if (attempt >= 3 || ours || !message.includes('address already in use')) throw error;
      options.logger.warn({ attempt }, 'port pris entre-temps par un autre processus : nouvel essai');
    }
  }
}

async function startOnce(options: DevServerOptions): Promise<RunningDevServer> {
  const host = options.host ?? '127.0.0.1';
  mkdirSync(dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFile,
    '--ip',
    host,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = options.logger.child({ component: 'temporal-dev-server' });
  const lastLines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
      log.debug(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `${host}:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    const outcome = await Promise.race([
      exited.then((code) => ({ exited: true as const, code })),
      tryConnect(address).then((ok) => ({ exited: false as const, ok })),
    ]);
    if (outcome.exited) {
      throw new Error(
        `Le serveur Temporal s'est arrêté au démarrage (code ${outcome.code}). Port ${options.port} déjà pris ?\n` +
          lastLines.join('\n'),
      );
    }
    if (outcome.ok) break;
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`Le serveur Temporal ne répond pas sur ${address}.\n${lastLines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address,
    uiUrl: `http://${host}:${options.uiPort}`,
    pid: child.pid,
    stop: () => stopChild(child, exited),
  };
}

async function tryConnect(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.healthService.check({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if it lingers: the dev server flushes its SQLite file on SIGTERM. */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
