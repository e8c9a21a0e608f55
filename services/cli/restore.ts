// `grants restore <dossier>`: puts a backup (`grants backup`) back in place of the data, engine
// stopped. By hand it is easy to get wrong: a restored events.sqlite beside the old events.sqlite-wal
// takes the old WAL's pages for its own, and a log restored without its Temporal base (or the other
// way round) leaves workflows and log disagreeing. So: the backup's files are checked against its
// manifest (SHA-256) first; the engine must not answer on its ports; the files replaced (with their
// -wal and -shm, and the read models, which are rebuilt from the restored log at the next start)
// are moved aside into `avant-restauration-<date>/`, never deleted; the copies are written under a
// temporary name and renamed into place. That folder is this run's own (created, never reused: a
// second restore in the same second gets `…-2`), and nothing is ever moved onto a file already there.
import { connect } from 'node:net';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Config } from '../../infra/config/config';
import { sha256OfFile } from '../../infra/backup/sqliteSnapshot';
import type { Logger } from '../../infra/logging/logger';
import { formatCount } from '../../infra/projections/progress';
import { leftoverTemporalServer, runningEngine, unusableDataDir } from '../engineLock';
import { readArguments } from './arguments';
import { processIo, type CliIo } from './io';
import {
  ManifestError,
  backupLabel,
  fileStamp,
  readBackupManifest,
  type BackupManifest,
} from './backupManifest';

export const restoreUsage = `Usage : grants restore <dossier de sauvegarde>

Remet en place une sauvegarde faite par grants backup, moteur arrêté :
  - vérifie chaque fichier de la sauvegarde contre son manifeste (SHA-256) ;
  - refuse si le moteur tourne (son verrou, ses ports), ou le serveur Temporal qu’un moteur arrêté
    brutalement a laissé (arrêtez-les d’abord) ;
  - déplace les fichiers actuels (journal, base Temporal, modèles de lecture, avec leurs -wal et
    -shm) dans <GRANTS_DATA_DIR>/avant-restauration-<date et heure UTC>/ (un dossier neuf à chaque
    restauration : -2, -3… dans la même seconde), sans rien effacer ;
  - copie la sauvegarde à leur place. Au démarrage suivant, les vues sont reconstruites depuis le
    journal restauré.

Code de sortie : 0 restauré, 1 échec (rien n’a été déplacé), 2 usage incorrect, moteur (ou son
serveur Temporal) démarré, ou dossier de données où écrire est impossible.
`;

const SQLITE_COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * This run's own folder for the files it replaces: created, never an existing one (a second restore
 * in the same second would otherwise move its files onto the first one's, the original log among
 * them), so `-2`, `-3`… when the name is taken.
 */
