// `grants projections rebuild`: replays the whole event log into fresh read models while the
// running services keep answering from the old tables, then swaps them in; a progress bar shows
// events/s and the time left. Where it cannot work it says so before touching anything: no event
// log there (it would create an empty one, and empty read models), a data directory it cannot write
// (exit 2, naming GRANTS_DATA_DIR); beside another rebuild of the same file, what to do (exit 1); over
// a log whose hash chains no longer hold, what was altered, the views in service left as they are
// (exit 1), unless told to rebuild from it all the same.
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../../infra/config/config';
import { createEventStore } from '../../infra/eventstore';
import { readLock } from '../../infra/locks/pidLock';
import type { Logger } from '../../infra/logging/logger';
import {
  createProgressReporter,
  formatCount,
  formatDuration,
  RebuildAbortedError,
  RebuildInProgressError,
  rebuildProjections,
} from '../../infra/projections';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { grantsProjections } from '../readModels';
import { grantsRebuildParallel } from '../readModels/rebuildSource';
import { readArguments } from './arguments';
import { unusableDataDir } from '../engineLock';
import { missingStoreMessage, verificationProgress } from './audit';
import { integritySummary } from '../audit/integrity';
import { verifyIntegrity } from '../../infra/eventstore/integrity';
import type { EventStore } from '../../infra/eventstore/port';
import { INTERRUPTED_EXIT_CODE, listenForInterruption, processIo, type CliIo } from './io';

export const projectionsUsage = `Usage : grants projections rebuild [--accept-altered-log]

Reconstruit les modèles de lecture depuis le premier événement (fichier ${'${GRANTS_DATA_DIR}'}/read-models.sqlite).
Le journal est d’abord vérifié (chaînes d’empreintes) : altéré, il n’est pas rejoué et les vues en
service restent telles quelles, sauf avec --accept-altered-log (les vues reprennent alors le journal
tel qu’il est).
Les services démarrés continuent de répondre avec les anciennes tables jusqu’à la bascule.
Sur le magasin SQLite, le rejeu se répartit entre GRANTS_REBUILD_WORKERS fils (par défaut un par cœur, 4 au plus).
Ctrl-C l’interrompt avant la bascule sans rien changer aux vues en service (code de sortie 130).

Code de sortie : 0 vues reconstruites, 1 échec, journal altéré ou autre reconstruction en cours sur ce
fichier (attendez qu’elle se termine ou arrêtez-la), 2 usage incorrect, pas de journal d’événements ou
dossier de données où écrire est impossible, 130 interrompue.
`;

/**
 * The read models publish what the log says (money per funder, per quartier): rebuilt from an altered
 * log, they would publish the alteration without a word. The log is verified first, with its progress
 * line; the verdict, when it is not intact, is said with what to do. True when the rebuild may go on.
 */
async function logIntactOrSaid(eventStore: EventStore, io: CliIo): Promise<boolean> {
  io.err.write('Vérification du journal avant de le rejouer…\n');
  const total = eventStore.kind === 'sqlite' ? Number(await eventStore.headPosition()) : undefined;
  const progress = verificationProgress(io.err, total);
  const report = await verifyIntegrity(eventStore, {
    onProgress: (read) => progress(read, false),
    progressEvery: 1000,
  });
  progress(report.checked + report.unchecked, true);
  io.err.write(`${integritySummary(report)}\n`);
  if (report.ok) return true;
  io.err.write(
    `Les vues en service sont inchangées : elles ne sont pas reconstruites ` +
      'depuis un journal altéré. Examinez-le (grants audit verify, et --against une sauvegarde) ; pour ' +
      'reconstruire malgré tout, les vues reprenant le journal tel qu’il est : ' +
      'grants projections rebuild --accept-altered-log.\n',
  );
  return false;
}

/** A data directory the rebuild cannot write (its lock, shadow files and read models go there). */
const unwritable = (config: Config, error: unknown) =>
  unusableDataDir(
    config.dataDir,
    error,
    'la reconstruction y écrit les vues, leurs copies de travail et son verrou',
  );

/** Another rebuild of this file runs: the error, and what to do about it. */
function rebuildInProgress(config: Config, error: RebuildInProgressError): string {
  const pid = readLock(`${config.readModels.file}.rebuild.lock`)?.pid;
  return (
    `${error.message} Attendez qu’elle se termine, ou arrêtez-la (Ctrl-C dans son terminal` +
    `${pid === undefined ? '' : `, ou kill ${pid}`}), puis relancez grants projections rebuild.\n`
  );
}

export async function runProjections(
  config: Config,
  logger: Logger,
  argv: string[],
  io: CliIo = processIo,
): Promise<number> {
  const line = readArguments(argv, io, {
    options: { 'accept-altered-log': { type: 'boolean' } },
    positionals: true,
    usage: projectionsUsage,
    check: (values, positionals) => {
      const [subcommand, ...extra] = positionals;
      if (subcommand === undefined)
        throw new Error('Indiquez la sous-commande : grants projections rebuild.');
      if (subcommand !== 'rebuild') throw new Error(`Sous-commande inconnue : ${subcommand}.`);
      if (extra.length > 0) throw new Error(`Argument inattendu : ${extra[0]}.`);
      return { acceptAlteredLog: values['accept-altered-log'] === true };
    },
  });
  if ('exitCode' in line) return line.exitCode;
  // Opening a log that is not there would create an empty one, and empty read models from it.
  const missing = missingStoreMessage(config);
  if (missing !== undefined) {
    io.err.write(missing);
    return 2;
  }
  try {
    accessSync(dirname(config.readModels.file), constants.W_OK);
  } catch (error) {
    // Not there yet (the log elsewhere, on EventStoreDB): the rebuild creates it, as before.
    const refused = unwritable(config, error);
    if (refused !== undefined) {
      io.err.write(`${refused.message}\n`);
      return 2;
    }
  }
  // Ctrl-C stops the replay and throws its shadow files away (the next run would, but an operator
  // who interrupts expects to be told that nothing changed, and to find no half-built file behind).
  const interrupt = listenForInterruption(io.signals, {
    onFirst: (signal) => io.err.write(`\nInterruption demandée (${signal}) : arrêt de la reconstruction…\n`),
    onSecond: (signal) => io.err.write(`\nSecond signal (${signal}) : arrêt immédiat.\n`),
  });
  let eventStore: Awaited<ReturnType<typeof createEventStore>> | undefined;
  try {
    eventStore = await createEventStore(config.eventStore, { registry: createGrantsEventRegistry() });
    if (!line.args.acceptAlteredLog && !(await logIntactOrSaid(eventStore, io))) return 1;
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
    if (error instanceof RebuildInProgressError) {
      io.err.write(rebuildInProgress(config, error));
      return 1;
    }
    const refused = unwritable(config, error);
    if (refused !== undefined) {
      io.err.write(`${refused.message}\n`);
      return 2;
    }
    if (!(error instanceof RebuildAbortedError)) throw error;
    io.err.write(`${error.message}\n`);
    return INTERRUPTED_EXIT_CODE;
  } finally {
    interrupt.dispose();
    await eventStore?.close();
  }
}
