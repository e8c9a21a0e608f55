// RFC 9457 problem details: every refusal the API gives has one shape, produced in one place
// (the error middleware at the end of the app), so handlers only throw typed errors.
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import * as zlib from 'node:zlib';
import { z } from 'zod';
import { EventStoreError } from '../../../infra/eventstore/errors';
import { ProjectionWaitTimeoutError, ProjectorStoppedError } from '../../../infra/projections/projector';
import { refusedChoice } from '../../../infra/validation/frenchZodErrors';
import { correlationIdOf, requestLogger } from './correlation';

/** The problem types this API answers with; `type` URIs point at their entry in the docs page. */
export const problemTypes = {
  validation: { status: 400, title: 'Requête invalide', code: 'VALIDATION_FAILED' },
  malformedJson: { status: 400, title: 'Corps JSON illisible', code: 'MALFORMED_JSON' },
  badRequest: { status: 400, title: 'Requête incorrecte', code: 'BAD_REQUEST' },
  requestTimeout: { status: 408, title: 'Requête trop lente', code: 'REQUEST_TIMEOUT' },
  unauthenticated: { status: 401, title: 'Authentification requise', code: 'UNAUTHENTICATED' },
  forbidden: { status: 403, title: 'Action non autorisée', code: 'FORBIDDEN' },
  notFound: { status: 404, title: 'Ressource introuvable', code: 'NOT_FOUND' },
  routeNotFound: { status: 404, title: 'Route inconnue', code: 'ROUTE_NOT_FOUND' },
  methodNotAllowed: { status: 405, title: 'Méthode non prise en charge', code: 'METHOD_NOT_ALLOWED' },
  conflict: { status: 409, title: 'Conflit de modification', code: 'CONCURRENCY_CONFLICT' },
  preconditionFailed: { status: 412, title: 'Version périmée', code: 'PRECONDITION_FAILED' },
  payloadTooLarge: { status: 413, title: 'Corps de requête trop volumineux', code: 'PAYLOAD_TOO_LARGE' },
  headersTooLarge: {
    status: 431,
    title: 'En-têtes de requête trop volumineux',
    code: 'REQUEST_HEADERS_TOO_LARGE',
  },
  unsupportedMediaType: {
    status: 415,
    title: 'Type de contenu non pris en charge',
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  domainRefusal: { status: 422, title: 'Action refusée par les règles de gestion', code: 'DOMAIN_REFUSAL' },
  // Also 422 (the request reads well, but cannot be done as it is), not the business rules' refusal.
  idempotencyKeyReused: {
    status: 422,
    title: 'Clé d’idempotence déjà utilisée pour une autre demande',
    code: 'IDEMPOTENCY_KEY_REUSED',
  },
  exportIncomplete: {
    status: 422,
    title: 'Export incomplet : informations manquantes',
    code: 'SCDL_INCOMPLETE',
  },
  internal: { status: 500, title: 'Erreur interne', code: 'INTERNAL_ERROR' },
  unavailable: { status: 503, title: 'Service momentanément indisponible', code: 'SERVICE_UNAVAILABLE' },
} as const satisfies Record<string, { status: number; title: string; code: string }>;

export type ProblemKind = keyof typeof problemTypes;

/** Relative URI reference (allowed by RFC 9457 §3.1.1), resolving to the docs page's anchor. */
export const problemTypeUri = (kind: ProblemKind): string => `/api/docs#problem-${kind}`;

export interface FieldError {
  /** Where the field was: 'body', 'query', 'params' or 'headers'. */
  in: 'body' | 'query' | 'params' | 'headers';
  /** Dotted path for people (`budget.years.0.amountCents`); '' for the root. */
  path: string;
  /** JSON Pointer (RFC 6901) into that part of the request, as in RFC 9457's examples. */
  pointer: string;
  /** zod's issue code (`invalid_type`, `unrecognized_keys`, ...). */
  code: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine code: the domain's code for refusals, the problem type's code otherwise. */
  code: string;
  instance: string;
  correlationId: string;
  errors?: FieldError[];
}

/** The zod schema of a problem document (OpenAPI and tests). */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string(),
  correlationId: z.string(),
  errors: z
    .array(
      z.object({
        in: z.enum(['body', 'query', 'params', 'headers']),
        path: z.string(),
        pointer: z.string(),
        code: z.string(),
        message: z.string(),
      }),
    )
    .optional(),
});

