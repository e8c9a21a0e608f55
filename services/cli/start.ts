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
  const { EngineStartInterruptedError, startEngine } = await import('../engine');
  const { EngineAlreadyRunningError } = await import('../engineLock');
  // Ctrl-C during the start-up is obeyed as soon as the part starting ends (a read-model rebuild is
  // interrupted at once): what had started stops in order, nothing more starts. Never ignored: the
  // Temporal SDK stops its worker on the signal by itself, and an engine left running without one
  // would answer « worker STOPPED » until a second Ctrl-C.
  let stopAsked: NodeJS.Signals | undefined;
  let onStopAsked: (() => void) | undefined;
  const interruptStart = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopAsked !== undefined) {
      // A second Ctrl-C: the operator will not wait for the orderly stop.
      io.err.write(`Second signal (${signal}) : arrêt immédiat, sans attendre la fin de l’arrêt propre.\n`);
      process.exit(130);
    }
    stopAsked = signal;
    io.out.write(`\nArrêt demandé (${signal}) : arrêt propre en cours…\n`);
    interruptStart.abort();
    onStopAsked?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let engine;
    try {
      engine = await startEngine(config, logger, { signal: interruptStart.signal });
    } catch (error) {
      if (error instanceof EngineStartInterruptedError) {
        io.out.write('Arrêté.\n');
        return 0;
      }
      if (!(error instanceof EngineAlreadyRunningError)) throw error;
      io.err.write(`${error.message}\n`);
      return 2;
    }
    if (stopAsked === undefined) {
      io.out.write(startedBanner(config, engine).join('\n') + '\n');
      await new Promise<void>((resolve) => (onStopAsked = resolve));
    }
    await engine.stop();
    io.out.write('Arrêté.\n');
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function startedBanner(
  config: Config,
  engine: { apiUrl: string | undefined; temporalAddress: string; temporalUiUrl: string | undefined },
): string[] {
  return [
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
}
