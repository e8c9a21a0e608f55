// Who is calling: a bearer JWT, verified with jose. Embedded mode signs development tokens with a
// shared HS256 secret (minted by `grants token`); scale-out verifies an OpenID Connect provider's
// tokens against its JWKS. Either way the claims are checked with zod and become a Principal.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, RequestHandler } from 'express';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { ConfigError } from '../../../infra/config/config';
import { makeDirectory } from '../../../infra/files/makeDirectory';
import type { Logger } from '../../../infra/logging/logger';
import { safeParseInFrench } from '../../../infra/validation/safeParseInFrench';
import { requestLogger } from './correlation';
import { ForbiddenError, ServiceUnavailableError, UnauthenticatedError } from './problem';

export const roles = [
  'porteur',
  'grant_manager',
  'funder',
  'citizen_council',
  'auditor',
  'evaluator',
] as const;
export type Role = (typeof roles)[number];

/** Role names as the people using the engine say them (messages, CLI). */
export const roleLabels: Record<Role, string> = {
  porteur: 'porteur de projet',
  grant_manager: 'chargé de mission',
  funder: 'financeur',
  citizen_council: 'conseil citoyen',
  auditor: 'auditeur',
  evaluator: 'évaluateur',
};

// INSEE commune codes are 5 characters: digits, or 2A/2B followed by 3 digits in Corsica.
export const institutionSchema = z.union([
  z.enum(['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI']),
  z.string().regex(/^COMMUNE-(?:\d{5}|2[AB]\d{3})$/, 'COMMUNE-<code INSEE à 5 caractères> attendu'),
]);
export type Institution = z.infer<typeof institutionSchema>;

const subject = z.string().min(1).max(200);
const name = z.string().min(1).max(200).optional();
const porteurId = z.string().min(1).max(100);
/**
 * A porteur's organisation identifiers, when the identity provider vouches for them (e.g. an account
 * verified against the répertoire SIRENE or the RNA): dossiers are then filed in that name only.
 */
const siret = z
  .string()
  .regex(/^\d{14}$/, 'SIRET : 14 chiffres')
  .optional();
const rna = z
  .string()
  .regex(/^W\d{9}$/, 'RNA : W suivi de 9 chiffres')
  .optional();

/**
 * The claims we read from a token (others, like iat/exp/iss, are checked by jose and ignored here).
 * A funder acts for exactly one institution and a porteur for exactly one porteur: the claims must say which.
 */
export const claimsSchema = z.discriminatedUnion('role', [
  z.object({ sub: subject, role: z.literal('porteur'), porteurId, siret, rna, name }),
  z.object({ sub: subject, role: z.literal('funder'), institution: institutionSchema, name }),
  z.object({
    sub: subject,
    role: z.enum(['grant_manager', 'citizen_council', 'auditor', 'evaluator']),
    institution: institutionSchema.optional(),
    name,
  }),
]);
export type Claims = z.infer<typeof claimsSchema>;

/** The authenticated caller, as handlers see it. */
export type Principal =
  | {
      subject: string;
      role: 'porteur';
      porteurId: string;
      /** The organisation's SIRET / RNA, when the token carries them. */
      siret?: string;
      rna?: string;
      institution?: undefined;
      name?: string;
    }
  | { subject: string; role: 'funder'; institution: Institution; porteurId?: undefined; name?: string }
  | {
      subject: string;
      role: Exclude<Role, 'porteur' | 'funder'>;
      institution?: Institution;
      porteurId?: undefined;
      name?: string;
    };

function toPrincipal(claims: Claims): Principal {
  const base = { subject: claims.sub, ...(claims.name === undefined ? {} : { name: claims.name }) };
  switch (claims.role) {
    case 'porteur':
      return {
        ...base,
        role: 'porteur',
        porteurId: claims.porteurId,
        ...(claims.siret === undefined ? {} : { siret: claims.siret }),
        ...(claims.rna === undefined ? {} : { rna: claims.rna }),
      };
    case 'funder':
      return { ...base, role: 'funder', institution: claims.institution };
    case 'grant_manager':
    case 'citizen_council':
    case 'auditor':
    case 'evaluator':
      return {
        ...base,
        role: claims.role,
        ...(claims.institution === undefined ? {} : { institution: claims.institution }),
      };
    default: {
      const never: never = claims;
      throw new Error(`rôle inattendu : ${JSON.stringify(never)}`);
    }
  }
}

/** Issuer and audience of development tokens: a token minted for something else is refused. */
const developmentIssuer = 'grants-embedded';
const developmentAudience = 'grants-api';
const minimumSecretLength = 32;