/** An error the API answers with a known status. Handlers throw these (or domain refusals). */
export class HttpError extends Error {
  readonly kind: ProblemKind;
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  constructor(
    kind: ProblemKind,
    detail: string,
    options: { code?: string; errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'HttpError';
    this.kind = kind;
    this.status = problemTypes[kind].status;
    this.code = options.code ?? problemTypes[kind].code;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export class ValidationError extends HttpError {
  constructor(errors: FieldError[], detail = describeFieldErrors(errors)) {
    super('validation', detail, { errors });
    this.name = 'ValidationError';
  }
}

export class BadRequestError extends HttpError {
  constructor(detail: string, code?: string) {
    super('badRequest', detail, { code });
    this.name = 'BadRequestError';
  }
}

export class UnauthenticatedError extends HttpError {
  constructor(detail: string, code = 'UNAUTHENTICATED') {
    // RFC 6750 §3: a 401 names the scheme the client should use.
    super('unauthenticated', detail, { code, headers: { 'WWW-Authenticate': 'Bearer realm="grants"' } });
    this.name = 'UnauthenticatedError';
  }
}

export class ForbiddenError extends HttpError {
  constructor(detail: string, code?: string) {
    super('forbidden', detail, { code });
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends HttpError {
  constructor(detail: string, code?: string) {
    super('notFound', detail, { code });
    this.name = 'NotFoundError';
  }
}

export class PreconditionFailedError extends HttpError {
  constructor(detail: string, code?: string) {
    super('preconditionFailed', detail, { code });
    this.name = 'PreconditionFailedError';
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(
    detail: string,
    code?: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super('unavailable', detail, { code, ...options });
    this.name = 'ServiceUnavailableError';
  }
}

/** A refusal by the domain's rules, as domain/ shapes it (no class to import across floors). */
export interface DomainRefusal {
  kind: 'domain';
  code: string;
  message: string;
  /** The field of the request body the refusal is about, as keys and indexes. */
  field?: readonly (string | number)[] | undefined;
}

export function isDomainRefusal(value: unknown): value is DomainRefusal {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.kind === 'domain' && typeof v.code === 'string' && typeof v.message === 'string';
}

/** A refusal about one field of the body is also that field's error, so a form can show it there. */
export function refusalFieldErrors(refusal: DomainRefusal): FieldError[] | undefined {
  const { field } = refusal;
  if (!Array.isArray(field) || !field.every((p) => typeof p === 'string' || typeof p === 'number'))
    return undefined;
  return [
    {
      in: 'body',
      path: formatPath(field),
      pointer: formatPointer(field),
      code: refusal.code,
      message: refusal.message,
    },
  ];
}

/**
 * An error of the http-errors family, which body-parser (express.json), raw-body and the router throw:
 * a 4xx `status` (or `statusCode`) with `expose`, meaning the client caused it. body-parser's own carry
 * a `type` (`entity.parse.failed`…); a decompression error is zlib's own, given a 400 and no `type`.
 */
interface ClientHttpError {
  status: number;
  type: string | undefined;
  body: string | undefined;
  /** The Content-Encoding body-parser does not decode (`encoding.unsupported`). */
  encoding: string | undefined;
  /** The charset it does not read (`charset.unsupported`). */
  charset: string | undefined;
}

function clientHttpError(error: unknown): ClientHttpError | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & Record<string, unknown>;
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  // An error with a 4xx status but no `expose` was not meant for the client: not ours to guess.
  if (e.expose !== true && typeof e.type !== 'string') return undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    status,
    type: text(e.type),
    body: text(e.body),
    encoding: text(e.encoding),
    charset: text(e.charset),
  };
}

/**
 * The Content-Encodings body-parser decodes (lib/read.js): zstd only where Node has it (22.15+).
 * Said in the 415 so the client knows what to send instead.
 */
const acceptedContentEncodings = [
  'identity',
  'gzip',
  'deflate',
  'br',
  ...(typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === 'function'
    ? ['zstd']
    : []),
].join(', ');

/**
 * The problem kind of a client error's status: those body-parser and raw-body give (403 is a failed
 * `verify`). Another 4xx from that family has no problem type of its own and is answered 400.
 */
const kindOfStatus: Partial<Record<number, ProblemKind>> = {
  400: 'badRequest',
  403: 'forbidden',
  413: 'payloadTooLarge',
  415: 'unsupportedMediaType',
};

function mapClientHttpError(parser: ClientHttpError, req: Request): MappedError {
  const contentEncoding = (req.get('Content-Encoding') ?? 'identity').trim().toLowerCase();
  switch (parser.type) {
    case 'entity.parse.failed':
      return {
        kind: 'malformedJson',
        detail: isJsonScalar(parser.body)
          ? `Le corps de la requête doit être un objet JSON ({ … }), pas ${(parser.body ?? '').trim().slice(0, 40)}.`
          : 'Le corps de la requête n’est pas un JSON valide.',
      };
    case 'entity.too.large':
      return { kind: 'payloadTooLarge', detail: 'Le corps de la requête dépasse la taille autorisée.' };
    case 'encoding.unsupported':
      return {
        kind: 'unsupportedMediaType',
        code: 'UNSUPPORTED_CONTENT_ENCODING',
        detail:
          `Content-Encoding « ${parser.encoding ?? contentEncoding} » non pris en charge : ` +
          `envoyez le corps sans compression ou dans l’un de ces encodages : ${acceptedContentEncodings}.`,
      };
    case 'charset.unsupported':
      return {
        kind: 'unsupportedMediaType',
        detail: `Jeu de caractères${parser.charset === undefined ? '' : ` « ${parser.charset} »`} non pris en charge : envoyez du JSON en UTF-8.`,
      };
    case 'request.size.invalid':
      return {
        kind: 'badRequest',
        code: 'UNREADABLE_REQUEST',
        detail: 'Le corps reçu n’a pas la longueur annoncée par Content-Length.',
      };
    case 'request.aborted':
      return {
        kind: 'badRequest',
        code: 'UNREADABLE_REQUEST',
        detail: 'La requête a été interrompue avant la fin de son corps.',
      };
    case undefined:
    default:
      break;
  }
  // No `type`: the decompression stream's own error (zlib: corrupt or truncated data, or data that is
  // not in the encoding announced), which body-parser answers 400.
  if (parser.type === undefined && parser.status === 400 && contentEncoding !== 'identity') {
    return {
      kind: 'badRequest',
      code: 'BODY_DECOMPRESSION_FAILED',
      detail:
        `Le corps de la requête n’a pas pu être décompressé : il n’est pas au format annoncé par ` +
        `Content-Encoding (« ${contentEncoding} »). Envoyez-le compressé dans cet encodage, ou sans ` +
        `compression et sans en-tête Content-Encoding.`,
    };
  }
  // Any other refusal of the request as sent: its own status, never a 500.
  const kind = kindOfStatus[parser.status] ?? 'badRequest';
  return {
    kind,
    code: kind === 'badRequest' ? 'UNREADABLE_REQUEST' : undefined,
    detail: 'La requête n’a pas pu être lue telle qu’envoyée.',
  };
}

/** JSON, but not an object or an array (`null`, `42`, `"texte"`): refused by the strict parser. */
function isJsonScalar(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const value: unknown = JSON.parse(text);
    return value === null || typeof value !== 'object';
  } catch {
    return false;
  }
}

const formatPath = (path: readonly PropertyKey[]): string =>
  path.map((p) => (typeof p === 'symbol' ? p.toString() : String(p))).join('.');
const formatPointer = (path: readonly PropertyKey[]): string =>
  '#' +
  path
    .map(
      (p) =>
        '/' + (typeof p === 'symbol' ? p.toString() : String(p)).replaceAll('~', '~0').replaceAll('/', '~1'),
    )
    .join('');

/**
 * One field error per offending field. An unknown key is reported at its own path (not at its parent's),
 * so the person sees which field to remove.
 */
export function fieldErrorsFromZod(error: z.core.$ZodError, location: FieldError['in']): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return {
          in: location,
          path: formatPath(path),
          pointer: formatPointer(path),
          code: issue.code,
          message: 'Champ non reconnu : à retirer de la requête',
        };
      });
    }
    return [
      {
        in: location,
        path: formatPath(issue.path),
        pointer: formatPointer(issue.path),
        code: issue.code,
        message: issue.message,
      },
    ];
  });
}

