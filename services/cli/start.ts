// `grants start` (what `npm start` runs): the whole engine on one machine, until Ctrl-C.
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import { startEngine } from '../engine';

export async function runStart(config: Config, logger: Logger): Promise<number> {
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
  process.stdout.write(lines.join('\n') + '\n');

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stdout.write(`\nArrêt demandé (${signal}) : arrêt propre en cours…\n`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await engine.stop();
  process.stdout.write('Arrêté.\n');
  return 0;
}
