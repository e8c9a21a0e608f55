// Resending a command safely (the Idempotency-Key header). The key becomes the command id, which
// is the id of the workflow update: Temporal runs an update id once per workflow and answers a
// resend with the first outcome. Two things make that safe for everyone sharing an application:
//  - the command id is derived from the key, the sender and the route, so another person's
//    command, or another step of the same person, is never taken for a resend because its key
//    happens to be the same;
//  - the request's digest travels with the command and comes back with its outcome, so a resend
//    of a DIFFERENT request under a key already used is refused (422) instead of answered with
//    the first request's outcome as if this one had been recorded.
// A submission creates its application: with a key, the application's id is derived from it too,
// so a resent submission reaches the workflow the first one started instead of starting another.
import { hash } from 'node:crypto';
import { z } from 'zod';
import { BadRequestError, HttpError } from '../http/platform/problem';

const keySchema = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/);

/** The Idempotency-Key header, or undefined without one; 400 for one that cannot be a key. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parsed = keySchema.safeParse(header);
  if (!parsed.success)
    throw new BadRequestError(
      'Idempotency-Key illisible : de 8 à 128 caractères parmi les lettres, les chiffres et _ . : - ' +
        '(par exemple un ULID ou un UUID généré pour cette demande).',
      'IDEMPOTENCY_KEY_INVALID',
    );
  return parsed.data;
}

const digest = (...parts: string[]): string => hash('sha256', parts.join('\u0000'), 'hex');

/** The command id of a keyed request: the same for a resend, different for anyone or anything else. */
export const keyedCommandId = (key: string, senderId: string, route: string): string =>
  `cle-${digest('command', senderId, route, key).slice(0, 32)}`;

/** The digest of what a request asks (its validated params and body), to recognise a true resend. */
export const requestDigestOf = (request: { params: unknown; body: unknown }): string =>
  digest(JSON.stringify(request.params ?? null), JSON.stringify(request.body ?? null));

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID-shaped id (26 Crockford characters, 128 bits) derived from the key and the sender: a
 * resent submission names the same application. Its time part carries no date (no reader of the
 * ids decodes one: lists sort by the log's positions).
 */
export function keyedApplicationId(key: string, senderId: string): string {
  const bytes = Buffer.from(digest('application', senderId, key), 'hex').subarray(0, 16);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let id = '';
  for (let i = 0; i < 26; i++) {
    id = CROCKFORD[Number(bits & 31n)] + id;
    bits >>= 5n;
  }
  return id;
}

/**
 * A resend under a key already used for another request: never answered with the first one's
 * outcome. 422, as the IETF draft on the Idempotency-Key header asks for a key reused with another
 * payload.
 */
export function assertSameRequest(recorded: string | undefined, sent: string): void {
  if (recorded === undefined || recorded === sent) return;
  throw new HttpError(
    'idempotencyKeyReused',
    'Cette Idempotency-Key a déjà servi pour une autre demande (autres données) : rien n’a été enregistré ' +
      'pour celle-ci. Générez une nouvelle clé pour chaque nouvelle demande.',
  );
}