export type AuthSettings =
  | { mode: 'embedded'; secret: string }
  | {
      mode: 'jwks';
      jwksUrl: string;
      /** Expected `iss`; unchecked when undefined. */
      issuer?: string;
      /** Expected `aud`; unchecked when undefined. */
      audience?: string | string[];
    };

/**
 * The settings the configuration implies: a JWKS when GRANTS_JWKS_URL is set (the development secret is
 * then ignored: accepting both would let anyone holding the secret forge tokens the provider never issued),
 * else GRANTS_JWT_SECRET, else the development secret kept under the data directory.
 *
 * With a JWKS, the expected issuer and audience go along when the configuration gives them: a provider
 * signs every token it issues with the same keys (for other applications, ID tokens), so without them
 * any of its tokens carrying a `role` claim would be taken for one of ours.
 */
export async function resolveAuthSettings(config: {
  dataDir: string;
  auth: {
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    jwtIssuer?: string | undefined;
    jwtAudience?: string | readonly string[] | undefined;
  };
}): Promise<AuthSettings> {
  if (config.auth.jwksUrl !== undefined) {
    const { jwtIssuer: issuer, jwtAudience: audience } = config.auth;
    return {
      mode: 'jwks',
      jwksUrl: config.auth.jwksUrl,
      ...(issuer === undefined ? {} : { issuer }),
      ...(audience === undefined
        ? {}
        : { audience: typeof audience === 'string' ? audience : [...audience] }),
    };
  }
  if (config.auth.jwtSecret !== undefined) {
    if (config.auth.jwtSecret.length < minimumSecretLength) {
      // The value itself is not shown: it is a secret.
      throw new ConfigError([
        {
          variable: 'GRANTS_JWT_SECRET',
          expected: `au moins ${minimumSecretLength} caractères (un secret court se devine)`,
          received: undefined,
        },
      ]);
    }
    return { mode: 'embedded', secret: config.auth.jwtSecret };
  }
  return { mode: 'embedded', secret: await loadOrCreateDevSecret(config.dataDir) };
}

export const devSecretFileName = 'dev-jwt-secret';

/**
 * The embedded mode's signing secret: created once (32 random bytes, mode 0600) and kept in
 * `<dataDir>/dev-jwt-secret`, so tokens minted by `grants token` survive restarts. Created under a
 * temporary name then hard-linked into place, so two processes starting together agree on one secret
 * and neither ever reads a half-written file.
 */
export async function loadOrCreateDevSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, devSecretFileName);
  makeDirectory(dataDir);
  const existing = await readSecretFile(file);
  if (existing !== undefined) return existing;
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    // Another process created it first: theirs is the secret.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  const created = await readSecretFile(file);
  if (created === undefined) throw new Error(`Le secret de développement ${file} n’a pas pu être créé.`);
  return created;
}

/** The development secret an engine created under this data directory; undefined when there is none. */
export const readDevSecret = (dataDir: string): Promise<string | undefined> =>
  readSecretFile(join(dataDir, devSecretFileName));

async function readSecretFile(file: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = content.trim();
  if (secret.length < minimumSecretLength) {
    throw new Error(
      `Le secret de développement ${file} est trop court ou vide : supprimez ce fichier pour en générer un nouveau ` +
        '(les jetons déjà émis ne seront plus acceptés).',
    );
  }
  // Someone loosened the permissions (copy, backup restore): readable by others means forgeable tokens.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  return secret;
}

export interface DevelopmentTokenOptions {
  secret: string;
  role: Role;
  institution?: string;
  porteurId?: string;
  /** A porteur's organisation identifiers, as an identity provider would vouch for them. */
  siret?: string;
  rna?: string;
  /** Default: derived from the role and its institution or porteur, e.g. `dev-funder-ETAT`. */
  subject?: string;
  name?: string;
  /** jose's durations: '8h', '30m', '2 days'… Default '8h'. */
  expiresIn?: string;
}

/** Signs a development token. The claims go through the same schema as verification, so a bad token is never minted. */
export async function mintDevelopmentToken(options: DevelopmentTokenOptions): Promise<string> {
  const claims = claimsSchema.parse(
    {
      sub:
        options.subject ??
        ['dev', options.role, options.institution, options.porteurId].filter(Boolean).join('-'),
      role: options.role,
      ...(options.institution === undefined ? {} : { institution: options.institution }),
      ...(options.porteurId === undefined ? {} : { porteurId: options.porteurId }),
      ...(options.siret === undefined ? {} : { siret: options.siret }),
      ...(options.rna === undefined ? {} : { rna: options.rna }),
      ...(options.name === undefined ? {} : { name: options.name }),
    },
    { error: z.locales.fr().localeError },
  );
  return await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(developmentIssuer)
    .setAudience(developmentAudience)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(options.expiresIn ?? '8h')
    .sign(new TextEncoder().encode(options.secret));
}

