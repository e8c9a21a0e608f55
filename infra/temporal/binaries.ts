// Where the Temporal CLI (dev server) and the time-skipping test server are: the user's own
// binaries when TEMPORAL_CLI / TEMPORAL_TEST_SERVER say so, else the pinned ones in .tools/.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const projectRoot = resolve(import.meta.dirname, '..', '..');
const venvBin = resolve(projectRoot, '.tools', 'temporal-venv', 'bin');

export interface TemporalBinaries {
  cli: string;
  testServer: string;
}

export function temporalBinaries(
  overrides: { cliPath?: string | undefined; testServerPath?: string | undefined } = {},
): TemporalBinaries {
  const cli = overrides.cliPath ?? process.env.TEMPORAL_CLI ?? resolve(venvBin, 'temporal');
  const testServer =
    overrides.testServerPath ?? process.env.TEMPORAL_TEST_SERVER ?? resolve(venvBin, 'temporal-test-server');
  for (const [name, path] of [
    ['Temporal CLI', cli],
    ['Temporal test server', testServer],
  ] as const) {
    if (!existsSync(path)) {
      throw new Error(
        `${name} introuvable (${path}). Lancez \`npm run tools:install\`, ou indiquez un binaire existant ` +
          'avec TEMPORAL_CLI / TEMPORAL_TEST_SERVER.',
      );
    }
  }
  return { cli, testServer };
}
