// `grants token`: the printed token is accepted by an API started on the same data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runToken } from '../../services/cli/token';
import { resolveAuthSettings } from '../../services/http/platform/auth';
import { type TestApi, startTestApi } from './support';
import { captureCliOutput } from '../support/cliOutput';

describe('grants token', () => {
  let dir: string;
  let api: TestApi;
  const config = () => loadConfig({ GRANTS_DATA_DIR: dir });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grants-token-'));
    // The API resolves its secret exactly as `grants start` would: from the data directory.
    api = await startTestApi(await resolveAuthSettings(config()));
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a token the API accepts, and only the token on stdout', async () => {
    const io = captureCliOutput();
    const code = await runToken(
      config(),
      ['--role', 'funder', '--institution', 'REGION', '--name', 'Région test', '--expires', '30m'],
      io.io,
    );
    expect(code, io.err()).toBe(0);
    const token = io.out().trim();
    expect(token.split('.')).toHaveLength(3);
    expect(io.err()).toMatch(/financeur \(REGION\), valable 30m/);
    const response = await fetch(`${api.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(await response.json()).toEqual({
      subject: 'dev-funder-REGION',
      role: 'funder',
      institution: 'REGION',
      name: 'Région test',
    });
  });

  it.each([
    [[], /--role est obligatoire/],
    [['--role', 'maire'], /Rôle inconnu : maire/],
    [['--role', 'funder'], /--institution/],
    [['--role', 'funder', '--institution', 'MAIRIE'], /Jeton refusé : institution/],
    [['--role', 'porteur'], /--porteur/],
    [['--role', 'auditor', '--porteur', 'x'], /ne s’applique qu’au rôle porteur/],
    [['--role', 'auditor', '--expires', 'bientôt'], /Durée invalide/],
    [['--role', 'auditor', '--colour', 'blue'], /Option inconnue : --colour/],
    [['--role'], /Valeur manquante pour --role\./],
    [['--role', '--name', 'x'], /Valeur manquante pour --role : « --name » ressemble à une option/],
    [['auditor'], /Argument inattendu : auditor/],
  ])('exits 2 with a French message for %j', async (argv, message) => {
    const io = captureCliOutput();
    expect(await runToken(config(), argv, io.io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  });

  it('refuses in JWKS mode', async () => {
    const io = captureCliOutput();
    const jwksConfig = loadConfig({ GRANTS_DATA_DIR: dir, GRANTS_JWKS_URL: 'https://idp.example/jwks.json' });
    expect(await runToken(jwksConfig, ['--role', 'auditor'], io.io)).toBe(2);
    expect(io.err()).toMatch(/fournisseur d’identité.*GRANTS_JWKS_URL/);
  });

  it('prints its usage with --help', async () => {
    const io = captureCliOutput();
    expect(await runToken(config(), ['--help'], io.io)).toBe(0);
    expect(io.out()).toMatch(/^Usage : grants token/);
  });
});
