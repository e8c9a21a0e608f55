// The funders as the SCDL open data names them (nomAttribuant, idAttribuant): official name and SIRET
// per funder code. The defaults are the identifiers attested in the project's domain notes; a
// deployment supplies the others in one JSON file, read at start-up (GRANTS_ATTRIBUANTS_FILE) and
// shared by the API and `grants export scdl`, whose --attribuants file goes on top of it.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { funderName } from '../../domain/reference/funders';
import { funderIdSchema } from '../../domain/shared/funders';
import { siretChecksumValid } from '../../domain/application';
import { ConfigError, type Config } from '../../infra/config/config';
import { safeParseInFrench } from '../../infra/validation/safeParseInFrench';

/** A funder as the open data names it. */
export interface Attribuant {
  /** Official name of the authority. */
  nom: string;
  /** 14 digits; only a SIRET known from a reliable source. */
  siret?: string;
}

/** By funder id (ETAT, REGION, …, COMMUNE-<INSEE>). */
export type AttribuantDirectory = Readonly<Partial<Record<string, Attribuant>>>;

/**
 * The reference case's funders whose SIRET is public and attested in the project's domain notes:
 * the agglomeration (CAMVS) and two communes. A commune's SIRET cannot be derived from its INSEE code
 * (its check digit and NIC are not), so other communes stay unknown until someone supplies them; so
 * do the État, the Région, the Département and the CAF, whose paying entity depends on the deployment.
 */
export const camvsAttribuants: AttribuantDirectory = {
  EPCI: { nom: "Communauté d'Agglomération Maubeuge Val-de-Sambre", siret: '20004339600015' },
  'COMMUNE-59392': { nom: 'Commune de Maubeuge', siret: '21590392300013' },
  'COMMUNE-59365': { nom: 'Commune de Louvroil', siret: '21590365900013' },
};

/** The directory's entry, or for an unlisted funder its generic label (« État ») and no SIRET. */
export function attribuantOf(funder: string, directory: AttribuantDirectory = camvsAttribuants): Attribuant {
  const known = directory[funder];
  if (known) return known;
  const parsed = funderIdSchema.safeParse(funder);
  return { nom: parsed.success ? funderName(parsed.data) : funder };
}

/** The defaults, then each layer on top: a funder named again replaces its whole entry. */
export const attribuantDirectory = (...layers: AttribuantDirectory[]): AttribuantDirectory =>
  Object.assign({}, camvsAttribuants, ...layers) as AttribuantDirectory;

/** The file's format, the same for GRANTS_ATTRIBUANTS_FILE and --attribuants. */
export const attribuantsFileExample = '{ "ETAT": { "nom": "Préfecture du Nord", "siret": "14 chiffres" } }';

const attribuantsFileSchema = z.record(
  funderIdSchema,
  z.strictObject({
    nom: z.string().trim().min(1),
    siret: z
      .string()
      .regex(/^\d{14}$/, 'SIRET : 14 chiffres')
      // A digit mistyped in a file that goes to open data: its key (Luhn) says so.
      .refine(
        (s) => !/^\d{14}$/.test(s) || siretChecksumValid(s),
        'SIRET : clé de contrôle fausse (un chiffre mal recopié ?)',
      )
      .optional(),
  }),
);

/** A directory file that cannot be used; the message names the file and the field at fault. */
export class AttribuantsFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'AttribuantsFileError';
  }
}

/** Where JSON.parse stopped, in French (its own message is in English). */
function whereJsonBroke(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return ` (ligne ${lineColumn[1]}, colonne ${lineColumn[2]})`;
  const position = /position (\d+)/.exec(message);
  return position ? ` (caractère ${position[1]})` : '';
}

/** A directory file's entries, checked; anything unusable is an AttribuantsFileError. */
export function readAttribuantsFile(file: string): AttribuantDirectory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AttribuantsFileError(
      file,
      code === 'ENOENT'
        ? `Fichier des attribuants introuvable : ${file}.`
        : `Fichier des attribuants illisible (${file}) : ${code ?? (error as Error).message}.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AttribuantsFileError(
      file,
      `Fichier des attribuants ${file} : JSON invalide${whereJsonBroke(error)} ; format attendu ${attribuantsFileExample}.`,
    );
  }
  const parsed = safeParseInFrench(attribuantsFileSchema, json);
  if (!parsed.success) {
    const fields = parsed.error.issues.slice(0, 5).map(describeIssue);
    throw new AttribuantsFileError(file, `Fichier des attribuants ${file} invalide : ${fields.join(' ; ')}.`);
  }
  return parsed.data;
}

/** One problem of the file, the field first: `ETAT.siret : SIRET : 14 chiffres`. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.join('.');
  if (field === '') return `un objet JSON par code de financeur attendu, ${attribuantsFileExample}`;
  const message =
    issue.code === 'invalid_key'
      ? 'code de financeur inconnu (ETAT, REGION, DEPARTEMENT, CAF, EPCI ou COMMUNE-<code INSEE>)'
      : issue.message.replace(/\.$/, '');
  return `${field} : ${message}`;
}

/**
 * The directory the configuration sets, read now: a file that cannot be used stops the command at
 * start-up like any bad setting (a ConfigError naming GRANTS_ATTRIBUANTS_FILE, exit code 2).
 */
export function configuredAttribuants(config: Pick<Config, 'openData'>): AttribuantDirectory {
  const file = config.openData.attribuantsFile;
  if (file === undefined) return attribuantDirectory();
  try {
    return attribuantDirectory(readAttribuantsFile(file));
  } catch (error) {
    if (!(error instanceof AttribuantsFileError)) throw error;
    throw new ConfigError(
      [
        {
          variable: 'GRANTS_ATTRIBUANTS_FILE',
          expected: `un fichier JSON des attribuants, ${attribuantsFileExample}`,
          received: file,
        },
      ],
      `${error.message} Corrigez ce fichier ou la variable GRANTS_ATTRIBUANTS_FILE.`,
    );
  }
}
