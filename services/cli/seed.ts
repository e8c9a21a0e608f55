// `grants seed demo [--count N]`: a realistic demo campaign on the running engine, so a newcomer
// sees a living system (applications at every step, in the API, the audit trail and the console).
import { parseArgs } from 'node:util';
import type { Config } from '../../infra/config/config';
import type { Logger } from '../../infra/logging/logger';
import { seedDemo } from '../demo/demoCampaign';
import { connectToEngine } from './temporalClient';

export const seedUsage = `Usage : grants seed demo [--count N]

Crée une campagne AMI de démonstration (CAMVS, financeurs et enveloppes fictifs) et N candidatures
(27 par défaut) réparties sur toutes les étapes. Le moteur doit être démarré (npm start).
`;

export async function runSeed(config: Config, _logger: Logger, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { count: { type: 'string', default: '27' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(seedUsage);
    return 0;
  }
  const count = Number(values.count);
  if (positionals[0] !== 'demo' || !Number.isInteger(count) || count < 1 || count > 1000) {
    process.stderr.write(seedUsage);
    return 2;
  }
  const engine = await connectToEngine(config);
  try {
    const result = await seedDemo(engine.grants, {
      count,
      onProgress: ({ done, total, label }) => {
        const width = 20;
        const filled = Math.round((done / total) * width);
        process.stdout.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label.slice(0, 60).padEnd(60)}`,
        );
      },
    });
    process.stdout.write(
      `\n\nCampagne de démonstration : ${result.campaignId}\n` +
        `${result.applications.length} candidatures créées, par exemple :\n` +
        result.applications
          .slice(0, 9)
          .map((a) => `  ${a.id}  ${a.stage}`)
          .join('\n') +
        '\n',
    );
    return 0;
  } finally {
    await engine.close();
  }
}
