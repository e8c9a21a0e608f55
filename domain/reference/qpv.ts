// Quartiers prioritaires (QPV) as versioned reference data. The official list is the ANCT file
// QP2024_France_Hexagonale_Outre_Mer_WGS84 (GeoJSON, data.gouv.fr); a user loads it with the parsers
// below. The domain never ships invented codes as if they were official: see qpvSampleCamvs.
import { z } from 'zod';
import { inseeCodeSchema } from '../shared/funders';

/**
 * 2024 codes: 'QN' + département on 3 characters (059, 02A, 971) + 2-digit order number + a letter
 * (N new, M modified, I unchanged…), e.g. QN05901M.
 */
export const qpvCodeSchema = z
  .string()
  .regex(/^QN(\d{3}|02[AB])\d{2}[A-Z]$/, 'Code QPV attendu au format QNDDDNNL (ex. QN05901M)');
export type QpvCode = z.infer<typeof qpvCodeSchema>;

export const qpvEntrySchema = z.object({
  code: qpvCodeSchema,
  name: z.string().min(1),
  /** INSEE codes of the communes the quartier lies in (several when it straddles communes). */
  communes: z.array(inseeCodeSchema),
  /** Commune names, when the source gives names rather than codes (the CSV form). */
  communeNames: z.array(z.string().min(1)).optional(),
  departement: z.string().optional(),
  epciSiren: z
    .string()
    .regex(/^\d{9}$/)
    .optional(),
});
export type QpvEntry = z.infer<typeof qpvEntrySchema>;

export const qpvReferenceSchema = z.object({
  version: z.string().min(1),
  source: z.string().min(1),
  /** Date of the source file (civil date). */
  date: z.iso.date(),
  /** True when the codes are not official ones (demonstration data). */
  placeholder: z.boolean(),
  entries: z.array(qpvEntrySchema),
});
export type QpvReference = z.infer<typeof qpvReferenceSchema>;

export interface SourceInfo {
  version: string;
  source: string;
  date: string;
}

export type ParseOutcome =
  { ok: true; reference: QpvReference; warnings: string[] } | { ok: false; errors: string[] };

const splitList = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : [];

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;

function finish(source: SourceInfo, entries: QpvEntry[], warnings: string[], errors: string[]): ParseOutcome {
  if (errors.length > 0) return { ok: false, errors };
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.code))
      warnings.push(`Code ${e.code} en double : seule la première occurrence est gardée.`);
    seen.add(e.code);
  }
  const unique = entries.filter((e, i) => entries.findIndex((x) => x.code === e.code) === i);
  const reference = qpvReferenceSchema.safeParse({ ...source, placeholder: false, entries: unique });
  if (!reference.success) return { ok: false, errors: reference.error.issues.map((i) => i.message) };
  return { ok: true, reference: reference.data, warnings };
}

/**
 * Reads the official ANCT GeoJSON (a FeatureCollection whose properties carry code_qp, lib_qp,
 * insee_com — possibly 'a, b' —, lib_com, insee_dep, siren_epci …). Geometries are ignored.
 */
