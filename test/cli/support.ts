// Running the `grants` command for real, as this process's user or as another than root, for the
// cases root cannot show: a data directory the user may not write (root writes everywhere).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const grantsScript = join(root, 'scripts', 'grants.mjs');
// setpriv keeps the environment as given (runuser and su reset parts of it).
const asUser = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];

/** Why the command cannot be run as nobody here; undefined when it can. */
export function nobodyUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'les tests ne tournent pas en root (pas de changement d’utilisateur)';
  const probe = spawnSync(
    'setpriv',
    [...asUser, process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(grantsScript)})`],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (probe.error !== undefined) return `setpriv indisponible (${probe.error.message})`;
  if (probe.status !== 0)
    return `l’utilisateur nobody ne peut pas lancer node ou lire ${grantsScript} : ${probe.stderr.trim()}`;
  return undefined;
}

/** `grants <argv>` as the user nobody, with these variables on top of this process's. */
export function asNobody(env: Record<string, string>, ...argv: string[]): SpawnSyncReturns<string> {
  return spawnSync('setpriv', [...asUser, process.execPath, grantsScript, ...argv], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, HOME: '/nonexistent', ...env },
  });
}

/** In a test that needs the user nobody: true when it can run here; otherwise it says why and skips. */
export function runsAsNobody(test: { skip(): void }): boolean {
  const why = nobodyUnavailable();
  if (why === undefined) return true;
  console.log(`Cas EACCES sauté : ${why}`);
  test.skip();
  return false;
}

/** `grants <argv>` as this process's user, with these variables on top of this process's. */
export function grants(env: Record<string, string>, ...argv: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [grantsScript, ...argv], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
}
