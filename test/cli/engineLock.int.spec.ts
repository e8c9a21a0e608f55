// `grants start` on a data directory it cannot write: the engine's lock is the first thing written
// there, so its failure is the one the operator sees. As the README's « Configuration » says, it is
// a configuration error naming GRANTS_DATA_DIR and the folder (exit 2), not a raw EACCES (exit 1).

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../infra/config/config';
import { acquireEngineLock } from '../../services/engineLock';
import { freePort } from '../support/processes';
import { asNobody, grants, runsAsNobody } from './support';

const silent = pino({ level: 'silent' });

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'grants-lock-cli-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a start that would stop at once past the lock (no Temporal CLI there). */
const startEnv = async (dataDir: string) => ({
  GRANTS_DATA_DIR: dataDir,
  GRANTS_HTTP_PORT: String(await freePort()),
  TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
  TEMPORAL_UI_PORT: String(await freePort()),
  TEMPORAL_CLI: join(work, 'pas-de-temporal'),
});

describe('the engine lock on a data directory it cannot write', () => {
  it('is a configuration error naming GRANTS_DATA_DIR and the folder', async () => {
    const file = join(work, 'un-fichier');
    writeFileSync(file, 'pas un dossier');
    for (const dataDir of [file, join(file, 'sous-dossier')]) {
      const failure = await acquireEngineLock(dataDir, silent).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).problems).toEqual([
        expect.objectContaining({ variable: 'GRANTS_DATA_DIR', received: dataDir }),
      ]);
      expect((failure as Error).message).toContain('GRANTS_DATA_DIR');
    }
  });

  it('makes grants start exit 2 with that message when the data directory is a plain file', async () => {
    const file = join(work, 'un-fichier');
    writeFileSync(file, 'pas un dossier');
    for (const dataDir of [file, join(file, 'sous-dossier')]) {
      const result = grants(await startEnv(dataDir), 'start');
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain('GRANTS_DATA_DIR');
      expect(result.stderr).toContain(dataDir);
      expect(result.stderr).not.toMatch(/^Erreur : E[A-Z]+:/m);
    }
  });

  it('makes grants start exit 2 with that message when the user may not write there', async (test) => {
    if (!runsAsNobody(test)) return;
    chmodSync(work, 0o755);
    const readOnly = join(work, 'lecture-seule');
    mkdirSync(readOnly, { mode: 0o755 });
    for (const dataDir of [readOnly, join(readOnly, 'sous-dossier')]) {
      const result = asNobody(await startEnv(dataDir), 'start');
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain('GRANTS_DATA_DIR');
      expect(result.stderr).toContain(dataDir);
      expect(result.stderr).not.toContain('EACCES: permission denied');
    }
    expect(readdirSync(readOnly)).toEqual([]);
    expect(existsSync(join(readOnly, 'sous-dossier'))).toBe(false);
  });
});