export interface Authenticator {
  readonly mode: AuthSettings['mode'];
  /** Verifies a raw token. Throws UnauthenticatedError (or ServiceUnavailableError when the JWKS cannot be fetched). */
  verify(token: string): Promise<Principal>;
  /** Middleware: 401 problem unless a valid bearer token is present; every refusal is logged. */
  authenticate: RequestHandler;
}

// Asymmetric algorithms only for a provider's keys: an HS256 token must never verify against a public key.
const providerAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

const bearerPattern = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)[ ]*$/i;
const bearerToken = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : bearerPattern.exec(header)?.[1];

export interface VerifiedTokenCacheOptions {
  /** Tokens kept at most (least recently used dropped first). Default 5,000; 0 disables the cache. */
  maxEntries?: number;
  /**
   * How long a verified token is trusted without checking its signature again, at most (it is never
   * trusted past its `exp`). Default 5 minutes: a key withdrawn from the provider's JWKS stops
   * working within that time.
   */
  maxAgeMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

interface VerifiedToken {
  principal: Principal;
  /** Epoch ms after which the token is verified again (its exp, or the max age if sooner). */
  until: number;
}

/**
 * Verified tokens, keyed by the token's exact text: checking an HS256 signature through WebCrypto
 * and the claims through zod cost 70–120 µs per request, more than answering most queries. Only a
 * token that passed every check is kept, and only until its `exp` (without jose's clock tolerance:
 * past `exp` the token goes through jose again, which decides). Authorisation is not cached: roles
 * and ownership are checked on every request against the principal.
 */
function createVerifiedTokenCache(options: VerifiedTokenCacheOptions = {}) {
  const maxEntries = options.maxEntries ?? 5000;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const entries = new Map<string, VerifiedToken>();
  return {
    get(token: string): Principal | undefined {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      entries.delete(token);
      if (now() >= entry.until) return undefined;
      entries.set(token, entry);
      return entry.principal;
    },
    set(token: string, principal: Principal, exp: number): void {
      if (maxEntries <= 0) return;
      const until = Math.min(exp * 1000, now() + maxAgeMs);
      if (!(until > now())) return;
      entries.set(token, { principal, until });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
  };
}

export function createAuthenticator(
  settings: AuthSettings,
  logger: Logger,
  options: { verifiedTokens?: VerifiedTokenCacheOptions } = {},
): Authenticator {
  let verifyJwt: (token: string) => Promise<unknown>;
  if (settings.mode === 'embedded') {
    const key = new TextEncoder().encode(settings.secret);
    verifyJwt = async (token) =>
      (
        await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: developmentIssuer,
          audience: developmentAudience,
          requiredClaims: ['exp'],
          clockTolerance: 5,
        })
      ).payload;
  } else {
    // Said once at start-up: the provider's tokens for any other application would be taken for ours.
    if (settings.audience === undefined)
      logger.warn(
        { auth: { mode: 'jwks', issuer: settings.issuer ?? null, audience: null } },
        'Audience des jetons non vérifiée : tout jeton signé par le fournisseur d’identité (y compris pour une ' +
          'autre application) et portant un rôle sera accepté. Configurez l’audience attendue.',
      );
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl));
    verifyJwt = async (token) =>
      (
        await jwtVerify(token, jwks, {
          algorithms: providerAlgorithms,
          requiredClaims: ['exp'],
          clockTolerance: 30,
          ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
          ...(settings.audience === undefined ? {} : { audience: settings.audience }),
        })
      ).payload;
  }

  const verified = createVerifiedTokenCache(options.verifiedTokens);

  const verify = async (token: string): Promise<Principal> => {
    const known = verified.get(token);
    if (known !== undefined) return known;
    let payload: unknown;
    try {
      payload = await verifyJwt(token);
    } catch (error) {
      throw translateJoseError(error);
    }
    const claims = safeParseInFrench(claimsSchema, payload);
    if (!claims.success) {
      const first = claims.error.issues[0];
      throw new UnauthenticatedError(
        `Le jeton ne porte pas les informations attendues (${first ? `${first.path.join('.') || 'racine'} : ${first.message}` : 'revendications invalides'}).`,
        'TOKEN_CLAIMS_INVALID',
      );
    }
    const principal = Object.freeze(toPrincipal(claims.data));
    verified.set(token, principal, (payload as { exp: number }).exp);
    return principal;
  };

  const authenticate: RequestHandler = (req, _res, next) => {
    // Most requests carry a token verified moments ago: answer from the cache without a promise.
    const cached = verified.get(bearerToken(req.get('Authorization')) ?? '');
    if (cached !== undefined) {
      principals.set(req, cached);
      next();
      return;
    }
    const header = req.get('Authorization');
    const token = bearerToken(header);
    if (token === undefined) {
      const error =
        header === undefined
          ? new UnauthenticatedError(
              'Un jeton d’accès est requis (en-tête Authorization: Bearer …).',
              'TOKEN_MISSING',
            )
          : new UnauthenticatedError(
              'L’en-tête Authorization doit être de la forme « Bearer <jeton> ».',
              'TOKEN_MALFORMED',
            );
      logRefusal(req, logger, error);
      next(error);
      return;
    }
    verify(token).then(
      (principal) => {
        principals.set(req, principal);
        next();
      },
      (error: unknown) => {
        if (error instanceof UnauthenticatedError || error instanceof ServiceUnavailableError)
          logRefusal(req, logger, error);
        next(error);
      },
    );
  };

  return { mode: settings.mode, verify, authenticate };
}

