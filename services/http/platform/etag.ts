// Optimistic concurrency over HTTP: a resource read from a stream carries the stream's revision as
// its ETag; a change sent with If-Match states which revision the person saw, and is refused with 412
// if the stream has moved since (RFC 9110 §13.1.1). The command API hands the parsed revision to the
// workflow, which checks it where the steps run one at a time (services/commands/routes.ts).
//
// The tags are strong (`"12"`, not `W/"12"`): If-Match compares with the strong function, under which a
// weak tag never matches. The revision names the state of the stream exactly, which is what a strong
// tag promises; the API does not compress, so one revision is one representation.
import type { Response } from 'express';
import { BadRequestError, PreconditionFailedError } from './problem';

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
