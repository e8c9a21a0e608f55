// The embedded Temporal server's start-up failures name their real cause and the variable to
// change (a ConfigError: `grants` exits with code 2), on the real CLI where it can be made to fail.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../infra/config/config';
import { createLogger } from '../../infra/logging/logger';
import { temporalBinaries } from '../../infra/temporal/binaries';
import { startDevServer, startFailure, type DevServerOptions } from '../../infra/temporal/devServer';
import { freePort } from '../support/processes';

const dir = mkdtempSync(join(tmpdir(), 'grants-devserver-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logger = createLogger({ level: 'silent', format: 'json', name: 'test-devserver-startup' });

async function options(overrides: Partial<DevServerOptions> = {}): Promise<DevServerOptions> {
  return {
    cliPath: temporalBinaries().cli,
    dbFile: join(mkdtempSync(join(dir, 'data-')), 'temporal.sqlite'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logger,
    startTimeoutMs: 30_000,
    ...overrides,
  };
}

/** A port held by this test, as another program would hold it. */
async function hold(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

async function failure(start: Promise<unknown>): Promise<Error> {
  const error = await start.then(
    () => {
      throw new Error('the dev server started');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('startDevServer start-up failures', () => {
  it('names TEMPORAL_UI_PORT when the UI port is taken, before spawning or creating anything', async () => {
    const opts = await options();
    const holder = await hold(opts.uiPort);
    try {
      const error = await failure(startDevServer(opts));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(`Le port ${opts.uiPort} (interface web de Temporal) est déjà pris`);
      expect(error.message).toContain('TEMPORAL_UI_PORT');
      expect(error.message).not.toContain('TEMPORAL_DEV_SERVER_PORT');
      expect(existsSync(opts.dbFile)).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('names TEMPORAL_DEV_SERVER_PORT when the frontend port is taken', async () => {
    const opts = await options();
    const holder = await hold(opts.port);
    try {
      const error = await failure(startDevServer(opts));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(`Le port ${opts.port} (serveur Temporal embarqué) est déjà pris`);
      expect(error.message).toContain('TEMPORAL_DEV_SERVER_PORT');
      expect(error.message).not.toContain('TEMPORAL_UI_PORT');
    } finally {
      holder.close();
    }
  });

  it('names GRANTS_DATA_DIR when the data directory cannot be written (checked before spawning)', async () => {
    // Not writable for anyone, root included (the suite may run as root, which ignores modes).
    const error = await failure(startDevServer(await options({ dbFile: '/proc/self/temporal.sqlite' })));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('ne peut pas ouvrir sa base /proc/self/temporal.sqlite');
    expect(error.message).toContain('GRANTS_DATA_DIR');
    expect(error.message).not.toMatch(/port/i);
  });

  it('names GRANTS_DATA_DIR when the CLI itself cannot open its database file', async () => {
    // A directory where the database file should be: writable, so only the CLI finds out.
    const opts = await options();
    mkdirSync(opts.dbFile);
    const error = await failure(startDevServer(opts));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`ne peut pas ouvrir sa base ${opts.dbFile}`);
    expect(error.message).toContain('GRANTS_DATA_DIR');
    expect(error.message).not.toMatch(/port/i);
  });

  it('says the database file is not a database when it is something else', async () => {
    const opts = await options();
    writeFileSync(opts.dbFile, 'pas une base\n');
    const error = await failure(startDevServer(opts));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('ce n’est pas une base SQLite');
    expect(error.message).toContain('GRANTS_DATA_DIR');
  });

  it('otherwise reports the exit code and the last lines, blaming no port', async () => {
    // A stand-in for the CLI that fails in a way none of the known causes describe.
    const cliPath = join(dir, 'failing-temporal');
    writeFileSync(cliPath, '#!/bin/sh\necho "Error: quelque chose d’imprévu" >&2\nexit 3\n');
    chmodSync(cliPath, 0o755);
    const error = await failure(startDevServer(await options({ cliPath })));
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(error.message).toContain("Le serveur Temporal s'est arrêté au démarrage (code 3)");
    expect(error.message).toContain('Error: quelque chose d’imprévu');
    expect(error.message).not.toMatch(/port/i);
  });

  it('reads the lines the real CLI prints when a port is taken after the check (a race)', () => {
    const where = { dbFile: '/srv/grants/temporal.sqlite', port: 7233, uiPort: 8233, host: '127.0.0.1' };
    const ui = startFailure(
      1,
      ["Error: can't set UI port 8233: listen tcp 127.0.0.1:8233: bind: address already in use"],
      where,
    );
    expect(ui?.message).toContain('TEMPORAL_UI_PORT');
    const frontend = startFailure(
      1,
      ["Error: can't set frontend port 7233: listen tcp 127.0.0.1:7233: bind: address already in use"],
      where,
    );
    expect(frontend?.message).toContain('TEMPORAL_DEV_SERVER_PORT');
    const database = startFailure(
      1,
      [
        'Error: failed starting server: failed setting up schema: unable to create SQLite admin DB: unable to open database file (14)',
      ],
      where,
    );
    expect(database?.message).toContain('GRANTS_DATA_DIR');
    // A port the CLI chose itself (HTTP API, metrics): not the operator's, the start is retried.
    expect(
      startFailure(1, ['Error: listen tcp 127.0.0.1:41234: bind: address already in use'], where),
    ).toBeUndefined();
  });

  it('refuses the same port for the server and its UI', async () => {
    const port = await freePort();
    const error = await failure(startDevServer(await options({ port, uiPort: port })));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('TEMPORAL_DEV_SERVER_PORT et TEMPORAL_UI_PORT valent tous deux');
  });
});
