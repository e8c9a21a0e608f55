// `grants seed demo [--count N]`: a realistic demo campaign on the running engine, so a newcomer
// sees a living system (applications at every step, in the API, the audit trail and the console).
// What was created goes to stdout; the progress to stderr, redrawn in place on a terminal, one line
// every few seconds in a file or a pipe.
import { applicationStatusLabels } from '../../domain/application';
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import {
  formatBar,
  formatCount,
  writeProgressLine,
  type ProgressOutput,
} from '../../infra/projections/progress';
import { runningSituationLabels, seedDemo, type DemoResult, type SeedProgress } from '../demo/demoCampaign';
import { readArguments } from './arguments';
import { processIo, type CliIo } from './io';
import { connectToEngine } from './temporalClient';

const DEFAULT_COUNT = 27;
const MAX_COUNT = 1000;

export const seedUsage = `Usage : grants seed demo [--count N]

Crée une campagne AMI de démonstration (CAMVS, financeurs et enveloppes fictifs) et N candidatures
(${DEFAULT_COUNT} par défaut, ${formatCount(MAX_COUNT)} au plus) réparties sur toutes les étapes.
Le moteur doit être démarré (npm start).
`;

/** Creates the demo; by default on the running engine, reached through its Temporal server. */
export type DemoSeeder = (
  config: Config,
  options: { count: number; onProgress: (progress: SeedProgress) => void },
) => Promise<DemoResult>;

const seedOnRunningEngine: DemoSeeder = async (config, options) => {
  const engine = await connectToEngine(config);
  try {
    return await seedDemo(engine.grants, options);
  } finally {
    await engine.close();
  }
};

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
  const progress = seedProgress(io.err);
  let shown = false;
  let result: DemoResult;
  try {
    result = await seed(config, {
      count: line.args.count,
      onProgress: (p) => {
        shown = true;
        progress(p);
      },
    });
  } catch (error) {
    // The progress line left open on a terminal: the error goes on the next one.
    if (shown && io.err.isTTY === true) io.err.write('\n');
    throw error;
  }
  io.out.write(seedSummary(result));
  return 0;
}

function demoCount(count: string | undefined): number {
  if (count === undefined) return DEFAULT_COUNT;
  const n = /^\d+$/.test(count) ? Number(count) : Number.NaN;
  if (!(n >= 1 && n <= MAX_COUNT)) {
    throw new Error(
      `--count attend un nombre de candidatures entre 1 et ${formatCount(MAX_COUNT)} (reçu : ${count}).`,
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
