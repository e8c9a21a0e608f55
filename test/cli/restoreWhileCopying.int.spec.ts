// `grants restore` caught in the middle of its copies, as an operator meets it: a real process, held
// still (SIGSTOP) once its first copy has begun, so that what comes then arrives mid-copy every time.
// - A second `grants restore` on the same data directory is refused in French, naming the first one's
//   pid (exit 1, as a second `grants projections rebuild` is): both went on, copied onto the same
//   temporary names, moved each other's files aside and « put back » what was not theirs.
// - An engine starting meanwhile is refused the data directory (the restore holds the engine's lock).
// - Ctrl-C leaves the data directory as it was (exit 130, said in French): it left no log and no
//   Temporal base in place, the originals moved aside and a half copy beside them, and said nothing;
//   the next start would have begun an empty log.
// - Ctrl-C while it still checks the backup's SHA-256 (before it copies anything) is said too.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireEngineLock, EngineAlreadyRunningError } from '../../services/engineLock';
import { freePort } from '../support/processes';
import { hasProcfs } from '../support/procfs';
import { fakeBackup, sha256 } from './fakeBackup';
import { endGrants, grants, holdWhen, startGrants, type RunningGrants } from './support';

let work: string;
let data: string;
let env: Record<string, string>;
let running: RunningGrants | undefined;
// A Temporal base big enough that its copy is under way when the test looks.
const bigTemporal = Buffer.alloc(96 * 1024 * 1024, 'la base Temporal de la grande sauvegarde ');
const original = { events: 'le journal original, irremplaçable', temporal: 'la base Temporal originale' };

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'grants-restore-copying-'));
  data = join(work, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'events.sqlite'), original.events);
  writeFileSync(join(data, 'temporal.sqlite'), original.temporal);
  fakeBackup(join(work, 'grande'), { events: 'le journal de la grande sauvegarde', temporal: bigTemporal });
  env = {
    GRANTS_DATA_DIR: data,
    GRANTS_HTTP_PORT: String(await freePort()),
    TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
    GRANTS_LOG_LEVEL: 'warn',
  };
});
afterEach(() => {
  endGrants(running);
  running = undefined;
  rmSync(work, { recursive: true, force: true });
});

/** What the data directory holds, each file with its size (folders end with /). */
function listing(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? [`${prefix}${e.name}/`, ...listing(join(dir, e.name), `${prefix}${e.name}/`)]
        : [`${prefix}${e.name}`],
    )
    .sort();
}

/** `grants restore <backup>` started in its own process group, as from a shell. */
function startRestore(from: string): RunningGrants {
  running = startGrants(env, 'restore', from);
  return running;
}

/** Holds the restore still (SIGSTOP) as soon as a copy of it has begun beside its target. */
const stopMidCopy = (restore: RunningGrants): Promise<void> =>
  holdWhen(restore, () => readdirSync(data).some((f) => f.endsWith('.restauration')));

describe('grants restore while another restore copies', () => {
  it('is refused in French naming the first one (exit 1), which then ends as alone', async () => {
    const first = startRestore(join(work, 'grande'));
    await stopMidCopy(first);

    const small = join(work, 'petite');
    fakeBackup(small, { events: 'le journal de la petite sauvegarde', temporal: 'sa base Temporal' });
    const second = grants(env, 'restore', small);
    expect(second.status, second.stderr).toBe(1);
    expect(second.stderr).toContain(
      `Une restauration est déjà en cours sur ${data} (processus ${first.child.pid})`,
    );
    expect(second.stderr).toContain('rien n’a été touché');
    expect(second.stderr).not.toMatch(/^Erreur/m);
    expect(second.stdout).toBe('');

    process.kill(first.child.pid!, 'SIGCONT');
    const result = await first.done;
    expect(result.status, result.err).toBe(0);
    // The big backup in place, the originals in one folder aside, nothing else.
    expect(sha256(readFileSync(join(data, 'temporal.sqlite')))).toBe(sha256(bigTemporal));
    expect(readFileSync(join(data, 'events.sqlite'), 'utf8')).toBe('le journal de la grande sauvegarde');
    const asides = readdirSync(data).filter((f) => f.startsWith('avant-restauration-'));
    expect(asides).toHaveLength(1);
    expect(readFileSync(join(data, asides[0]!, 'events.sqlite'), 'utf8')).toBe(original.events);
    expect(readFileSync(join(data, asides[0]!, 'temporal.sqlite'), 'utf8')).toBe(original.temporal);
    expect(listing(data)).toEqual(
      [
        'events.sqlite',
        'temporal.sqlite',
        `${asides[0]}/`,
        `${asides[0]}/events.sqlite`,
        `${asides[0]}/temporal.sqlite`,
      ].sort(),
    );
  });

  it('keeps an engine from starting on the data directory until it is done', async () => {
    const first = startRestore(join(work, 'grande'));
    await stopMidCopy(first);
    const silent = pino({ level: 'silent' });
    const refused = await acquireEngineLock(data, silent).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EngineAlreadyRunningError);
    // Named as what holds the folder: a restore, not an engine to stop.
    expect((refused as Error).message).toBe(
      `Une restauration est en cours sur le dossier de données ${data} (processus ${first.child.pid}) : ` +
        'démarrez le moteur une fois qu’elle est terminée.',
    );

    process.kill(first.child.pid!, 'SIGCONT');
    expect((await first.done).status).toBe(0);
    // Done, it lets go: the engine may start.
    const lock = await acquireEngineLock(data, silent);
    lock.release();
  });
});

