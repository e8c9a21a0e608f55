// The embedded Temporal server: the real Temporal CLI dev server (`temporal server start-dev`),
// one process persisting to a SQLite file, with its Web UI. Started and stopped by `grants start`.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { ConfigError } from '../config/config';
import { makeDirectory } from '../files/makeDirectory';
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
  /** Settles when the process ends, stopped or not, with its exit code (null: killed by a signal). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * The CLI picks its HTTP API and metrics ports itself (a free port at that instant): another
 * process may take one before the server binds it. That start is retried; a conflict on the
 * configured ports, or a data directory it cannot write, is the operator's to fix: reported at once
 * as a {@link ConfigError} naming the variable to change, before anything is spawned or created when
 * it can be seen beforehand.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const host = options.host ?? '127.0.0.1';
  await ensurePortsFree(options, host);
  ensureWritableDataDir(options.dbFile);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof EarlyExit)) throw error;
      const failure = startFailure(error.code, error.lastLines, { ...options, host });
      if (attempt >= 3 || failure !== undefined || !error.lastLines.some(isAddressInUse)) {
        throw failure ?? error;
      }
      options.logger.warn({ attempt }, 'port pris entre-temps par un autre processus : nouvel essai');
    }
  }
}

/** The child stopped before answering: `lastLines` are its last output lines. */
class EarlyExit extends Error {
  constructor(
    readonly code: number | null,
    readonly lastLines: string[],
  ) {
    super(
      `Le serveur Temporal s'est arrêté au démarrage (code ${code ?? 'inconnu'}) ; ses dernières lignes :\n` +
        lastLines.join('\n'),
    );
  }
}

const isAddressInUse = (line: string): boolean => line.includes('address already in use');

const portInUse = (variable: string, port: number, what: string, host: string): ConfigError =>
  new ConfigError(
    [{ variable, expected: 'un port libre', received: String(port) }],
    `Le port ${port} (${what}) est déjà pris sur ${host} par un autre processus : arrêtez ce processus ` +
      `ou choisissez un autre port avec ${variable}.`,
  );

const frontend = { variable: 'TEMPORAL_DEV_SERVER_PORT', what: 'serveur Temporal embarqué' };
const ui = { variable: 'TEMPORAL_UI_PORT', what: 'interface web de Temporal' };

const unwritableDataDir = (dbFile: string, cause: string): ConfigError =>
  new ConfigError(
    [
      {
        variable: 'GRANTS_DATA_DIR',
        expected: 'un dossier accessible en écriture',
        received: dirname(dbFile),
      },
    ],
    `Le serveur Temporal ne peut pas ouvrir sa base ${dbFile} (${cause}) : donnez les droits d’écriture ` +
      `sur le dossier ${dirname(dbFile)} ou choisissez un autre dossier de données avec GRANTS_DATA_DIR.`,
  );

/**
 * What the CLI's last lines say went wrong, when it is the operator's to fix. Lines it prints
 * (temporal 1.x, `server start-dev`):
 * `Error: can't set frontend port 7233: listen tcp 127.0.0.1:7233: bind: address already in use`,
 * `Error: can't set UI port 8233: listen tcp 127.0.0.1:8233: bind: address already in use`,
 * `Error: failed starting server: failed setting up schema: unable to create SQLite admin DB: unable to open database file (14)`,
 * `… unable to create SQLite admin DB: file is not a database (26)`.
 * Undefined when the lines name none of these: a generic error with the lines, or a retry.
 */
export function startFailure(
  code: number | null,
  lastLines: readonly string[],
  options: Pick<DevServerOptions, 'dbFile' | 'port' | 'uiPort'> & { host: string },
): ConfigError | undefined {
  const output = lastLines.join('\n');
  if (/can't set frontend port/i.test(output) || output.includes(`:${options.port}: bind`))
    return portInUse(frontend.variable, options.port, frontend.what, options.host);
  if (/can't set UI port/i.test(output) || output.includes(`:${options.uiPort}: bind`))
    return portInUse(ui.variable, options.uiPort, ui.what, options.host);
  if (/unable to open database file|readonly database|read-only file system|permission denied/i.test(output))
    return unwritableDataDir(
      options.dbFile,
      `code ${code ?? 'inconnu'} : fichier impossible à ouvrir ou à écrire`,
    );
  if (/file is not a database/i.test(output)) {
    return new ConfigError(
      [
        {
          variable: 'GRANTS_DATA_DIR',
          expected: 'une base Temporal lisible',
          received: dirname(options.dbFile),
        },
      ],
      `Le serveur Temporal ne peut pas lire sa base ${options.dbFile} : ce n’est pas une base SQLite ` +
        `(fichier abîmé ou d’un autre programme). Remettez une sauvegarde (grants restore) ou choisissez ` +
        `un autre dossier de données avec GRANTS_DATA_DIR.`,
    );
  }
  return undefined;
}

/** A listen/close on each configured port: the message names the right one, and nothing is spawned. */
async function ensurePortsFree(options: DevServerOptions, host: string): Promise<void> {
  if (options.port === options.uiPort) {
    throw new ConfigError(
      [
        {
          variable: ui.variable,
          expected: `un autre port que TEMPORAL_DEV_SERVER_PORT`,
          received: String(options.uiPort),
        },
      ],
      `TEMPORAL_DEV_SERVER_PORT et TEMPORAL_UI_PORT valent tous deux ${options.port} : le serveur Temporal ` +
        `et son interface web ont chacun besoin de leur port. Changez l’un des deux.`,
    );
  }
  for (const [port, { variable, what }] of [
    [options.port, frontend],
    [options.uiPort, ui],
  ] as const) {
    const problem = await tryListen(port, host);
    if (problem === 'EADDRINUSE') throw portInUse(variable, port, what, host);
    if (problem !== undefined) {
      throw new ConfigError(
        [{ variable, expected: 'un port où écouter', received: String(port) }],
        `Le serveur Temporal ne peut pas écouter sur ${host}:${port} (${what}, ${problem}) : choisissez ` +
          `un autre port avec ${variable}.`,
      );
    }
  }
}

function tryListen(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function ensureWritableDataDir(dbFile: string): void {
  try {
    makeDirectory(dirname(dbFile));
    accessSync(dirname(dbFile), constants.W_OK);
    if (existsSync(dbFile)) accessSync(dbFile, constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw unwritableDataDir(dbFile, code ?? (error instanceof Error ? error.message : String(error)));
  }
}

async function startOnce(options: DevServerOptions): Promise<RunningDevServer> {
  const host = options.host ?? '127.0.0.1';
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
    if (outcome.exited) throw new EarlyExit(outcome.code, [...lastLines]);
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
    exited,
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
