// The domain's public API: pure rules, events, commands and reference data. Nothing here does I/O.
import { applicationEventDefinitions } from './application/events';
import { campaignEventDefinitions } from './campaign/events';
import { envelopeEventDefinitions } from './envelope/events';

export * from './shared';
export * from './calendar';
export * as application from './application/namespace';
export * as campaign from './campaign/namespace';
export * as envelope from './envelope/namespace';
export * as reference from './reference';

// Flat names too (unique across aggregates), for code that prefers them to namespaces.
export * from './application';
export * from './campaign';
export * from './envelope';
export * from './reference';

/** Every event definition of the domain, for the event store's registry (type names are unique). */
export const allEventDefinitions = [
  ...campaignEventDefinitions,
  ...envelopeEventDefinitions,
  ...applicationEventDefinitions,
] as const;
