// Optimistic concurrency over HTTP: a resource read from a stream carries the stream's revision as
// its ETag; a change sent with If-Match states which revision the person saw, and is refused with 412
// if the stream has moved since (RFC 9110 §13.1.1).
//
// The tags are strong (`"12"`, not `W/"12"`): If-Match compares with the strong function, under which a
// weak tag never matches. The revision names the state of the stream exactly, which is what a strong
// tag promises; the API does not compress, so one revision is one representation.
import type { Request, Response } from 'express';
import type { ExpectedRevision } from '../../../infra/eventstore/port';
import { BadRequestError, PreconditionFailedError, PreconditionRequiredError } from './problem';

export const etagOf = (revision: bigint): string => `"${revision}"`;

export function setETag(res: Response, revision: bigint): void {
  res.setHeader('ETag', etagOf(revision));
}

export type IfMatch = { kind: 'absent' } | { kind: 'any' } | { kind: 'revision'; revision: bigint };

/** Parses an If-Match header. Throws 400 on a header we cannot read, 412 on a weak tag (never matches). */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '') return { kind: 'absent' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const tags = value.split(',').map((t) => t.trim());
  if (tags.length !== 1) {
    throw new BadRequestError(
      'If-Match ne doit porter qu’une seule version (une étiquette, ex. "12").',
      'IF_MATCH_INVALID',
    );
  }
  const tag = tags[0] ?? '';
  if (tag.startsWith('W/')) {
    throw new PreconditionFailedError(
      'If-Match compare des étiquettes fortes : une étiquette faible (W/…) ne correspond jamais. ' +
        'Renvoyez l’ETag tel que reçu.',
      'IF_MATCH_WEAK',
    );
  }
  const match = /^"(0|[1-9]\d{0,19})"$/.exec(tag);
  if (match?.[1] === undefined) {
    throw new BadRequestError(
      'If-Match illisible : une étiquette de version entre guillemets est attendue, ex. "12".',
      'IF_MATCH_INVALID',
    );
  }
  return { kind: 'revision', revision: BigInt(match[1]) };
}

/**
 * The revision the client expects for a command: a bigint from `"12"`, 'stream_exists' from `*`, or
 * undefined when absent (unless `required`, then 428 so a client cannot skip the check by omission).
 */
export function expectedRevisionFrom(
  req: Request,
  options: { required?: boolean } = {},
): ExpectedRevision | undefined {
  const ifMatch = parseIfMatch(req.get('If-Match'));
  switch (ifMatch.kind) {
    case 'absent':
      if (options.required) {
        throw new PreconditionRequiredError(
          'Cette modification exige l’en-tête If-Match avec l’ETag de la version lue (ex. If-Match: "12").',
        );
      }
      return undefined;
    case 'any':
      return 'stream_exists';
    case 'revision':
      return ifMatch.revision;
    default: {
      const never: never = ifMatch;
      throw new Error(`If-Match inattendu : ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Checks If-Match against the current revision (undefined: the resource does not exist) before acting;
 * 412 when it does not match. For commands whose append carries the expectation itself, the store's
 * WrongExpectedVersionError maps to the same 412.
 */
export function assertIfMatch(req: Request, currentRevision: bigint | undefined): void {
  const ifMatch = parseIfMatch(req.get('If-Match'));
  if (ifMatch.kind === 'absent') return;
  if (ifMatch.kind === 'any' ? currentRevision !== undefined : currentRevision === ifMatch.revision) return;
  throw new PreconditionFailedError(
    currentRevision === undefined
      ? 'La ressource n’existe pas (If-Match attendait une version existante).'
      : `La ressource a changé : version actuelle ${etagOf(currentRevision)}, vous avez envoyé ${req.get('If-Match') ?? ''}. ` +
          'Rechargez-la puis recommencez.',
  );
}
