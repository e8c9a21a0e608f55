import { describe, expect, it } from 'vitest';
import {
  actionThemeCodeSchema,
  funderIdSchema,
  funderName,
  parseQpvCsv,
  parseQpvGeoJson,
  qpvCodeSchema,
  qpvOfTerritory,
  qpvSampleCamvs,
  themes,
} from '../../domain';

const source = { version: 'QP2024-test', source: 'ANCT, data.gouv.fr (extrait de test)', date: '2024-07-13' };

describe('themes (nomenclature nationale)', () => {
  it('lists the four axes and their sub-themes, 1.5a and 1.5b included', () => {
    expect(themes.map((t) => t.code)).toEqual([
      '1',
      '1.1',
      '1.2',
      '1.3',
      '1.4',
      '1.5',
      '1.5a',
      '1.5b',
      '1.6',
      '2',
      '2.1',
      '2.2',
      '3',
      '3.1',
      '3.2',
      '4',
      '4.1',
      '4.2',
    ]);
    expect(actionThemeCodeSchema.safeParse('1.5a').success).toBe(true);
    expect(actionThemeCodeSchema.safeParse('1').success).toBe(false);
    expect(actionThemeCodeSchema.safeParse('5.1').success).toBe(false);
  });
});

describe('funders', () => {
  it('are ETAT, REGION, DEPARTEMENT, CAF, EPCI or COMMUNE-<INSEE>', () => {
    for (const ok of ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI', 'COMMUNE-59392', 'COMMUNE-2A004'])
      expect(funderIdSchema.safeParse(ok).success).toBe(true);
    for (const ko of ['etat', 'COMMUNE-5939', 'COMMUNE-593921', 'COMMUNE-59392 ', 'VILLE-59392', 'ANCT'])
      expect(funderIdSchema.safeParse(ko).success).toBe(false);
  });
  it('have French names', () => {
    expect(funderName('ETAT')).toBe('État');
    expect(funderName('COMMUNE-59392')).toBe('Commune de Maubeuge');
    expect(funderName('COMMUNE-62041')).toBe('Commune (INSEE 62041)');
  });
});

describe('QPV reference', () => {
  it('ships a CAMVS sample that says plainly its codes are placeholders', () => {
    expect(qpvSampleCamvs.placeholder).toBe(true);
    expect(qpvSampleCamvs.source).toContain('codes fictifs');
    expect(qpvSampleCamvs.entries.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'Sous-le-Bois',
        'Montplaisir',
        "Rue d'Haumont",
        "L'Épinette",
        'Pont de Pierre',
      ]),
    );
    for (const e of qpvSampleCamvs.entries) {
      expect(qpvCodeSchema.safeParse(e.code).success).toBe(true);
      expect(e.code.endsWith('X')).toBe(true);
    }
  });

  it('reads the official ANCT GeoJSON properties, splitting multi-commune quartiers', () => {
    const geojson = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: {
            code_qp: 'QN05901M',
            lib_qp: 'Quartier A',
            insee_reg: '32',
            lib_reg: 'Hauts-de-France',
            insee_dep: '059',
            lib_dep: 'Nord',
            insee_com: '59392, 59365',
            lib_com: 'Maubeuge, Louvroil',
            siren_epci: '200043396',
          },
          geometry: { type: 'MultiPolygon', coordinates: [] },
        },
        {
          type: 'Feature',
          properties: { code_qp: 'QN02A01N', lib_qp: 'Quartier B', insee_com: '2A004' },
          geometry: null,
        },
        {
          type: 'Feature',
          properties: { code_qp: 'QN05901M', lib_qp: 'Doublon', insee_com: '59392' },
          geometry: null,
        },
      ],
    };
    const parsed = parseQpvGeoJson(geojson, source);
    if (!parsed.ok) throw new Error(parsed.errors.join(' '));
    expect(parsed.reference).toMatchObject({ ...source, placeholder: false });
    expect(parsed.reference.entries).toEqual([
      {
        code: 'QN05901M',
        name: 'Quartier A',
        communes: ['59392', '59365'],
        communeNames: ['Maubeuge', 'Louvroil'],
        departement: '059',
        epciSiren: '200043396',
      },
      { code: 'QN02A01N', name: 'Quartier B', communes: ['2A004'] },
    ]);
    expect(parsed.warnings).toEqual(['Code QN05901M en double : seule la première occurrence est gardée.']);
    expect(qpvOfTerritory(parsed.reference, { epciSiren: '200043396' }).map((e) => e.code)).toEqual([
      'QN05901M',
    ]);
    expect(qpvOfTerritory(parsed.reference, { communes: ['2A004'] }).map((e) => e.code)).toEqual([
      'QN02A01N',
    ]);
  });

  it('refuses a file that is not the expected GeoJSON, or an invalid code', () => {
    expect(parseQpvGeoJson({ type: 'Feature' }, source).ok).toBe(false);
    const bad = parseQpvGeoJson(
      {
        type: 'FeatureCollection',
        features: [{ properties: { code_qp: 'QP059001', lib_qp: 'Ancien code 2015' } }],
      },
      source,
    );
    expect(bad.ok ? [] : bad.errors).toEqual([
      'Entité n° 1 : code_qp ou lib_qp absent ou invalide (QP059001).',
    ]);
  });

  it('reads the CSV form (code_qp, nom_qp, commune_qp), with ; or , and quoted commune lists', () => {
    const csv =
      '\uFEFFcode_qp;nom_qp;commune_qp\r\nQN04401M;Bellevue;"Nantes, Saint-Herblain"\r\nQN05901M;Quartier A;59392\r\n';
    const parsed = parseQpvCsv(csv, source);
    if (!parsed.ok) throw new Error(parsed.errors.join(' '));
    expect(parsed.reference.entries).toEqual([
      { code: 'QN04401M', name: 'Bellevue', communes: [], communeNames: ['Nantes', 'Saint-Herblain'] },
      { code: 'QN05901M', name: 'Quartier A', communes: ['59392'] },
    ]);
    expect(parseQpvCsv('code,nom\nQN04401M,Bellevue', source).ok).toBe(false);
  });
});