function describeFieldErrors(errors: FieldError[]): string {
  const first = errors[0];
  if (first === undefined) return 'La requête ne respecte pas le format attendu.';
  const where = first.path === '' ? first.in : `${first.in}.${first.path}`;
  return (
    `${where} : ${first.message}` +
    (errors.length === 2
      ? ' (et 1 autre erreur)'
      : errors.length > 2
        ? ` (et ${errors.length - 1} autres erreurs)`
        : '')
  );
}

const frenchLocaleError = z.locales.fr().localeError;

/**
 * A ZodError that did not go through validate.ts was produced with zod's English messages; its issues
 * no longer hold the input, so "…, X reçu" would be wrong: keep only what was expected.
 */
function frenchIssues(error: z.core.$ZodError): z.core.$ZodError {
  const issues = error.issues.map((issue) => {
    // A refinement's own message is already ours; zod's default for one without is not.
    if (issue.code === 'custom' && issue.message !== 'Invalid input') return issue;
    // A refused choice lists what is accepted (an enum, a literal, a discriminator naming no option).
    const choices =
      issue.code === 'invalid_value'
        ? issue.values
        : issue.code === 'invalid_union' && issue.discriminator !== undefined && 'options' in issue
          ? issue.options
          : undefined;
    const choice = choices === undefined ? undefined : refusedChoice(null, choices);
    if (choice !== undefined) return { ...issue, message: choice };
    const localized = frenchLocaleError(issue as z.core.$ZodRawIssue);
    const message = typeof localized === 'string' ? localized : localized?.message;
    if (message === undefined) return issue;
    return {
      ...issue,
      message: issue.code === 'invalid_type' ? message.replace(/, [^,]* reçu$/, '') : message,
    };
  });
  return new z.ZodError(issues);
}

