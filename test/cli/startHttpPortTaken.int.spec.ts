// `grants start` with its HTTP port (GRANTS_HTTP_PORT) held by another process: refused at once
// (exit 2, the message naming the port and the variable), before the Temporal server starts and
// before anything is written in the data directory, which stays without a log, a Temporal base or a
// development secret (so `grants token` still says no engine has started there).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes';
import { grants } from './support';

let work: string;
let holder: Server | undefined;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'grants-start-port-'));
});
afterEach(async () => {
  await new Promise<void>((done) => (holder === undefined ? done() : holder.close(() => done())));
  holder = undefined;
  rmSync(work, { recursive: true, force: true });
});

/** A port another process of the machine listens on, as a test socket. */
async function heldPort(): Promise<number> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => listening());
  });
  holder = server;
  return port;
}

describe('grants start with the HTTP port taken', () => {
  it('is refused before anything starts or is written in the data directory (exit 2)', async () => {
    const port = await heldPort();
    const dataDir = join(work, 'donnees');
    const run = grants(
      {
        GRANTS_DATA_DIR: dataDir,
        GRANTS_HTTP_HOST: '127.0.0.1',
        GRANTS_HTTP_PORT: String(port),
        TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
        GRANTS_LOG_FORMAT: 'json',
      },
      'start',
    );

    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`Le port ${port} est déjà utilisé sur 127.0.0.1 par un autre processus`);
    expect(run.stderr).toContain('GRANTS_HTTP_PORT');
    // Nothing of the engine was started, so nothing had to be stopped (its log says each stop).
    expect(`${run.stdout}${run.stderr}`).not.toContain('arrêté');
    // The data directory holds nothing an engine writes (the lock taken first is gone with it).
    const left = existsSync(dataDir) ? readdirSync(dataDir) : [];
    for (const file of [
      'events.sqlite',
      'read-models.sqlite',
      'temporal.sqlite',
      'dev-jwt-secret',
      'engine.lock',
    ])
      expect(left, `${file} dans ${dataDir}`).not.toContain(file);
    expect(left).toEqual([]);
    // No bound on its time: what proves the port was tried first is the above (nothing started,
    // nothing written), not a clock on a shared machine.
  });
});
