// `grants projections rebuild`: replays the whole event log into fresh read models while the
// running services keep answering from the old tables, then swaps them in; a progress bar shows
// events/s and the time left.
import { parseArgs } from 'node:util';
import type { Config } from '../../infra/config/config';
import { createEventStore } from '../../infra/eventstore';
import type { Logger } from '../../infra/logging/logger';
import {
  createProgressReporter,
  formatCount,
  formatDuration,
  rebuildProjections,
} from '../../infra/projections';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { grantsProjections } from '../readModels';
import { grantsRebuildParallel } from '../readModels/rebuildSource';

export const projectionsUsage = `Usage : grants projections rebuild

Reconstruit les modèles de lecture depuis le premier événement (fichier ${'${GRANTS_DATA_DIR}'}/read-models.sqlite).
Les services démarrés continuent de répondre avec les anciennes tables jusqu'à la bascule.
Sur le magasin SQLite, le rejeu se répartit entre GRANTS_REBUILD_WORKERS fils (par défaut un par cœur, 4 au plus).
`;

export async function runProjections(config: Config, logger: Logger, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(projectionsUsage);
    return 0;
  }
  if (positionals[0] !== 'rebuild' || positionals.length !== 1) {
    process.stderr.write(projectionsUsage);
    return 2;
  }
  const eventStore = await createEventStore(config.eventStore, { registry: createGrantsEventRegistry() });
  try {
    const parallel = grantsRebuildParallel(config);
    const result = await rebuildProjections({
      eventStore,
      dbFile: config.readModels.file,
      projections: grantsProjections,
      logger,
      onProgress: createProgressReporter(),
      ...(parallel === undefined ? {} : { parallel }),
    });
    process.stdout.write(
      `Modèles de lecture reconstruits : ${formatCount(result.events)} événements en ` +
        `${formatDuration(result.durationMs / 1000)}.\n`,
    );
    return 0;
  } finally {
    await eventStore.close();
  }
}
