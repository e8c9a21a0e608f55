import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, unknownVariables } from '../../infra/config/config';

const cli = new URL('../../scripts/grants.mjs', import.meta.url).pathname;

describe('configuration', () => {
  it('defaults to the embedded mode: SQLite event store under the data directory, dev server', () => {
    const config = loadConfig({ GRANTS_DATA_DIR: '/srv/grants' });
    expect(config.eventStore).toEqual({
      kind: 'sqlite',
      file: '/srv/grants/events.sqlite',
      synchronous: 'FULL',
    });
    expect(config.temporal.address).toBeUndefined();
    expect(config.temporal.devServerDbFile).toBe('/srv/grants/temporal.sqlite');
    expect(config.http.port).toBe(3000);
  });

  it('reads the issuer and the audiences a provider token must carry, and checks both with the JWKS', async () => {
    const { resolveAuthSettings } = await import('../../services/http/platform/auth');
    const config = loadConfig({
      GRANTS_JWKS_URL: 'https://sso.example.org/certs',
      GRANTS_JWT_ISSUER: 'https://sso.example.org/realms/grants',
      GRANTS_JWT_AUDIENCE: ' grants-engine, grants-console ,',
    });
    expect(config.auth).toMatchObject({
      jwtIssuer: 'https://sso.example.org/realms/grants',
      jwtAudience: ['grants-engine', 'grants-console'],
    });
    expect(await resolveAuthSettings(config)).toEqual({
      mode: 'jwks',
      jwksUrl: 'https://sso.example.org/certs',
      issuer: 'https://sso.example.org/realms/grants',
      audience: ['grants-engine', 'grants-console'],
    });
    // Only commas, or nothing: no audience checked (warned at start-up), not every one refused.
    expect(loadConfig({ GRANTS_JWT_AUDIENCE: ' , ' }).auth.jwtAudience).toBeUndefined();
  });

  it('switches to EventStoreDB and a Temporal cluster when their addresses are given', () => {
    const config = loadConfig({
      EVENTSTORE_CONNECTION_STRING: 'esdb://eventstore:2113?tls=false',
      TEMPORAL_ADDRESS: 'temporal:7233',
    });
    expect(config.eventStore).toEqual({
      kind: 'eventstoredb',
      connectionString: 'esdb://eventstore:2113?tls=false',
    });
    expect(config.temporal.address).toBe('temporal:7233');
  });

  it('takes the addresses the clients take, and refuses a URL scheme they do not, its password unsaid', () => {
    for (const address of ['temporal', 'temporal:7233', '10.0.0.5:7233', '[::1]:7233'])
      expect(loadConfig({ TEMPORAL_ADDRESS: address }).temporal.address).toBe(address);
    for (const string of ['esdb://a:2113,b:2113?tls=false', 'esdb+discover://cluster.example:2113'])
      expect(loadConfig({ EVENTSTORE_CONNECTION_STRING: string }).eventStore.kind).toBe('eventstoredb');
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'http://temporal:7233' })).toThrow('sans http://');
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'temporal:72a' })).toThrow('TEMPORAL_ADDRESS');
    const refused = () =>
      loadConfig({ EVENTSTORE_CONNECTION_STRING: 'https://admin:motdepasse@kurrentdb:2113' });
    expect(refused).toThrow('esdb://hôte:2113?tls=false');
    expect(refused).toThrow('EVENTSTORE_CONNECTION_STRING=https://***@kurrentdb:2113');
  });

  it('names every bad variable and what it expects', () => {
    const attempt = () =>
      loadConfig({ GRANTS_HTTP_PORT: 'quatre-vingt', EVENTSTORE_SQLITE_SYNCHRONOUS: 'OFF' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.map((p) => p.variable).sort();
      expect(problems).toEqual(['EVENTSTORE_SQLITE_SYNCHRONOUS', 'GRANTS_HTTP_PORT']);
      // Said as a person would: not « Entrée invalide : nombre attendu, NaN reçu ».
      expect((error as ConfigError).problems.find((p) => p.variable === 'GRANTS_HTTP_PORT')?.expected).toBe(
        'nombre entier attendu, en chiffres décimaux',
      );
    }
  });

  it('refuses one port for two of the engine’s listeners, naming both (the start blamed « another process »)', () => {
    const attempt = () => loadConfig({ GRANTS_HTTP_PORT: '3933', TEMPORAL_UI_PORT: '3933' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'TEMPORAL_UI_PORT=3933 : un port différent de GRANTS_HTTP_PORT (3933) : chaque service du moteur écoute sur le sien',
    );
    expect(() => loadConfig({ TEMPORAL_DEV_SERVER_PORT: '8233' })).toThrow(
      'TEMPORAL_UI_PORT=8233 : un port différent de TEMPORAL_DEV_SERVER_PORT (8233)',
    );
    // A Temporal cluster elsewhere: its dev server's ports are not the engine's to open.
    expect(
      loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', GRANTS_HTTP_PORT: '7233', TEMPORAL_UI_PORT: '7233' })
        .http.port,
    ).toBe(7233);
  });

  it('reads integers in decimal digits only, and an empty variable as unset (its default)', () => {
    for (const value of ['0x10', '4203.0', '1e3', '-5'])
      expect(() => loadConfig({ GRANTS_HTTP_PORT: value }), value).toThrow(ConfigError);
    expect(loadConfig({ GRANTS_HTTP_PORT: ' 8080 ' }).http.port).toBe(8080);
    const blank = loadConfig({ GRANTS_HTTP_PORT: '', GRANTS_DATA_DIR: ' ', GRANTS_REBUILD_WORKERS: '' });
    expect(blank.http.port).toBe(3000);
    expect(blank.dataDir).toBe(loadConfig({}).dataDir);
    expect(blank.readModels.rebuildWorkers).toBe(loadConfig({}).readModels.rebuildWorkers);
  });

  it('bounds how long a command waits for its step: 20 s by default, 1 to 120 s', () => {
    expect(loadConfig({}).http.stepWaitSeconds).toBe(20);
    expect(loadConfig({ GRANTS_STEP_WAIT_SECONDS: '5' }).http.stepWaitSeconds).toBe(5);
    for (const value of ['0', '121', '2.5', 'vingt'])
      expect(() => loadConfig({ GRANTS_STEP_WAIT_SECONDS: value }), value).toThrow(
        'GRANTS_STEP_WAIT_SECONDS',
      );
  });

  it('names a GRANTS_ variable it does not read, with the one probably meant', () => {
    expect(
      unknownVariables({ GRANTS_HTTP_PROT: '4000', GRANTS_FOO: 'x', GRANTS_HTTP_PORT: '1', PATH: '/bin' }),
    ).toEqual([
      'Variable GRANTS_FOO inconnue : le moteur ne la lit pas.',
      'Variable GRANTS_HTTP_PROT inconnue : le moteur ne la lit pas (vouliez-vous dire GRANTS_HTTP_PORT ?).',
    ]);
    // Said by every command, on its log (stderr for all but start).
    const result = spawnSync(process.execPath, [cli, 'token', '--role', 'auditor'], {
      env: {
        ...process.env,
        GRANTS_HTTP_PROT: '4000',
        GRANTS_DATA_DIR: mkdtempSync(join(tmpdir(), 'grants-cfg-')),
        // No engine started on that folder, so no secret there: `grants token` would refuse.
        GRANTS_JWT_SECRET: 'un secret de test assez long pour être accepté',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('vouliez-vous dire GRANTS_HTTP_PORT ?');
    expect(result.stdout.trim().split('.')).toHaveLength(3);
  });

  it('makes `grants start` exit 2 with a message naming the variable, before starting anything', () => {
    const result = spawnSync(process.execPath, [cli, 'start'], {
      env: { ...process.env, GRANTS_HTTP_PORT: '99999' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('GRANTS_HTTP_PORT=99999');
    expect(result.stderr).toContain('Configuration invalide');
  });
});
