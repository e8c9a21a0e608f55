// What a rebuild worker thread opens (infra/projections/parallelRebuild.ts): its own connection to
// the SQLite event store file, with the grants event registry, and the grants projections.
import { z } from 'zod';
import type { Config } from '../../infra/config/config';
import { openSqliteEventStore } from '../../infra/eventstore/sqlite';
import type { OpenRebuildSource, RebuildSourceModule } from '../../infra/projections/parallelRebuild';
import type { RebuildOptions } from '../../infra/projections/rebuild';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { grantsProjections } from './index';

const dataSchema = z.object({ eventStoreFile: z.string().min(1) });

export const openRebuildSource: OpenRebuildSource = (data) => {
  const { eventStoreFile } = dataSchema.parse(data);
  return Promise.resolve({
    eventStore: openSqliteEventStore({ file: eventStoreFile, registry: createGrantsEventRegistry() }),
    projections: grantsProjections,
  });
};

/** The rebuild's `parallel.source` for the grants read models of this event store file. */
export const grantsRebuildSource = (eventStoreFile: string): RebuildSourceModule => ({
  module: import.meta.url,
  data: { eventStoreFile },
});

/**
 * The rebuild's `parallel` option from the configuration: worker threads on the SQLite store;
 * undefined with EventStoreDB (its $all is read in commit order only) or a single worker.
 */
export function grantsRebuildParallel(
  config: Pick<Config, 'eventStore' | 'readModels'>,
): RebuildOptions['parallel'] {
  if (config.eventStore.kind !== 'sqlite' || config.readModels.rebuildWorkers < 2) return undefined;
  return { workers: config.readModels.rebuildWorkers, source: grantsRebuildSource(config.eventStore.file) };
}
