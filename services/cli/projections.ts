// `grants projections rebuild`: replays the whole event log into fresh read models while the
// running services keep answering from the old tables, then swaps them in; a progress bar shows
// events/s and the time left.
import type { Config } from '../../infra/config/config';
import { createEventStore } from '../../infra/eventstore';
import type { Logger } from '../../infra/logging/logger';
import {
  createProgressReporter,
  formatCount,
  formatDuration,
  RebuildAbortedError,
  rebuildProjections,
} from '../../infra/projections';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { grantsProjections } from '../readModels';
import { grantsRebuildParallel } from '../readModels/rebuildSource';
import { readArguments } from './arguments';
import { processIo, type CliIo } from './io';

export const projectionsUsage = `Usage : grants projections rebuild

Reconstruit les modèles de lecture depuis le premier événement (fichier ${'${GRANTS_DATA_DIR}'}/read-models.sqlite).
Les services démarrés continuent de répondre avec les anciennes tables jusqu'à la bascule.
Sur le magasin SQLite, le rejeu se répartit entre GRANTS_REBUILD_WORKERS fils (par défaut un par cœur, 4 au plus).
Ctrl-C l'interrompt avant la bascule sans rien changer aux vues en service (code de sortie 130).
`;

export async function runProjections(
  config: Config,
  logger: Logger,
  argv: string[],
  io: CliIo = processIo,
): Promise<number> {
  const line = readArguments(argv, io, {
    options: {},
    positionals: true,
    usage: projectionsUsage,
    check: (_values, positionals) => {
      const [subcommand, ...extra] = positionals;
      if (subcommand === undefined)
        throw new Error('Indiquez la sous-commande : grants projections rebuild.');
      if (subcommand !== 'rebuild') throw new Error(`Sous-commande inconnue : ${subcommand}.`);
      if (extra.length > 0) throw new Error(`Argument inattendu : ${extra[0]}.`);
      return {};
    },
  });
  if ('exitCode' in line) return line.exitCode;
  // Ctrl-C stops the replay and throws its shadow files away (the next run would, but an operator
  // who interrupts expects to be told that nothing changed, and to find no half-built file behind).
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) {
      io.err.write(`\nSecond signal (${signal}) : arrêt immédiat.\n`);
      process.exit(130);
    }
    io.err.write(`\nInterruption demandée (${signal}) : arrêt de la reconstruction…\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const eventStore = await createEventStore(config.eventStore, { registry: createGrantsEventRegistry() });
  try {
    const parallel = grantsRebuildParallel(config);
    const result = await rebuildProjections({
      eventStore,
      dbFile: config.readModels.file,
      projections: grantsProjections,
      logger,
      onProgress: createProgressReporter({ output: io.err }),
      signal: interrupt.signal,
      ...(parallel === undefined ? {} : { parallel }),
    });
    io.out.write(
      `Modèles de lecture reconstruits : ${formatCount(result.events)} événements en ` +
        `${formatDuration(result.durationMs / 1000)}.\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof RebuildAbortedError)) throw error;
    io.err.write(`${error.message}\n`);
    return 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await eventStore.close();
  }
}
