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
}

export interface StepInput<C = unknown> {
  command: C;
  actor: StepActor;
  /** Unique per command (also the update id, so a resent request is recorded once). */
  commandId: string;
  /** Flows from the HTTP request into every event's metadata. */
  correlationId?: string | undefined;
}

export interface AggregateView<S> {
  state: S;
  /** Revision of the aggregate's stream (decimal string; bigint does not cross JSON), null before any event. */
  revision: string | null;
  allowed: AllowedCommand[];
}

export const domainRefusalType = 'DomainRefusal';

export type { DomainError };
