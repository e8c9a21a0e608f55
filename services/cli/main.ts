// The `grants` command line. Each sub-command is one module; this file only dispatches and
// turns failures into clear messages and exit codes (2 = bad configuration or usage).
import { ConfigError, loadConfig } from '../../infra/config/config';
import { createLogger } from '../../infra/logging/logger';

const usage = `Usage : grants <commande>

Commandes :
  start                 démarre le moteur (serveur Temporal embarqué, worker, projections, API)
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return command === undefined ? 2 : 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  switch (command) {
    // Sub-commands load lazily: `grants --help` and configuration errors answer at once.
    case 'start':
      return await (await import('./start')).runStart(config, logger);
    default:
      process.stderr.write(`Commande inconnue : ${command}\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`Erreur : ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