interface MappedError {
  kind: ProblemKind;
  detail: string;
  code?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Unexpected: log with the stack at error level. */
  unexpected?: boolean;
}

function mapError(error: unknown, req: Request): MappedError {
  if (error instanceof HttpError) {
    return {
      kind: error.kind,
      detail: error.message,
      code: error.code,
      errors: error.errors,
      headers: error.headers,
    };
  }
  if (isDomainRefusal(error)) {
    const errors = refusalFieldErrors(error);
    return {
      kind: 'domainRefusal',
      detail: error.message,
      code: error.code,
      ...(errors === undefined ? {} : { errors }),
    };
  }
  if (error instanceof z.core.$ZodError) {
    const errors = fieldErrorsFromZod(frenchIssues(error), 'body');
    return { kind: 'validation', detail: describeFieldErrors(errors), errors };
  }
  if (error instanceof EventStoreError) {
    switch (error.code) {
      case 'wrong_expected_version':
        // With If-Match the client stated the version it saw: RFC 9110 says 412. Without, a plain conflict.
        return req.get('If-Match') === undefined
          ? {
              kind: 'conflict',
              detail: 'Le dossier a été modifié entre-temps : rechargez-le puis recommencez.',
            }
          : {
              kind: 'preconditionFailed',
              detail:
                'La version indiquée dans If-Match n’est plus la version actuelle : rechargez puis recommencez.',
            };
      case 'store_closed':
      case 'backend_error':
        return {
          kind: 'unavailable',
          detail: 'Le magasin d’événements ne répond pas ; réessayez dans un instant.',
          unexpected: true,
        };
      case 'invalid_event':
      case 'unknown_event_type':
      case 'duplicate_event_id':
        return { kind: 'internal', detail: 'Une erreur interne est survenue.', unexpected: true };
      default: {
        const never: never = error.code;
        return { kind: 'internal', detail: `Erreur inattendue (${String(never)}).`, unexpected: true };
      }
    }
  }
  // Read-your-writes after a command: the write happened, the views are behind or stopped.
  if (error instanceof ProjectionWaitTimeoutError) {
    return {
      kind: 'unavailable',
      detail: 'L’action est enregistrée mais les vues ne sont pas encore à jour : rechargez dans un instant.',
      code: 'READ_MODEL_LAGGING',
      headers: { 'Retry-After': '1' },
    };
  }
  if (error instanceof ProjectorStoppedError) {
    return {
      kind: 'unavailable',
      detail: 'Les vues ne sont pas mises à jour pour le moment.',
      code: 'READ_MODEL_UNAVAILABLE',
      unexpected: true,
    };
  }
  // The router could not decode a path parameter (`/api/applications/%ZZ`): it says 400 itself.
  if (error instanceof URIError && (error as URIError & { status?: unknown }).status === 400) {
    return {
      kind: 'badRequest',
      detail:
        'Le chemin contient un caractère mal encodé (un « % » doit être suivi de deux chiffres hexadécimaux).',
      code: 'MALFORMED_PATH',
    };
  }
  const client = clientHttpError(error);
  if (client !== undefined) return mapClientHttpError(client, req);
  return { kind: 'internal', detail: 'Une erreur interne est survenue.', unexpected: true };
}

