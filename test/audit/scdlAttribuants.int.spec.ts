// The funder directory of the SCDL export: the built-in identifiers attested in the domain notes,
// and the JSON file a deployment names in GRANTS_ATTRIBUANTS_FILE, checked field by field with a
// French message naming the file and the field (a bad file stops start-up like any bad setting).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config/config';
import {
  attribuantDirectory,
  AttribuantsFileError,
  camvsAttribuants,
  configuredAttribuants,
  readAttribuantsFile,
} from '../../services/audit/attribuants';

describe('SCDL funder directory', () => {
  let dir: string;
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grants-attribuants-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('knows only the SIRETs the domain notes attest, and never the État’s', () => {
    expect(camvsAttribuants).toEqual({
      EPCI: { nom: "Communauté d'Agglomération Maubeuge Val-de-Sambre", siret: '20004339600015' },
      'COMMUNE-59392': { nom: 'Commune de Maubeuge', siret: '21590392300013' },
      'COMMUNE-59365': { nom: 'Commune de Louvroil', siret: '21590365900013' },
    });
    expect(configuredAttribuants(loadConfig({}))).toEqual(camvsAttribuants);
  });

  it('reads GRANTS_ATTRIBUANTS_FILE as a path from where the engine starts, on top of the built-in directory', () => {
    const path = file(
      'attribuants.json',
      JSON.stringify({
        ETAT: { nom: 'Préfecture du Nord (exemple)', siret: '00000000000000' },
        'COMMUNE-59122': { nom: 'Commune exemple' },
      }),
    );
    const config = loadConfig({ GRANTS_ATTRIBUANTS_FILE: ` ${path} ` });
    expect(config.openData.attribuantsFile).toBe(path);
    expect(loadConfig({ GRANTS_ATTRIBUANTS_FILE: 'relatif.json' }).openData.attribuantsFile).toBe(
      resolve('relatif.json'),
    );
    expect(loadConfig({ GRANTS_ATTRIBUANTS_FILE: '' }).openData.attribuantsFile).toBeUndefined();
    expect(configuredAttribuants(config)).toEqual({
      ...camvsAttribuants,
      ETAT: { nom: 'Préfecture du Nord (exemple)', siret: '00000000000000' },
      'COMMUNE-59122': { nom: 'Commune exemple' },
    });
    // A later layer replaces a funder's whole entry.
    expect(attribuantDirectory({ EPCI: { nom: 'CAMVS' } }, { EPCI: { nom: 'CAMVS (bis)' } }).EPCI).toEqual({
      nom: 'CAMVS (bis)',
    });
  });

  it('names the file and each faulty field, in French', () => {
    const bad = file(
      'bad.json',
      JSON.stringify({
        MAIRIE: { nom: 'Mairie' },
        ETAT: { nom: 'Préfecture', siret: '123' },
        CAF: { nom: 'CAF du Nord', siret: '11111111111111' },
        REGION: { nom: ' ', SIRET: '00000000000000' },
      }),
    );
    expect(() => readAttribuantsFile(bad)).toThrow(
      `Fichier des attribuants ${bad} invalide : ` +
        'MAIRIE : code de financeur inconnu (ETAT, REGION, DEPARTEMENT, CAF, EPCI ou COMMUNE-<code INSEE>) ; ' +
        'ETAT.siret : SIRET : 14 chiffres ; CAF.siret : SIRET : clé de contrôle fausse (un chiffre mal recopié ?) ; REGION.nom : Champ vide ; REGION : Clé non reconnue : "SIRET".',
    );
    const broken = file('broken.json', '{ "ETAT": { nom: "x" } }');
    expect(() => readAttribuantsFile(broken)).toThrow(
      new RegExp(
        `^Fichier des attribuants ${broken} : JSON invalide \\((caractère \\d+|ligne \\d+, colonne \\d+)\\) ; format attendu`,
      ),
    );
    expect(() => readAttribuantsFile(file('list.json', '[]'))).toThrow(
      'invalide : un objet JSON par code de financeur attendu, { "ETAT": { "nom": "Préfecture du Nord", "siret": "14 chiffres" } }.',
    );
    const absent = join(dir, 'absent.json');
    expect(() => readAttribuantsFile(absent)).toThrow(
      new AttribuantsFileError(absent, `Fichier des attribuants introuvable : ${absent}.`),
    );
  });

  it('makes a bad file a bad setting: a ConfigError naming GRANTS_ATTRIBUANTS_FILE', () => {
    const bad = file('etat.json', JSON.stringify({ ETAT: { nom: 'Préfecture', siret: '123' } }));
    let error: unknown;
    try {
      configuredAttribuants(loadConfig({ GRANTS_ATTRIBUANTS_FILE: bad }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      {
        variable: 'GRANTS_ATTRIBUANTS_FILE',
        expected:
          'un fichier JSON des attribuants, { "ETAT": { "nom": "Préfecture du Nord", "siret": "14 chiffres" } }',
        received: bad,
      },
    ]);
    expect((error as ConfigError).message).toBe(
      `Fichier des attribuants ${bad} invalide : ETAT.siret : SIRET : 14 chiffres. ` +
        'Corrigez ce fichier ou la variable GRANTS_ATTRIBUANTS_FILE.',
    );
  });
});
