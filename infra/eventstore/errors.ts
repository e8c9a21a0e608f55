// Typed errors of the event store. Each adapter converts its driver's errors into these at its edge,
// so callers (workflow activities, HTTP problem details) handle one set whatever the backend.
import type { ExpectedRevision } from './port';

export type EventStoreErrorCode =
  | 'wrong_expected_version'
  | 'invalid_event'
  | 'unknown_event_type'
  | 'duplicate_event_id'
  | 'store_closed'
  | 'backend_error';

export abstract class EventStoreError extends Error {
  abstract readonly code: EventStoreErrorCode;
}

const describeRevision = (r: ExpectedRevision | bigint): string =>
  typeof r === 'bigint'
    ? `révision ${r}`
    : { any: 'quelconque', no_stream: 'flux inexistant', stream_exists: 'flux existant' }[r];

/** The stream is not where the writer expected it: someone else wrote first, or a retry only partly matches. */
export class WrongExpectedVersionError extends EventStoreError {
  readonly code = 'wrong_expected_version';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** Current revision of the stream, or 'no_stream' when it does not exist. */
    readonly actual: bigint | 'no_stream',
    detail?: string,
  ) {
    super(
      `Conflit d'écriture sur le flux « ${stream} » : attendu ${describeRevision(expected)}, ` +
        `trouvé ${actual === 'no_stream' ? 'flux inexistant' : `révision ${actual}`}` +
        (detail ? ` (${detail})` : '') +
        '.',
    );
    this.name = 'WrongExpectedVersionError';
  }
}

export interface ValidationIssue {
  /** Dotted path from the event root, e.g. `data.budget.0.amountCents` or `metadata.actor.id`. */
  path: string;
  message: string;
}

/** Data or metadata that do not fit the event's schema. On append, nothing was written. */
export class EventValidationError extends EventStoreError {
  readonly code = 'invalid_event';
  /** Path of the first offending field (the one the message names). */
  readonly path: string;
  constructor(
    readonly eventType: string,
    readonly eventId: string | undefined,
    readonly issues: ValidationIssue[],
    /** 'append': refused, nothing written. 'read': a stored event no longer fits its schema. */
    readonly stage: 'append' | 'read',
    where?: { stream: string; revision: bigint; position: bigint },
  ) {
    const first = issues[0] ?? { path: '', message: 'invalide' };
    super(
      `Événement ${eventType}${eventId ? ` (${eventId})` : ''} invalide : ${first.path || '(racine)'} — ${first.message}` +
        (issues.length > 1 ? ` (et ${issues.length - 1} autre(s) problème(s))` : '') +
        (where ? ` [flux ${where.stream}, révision ${where.revision}, position ${where.position}]` : ''),
    );
    this.name = 'EventValidationError';
    this.path = first.path;
    if (where) this.where = { stream: where.stream, revision: where.revision, position: where.position };
  }
  /** Where the stored event is, when it failed on read. */
  readonly where?: { stream: string; revision: bigint; position: bigint };
}

/** The registry has no definition for this type (or cannot upcast the stored version). */
export class UnknownEventTypeError extends EventStoreError {
  readonly code = 'unknown_event_type';
  constructor(
    readonly eventType: string,
    readonly schemaVersion?: number,
    /** Where the stored event is, when it failed on read: an auditor is told which one. */
    readonly where?: { stream: string; revision: bigint; position: bigint },
  ) {
    super(
      (schemaVersion === undefined
        ? `Type d'événement inconnu : ${eventType}.`
        : `Version ${schemaVersion} du type d'événement ${eventType} inconnue de ce programme.`) +
        (where ? ` [flux ${where.stream}, révision ${where.revision}, position ${where.position}]` : ''),
    );
    this.name = 'UnknownEventTypeError';
  }
}

/** An event id of the append is already committed in another stream: a caller bug, not a race. */
export class DuplicateEventIdError extends EventStoreError {
  readonly code = 'duplicate_event_id';
  constructor(
    readonly eventId: string,
    readonly existingStream: string,
  ) {
    super(`L'identifiant d'événement ${eventId} est déjà utilisé dans le flux « ${existingStream} ».`);
    this.name = 'DuplicateEventIdError';
  }
}

export class EventStoreClosedError extends EventStoreError {
  readonly code = 'store_closed';
  constructor() {
    super('Le magasin d’événements est fermé.');
    this.name = 'EventStoreClosedError';
  }
}

/** Anything else the backend reported (unavailable server, deleted stream, I/O error), with its cause. */
export class EventStoreBackendError extends EventStoreError {
  readonly code = 'backend_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreBackendError';
  }
}
