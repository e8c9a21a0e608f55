import type { DomainError } from './errors';

/** What decide returns: the events to append (possibly none: an accepted no-op), or why not. */
export type Result<E> = { ok: true; events: E[] } | { ok: false; error: DomainError };

export const accept = <E>(...events: E[]): Result<E> => ({ ok: true, events });
export const refuse = <E>(error: DomainError): Result<E> => ({ ok: false, error });
