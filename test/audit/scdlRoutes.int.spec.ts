// The SCDL export through the engine's real HTTP API (createApi, development JWTs): a file missing a
// mandatory SIRET is refused unless asked for as it is, the JSON review says the same, and the funder
// directory the configuration names (GRANTS_ATTRIBUANTS_FILE) reaches the API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { ConfigError, loadConfig } from '../../infra/config/config';
import { openReadModelDatabase } from '../../infra/projections/database';
import { configuredAttribuants, type AttribuantDirectory } from '../../services/audit/attribuants';
import { scdlCsv, scdlExport } from '../../services/audit/scdl';
import { startEngine } from '../../services/engine';
import { createApi } from '../../services/http/api';
import { mintDevelopmentToken } from '../../services/http/platform/auth';
import { listen, type RunningHttpServer } from '../../services/http/server';
import { noWorkflowsClient } from '../support/noWorkflows';
import { parseCsv } from './csvParse';
import {
  FundingWorld,
  jardinsWithoutSiretWarning,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';

const secret = 'secret-de-test-scdl-0123456789-abcdef';
const silent = pino({ level: 'silent' });

interface Json {
  [key: string]: unknown;
}

describe('SCDL export through the API', () => {
  let t: TestStore;
  let dir: string;
  let directoryFile: string;
  const servers: RunningHttpServer[] = [];
  const readModels: Database[] = [];
  let builtIn: RunningHttpServer;
  let configured: RunningHttpServer;
  let token: string;

  const serve = async (attribuants?: AttribuantDirectory) => {
    const db = openReadModelDatabase(join(dir, `read-models-${servers.length}.sqlite`));
    readModels.push(db);
    const api = createApi({
      logger: silent,
      auth: { mode: 'embedded', secret },
      grants: noWorkflowsClient('export SCDL'),
      eventStore: t.store,
      readModels: db,
      probes: [],
      metrics: {},
      ...(attribuants === undefined ? {} : { attribuants }),
    });
    const server = await listen(api, '127.0.0.1', 0);
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
    dir = mkdtempSync(join(tmpdir(), 'grants-scdl-api-'));
    directoryFile = join(dir, 'attribuants.json');
    // A placeholder SIRET, as a deployment would supply the real one.
    writeFileSync(
      directoryFile,
      JSON.stringify({ ETAT: { nom: 'Préfecture du Nord (exemple)', siret: '00000000000000' } }),
    );
    builtIn = await serve();
    configured = await serve(configuredAttribuants(loadConfig({ GRANTS_ATTRIBUANTS_FILE: directoryFile })));
    token = await mintDevelopmentToken({ secret, role: 'auditor' });
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const db of readModels) db.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (server: RunningHttpServer, path: string) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('refuses a CSV missing a funder’s SIRET with a 422 naming the funder and how to configure it', async () => {
    const refused = await get(builtIn, '/api/audit/exports/scdl.csv?year=2027');
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await refused.json()) as Json;
    expect(problem.code).toBe('SCDL_INCOMPLETE');
    // Not « refusée par les règles de gestion »: what is missing is configuration, not a rule.
    expect(problem).toMatchObject({
      type: '/api/docs#problem-exportIncomplete',
      title: 'Export incomplet : informations manquantes',
    });
    expect(problem.detail).toMatch(
      /^Export SCDL des conventions de 2027 incomplet : idAttribuant, le SIRET du financeur que le schéma rend obligatoire, est inconnu pour « État » \(ETAT, 2 lignes\)\./,
    );
    expect(problem.detail).toContain('GRANTS_ATTRIBUANTS_FILE');
    expect(problem.detail).toContain('allowIncomplete=true');
    // allowIncomplete=false is the default, said out loud.
    expect((await get(builtIn, '/api/audit/exports/scdl.csv?year=2027&allowIncomplete=false')).status).toBe(
      422,
    );
  });

  it('delivers the incomplete CSV when asked for it explicitly', async () => {
    const response = await get(builtIn, '/api/audit/exports/scdl.csv?year=2027&allowIncomplete=true');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await response.text();
    expect(text).toBe(scdlCsv((await scdlExport(t.store, { year: 2027 })).rows));
    const [header, ...rows] = parseCsv(text);
    const etat = rows.filter((r) => r[0] === 'État');
    expect(etat).toHaveLength(2);
    for (const row of etat) expect(row[header!.indexOf('idAttribuant')]).toBe('');
  });

  it('says the same in the JSON review, which always answers', async () => {
    const response = await get(builtIn, '/api/audit/exports/scdl?year=2027');
    expect(response.status).toBe(200);
    const json = (await response.json()) as Json;
    expect(json.complete).toBe(false);
    expect(json.missingIdAttribuant).toEqual([{ funder: 'ETAT', nomAttribuant: 'État', rows: 2 }]);
    expect(json.warnings).toEqual([
      expect.stringMatching(/^idAttribuant inconnu pour « État » \(ETAT\)/),
      jardinsWithoutSiretWarning,
    ]);
    expect((json.rows as Json[]).map((r) => r.publicationRules)).toEqual([
      [],
      [],
      [],
      ['convention_annual_amount'],
    ]);
  });

  it('takes the funders’ names and SIRETs from GRANTS_ATTRIBUANTS_FILE: the CSV is complete', async () => {
    const response = await get(configured, '/api/audit/exports/scdl.csv?year=2027');
    expect(response.status).toBe(200);
    const [, ...rows] = parseCsv(await response.text());
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ['Préfecture du Nord (exemple)', '00000000000000'],
      ["Communauté d'Agglomération Maubeuge Val-de-Sambre", '20004339600015'],
      ['Commune de Maubeuge', '21590392300013'],
      ['Préfecture du Nord (exemple)', '00000000000000'],
    ]);
    const json = (await (await get(configured, '/api/audit/exports/scdl?year=2027')).json()) as Json;
    expect(json.complete).toBe(true);
    expect(json.warnings).toEqual([jardinsWithoutSiretWarning]);
  });

  it('documents allowIncomplete and the 422 in the OpenAPI document', async () => {
    const document = (await (await fetch(`${builtIn.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Json>>;
    };
    const csv = document.paths['/api/audit/exports/scdl.csv']?.get;
    const parameters = (csv?.parameters as Json[]).map((p) => `${String(p.in)}:${String(p.name)}`).sort();
    expect(parameters).toEqual(['query:aboveThreshold', 'query:allowIncomplete', 'query:asOf', 'query:year']);
    expect(Object.keys(csv?.responses as Json)).toContain('422');
    const json = document.paths['/api/audit/exports/scdl']?.get;
    expect((json?.parameters as Json[]).map((p) => p.name)).not.toContain('allowIncomplete');
  });
});

describe('funder directory at start-up', () => {
  it('stops the engine before anything starts on a bad GRANTS_ATTRIBUANTS_FILE, naming the file and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grants-scdl-start-'));
    try {
      const file = join(dir, 'attribuants.json');
      writeFileSync(file, JSON.stringify({ ETAT: { nom: 'Préfecture du Nord', siret: '123' } }));
      const config = loadConfig({ GRANTS_DATA_DIR: join(dir, 'data'), GRANTS_ATTRIBUANTS_FILE: file });
      const start = startEngine(config, silent);
      await expect(start).rejects.toThrow(ConfigError);
      await expect(start).rejects.toThrow(
        `Fichier des attribuants ${file} invalide : ETAT.siret : SIRET : 14 chiffres. ` +
          'Corrigez ce fichier ou la variable GRANTS_ATTRIBUANTS_FILE.',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
