import type { DomainError } from './errors';

/** What decide returns: the events to append (possibly none: an accepted no-op), or why not. */
export type Result<E> =
  | {
      ok: true;
      events: E[];
      /**
       * From this index on, the events are not the actor's own act but what the rules make follow
       * from it (a convention entering into force at the last signature, the payments its schedule
       * orders then): recorded as the system's, caused by the command. Undefined: all the actor's.
       */
      followUpsFrom?: number;
      /**
       * When the act took place in the world, when the command dates it and that is not today (a
       * committee's decision keyed in days after the meeting): the events' business time. Undefined:
       * the step's own instant (CommandMeta.at).
       */
      occurredAt?: string;
    }
  | { ok: false; error: DomainError };

export const accept = <E>(...events: E[]): Result<E> => ({ ok: true, events });

/** Events of the actor, then those the rules make follow from them (see followUpsFrom). */
export const acceptWithFollowUps = <E>(acts: E[], followUps: E[]): Result<E> =>
  followUps.length === 0
    ? { ok: true, events: acts }
    : { ok: true, events: [...acts, ...followUps], followUpsFrom: acts.length };
export const refuse = <E>(error: DomainError): Result<E> => ({ ok: false, error });

/** The same acceptance, the act dated (Result.occurredAt); a refusal or no date is left as it is. */
export const datedAt = <E>(result: Result<E>, occurredAt: string | undefined): Result<E> =>
  !result.ok || occurredAt === undefined ? result : { ...result, occurredAt };
