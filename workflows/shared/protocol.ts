// What crosses the workflow boundary: the input of every step (an update), the view returned,
// and how a domain refusal travels (an ApplicationFailure whose type is 'DomainRefusal' and whose
// details carry the DomainError), so the HTTP layer answers 422 with the domain's French message.
import type { AllowedCommand } from '../../domain/shared/decision';
import type { DomainError } from '../../domain/shared/errors';
import type { Role } from '../../domain/shared/roles';

/** Who sends a step: the workflow stamps business time itself (no back-dating by clients). */
export interface StepActor {
  id: string;
  role: Role;
  institution?: string | undefined;
  porteurId?: string | undefined;
  /** A porteur's organisation identifiers, when its account carries them (see domain meta). */
  siret?: string | undefined;
  rna?: string | undefined;
}

export interface StepInput<C = unknown> {
  command: C;
  actor: StepActor;
  /** Unique per command (also the update id, so a resent request is recorded once). */
  commandId: string;
  /** Flows from the HTTP request into every event's metadata. */
  correlationId?: string | undefined;
  /**
   * The stream revision the sender read (HTTP If-Match), decimal: the step is refused
   * (RevisionMismatch) when the stream has moved since. Checked in the workflow, where steps run one
   * at a time, so two senders holding the same revision cannot both act on it.
   */
  expectedRevision?: string | undefined;
  /**
   * The digest of the request (Idempotency-Key), handed back with the outcome: a resend answered
   * with a recorded outcome is then told apart from another request sent under the same key.
   */
  requestDigest?: string | undefined;
}

export interface AggregateView<S> {
  state: S;
  /** Revision of the aggregate's stream (decimal string; bigint does not cross JSON), null before any event. */
  revision: string | null;
  allowed: AllowedCommand[];
  /** The requestDigest of the step that answered with this view, when it carried one. */
  requestDigest?: string;
}

export const domainRefusalType = 'DomainRefusal';

/** The failure type of a step sent against a revision the stream has left (details: RevisionMismatch). */
export const revisionMismatchType = 'RevisionMismatch';

export interface RevisionMismatch {
  expected: string;
  /** null: no event yet. */
  current: string | null;
}

export type { DomainError };
