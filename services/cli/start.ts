// `grants start` (what `npm start` runs): the whole engine on one machine, until Ctrl-C.
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import { readArguments } from './arguments';
import { processIo, type CliIo } from './io';

export const startUsage = `Usage : grants start

Démarre le moteur des subventions sur cette machine, jusqu’à Ctrl-C : le serveur Temporal embarqué
(sauf si TEMPORAL_ADDRESS nomme un cluster), le worker des workflows, les projections (modèles de
lecture) et l’API HTTP avec la console. C’est ce que lance npm start.

Sans option : tout se règle par variables d’environnement (GRANTS_DATA_DIR, GRANTS_HTTP_PORT,
EVENTSTORE_CONNECTION_STRING, TEMPORAL_ADDRESS, GRANTS_START_HTTP…), décrites dans la section
« Configuration » du README.
`;

export async function runStart(
  config: Config,
  logger: Logger,
  argv: string[] = [],
  io: CliIo = processIo,
): Promise<number> {
  const line = readArguments(argv, io, { options: {}, usage: startUsage, check: () => ({}) });
  if ('exitCode' in line) return line.exitCode;
  // Loaded only now: `grants start --help` answers without loading the engine.
  const { startEngine } = await import('../engine');
  const engine = await startEngine(config, logger);
  const lines = [
    '',
    'Moteur des subventions démarré.',
    engine.apiUrl ? `  Console        ${engine.apiUrl}/console/` : undefined,
    engine.apiUrl
      ? `  API            ${engine.apiUrl}/api/docs   (santé : ${engine.apiUrl}/health)`
      : undefined,
    `  Temporal       ${engine.temporalAddress}`,
    engine.temporalUiUrl ? `  Temporal Web   ${engine.temporalUiUrl}` : undefined,
    `  Données        ${config.dataDir}`,
    '  Ctrl-C pour arrêter.',
    '',
  ].filter((l) => l !== undefined);
  io.out.write(lines.join('\n') + '\n');

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      io.out.write(`\nArrêt demandé (${signal}) : arrêt propre en cours…\n`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await engine.stop();
  io.out.write('Arrêté.\n');
  return 0;
}
