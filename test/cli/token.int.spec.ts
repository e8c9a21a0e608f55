// `grants token` signs with the secret the engine created in its data directory, and never creates
// one itself: on a directory no engine has started on (a typo in GRANTS_DATA_DIR, a shell without
// it), a new secret would give tokens the running API refuses (401). It says so, naming the
// directory (exit 2); a data directory it cannot read is a configuration error too.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runToken } from '../../services/cli/token';
import { devSecretFileName, loadOrCreateDevSecret } from '../../services/http/platform/auth';
import { captureCliOutput } from '../support/cliOutput';
import { asNobody, grants, runsAsNobody } from './support';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'grants-token-cli-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('grants token without the engine’s secret', () => {
  it('refuses on a data directory that does not exist, and creates nothing (exit 2)', async () => {
    const typo = join(work, 'typo');
    const c = captureCliOutput();
    expect(await runToken(loadConfig({ GRANTS_DATA_DIR: typo }), ['--role', 'auditor'], c.io)).toBe(2);
    expect(c.err()).toContain(`aucun moteur n’a démarré sur ce dossier (${typo}) : vérifiez GRANTS_DATA_DIR`);
    expect(c.out()).toBe('');
    expect(existsSync(typo)).toBe(false);
  });

  it('refuses on a directory without a secret, and leaves it without one (exit 2)', async () => {
    const c = captureCliOutput();
    expect(await runToken(loadConfig({ GRANTS_DATA_DIR: work }), ['--role', 'auditor'], c.io)).toBe(2);
    expect(c.err()).toContain('aucun moteur n’a démarré sur ce dossier');
    expect(readdirSync(work)).toEqual([]);
  });

  it('says so through the grants command, and signs once the engine has created its secret', async () => {
    const typo = join(work, 'typo');
    const refused = grants({ GRANTS_DATA_DIR: typo }, 'token', '--role', 'auditor');
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('vérifiez GRANTS_DATA_DIR');
    expect(refused.stderr).toContain(typo);
    expect(refused.stdout).toBe('');
    expect(existsSync(typo)).toBe(false);

    // What `grants start` does on its first start.
    await loadOrCreateDevSecret(work);
    const signed = grants({ GRANTS_DATA_DIR: work }, 'token', '--role', 'auditor');
    expect(signed.status, signed.stderr).toBe(0);
    expect(signed.stdout.trim().split('.')).toHaveLength(3);
    expect(readdirSync(work)).toEqual([devSecretFileName]);
  });

  it('signs with GRANTS_JWT_SECRET without looking at the data directory', async () => {
    const c = captureCliOutput();
    const config = loadConfig({ GRANTS_DATA_DIR: join(work, 'absent'), GRANTS_JWT_SECRET: 'x'.repeat(40) });
    expect(await runToken(config, ['--role', 'auditor'], c.io), c.err()).toBe(0);
    expect(existsSync(join(work, 'absent'))).toBe(false);
  });
});

describe('grants token on a data directory it cannot use', () => {
  it('exits 2 naming GRANTS_DATA_DIR when the data directory is a plain file', () => {
    const file = join(work, 'un-fichier');
    writeFileSync(file, 'pas un dossier');
    for (const dataDir of [file, join(file, 'sous-dossier')]) {
      const result = grants({ GRANTS_DATA_DIR: dataDir }, 'token', '--role', 'auditor');
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain('GRANTS_DATA_DIR');
      expect(result.stderr).toContain(dataDir);
      expect(result.stderr).not.toMatch(/^Erreur : E[A-Z]+:/m);
    }
  });

  it('exits 2 naming GRANTS_DATA_DIR when the user may not read the secret', async (test) => {
    if (!runsAsNobody(test)) return;
    chmodSync(work, 0o755);
    const data = join(work, 'data');
    mkdirSync(data, { mode: 0o755 });
    await loadOrCreateDevSecret(data); // mode 0600, root's
    const result = asNobody({ GRANTS_DATA_DIR: data }, 'token', '--role', 'auditor');
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain('GRANTS_DATA_DIR');
    expect(result.stderr).toContain(data);
    expect(result.stdout).toBe('');
  });
});