describe('grants restore interrupted', () => {
  it.each([
    ['Ctrl-C at the terminal (SIGINT to the process group)', 'SIGINT', true],
    ['SIGTERM to the command alone', 'SIGTERM', false],
  ] as const)('leaves the data directory as it was on %s, exit 130', async (_what, signal, group) => {
    const before = listing(data);
    const restore = startRestore(join(work, 'grande'));
    await stopMidCopy(restore);
    // Delivered as it resumes: in the middle of its copy.
    process.kill(group ? -restore.child.pid! : restore.child.pid!, signal);
    process.kill(restore.child.pid!, 'SIGCONT');
    const result = await restore.done;
    expect({ status: result.status, signal: result.signal }, result.err).toEqual({
      status: 130,
      signal: null,
    });
    expect(result.err).toContain('Restauration interrompue');
    expect(result.err).toContain('rien n’a été remplacé');
    expect(result.err).not.toMatch(/^Erreur/m);
    expect(result.out).toBe('');
    expect(listing(data)).toEqual(before);
    expect(readFileSync(join(data, 'events.sqlite'), 'utf8')).toBe(original.events);
    expect(readFileSync(join(data, 'temporal.sqlite'), 'utf8')).toBe(original.temporal);
    expect(existsSync(join(data, 'engine.lock'))).toBe(false);
  });
});

/** Whether process `pid` has `file` open (its /proc fd links). */
function hasOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false; // closed meanwhile
      }
    });
  } catch {
    return false;
  }
}

describe('grants restore interrupted while it checks the backup', () => {
  // Before its copies, the restore reads the whole backup once for its SHA-256 (seconds for a big
  // one): it listened to no signal then, and a Ctrl-C killed it without a word (130 in the shell).
  it('says that nothing was touched, exit 130, the data directory as it was', async (context) => {
    if (!hasProcfs(context)) return;
    const before = listing(data);
    const backupTemporal = join(work, 'grande', 'temporal.sqlite');
    const restore = startRestore(join(work, 'grande'));
    // Held still while it reads the backup's Temporal base for its SHA-256.
    await holdWhen(restore, () => hasOpen(restore.child.pid!, backupTemporal));
    process.kill(-restore.child.pid!, 'SIGINT');
    process.kill(-restore.child.pid!, 'SIGCONT');
    const result = await restore.done;
    expect({ status: result.status, signal: result.signal }, result.err).toEqual({
      status: 130,
      signal: null,
    });
    expect(result.err).toContain(
      'Restauration interrompue (SIGINT) pendant la vérification de la sauvegarde : rien n’a été copié, ' +
        'déplacé ni remplacé, les fichiers en place y sont toujours.\n',
    );
    expect(result.err).not.toMatch(/^Erreur/m);
    expect(result.out).toBe('');
    expect(listing(data)).toEqual(before);
    expect(readFileSync(join(data, 'events.sqlite'), 'utf8')).toBe(original.events);
    expect(readFileSync(join(data, 'temporal.sqlite'), 'utf8')).toBe(original.temporal);
  });
});
