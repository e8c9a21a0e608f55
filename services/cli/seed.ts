// `grants seed demo [--count N]`: a realistic demo campaign on the running engine, so a newcomer
// sees a living system (applications at every step, in the API, the audit trail and the console).
// What was created goes to stdout; the progress to stderr, redrawn in place on a terminal, one line
// every few seconds in a file or a pipe. It checks first that an engine runs (a Temporal server
// left by a dead engine answers, but nothing would take the demo further): exit 2 otherwise. Ctrl-C
// stops it after the step under way and names what was created (the campaign, how many
// applications), exit 130; a second Ctrl-C stops at once, naming it the same.
import { applicationStatusLabels } from '../../domain/application';
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import {
  formatBar,
  formatCount,
  writeProgressLine,
  type ProgressOutput,
} from '../../infra/projections/progress';
import type { GrantsClient } from '../../workflows/client';
import {
  DEMO_MINIMUM_COUNT,
  runningSituationLabels,
  seedDemo,
  type DemoResult,
  type SeedProgress,
} from '../demo/demoCampaign';
import { readArguments } from './arguments';
import {
  closeProgressLine,
  INTERRUPTED_EXIT_CODE,
  InterruptedError,
  listenForInterruption,
  processIo,
  type CliIo,
} from './io';
import { connectToEngine, NoEngineError } from './temporalClient';

const DEFAULT_COUNT = 27;
const MAX_COUNT = 1000;

export const seedUsage = `Usage : grants seed demo [--count N]

Crée une campagne AMI de démonstration (CAMVS, financeurs et enveloppes fictifs) et N candidatures
réparties sur toutes les étapes : ${DEFAULT_COUNT} par défaut, ${DEMO_MINIMUM_COUNT} au moins (une à chaque étape), ${formatCount(MAX_COUNT)} au plus.
Le moteur doit être démarré (npm start). Ctrl-C arrête après l’étape en cours et nomme la
campagne et les candidatures déjà créées (code de sortie 130).

Code de sortie : 0 créée, 1 échec, 2 usage incorrect (un --count hors de ces bornes aussi) ou aucun
moteur démarré, 130 interrompue.
`;

/** A campaign created, or an application filed in one: said as soon as it exists. */
export type SeedCreated = { campaignId: string } | { campaignId: string; applicationId: string };

export interface SeedOptions {
  count: number;
  /** After each step; Ctrl-C makes it throw the InterruptedError: the demo stops there. */
  onProgress: (progress: SeedProgress) => void;
  /** What an interrupted demo still names. */
  onCreated: (created: SeedCreated) => void;
  /** Aborted at Ctrl-C (its reason the InterruptedError): nothing is begun after it. */
  signal: AbortSignal;
}

/** Creates the demo; by default on the running engine, reached through its Temporal server. */
export type DemoSeeder = (config: Config, options: SeedOptions) => Promise<DemoResult>;

/** The demo through this client, each campaign and application reported as soon as it exists. */
export async function seedWithClient(grants: GrantsClient, options: SeedOptions): Promise<DemoResult> {
  options.signal.throwIfAborted();
  const reporting: GrantsClient = {
    ...grants,
    createCampaign: async (command, context) => {
      const view = await grants.createCampaign(command, context);
      options.onCreated({ campaignId: command.campaignId });
      return view;
    },
    submitApplication: async (command, context) => {
      const view = await grants.submitApplication(command, context);
      options.onCreated({ campaignId: command.campaign.campaignId, applicationId: command.applicationId });
      return view;
    },
  };
  return seedDemo(reporting, { count: options.count, onProgress: options.onProgress });
}

const seedOnRunningEngine: DemoSeeder = async (config, options) => {
  const engine = await connectToEngine(config);
  try {
    return await seedWithClient(engine.grants, options);
  } finally {
    await engine.close();
  }
};

/** What an interrupted demo created, campaign by campaign, in French. */
export function seedInterruptedSummary(created: ReadonlyMap<string, number>, count: number): string {
  if (created.size === 0) return 'Démonstration interrompue : rien n’a été créé.';
  const applications = (n: number) => `${formatCount(n)} candidature${n > 1 ? 's créées' : ' créée'}`;
  const [first, ...earlier] = [...created];
  return (
    `Démonstration interrompue : campagne ${first![0]}, ${applications(first![1])} (sur ${formatCount(count)} ` +
    'demandées)' +
    earlier
      .map(([id, n]) => ` ; conventions en cours d’un AMI précédent : campagne ${id}, ${applications(n)}`)
      .join('') +
    '. Ce qui est créé reste dans le moteur (API, console).'
  );
}

