// Parsing the parts of a request with zod, with French messages and one 400 naming every bad field.
// Unknown fields are refused, not silently dropped: a misspelt field the server ignores is a bug the
// person never sees. Top-level objects are made strict here; nested ones should be z.strictObject
// (or the whole schema strictDeep, strictSchema.ts, as the command bodies are).
import type { Request } from 'express';
import { z } from 'zod';
import { type FieldError, HttpError, ValidationError, fieldErrorsFromZod } from './problem';
import { frenchZodErrors } from '../../../infra/validation/frenchZodErrors';
import { safeParseInFrench } from '../../../infra/validation/safeParseInFrench';

const strictened = new WeakMap<z.ZodType, z.ZodType>();

/** A plain z.object (zod's default strips unknown keys) becomes strict; any other schema is kept. */
function strict<S extends z.ZodType>(schema: S): S {
  if (!(schema instanceof z.ZodObject) || schema.def.catchall !== undefined) return schema;
  let result = strictened.get(schema);
  if (result === undefined) {
    result = schema.strict();
    strictened.set(schema, result);
  }
  return result as S;
}

/**
 * A query string holds text only, and a list when a parameter is repeated (`?qpv=a&qpv=b`): say the
 * mistake in those terms rather than « chaîne de caractères attendu, tableau reçu ».
 */
const queryStringErrors: z.core.$ZodErrorMap = (issue) => {
  const repeated =
    Array.isArray(issue.input) &&
    ((issue.code === 'invalid_type' && issue.expected !== 'array') || issue.code === 'invalid_value');
  if (repeated) return 'Paramètre donné plusieurs fois : à ne donner qu’une fois.';
  return frenchZodErrors(issue);
};

const DECIMAL_INTEGER = /^-?\d+$/;

/** Text decimalInteger could not read: say what was typed, whatever error map the caller uses. */
const notDecimal = (issue: z.core.$ZodRawIssue): string | undefined => {
  if (issue.code !== 'invalid_type' || typeof issue.input !== 'string') return undefined;
  return issue.input.trim() === ''
    ? 'Champ vide : nombre entier attendu.'
    : `Nombre entier attendu, en chiffres décimaux : « ${issue.input} » n’en est pas un.`;
};

/**
 * An integer written in a URL (query string or path): decimal digits only (and a minus sign).
 * z.coerce.number() took `0x10` for 16, `1e2` for 100, `1.0` for 1 and a blank for 0, so a typo
 * passed for a different number. Beyond 2^53 the value is clamped: no bound of ours comes near it,
 * so the route's own bound is the one refusal the person reads.
 */
export const decimalInteger = (min: number, max: number) =>
  z.preprocess(
    (value) =>
      typeof value === 'string' && DECIMAL_INTEGER.test(value)
        ? Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number(value), Number.MAX_SAFE_INTEGER))
        : value,
    z.int({ error: notDecimal }).min(min).max(max),
  );

/** An integer parameter of a query string (see decimalInteger). */
export const queryInteger = decimalInteger;

type Outcome<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

function run<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: FieldError['in'],
): Outcome<z.output<S>> {
  const parsed = safeParseInFrench(
    strict(schema),
    value,
    location === 'query' ? queryStringErrors : frenchZodErrors,
  );
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, errors: fieldErrorsFromZod(parsed.error, location) };
}

/** Parses one value (already taken from the request) or throws a 400 ValidationError. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: FieldError['in'],
): z.output<S> {
  const result = run(schema, value, location);
  if (!result.ok) throw new ValidationError(result.errors);
  return result.value;
}

/**
 * express.json leaves req.body undefined for a body of another type: say so (415) rather than
 * "object expected" about a body the client did send.
 */
function assertJsonBody(req: Request): void {
  if (req.body !== undefined) return;
  const type = req.headers['content-type'];
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && type !== undefined && !req.is('application/json')) {
    throw new HttpError(
      'unsupportedMediaType',
      `Corps de type ${type} non pris en charge : envoyez du JSON (Content-Type: application/json).`,
    );
  }
  // Bytes sent with no type at all (curl -d with the header removed): express.json did not read
  // them, and « body : Champ obligatoire » would deny what the client sent. An empty request is
  // still read as no body (a step whose body is optional).
  const sentBytes =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (type === undefined && sentBytes) {
    throw new HttpError(
      'unsupportedMediaType',
      'Corps envoyé sans Content-Type : envoyez du JSON (Content-Type: application/json).',
    );
  }
}

export const parseBody = <S extends z.ZodType>(schema: S, req: Request): z.output<S> => {
  assertJsonBody(req);
  return parseWith(schema, req.body, 'body');
};
export const parseParams = <S extends z.ZodType>(schema: S, req: Request): z.output<S> =>
  parseWith(schema, req.params, 'params');
export const parseQuery = <S extends z.ZodType>(schema: S, req: Request): z.output<S> =>
  parseWith(schema, req.query, 'query');

export interface RequestSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
}

type Parsed<T extends RequestSchemas> = {
  [K in keyof T]: T[K] extends z.ZodType ? z.output<T[K]> : never;
};

/**
 * Query strings already parsed, per schema: the same few URLs come back again and again (a list's
 * filters, a dashboard's polling), and parsing one (the query parser, then zod with French
 * messages) is a tenth of what a kept answer costs to send. A query schema's output depends on the
 * query string alone (no default taken from the clock), so equal strings give equal outputs; the
 * outputs are frozen, being shared between requests. Refusals are not kept.
 */
export const PARSED_QUERIES_PER_SCHEMA = 256;

const parsedQueries = new WeakMap<z.ZodType, Map<string, unknown>>();

/** The raw query string of the request ('' without one). */
function rawQuery(req: Request): string {
  const url = req.url;
  const mark = url.indexOf('?');
  return mark === -1 ? '' : url.slice(mark + 1);
}

function parseQueryPart(schema: z.ZodType, req: Request): Outcome<unknown> {
  let kept = parsedQueries.get(schema);
  if (kept === undefined) {
    kept = new Map();
    parsedQueries.set(schema, kept);
  }
  const raw = rawQuery(req);
  const known = kept.get(raw);
  if (known !== undefined) return { ok: true, value: known };
  const result = run(schema, req.query, 'query');
  if (!result.ok) return result;
  const value: unknown = Object.freeze(result.value);
  // The oldest goes first: Map order is insertion order.
  if (kept.size >= PARSED_QUERIES_PER_SCHEMA) kept.delete(kept.keys().next().value as string);
  kept.set(raw, value);
  return { ok: true, value };
}

/**
 * Parses params, query and body at once; a 400 lists the errors of all three, so the person fixes
 * everything in one go.
 */
/** The query of a route that takes no parameter: any one sent is named in a 400, never ignored. */
export const noQuery = z.strictObject({});

export function parseRequest<T extends RequestSchemas>(req: Request, schemas: T): Parsed<T> {
  if (schemas.body !== undefined) assertJsonBody(req);
  const errors: FieldError[] = [];
  const out: Record<string, unknown> = {};
  const collect = (key: keyof RequestSchemas, result: Outcome<unknown>): void => {
    if (result.ok) out[key] = result.value;
    else errors.push(...result.errors);
  };
  // Each part is read only when a schema asks for it (Express parses req.query at every read).
  if (schemas.params !== undefined) collect('params', run(schemas.params, req.params, 'params'));
  if (schemas.query !== undefined) collect('query', parseQueryPart(schemas.query, req));
  if (schemas.body !== undefined) collect('body', run(schemas.body, req.body, 'body'));
  if (errors.length > 0) throw new ValidationError(errors);
  return out as Parsed<T>;
}
