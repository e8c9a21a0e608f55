// The `grants` command line. Each sub-command is one module, loaded lazily (so `grants --help`
// and configuration errors answer at once); this file only dispatches and turns failures into
// clear messages and exit codes (2 = bad configuration or usage, 1 = the work failed, 130 =
// interrupted by Ctrl-C or SIGTERM). A closed stdout (`grants export ledger | head`) is the normal
// end of a pipe: the command stops there, quietly, exit 0.
import { ConfigError, loadConfig, unknownVariables, type Config } from '../../infra/config/config';
import { createLogger } from '../../infra/logging/logger';
import { INTERRUPTED_EXIT_CODE, InterruptedError } from './io';

const usage = `Usage : grants <commande> [options]

Commandes :
  start                          démarre le moteur (serveur Temporal embarqué, worker, projections, API)
  token --role <rôle> [...]      crée un jeton de développement (mode embarqué)
  seed demo [--count N]          crée une campagne de démonstration sur le moteur démarré
  projections rebuild            reconstruit les modèles de lecture depuis le premier événement
  audit verify [--stream S]      vérifie la chaîne d’empreintes du journal d’événements
        [--against <sauvegarde>]   … et le compare à une sauvegarde
  audit digest [--upto P]        l’empreinte du journal jusqu’à une position (à conserver ailleurs)
  export scdl --year AAAA        exporte les subventions attribuées au format SCDL (CSV)
  export ledger                  exporte le grand livre des financements (CSV)
  backup [--to <dossier>]        sauvegarde contrôlée du journal et de la base Temporal embarquée
  restore <dossier>              remet une sauvegarde en place (moteur arrêté)

Chaque commande accepte --help.
`;

/**
 * The configuration from the environment. Asking a command for its usage needs none: with a bad
 * variable, `--help` still answers (the defaults stand in; the command prints its usage and stops).
 */
function configFor(args: readonly string[]): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError && (args.includes('--help') || args.includes('-h')))
      return loadConfig({});
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    // A mistake like any other: said on stderr, stdout left to the results.
    process.stderr.write(`Indiquez une commande.\n\n${usage}`);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  // A command's reader of stdout gone (`| head -1` has what it wanted): nothing more to write for
  // anyone, and nothing went wrong — stop there, saying nothing, exit 0. Not the engine: its stdout is
  // its log, and it stops in order.
  if (command !== 'start')
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  const config = configFor(rest);
  // The engine logs to stdout like any service; a command's stdout is its output (a CSV, a digest).
  const logger = createLogger({
    level: config.log.level,
    format: config.log.format,
    to: command === 'start' ? 'stdout' : 'stderr',
  });
  for (const warning of unknownVariables(process.env)) logger.warn(warning);
  switch (command) {
    case 'start':
      return await (await import('./start')).runStart(config, logger, rest);
    case 'token':
      return await (await import('./token')).runToken(config, rest);
    case 'seed':
      return await (await import('./seed')).runSeed(config, logger, rest);
    case 'projections':
      return await (await import('./projections')).runProjections(config, logger, rest);
    case 'audit':
      return await (await import('./audit')).runAudit(config, logger, rest);
    case 'export':
      return await (await import('./export')).runExport(config, logger, rest);
    case 'backup':
      return await (await import('./backup')).runBackup(config, logger, rest);
    case 'restore':
      return await (await import('./restore')).runRestore(config, logger, rest);
    default:
      process.stderr.write(`Commande inconnue : ${command}\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Interrupted: what the command gave up (a scan, a worker thread) is not waited for.
    if (code === INTERRUPTED_EXIT_CODE) process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof InterruptedError) {
      process.stderr.write(`Interrompu (${error.signal}).\n`);
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`Erreur : ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
