// The `grants` command line. Each sub-command is one module, loaded lazily (so `grants --help`
// and configuration errors answer at once); this file only dispatches and turns failures into
// clear messages and exit codes (2 = bad configuration or usage, 1 = the work failed, 130 =
// interrupted by Ctrl-C or SIGTERM). A closed stdout (`grants export ledger | head`) is the normal
// end of a pipe: the command stops there, quietly, exit 0. Ctrl-C while the command's code still loads
// is heard too: this file imports little, so that it listens from its first moments (see
// interruptedBeforeItRuns).
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import { INTERRUPTED_EXIT_CODE, InterruptedError, listenUntilTheCommandRuns } from './io';

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
 * What a command says when Ctrl-C (or SIGTERM) comes before it runs, while its code loads: what was
 * interrupted, and that nothing was begun (exit 130). From its first step on, each command says it
 * itself. `grants start` is left to its own handling of Ctrl-C.
 */
function interruptedBeforeItRuns(command: string, args: readonly string[]): string {
  switch (command) {
    case 'seed':
      return 'Démonstration interrompue : rien n’a été créé.';
    case 'projections':
      return 'Reconstruction interrompue avant de commencer : les vues en service sont inchangées.';
    case 'audit':
      return args[0] === 'digest'
        ? 'Calcul de l’empreinte interrompu avant le premier événement lu : aucune empreinte.'
        : 'Vérification interrompue avant le premier événement lu : aucun verdict.';
    case 'export':
      return 'Export interrompu avant de commencer : aucun fichier n’a été écrit.';
    case 'backup':
      return (
        'Sauvegarde interrompue avant la première copie : rien n’a été copié, aucun fichier de ' +
        'sauvegarde n’a été laissé.'
      );
    case 'restore':
      return 'Restauration interrompue avant de commencer : rien n’a été copié, déplacé ni remplacé.';
    case 'token':
      return 'Interrompu avant la création du jeton : aucun jeton n’a été créé.';
    default:
      return `grants ${command} interrompu avant de commencer : rien n’a été fait.`;
  }
}

type Command = (config: Config, logger: Logger, args: string[]) => Promise<number>;

/** The command's module, loaded only now (`grants --help` and configuration errors answer at once). */
async function commandNamed(command: string): Promise<Command | undefined> {
  switch (command) {
    case 'start':
      return (await import('./start')).runStart;
    case 'token':
      return async (config, _logger, args) => (await import('./token')).runToken(config, args);
    case 'seed':
      return (await import('./seed')).runSeed;
    case 'projections':
      return (await import('./projections')).runProjections;
    case 'audit':
      return (await import('./audit')).runAudit;
    case 'export':
      return (await import('./export')).runExport;
    case 'backup':
      return (await import('./backup')).runBackup;
    case 'restore':
      return (await import('./restore')).runRestore;
    default:
      return undefined;
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
  const listening =
    command === 'start' ? undefined : listenUntilTheCommandRuns(interruptedBeforeItRuns(command, rest));
  const { ConfigError, loadConfig, unknownVariables } = await import('../../infra/config/config');
  try {
    // Asking a command for its usage needs no configuration: with a bad variable, `--help` still
    // answers (the defaults stand in; the command prints its usage and stops).
    let config: Config;
    try {
      config = loadConfig();
    } catch (error) {
      if (!(error instanceof ConfigError && (rest.includes('--help') || rest.includes('-h')))) throw error;
      config = loadConfig({});
    }
    // The engine logs to stdout like any service; a command's stdout is its output (a CSV, a digest).
    const { createLogger } = await import('../../infra/logging/logger');
    const logger = createLogger({
      level: config.log.level,
      format: config.log.format,
      to: command === 'start' ? 'stdout' : 'stderr',
    });
    for (const warning of unknownVariables(process.env)) logger.warn(warning);
    const run = await commandNamed(command);
    if (run === undefined) {
      process.stderr.write(`Commande inconnue : ${command}\n\n${usage}`);
      return 2;
    }
    // The command listens from here on: each one does from its first step, before its first wait.
    listening?.dispose();
    return await run(config, logger, rest);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  } finally {
    listening?.dispose();
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
    process.stderr.write(`Erreur : ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
