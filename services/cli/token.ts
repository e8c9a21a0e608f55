// `grants token --role <rôle> [--institution X] [--porteur P [--siret S] [--rna W…]] [--subject S] [--name N] [--expires 8h]`:
// prints a development token for the embedded mode, signed with the same secret the API verifies
// with. The token alone goes to stdout (so `TOKEN=$(grants token …)` works); explanations to stderr.
// The secret is the engine's (GRANTS_JWT_SECRET, or the one `grants start` created in its data
// directory): this command never creates one, since a token signed with a secret of its own, on a
// mistyped GRANTS_DATA_DIR, would only meet the API's 401.
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { Config } from '../../infra/config/config';
import { unusableDataDir } from '../engineLock';
import {
  type Role,
  devSecretFileName,
  institutionSchema,
  mintDevelopmentToken,
  readDevSecret,
  resolveAuthSettings,
  roleLabels,
  roles,
} from '../http/platform/auth';
import { readArguments } from './arguments';

export const tokenUsage = `Usage : grants token --role <rôle> [options]

Émet un jeton de développement (mode embarqué uniquement) pour appeler l’API :
  curl -H "Authorization: Bearer $(grants token --role grant_manager)" …

Signé du secret du moteur : GRANTS_JWT_SECRET, ou celui que le moteur crée à son premier démarrage
dans son dossier de données (GRANTS_DATA_DIR/${devSecretFileName}). Démarrez le moteur une fois d’abord.

Options :
  --role <rôle>          ${roles.join(' | ')}
  --institution <code>   financeur (obligatoire pour funder) : ETAT, REGION, DEPARTEMENT, CAF, EPCI,
                         COMMUNE-<code INSEE>, ex. COMMUNE-59392
  --porteur <id>         porteur de projet représenté (obligatoire pour porteur)
  --siret <14 chiffres>  SIRET de la structure du porteur, comme un fournisseur d’identité le garantirait :
                         ses dossiers ne pourront être déposés qu’à ce SIRET (facultatif)
  --rna <W…>             numéro RNA de l’association, même effet (facultatif)
  --subject <id>         identifiant de la personne (par défaut dérivé du rôle)
  --name <nom>           nom affiché (facultatif)
  --expires <durée>      durée de validité, ex. 30m, 8h, 7d (par défaut 8h)
`;

const institutionsAccepted = 'ETAT, REGION, DEPARTEMENT, CAF, EPCI, COMMUNE-<code INSEE> (ex. COMMUNE-59392)';

/**
 * Names the institutions accepted, and the upper-case form when that is all that was wrong: the
 * schema's own message only spoke of communes, which misleads for `etat`.
 */
function unknownInstitution(given: string): string {
  const upper = given.toUpperCase();
  const hint =
    upper !== given && institutionSchema.safeParse(upper).success
      ? ` En majuscules : --institution ${upper}.`
      : '';
  return `Institution inconnue : ${given}. Institutions possibles : ${institutionsAccepted}.${hint}\n`;
}

export interface TokenIo {
  out: { write(chunk: string): unknown };
  err: { write(chunk: string): unknown };
}

