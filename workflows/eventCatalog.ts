// The event store validates appends and upcasts reads with the domain's event definitions
// (infra/eventstore knows no grants of its own).
import { allEventDefinitions } from '../domain';
import { createEventRegistry, type EventRegistry } from '../infra/eventstore';

export function createGrantsEventRegistry(): EventRegistry {
  return createEventRegistry(allEventDefinitions);
}
