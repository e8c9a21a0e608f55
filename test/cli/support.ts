// Running the `grants` command for real, as this process's user or as another than root, for the
// cases root cannot show: a data directory the user may not write (root writes everywhere); or in
// the background, held still in the middle of its work (or of loading its code), for what arrives
// meanwhile.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

export interface GrantsExit {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface RunningGrants {
  child: ChildProcess;
  /** Its exit: code and signal, and what it wrote. */
  done: Promise<GrantsExit>;
}

/** `grants <argv>` started in its own process group, as from a shell, with these variables on top. */
export function startGrants(env: Record<string, string>, ...argv: string[]): RunningGrants {
  const child = spawn(process.execPath, [grantsScript, ...argv], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const done = new Promise<GrantsExit>((resolveDone) =>
    child.on('close', (status, signal) => resolveDone({ status, signal, out, err })),
  );
  return { child, done };
}

/**
 * `grants <argv>` started as startGrants does, its loading held at the module whose path ends with
 * `module` (holdLoadHooks.mjs): `reached` resolves once the hold has begun, `release` lets it load on.
 * A command's code takes a second or more to load on a slow machine; this is that moment, every time.
 */
export function startGrantsHeldWhileLoading(
  env: Record<string, string>,
  module: string,
  ...argv: string[]
): RunningGrants & { reached: Promise<void>; release: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'grants-hold-'));
  const files = { reached: join(dir, 'atteint'), release: join(dir, 'relacher') };
  const child = spawn(
    process.execPath,
    ['--import', join(import.meta.dirname, 'holdLoad.mjs'), grantsScript, ...argv],
    {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        HOLD_LOAD_MODULE: module,
        HOLD_LOAD_REACHED: files.reached,
        HOLD_LOAD_RELEASE: files.release,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const done = new Promise<GrantsExit>((resolveDone) =>
    child.on('close', (status, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolveDone({ status, signal, out, err });
    }),
  );
  const reached = (async () => {
    const deadline = Date.now() + 60_000;
    while (!existsSync(files.reached)) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline)
        throw new Error(`chargement de ${module} jamais atteint : ${JSON.stringify({ out, err })}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    child,
    done,
    reached,
    release: () => {
      if (existsSync(dir)) writeFileSync(files.release, '');
    },
  };
}

/**
 * Holds the command and its children still (SIGSTOP to its group) as soon as `reached()` holds (its
 * work under way): what the test does then arrives mid-work every time.
 */
export async function holdWhen(running: RunningGrants, reached: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!reached()) {
    if (running.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`aucune copie commencée : ${JSON.stringify(await running.done)}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  process.kill(-running.child.pid!, 'SIGSTOP');
}

/** After a test: a command it left running (held or not) and its children, ended. */
export function endGrants(running: RunningGrants | undefined): void {
  const child = running?.child;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  process.kill(-child.pid!, 'SIGCONT');
  process.kill(-child.pid!, 'SIGKILL');
}
