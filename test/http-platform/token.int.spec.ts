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

  it('puts the organisation’s SIRET and RNA in a porteur’s token when given', async () => {
    const io = captureCliOutput();
    const code = await runToken(
      config(),
      ['--role', 'porteur', '--porteur', 'asso-x', '--siret', '81234567800013', '--rna', 'W593000001'],
      io.io,
    );
    expect(code, io.err()).toBe(0);
    const response = await fetch(`${api.url}/whoami`, {
      headers: { authorization: `Bearer ${io.out().trim()}` },
    });
    expect(await response.json()).toMatchObject({
      role: 'porteur',
      porteurId: 'asso-x',
      siret: '81234567800013',
      rna: 'W593000001',
    });
  });

  it.each([
    [[], /--role est obligatoire/],
    [['--role', 'maire'], /Rôle inconnu : maire/],
    [['--role', 'funder'], /--institution/],
    [
      ['--role', 'funder', '--institution', 'MAIRIE'],
      /^Institution inconnue : MAIRIE\. Institutions possibles : ETAT, REGION, DEPARTEMENT, CAF, EPCI, COMMUNE-<code INSEE> \(ex\. COMMUNE-59392\)\.\n$/,
    ],
    // Lower case: the list, and the form that would have been accepted.
    [
      ['--role', 'funder', '--institution', 'etat'],
      /Institutions possibles : ETAT, .* En majuscules : --institution ETAT\.\n$/,
    ],
    [['--role', 'funder', '--institution', 'commune-59392'], /En majuscules : --institution COMMUNE-59392\./],
    [['--role', 'evaluator', '--institution', 'Region'], /^Institution inconnue : Region\./],
    // jose reads these as an expiry now or past: a token refused as soon as it is used.
    [
      ['--role', 'auditor', '--expires', '0s'],
      /^Durée invalide pour --expires : 0s ; le jeton doit rester valable/,
    ],
    [['--role', 'auditor', '--expires', '5m ago'], /^Durée invalide pour --expires : 5m ago ;/],
    [['--role', 'auditor', '--expires=-5m'], /^Durée invalide pour --expires : -5m ;/],
    [['--role', 'porteur'], /--porteur/],
    [['--role', 'auditor', '--porteur', 'x'], /ne s’applique qu’au rôle porteur/],
    [
      ['--role', 'funder', '--institution', 'ETAT', '--siret', '81234567800013'],
      /--siret et --rna ne s’appliquent/,
    ],
    [
      ['--role', 'porteur', '--porteur', 'x', '--siret', '8123'],
      /^Jeton refusé : siret : SIRET : 14 chiffres/,
    ],
    [['--role', 'porteur', '--porteur', 'x', '--rna', '593000001'], /^Jeton refusé : rna : RNA : W suivi/],
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