export function parseQpvGeoJson(geojson: unknown, source: SourceInfo): ParseOutcome {
  const collection = z
    .object({
      type: z.literal('FeatureCollection'),
      features: z.array(z.object({ properties: z.record(z.string(), z.unknown()) })),
    })
    .safeParse(geojson);
  if (!collection.success)
    return { ok: false, errors: ["Le fichier n'est pas une FeatureCollection GeoJSON avec des propriétés."] };
  const entries: QpvEntry[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  collection.data.features.forEach((feature, index) => {
    const p = feature.properties;
    const code = text(p.code_qp);
    const name = text(p.lib_qp);
    if (!code || !qpvCodeSchema.safeParse(code).success || !name) {
      errors.push(`Entité n° ${index + 1} : code_qp ou lib_qp absent ou invalide (${String(p.code_qp)}).`);
      return;
    }
    const communes = splitList(p.insee_com);
    const badCommunes = communes.filter((c) => !inseeCodeSchema.safeParse(c).success);
    if (badCommunes.length > 0) warnings.push(`${code} : codes INSEE ignorés (${badCommunes.join(', ')}).`);
    const entry: QpvEntry = { code, name, communes: communes.filter((c) => !badCommunes.includes(c)) };
    const communeNames = splitList(p.lib_com);
    if (communeNames.length > 0) entry.communeNames = communeNames;
    const departement = text(p.insee_dep);
    if (departement) entry.departement = departement;
    const siren = text(p.siren_epci);
    if (siren && /^\d{9}$/.test(siren)) entry.epciSiren = siren;
    entries.push(entry);
  });
  return finish(source, entries, warnings, errors);
}

/** Splits one CSV line, honouring double quotes ("a, b" stays one field; "" is a quote). */
function csvFields(line: string, separator: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === separator) {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  fields.push(current);
  return fields.map((f) => f.trim());
}

/**
 * Reads the CSV form (columns code_qp, nom_qp, commune_qp; ',' or ';' separated). commune_qp holds
 * commune names, several joined by commas; INSEE codes found there are kept as codes.
 */
export function parseQpvCsv(csv: string, source: SourceInfo): ParseOutcome {
  const lines = csv
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim().length > 0);
  const header = lines[0];
  if (header === undefined) return { ok: false, errors: ['Le fichier CSV est vide.'] };
  const separator = header.includes(';') ? ';' : ',';
  const columns = csvFields(header, separator).map((c) => c.toLowerCase());
  const at = (name: string): number => columns.indexOf(name);
  if (at('code_qp') < 0 || at('nom_qp') < 0) {
    return { ok: false, errors: ['Colonnes attendues : code_qp, nom_qp, commune_qp.'] };
  }
  const entries: QpvEntry[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  lines.slice(1).forEach((line, index) => {
    const f = csvFields(line, separator);
    const code = f[at('code_qp')] ?? '';
    const name = f[at('nom_qp')] ?? '';
    if (!qpvCodeSchema.safeParse(code).success || name.length === 0) {
      errors.push(`Ligne ${index + 2} : code_qp ou nom_qp absent ou invalide (${code}).`);
      return;
    }
    const listed = splitList(at('commune_qp') >= 0 ? f[at('commune_qp')] : undefined);
    const codes = listed.filter((c) => inseeCodeSchema.safeParse(c).success);
    const names = listed.filter((c) => !codes.includes(c));
    const entry: QpvEntry = { code, name, communes: codes };
    if (names.length > 0) entry.communeNames = names;
    entries.push(entry);
  });
  return finish(source, entries, warnings, errors);
}

export const qpvCodesOf = (reference: QpvReference): string[] => reference.entries.map((e) => e.code);

/** The quartiers of a territory: those of an EPCI (by SIREN) or touching one of the given communes. */
export function qpvOfTerritory(
  reference: QpvReference,
  territory: { epciSiren?: string; communes?: readonly string[] },
): QpvEntry[] {
  return reference.entries.filter(
    (e) =>
      (territory.epciSiren !== undefined && e.epciSiren === territory.epciSiren) ||
      (territory.communes ?? []).some((c) => e.communes.includes(c)),
  );
}

/**
 * Demonstration sample for the CAMVS (Maubeuge Val-de-Sambre): the quartier names are the real
 * ones, the CODES ARE PLACEHOLDERS (order numbers 90+ and the letter X, which no official code
 * uses). Load the official ANCT file for real work.
 */
export const qpvSampleCamvs: QpvReference = {
  version: 'echantillon-camvs-1',
  source: 'échantillon de démonstration, codes fictifs (noms réels des quartiers de la CAMVS)',
  date: '2024-07-13',
  placeholder: true,
  entries: [
    { code: 'QN05990X', name: 'Sous-le-Bois', communes: ['59392'], epciSiren: '200043396' },
    { code: 'QN05991X', name: 'Montplaisir', communes: ['59392'], epciSiren: '200043396' },
    { code: 'QN05992X', name: "Rue d'Haumont", communes: ['59392'], epciSiren: '200043396' },
    { code: 'QN05993X', name: "L'Épinette", communes: ['59392'], epciSiren: '200043396' },
    {
      code: 'QN05994X',
      name: 'Provinces Françaises – De Joyeuse',
      communes: ['59392'],
      epciSiren: '200043396',
    },
    { code: 'QN05995X', name: 'Pont de Pierre', communes: ['59392'], epciSiren: '200043396' },
    { code: 'QN05996X', name: 'Centre', communes: ['59365'], epciSiren: '200043396' },
    {
      code: 'QN05997X',
      name: 'Aulnoye-Aymeries (multisites)',
      communes: [],
      communeNames: ['Aulnoye-Aymeries'],
      epciSiren: '200043396',
    },
    { code: 'QN05998X', name: 'Jeumont', communes: [], communeNames: ['Jeumont'], epciSiren: '200043396' },
    { code: 'QN05999X', name: 'Hautmont', communes: [], communeNames: ['Hautmont'], epciSiren: '200043396' },
  ],
};