function createAsideFolder(dataDir: string, stamp: string): string {
  mkdirSync(dataDir, { recursive: true });
  for (let n = 1; n < 1000; n++) {
    const aside = join(dataDir, `avant-restauration-${stamp}${n === 1 ? '' : `-${n}`}`);
    try {
      mkdirSync(aside);
      return aside;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`Trop de dossiers avant-restauration-${stamp}-… dans ${dataDir}.`);
}

/** Moves a file, refusing (never overwriting) when something already has the name it goes to. */
function moveWithoutOverwriting(from: string, to: string): void {
  if (lstatSync(to, { throwIfNoEntry: false }) !== undefined)
    throw new Error(`${to} existe déjà : ${from} n’a pas été déplacé dessus, rien n’est écrasé`);
  renameSync(from, to);
}

/** Whether something accepts connections on host:port (the engine's HTTP or Temporal port). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (result: boolean) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export async function runRestore(
  config: Config,
  logger: Logger,
  argv: string[],
  io: CliIo = processIo,
  clock: () => Date = () => new Date(),
): Promise<number> {
  const line = readArguments(argv, io, {
    options: {},
    positionals: true,
    usage: restoreUsage,
    check: (_values, positionals) => {
      if (positionals.length !== 1) throw new Error('Indiquez un dossier de sauvegarde, et un seul.');
      return { dir: resolve(positionals[0]!) };
    },
  });
  if ('exitCode' in line) return line.exitCode;
  const { dir } = line.args;
  if (config.eventStore.kind !== 'sqlite' || config.temporal.address !== undefined) {
    io.err.write(
      'grants restore remet en place le journal SQLite et la base du serveur Temporal embarqué ; ' +
        'avec EventStoreDB ou un serveur Temporal externe, restaurez-les avec leurs propres outils, ensemble.\n',
    );
    return 2;
  }

  let manifest: BackupManifest;
  try {
    manifest = readBackupManifest(dir);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    io.err.write(`${error.message}\n`);
    return 2;
  }
  for (const role of ['events', 'temporal'] as const)
    if (!manifest.files.some((f) => f.role === role)) {
      io.err.write(
        `La sauvegarde ${dir} n’a pas de ${role === 'events' ? 'journal' : 'base Temporal'} : restaurer l’un ` +
          'sans l’autre laisserait les workflows et le journal en désaccord ; rien n’a été touché.\n',
      );
      return 1;
    }

  const targets = { events: config.eventStore.file, temporal: config.temporal.devServerDbFile };
  for (const f of manifest.files) {
    const file = join(dir, f.file);
    if (!existsSync(file)) {
      io.err.write(`${file} manque : cette sauvegarde est incomplète, rien n’a été touché.\n`);
      return 1;
    }
    if ((await sha256OfFile(file)) !== f.sha256) {
      io.err.write(
        `${file} n’a plus l’empreinte SHA-256 que le manifeste a notée : il a été modifié depuis la ` +
          'sauvegarde, rien n’a été touché.\n',
      );
      return 1;
    }
  }
  // The engine's lock says it runs, whatever ports it was given; the ports catch an engine older
  // than the lock, or one started with another GRANTS_DATA_DIR spelling of the same folder.
  const running = runningEngine(config.dataDir);
  if (running !== undefined) {
    io.err.write(
      `Le moteur tourne sur ${config.dataDir} (processus ${running}) : arrêtez-le avant de restaurer.\n`,
    );
    return 2;
  }
  // An engine killed with kill -9 leaves its Temporal server running, on the Temporal database, on
  // whatever port it was given: named as what it is, not as an engine that runs.
  const leftover = leftoverTemporalServer(config.dataDir);
  if (leftover !== undefined) {
    io.err.write(
      `Le moteur qui tournait sur ${config.dataDir} (processus ${leftover.enginePid}) a été arrêté ` +
        `brutalement et a laissé son serveur Temporal (processus ${leftover.pid}` +
        `${leftover.address === undefined ? '' : `, ${leftover.address}`}) en marche sur la base Temporal : ` +
        'arrêtez-le avant de restaurer, soit par grants start (qui l’arrête avant de démarrer), puis Ctrl-C, ' +
        `soit par kill ${leftover.pid}.\n`,
    );
    return 2;
  }
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  for (const [what, port] of [
    ['l’API', config.http.port],
    ['le serveur Temporal', config.temporal.devServerPort],
  ] as const) {
    if (await answers(host, port)) {
      io.err.write(
        `Le moteur semble démarré (${what} répond sur ${host}:${port}) : arrêtez-le avant de restaurer.\n`,
      );
      return 2;
    }
  }

  // The files replaced, moved aside whole: the restored ones must not meet their -wal or -shm.
  let aside: string;
  try {
    aside = createAsideFolder(config.dataDir, fileStamp(clock()));
  } catch (error) {
    const unusable = unusableDataDir(
      config.dataDir,
      error,
      'en créant le dossier où mettre de côté les fichiers remplacés',
    );
    if (unusable === undefined) throw error;
    io.err.write(`${unusable.message}\n`);
    return 2;
  }
  const moved: string[] = [];
  const placed: string[] = [];
  try {
    for (const file of [targets.events, targets.temporal, config.readModels.file])
      for (const suffix of SQLITE_COMPANIONS)
        if (existsSync(file + suffix)) {
          moveWithoutOverwriting(file + suffix, join(aside, basename(file) + suffix));
          moved.push(file + suffix);
        }
    for (const f of manifest.files) {
      const target = targets[f.role];
      copyFileSync(join(dir, f.file), `${target}.restauration`);
      renameSync(`${target}.restauration`, target);
      placed.push(target);
    }
  } catch (error) {
    // Half a restore is worse than none: the copies go, the files moved aside come back.
    for (const target of Object.values(targets)) {
      const partial = `${target}.restauration`;
      if (existsSync(partial) && statSync(partial).isFile()) rmSync(partial);
    }
    for (const target of placed) rmSync(target, { force: true });
    const stranded: string[] = [];
    for (const file of moved)
      try {
        moveWithoutOverwriting(join(aside, basename(file)), file);
      } catch {
        stranded.push(file);
      }
    if (readdirSync(aside).length === 0) rmdirSync(aside);
    io.err.write(
      `Restauration interrompue (${error instanceof Error ? error.message : String(error)}) : ` +
        (stranded.length === 0
          ? 'les fichiers en place avant ont été remis.\n'
          : `les fichiers en place avant ont été remis, sauf ${stranded.join(', ')}, restés dans ${aside}.\n`),
    );
    return 1;
  }

  // Into a new data directory nothing was replaced: no empty folder left to wonder about.
  if (moved.length === 0) rmdirSync(aside);
  const lines = [
    `Restauré depuis ${dir} (${backupLabel(manifest)}, journal de ${formatCount(manifest.journal.events)} événements) :`,
    ...manifest.files.map((f) => `  ${targets[f.role]}`),
    moved.length > 0
      ? `Les fichiers remplacés sont dans ${aside}.`
      : 'Aucun fichier n’était en place : rien n’a été remplacé.',
    'Au prochain démarrage, les vues sont reconstruites depuis le journal restauré.',
  ];
  if (manifest.recordedDuringBackup.length > 0)
    lines.push(
      `Flux écrits pendant la sauvegarde, à revoir (le journal peut y avoir un pas que leur workflow ignore) : ` +
        `${manifest.recordedDuringBackup.join(', ')}.`,
    );
  io.out.write(`${lines.join('\n')}\n`);
  logger.info({ restore: { from: dir, aside, moved: moved.length } }, 'sauvegarde restaurée');
  return 0;
}