/** A problem's fields that its kind alone decides, and its detail; problemFor adds the request's. */
export function problemOfKind(
  kind: ProblemKind,
  detail: string,
  code?: string,
): Pick<Problem, 'type' | 'title' | 'status' | 'detail' | 'code'> {
  const type = problemTypes[kind];
  return {
    type: problemTypeUri(kind),
    title: type.title,
    status: type.status,
    detail,
    code: code ?? type.code,
  };
}

export function problemFor(
  req: Request,
  kind: ProblemKind,
  detail: string,
  extra: { code?: string; errors?: FieldError[] } = {},
): Problem {
  return {
    ...problemOfKind(kind, detail, extra.code),
    instance: req.originalUrl,
    correlationId: correlationIdOf(req),
    ...(extra.errors && extra.errors.length > 0 ? { errors: extra.errors } : {}),
  };
}

export function sendProblem(res: Response, problem: Problem, headers: Record<string, string> = {}): void {
  res.status(problem.status).set(headers).type('application/problem+json').send(JSON.stringify(problem));
}

export interface ProblemErrorHandlerOptions {
  /**
   * Who the authenticated caller is (auth.ts's callerOf: this module cannot import auth.ts, which
   * imports it). A 403 is logged with it: a refusal of who acts names who was refused.
   */
  callerOf?: (req: Request) => Record<string, unknown> | undefined;
}

/** The last middleware: every error becomes a problem document; only the unexpected ones are 500. */
export function problemErrorHandler(options: ProblemErrorHandlerOptions = {}): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late to answer with a problem: let Express close the connection.
      next(error);
      return;
    }
    const mapped = mapError(error, req);
    const problem = problemFor(req, mapped.kind, mapped.detail, { code: mapped.code, errors: mapped.errors });
    const log = requestLogger(req);
    if (mapped.unexpected) {
      log.error({ err: error, problem: { status: problem.status, code: problem.code } }, 'erreur inattendue');
    } else if (problem.status === 403) {
      // Refusals of who acts (ownership, institution, audit scope, the domain's) come from the routes and
      // the workflows, after the role check: at warn like the role check's, with who tried what.
      log.warn(
        {
          problem: { status: problem.status, code: problem.code, detail: problem.detail },
          auth: { code: problem.code, method: req.method, path: req.path, ...options.callerOf?.(req) },
        },
        'requête refusée',
      );
    } else {
      log.info(
        { problem: { status: problem.status, code: problem.code, detail: problem.detail } },
        'requête refusée',
      );
    }
    sendProblem(res, problem, mapped.headers);
  };
}

/**
 * After every router: a route nobody serves is a problem, not Express's HTML page — 405 with an
 * `Allow` header (RFC 9110 §15.5.6) when the path is served under other methods, 404 otherwise.
 * `methodsFor` says which methods serve a path (the OpenAPI document's, see methodsOfPath).
 */
export function routeNotFoundHandler(methodsFor: (path: string) => string[] = () => []): RequestHandler {
  return (req, res) => {
    const methods = methodsFor(req.path);
    if (methods.length > 0) {
      // People are told the methods that act on the path; OPTIONS, which only describes it, is in Allow.
      const acting = methods.filter((m) => m !== 'OPTIONS').join(', ');
      sendProblem(
        res,
        problemFor(
          req,
          'methodNotAllowed',
          `${req.path} ne répond pas à ${req.method} : seulement à ${acting}.`,
        ),
        { Allow: methods.join(', ') },
      );
      return;
    }
    sendProblem(
      res,
      problemFor(req, 'routeNotFound', `Aucune route ne correspond à ${req.method} ${req.path}.`),
    );
  };
}