function logRefusal(
  req: Request,
  logger: Logger,
  error: UnauthenticatedError | ServiceUnavailableError,
): void {
  // An unreachable provider: why (its cause, never a token), for whoever must fix it; pino's error
  // serializer writes its message with the causes under it.
  const cause = error instanceof ServiceUnavailableError ? error.cause : undefined;
  requestLogger(req, logger).warn(
    {
      auth: { code: error.code, method: req.method, path: req.path },
      ...(cause === undefined ? {} : { err: cause }),
    },
    `authentification refusée : ${error.message}`,
  );
}

function translateJoseError(error: unknown): Error {
  if (error instanceof joseErrors.JWTExpired) {
    return new UnauthenticatedError('Le jeton a expiré : demandez-en un nouveau.', 'TOKEN_EXPIRED');
  }
  // The JWKS could not be fetched or read (timeout, non-200, not a key set): the provider's fault,
  // not the caller's. jose raises its generic error only from the JWKS fetch.
  const providerFailure =
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC');
  if (!providerFailure && error instanceof joseErrors.JOSEError) {
    return new UnauthenticatedError(
      'Le jeton est invalide (signature, émetteur ou format).',
      'TOKEN_INVALID',
    );
  }
  // Fetching the JWKS failed (network, provider down): not the caller's fault. When to come back for
  // the client; for whoever reads the log, why (refused, timed out, an HTTP status), as its cause.
  return new ServiceUnavailableError(
    'Le fournisseur d’identité est injoignable : réessayez dans un instant.',
    'IDENTITY_PROVIDER_UNAVAILABLE',
    { headers: { 'Retry-After': String(identityProviderRetryAfterSeconds) }, cause: error },
  );
}

/**
 * Retry-After of an unreachable provider: jose asks for the key set again at the next token after a
 * failure, so a few seconds let a provider that restarts come back without a flood of retries.
 */
const identityProviderRetryAfterSeconds = 5;

// Per request, without widening Express's Request type for every module.
const principals = new WeakMap<Request, Principal>();

/** The caller authenticated by `authenticate`. Throws 401 on a route mounted without it (a wiring mistake fails closed). */
export function principalOf(req: Request): Principal {
  const principal = principals.get(req);
  if (principal === undefined) throw new UnauthenticatedError('Authentification requise.');
  return principal;
}

/**
 * Who the caller is, for a log line (the error middleware's, on a 403): what the token says of them,
 * never the token. Undefined before authentication (or without it).
 */
export function callerOf(
  req: Request,
): { subject: string; role: Role; institution?: string; porteurId?: string } | undefined {
  const principal = principals.get(req);
  if (principal === undefined) return undefined;
  return {
    subject: principal.subject,
    role: principal.role,
    ...(principal.institution === undefined ? {} : { institution: principal.institution }),
    ...(principal.porteurId === undefined ? {} : { porteurId: principal.porteurId }),
  };
}

/** 403 problem (logged) unless the authenticated caller has one of these roles. Mount after `authenticate`. */
export function requireRole(...allowed: Role[]): RequestHandler {
  return (req, _res, next) => {
    const principal = principals.get(req);
    if (principal === undefined) {
      next(new UnauthenticatedError('Authentification requise.'));
      return;
    }
    if (!allowed.includes(principal.role)) {
      const error = new ForbiddenError(
        `Votre rôle (${roleLabels[principal.role]}) ne permet pas cette action ; rôles autorisés : ` +
          `${allowed.map((r) => roleLabels[r]).join(', ')}.`,
        'ROLE_NOT_ALLOWED',
      );
      requestLogger(req).warn(
        {
          auth: {
            code: error.code,
            subject: principal.subject,
            role: principal.role,
            allowed,
            path: req.path,
          },
        },
        'accès refusé : rôle non autorisé',
      );
      next(error);
      return;
    }
    next();
  };
}
