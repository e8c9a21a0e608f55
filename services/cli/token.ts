// `grants token --role <rôle> [--institution X] [--porteur P [--siret S] [--rna W…]] [--subject S] [--name N] [--expires 8h]`:
// prints a development token for the embedded mode, signed with the same secret the API verifies
// with. The token alone goes to stdout (so `TOKEN=$(grants token …)` works); explanations to stderr.
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { Config } from '../../infra/config/config';
import {
  type Role,
  institutionSchema,
  mintDevelopmentToken,
  resolveAuthSettings,
  roleLabels,
  roles,
} from '../http/platform/auth';
import { readArguments } from './arguments';

export const tokenUsage = `Usage : grants token --role <rôle> [options]

Émet un jeton de développement (mode embarqué uniquement) pour appeler l’API :
  curl -H "Authorization: Bearer $(grants token --role grant_manager)" …

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

  const settings = await resolveAuthSettings(config);
  // Cannot be 'jwks' here (checked above); the test narrows the type.
  if (settings.mode !== 'embedded') return 2;
  let token: string;
  try {
    token = await mintDevelopmentToken({
      secret: settings.secret,
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