export async function runToken(
  config: Config,
  argv: string[],
  io: TokenIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const line = readArguments(argv, io, {
    options: {
      role: { type: 'string' },
      institution: { type: 'string' },
      porteur: { type: 'string' },
      siret: { type: 'string' },
      rna: { type: 'string' },
      subject: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string' },
    },
    usage: tokenUsage,
    check: (values) => values,
  });
  if ('exitCode' in line) return line.exitCode;
  const values = line.args;

  if (config.auth.jwksUrl !== undefined) {
    io.err.write(
      'Jetons de développement indisponibles : l’API vérifie les jetons du fournisseur d’identité ' +
        `(GRANTS_JWKS_URL=${config.auth.jwksUrl}). Demandez un jeton à ce fournisseur.\n`,
    );
    return 2;
  }
  if (values.role === undefined) {
    io.err.write(`L’option --role est obligatoire.\n\n${tokenUsage}`);
    return 2;
  }
  if (!(roles as readonly string[]).includes(values.role)) {
    io.err.write(`Rôle inconnu : ${values.role}. Rôles possibles : ${roles.join(', ')}.\n`);
    return 2;
  }
  const role = values.role as Role;
  if (role === 'funder' && values.institution === undefined) {
    io.err.write(
      'Un financeur agit pour une institution : précisez --institution (ex. ETAT, COMMUNE-59392).\n',
    );
    return 2;
  }
  if (role === 'porteur' && values.porteur === undefined) {
    io.err.write('Un porteur de projet agit pour sa structure : précisez --porteur <identifiant>.\n');
    return 2;
  }
  if (role === 'porteur' && values.institution !== undefined) {
    io.err.write('--institution ne s’applique pas à un porteur de projet.\n');
    return 2;
  }
  if (role !== 'porteur' && values.porteur !== undefined) {
    io.err.write('--porteur ne s’applique qu’au rôle porteur.\n');
    return 2;
  }
  if (role !== 'porteur' && (values.siret !== undefined || values.rna !== undefined)) {
    io.err.write('--siret et --rna ne s’appliquent qu’au rôle porteur (la structure qu’il représente).\n');
    return 2;
  }
  if (values.institution !== undefined && !institutionSchema.safeParse(values.institution).success) {
    io.err.write(unknownInstitution(values.institution));
    return 2;
  }

  const secret = await engineSecret(config, io);
  if (secret === undefined) return 2;
  let token: string;
  try {
    token = await mintDevelopmentToken({
      secret,
      role,
      ...(values.institution === undefined ? {} : { institution: values.institution }),
      ...(values.porteur === undefined ? {} : { porteurId: values.porteur }),
      ...(values.siret === undefined ? {} : { siret: values.siret }),
      ...(values.rna === undefined ? {} : { rna: values.rna }),
      ...(values.subject === undefined ? {} : { subject: values.subject }),
      ...(values.name === undefined ? {} : { name: values.name }),
      expiresIn: values.expires ?? '8h',
    });
  } catch (error) {
    if (error instanceof z.ZodError) {
      const issue = error.issues[0];
      io.err.write(
        `Jeton refusé : ${issue ? `${issue.path.join('.') || 'jeton'} : ${issue.message}` : 'données invalides'}.\n`,
      );
      return 2;
    }
    if (error instanceof TypeError && /time period/i.test(error.message)) {
      io.err.write(`Durée invalide pour --expires : ${values.expires ?? ''} (exemples : 30m, 8h, 7d).\n`);
      return 2;
    }
    throw error;
  }
  // jose reads `0s`, `5m ago` or `-5m` (written --expires=-5m) as an expiry now or in the past: such
  // a token is refused by the API at once, which would look like a secret mismatch.
  const { iat, exp } = decodeJwt(token);
  if (iat === undefined || exp === undefined || exp <= iat) {
    io.err.write(
      `Durée invalide pour --expires : ${values.expires ?? ''} ; le jeton doit rester valable un moment (exemples : 30m, 8h, 7d).\n`,
    );
    return 2;
  }
  io.out.write(`${token}\n`);
  io.err.write(
    `Jeton de développement : ${roleLabels[role]}` +
      (values.institution ? ` (${values.institution})` : '') +
      (values.porteur ? ` (porteur ${values.porteur})` : '') +
      `, valable ${values.expires ?? '8h'}.\n`,
  );
  return 0;
}

/**
 * The secret the engine verifies tokens with: GRANTS_JWT_SECRET, or the development secret the
 * engine created in its data directory, read and never created. Undefined (the reason said) when
 * there is none or the folder cannot be read.
 */
async function engineSecret(config: Config, io: TokenIo): Promise<string | undefined> {
  if (config.auth.jwtSecret !== undefined) {
    const settings = await resolveAuthSettings(config);
    // Cannot be 'jwks' here (checked by the caller); the test narrows the type.
    return settings.mode === 'embedded' ? settings.secret : undefined;
  }
  let secret: string | undefined;
  try {
    secret = await readDevSecret(config.dataDir);
  } catch (error) {
    const unusable = unusableDataDir(
      config.dataDir,
      error,
      `en lisant le secret de développement ${devSecretFileName}`,
      'lecture',
    );
    if (unusable === undefined) throw error;
    io.err.write(`${unusable.message}\n`);
    return undefined;
  }
  if (secret === undefined)
    io.err.write(
      `Pas de secret de développement (${devSecretFileName}) : aucun moteur n’a démarré sur ce dossier ` +
        `(${config.dataDir}) : vérifiez GRANTS_DATA_DIR, qui doit nommer le dossier du moteur. Le moteur ` +
        'crée ce secret à son premier démarrage (npm start ou grants start) ; un jeton signé d’un autre ' +
        'secret serait refusé par l’API (401).\n',
    );
  return secret;
}
