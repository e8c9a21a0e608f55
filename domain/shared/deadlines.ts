import type { Instant } from '../calendar';

/**
 * A timer the workflow must arm. When it fires, the workflow sends `command` through decide with a
 * 'system' actor and `at` = the firing time. `id` is stable while the deadline stands: arm what is
 * new, cancel what disappeared from the list, leave the rest.
 */
export interface Deadline<C> {
  id: string;
  kind: string;
  dueAt: Instant;
  command: C;
}

/** The actor of deadline commands. */
export const systemActor = { id: 'system', role: 'system' } as const;