export async function runSeed(
  config: Config,
  _logger: Logger,
  argv: string[],
  io: CliIo = processIo,
  seed: DemoSeeder = seedOnRunningEngine,
): Promise<number> {
  const line = readArguments(argv, io, {
    options: { count: { type: 'string' } },
    positionals: true,
    usage: seedUsage,
    check: ({ count }, positionals) => {
      const [what, ...extra] = positionals;
      if (what === undefined) throw new Error('Indiquez ce qu’il faut créer : grants seed demo.');
      if (what !== 'demo') throw new Error(`Jeu de démonstration inconnu : ${what} (seul demo existe).`);
      if (extra.length > 0) throw new Error(`Argument inattendu : ${extra[0]}.`);
      return { count: demoCount(count) };
    },
  });
  if ('exitCode' in line) return line.exitCode;
  const { count } = line.args;
  const progress = seedProgress(io.err);
  let shown = false;
  // Applications filed, by campaign, in the order the campaigns were created.
  const created = new Map<string, number>();
  const interruption = listenForInterruption(io.signals, {
    onFirst: (signal) =>
      io.err.write(
        `${closeProgressLine(io.err)}Interruption demandée (${signal}) : arrêt après l’étape en cours…\n`,
      ),
    onSecond: () => io.err.write(`${closeProgressLine(io.err)}${seedInterruptedSummary(created, count)}\n`),
  });
  let result: DemoResult;
  try {
    result = await seed(config, {
      count,
      onProgress: (p) => {
        shown = true;
        progress(p);
        // The step is done: stop here, unless it was the last.
        if (p.done < p.total) interruption.check();
      },
      onCreated: (c) => {
        created.set(c.campaignId, (created.get(c.campaignId) ?? 0) + ('applicationId' in c ? 1 : 0));
      },
      signal: interruption.signal,
    });
  } catch (error) {
    // The progress line left open on a terminal: the error goes on the next one.
    if (shown && io.err.isTTY === true) io.err.write('\n');
    if (error instanceof InterruptedError) {
      io.err.write(`${seedInterruptedSummary(created, count)}\n`);
      return INTERRUPTED_EXIT_CODE;
    }
    if (error instanceof NoEngineError) {
      io.err.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    interruption.dispose();
  }
  io.out.write(seedSummary(result));
  return 0;
}

function demoCount(count: string | undefined): number {
  if (count === undefined) return DEFAULT_COUNT;
  const n = /^\d+$/.test(count) ? Number(count) : Number.NaN;
  // Fewer than one a step would leave steps without any: the demo is there to show every one.
  if (!(n >= DEMO_MINIMUM_COUNT && n <= MAX_COUNT)) {
    throw new Error(
      `--count attend un nombre de candidatures entre ${DEMO_MINIMUM_COUNT} (une à chaque étape) et ` +
        `${formatCount(MAX_COUNT)} (reçu : ${count}).`,
    );
  }
  return n;
}

/** What was created, with the step each application was taken to, in French. */
export function seedSummary(result: DemoResult): string {
  const n = result.applications.length;
  return (
    `Campagne de démonstration : ${result.campaignId}\n` +
    `${formatCount(n)} candidature${n > 1 ? 's créées' : ' créée'}, par exemple :\n` +
    result.applications
      .slice(0, 9)
      .map((a) => `  ${a.id}  ${applicationStatusLabels[a.stage]}\n`)
      .join('') +
    `Conventions en cours d’un AMI précédent : ${result.running.campaignId}\n` +
    result.running.applications.map((a) => `  ${a.id}  ${runningSituationLabels[a.situation]}\n`).join('')
  );
}

/** Without a terminal, one progress line this often (and the last one). */
const LINE_EVERY_MS = 5000;

/**
 * `[########............] 12/29 Sambre Avenir (fictive) : en co-décision des financeurs`: redrawn
 * in place at each step on a terminal; in a file or a pipe, whole lines, one every few seconds and
 * the last (as `grants audit verify` does).
 */
export function seedProgress(
  output: ProgressOutput,
  now: () => number = () => Date.now(),
): (progress: SeedProgress) => void {
  const tty = output.isTTY === true;
  let last = Number.NEGATIVE_INFINITY;
  return ({ done, total, label }) => {
    const finished = done >= total;
    const t = now();
    if (!tty && !finished && t - last < LINE_EVERY_MS) return;
    last = t;
    writeProgressLine(
      output,
      `${formatBar(total === 0 ? 1 : done / total, 20)} ${done}/${total} ${label}`,
      finished,
    );
  };
}
