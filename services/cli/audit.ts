// `grants audit verify [--stream <flux> | --against <sauvegarde>]`: recomputes the hash chain of the
// whole log (or of one stream) with a progress bar on stderr, then says in French on stdout what was
// checked and, if anything was altered, every broken stream (the first broken event in full, a few
// more briefly) and how many events were left unchecked after them; with --against, also compares the
// log with a backup of it (againstBackup.ts). `grants audit digest [--upto <position>]`: the log's
// digest up to a position (infra/eventstore/anchor.ts), to keep apart from the data.
// Ctrl-C (SIGINT) or SIGTERM stops either at once and says how far it had read, with no verdict and no
// digest: a verification stopped half way proves nothing either way.
// Exit 0: intact; 1: altered; 2: bad usage; 130: interrupted.
import { existsSync } from 'node:fs';
import type { Config } from '../../infra/config/config';
import { createEventStore } from '../../infra/eventstore';
import { EventStoreBackendError } from '../../infra/eventstore/errors';
import { logDigest } from '../../infra/eventstore/anchor';
import { verifyIntegrity } from '../../infra/eventstore/integrity';
import type { EventStore } from '../../infra/eventstore/port';
import type { Logger } from '../../infra/logging/logger';
import { formatCount, type ProgressOutput } from '../../infra/projections/progress';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import {
  digestSummary,
  integrityNextSteps,
  integrityReasonLabels,
  integritySummary,
} from '../audit/integrity';
import { auditView } from '../audit/readOnly';
import { streamNameSchema } from '../audit/schemas';
import { verifyAgainstBackup } from './againstBackup';
import { readArguments } from './arguments';
import {
  closeProgressLine,
  countProgress,
  INTERRUPTED_EXIT_CODE,
  InterruptedError,
  listenForInterruption,
  processIo,
  type CliIo,
  type Interruption,
} from './io';
import { ManifestError, readBackupManifest, type BackupManifest } from './backupManifest';

export const auditUsage = `Usage : grants audit verify [--stream <flux> | --against <dossier de sauvegarde>]
        grants audit digest [--upto <position>]

Vérifie que le journal des événements n’a pas été altéré : chaque empreinte SHA-256 est recalculée
et son chaînage contrôlé, du premier au dernier événement (ou d’un seul flux). Une altération
n’arrête pas la vérification : chaque flux altéré est nommé à son premier événement altéré, ses
événements suivants sont comptés non vérifiés, et les autres flux continuent d’être vérifiés.

Options :
  --stream <flux>      un seul flux, ex. application-01JQ7Z8X9Y0A1B2C3D4E5F6G7H ou campaign-2027
  --against <dossier>  compare aussi le journal à une sauvegarde (grants backup) : jusqu’à son dernier
                       événement, il doit être celui qui a été sauvegardé. Décèle ce que les chaînes
                       seules ne montrent pas : la fin d’un flux réécrite avec ses empreintes
                       recalculées, ou coupée.

digest : l’empreinte du journal jusqu’à une position (par défaut, son dernier événement), la même
que celle qu’une sauvegarde note dans sauvegarde.json. Conservée ailleurs (un registre, une
délibération), elle ancre le journal : la recalculer plus tard montre s’il a été réécrit avant.

Ctrl-C interrompt la vérification ou le calcul de l’empreinte : la commande dit combien d’événements
elle avait lus, et ne donne ni verdict ni empreinte (code de sortie 130).

Code de sortie : 0 journal intact, 1 altération détectée (nommée), 2 usage incorrect, 130 interrompue
(aucun verdict).
`;

export async function runAudit(
  config: Config,
  logger: Logger,
  argv: string[],
  io: CliIo = processIo,
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined) {
    io.err.write(
      `Indiquez ce qu’il faut faire : grants audit verify ou grants audit digest.\n\n${auditUsage}`,
    );
    return 2;
  }
  if (subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
    io.out.write(auditUsage);
    return 0;
  }
  if (subcommand === 'digest') return runDigest(config, rest, io);
  if (subcommand !== 'verify') {
    io.err.write(`Sous-commande inconnue : ${subcommand}.\n\n${auditUsage}`);
    return 2;
  }
  const line = readArguments(rest, io, {
    options: { stream: { type: 'string' }, against: { type: 'string' } },
    usage: auditUsage,
    check: ({ stream, against }) => {
      if (stream !== undefined && against !== undefined)
        throw new Error(
          '--stream et --against ne vont pas ensemble : une sauvegarde se compare au journal entier.',
        );
      if (against !== undefined && config.eventStore.kind !== 'sqlite')
        throw new Error(
          '--against compare une sauvegarde du journal SQLite (grants backup) au journal SQLite.',
        );
      if (stream === undefined) return { stream, against };
      // The API's reading of a stream name: an application's id in lower case names the same stream.
      const named = streamNameSchema.safeParse(stream);
      if (!named.success)
        throw new Error(
          `--stream : nom de flux attendu, ex. application-01JQ7Z8X9Y0A1B2C3D4E5F6G7H (reçu : ${stream}).`,
        );
      return { stream: named.data, against };
    },
  });
  if ('exitCode' in line) return line.exitCode;
  const { stream, against } = line.args;

  // A backup to compare with is read first: a wrong folder is said before a long verification.
  let reference: BackupReference | undefined;
  if (against !== undefined) {
    try {
      reference = { dir: against, manifest: readBackupManifest(against) };
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      io.err.write(`${error.message}\n`);
      return 2;
    }
  }
  // How far the verification had gone, for what an interruption says.
  const reached: Reached = { phase: 'chains', read: 0, total: undefined };
  const interruption = listenForInterruption(io.signals);
  let log: AuditedLog | undefined;
  try {
    log = await interruption.race(openLogForAudit(config, io));
    if (log === undefined) return 2;
    return await verify(log, { stream, reference }, io, logger, interruption, reached);
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    io.err.write(`${closeProgressLine(io.err)}${verificationInterrupted(reached)}\n`);
    logger.warn(
      { audit: { signal: error.signal, phase: reached.phase, read: reached.read, total: reached.total } },
      'vérification interrompue, aucun verdict',
    );
    return INTERRUPTED_EXIT_CODE;
  } finally {
    interruption.dispose();
    await log?.close();
  }
}

/** A backup to compare the log with (--against): its folder and its manifest, read. */
interface BackupReference {
  dir: string;
  manifest: BackupManifest;
}

/** Where a verification stands: which pass, how many events it has read, of how many (when known). */
interface Reached {
  phase: 'chains' | 'backup';
  read: number;
  total: number | undefined;
}

/** What an interrupted verification says: how far it went, and that it gives no verdict. */
function verificationInterrupted({ phase, read, total }: Reached): string {
  const counted = phase === 'chains' ? 'lu' : 'comparé';
  const howFar =
    read === 0
      ? `avant le premier événement ${counted}`
      : `après ${formatCount(read)} événement${read > 1 ? `s ${counted}s` : ` ${counted}`}` +
        (total === undefined ? '' : ` sur ${formatCount(total)}`);
  return phase === 'chains'
    ? `Vérification interrompue ${howFar} : aucun verdict, le journal n’est déclaré ni intact ni ` +
        'altéré (relancez grants audit verify pour en avoir un).'
    : `Comparaison avec la sauvegarde interrompue ${howFar} : aucun verdict sur la sauvegarde, celui des ` +
        'chaînes d’empreintes est donné ci-dessus (relancez grants audit verify --against pour l’avoir).';
}

/** The verification itself, on the opened log; stopped by the interruption (its InterruptedError). */
async function verify(
  log: AuditedLog,
  { stream, reference }: { stream: string | undefined; reference: BackupReference | undefined },
  io: CliIo,
  logger: Logger,
  interruption: Interruption,
  reached: Reached,
): Promise<number> {
  const { store } = log;
  // SQLite numbers positions 1…n, so its head is the count; EventStoreDB's positions are byte
  // offsets, which say nothing of how many events there are.
  const total =
    stream !== undefined
      ? (await interruption.race(store.readStream(stream, { raw: true }))).length
      : log.kind === 'sqlite'
        ? Number(await store.headPosition())
        : undefined;
  if (stream !== undefined && total === 0) {
    io.err.write(`Le flux ${stream} n’existe pas (aucun événement) : rien à vérifier.\n`);
    return 2;
  }
  reached.total = total;
  const progress = verificationProgress(io.err, total);
  // Not waited for once interrupted: what it was reading is dropped with the process (main exits).
  const result = await interruption.race(
    verifyIntegrity(store, {
      ...(stream === undefined ? {} : { stream }),
      onProgress: (read) => {
        reached.read = read;
        progress(read, false);
      },
      progressEvery: 1000,
    }),
  );
  interruption.check();
  // Every event read, the unchecked ones too: the bar ends where the log does.
  progress(result.checked + result.unchecked, true);
  io.out.write(`${integritySummary(result, stream)}\n`);
  const nextSteps = integrityNextSteps(result);
  if (nextSteps.length > 0)
    io.out.write(`Que faire :\n${nextSteps.map((step, i) => `  ${i + 1}. ${step}`).join('\n')}\n`);
  let matchesBackup = true;
  if (reference !== undefined) {
    let progressOf: ((checked: number, done: boolean) => void) | undefined;
    let compared = 0;
    Object.assign(reached, { phase: 'backup', read: 0, total: reference.manifest.journal.events });
    const verdict = await interruption.race(
      verifyAgainstBackup(store, reference, io, (n, total) => {
        progressOf ??= verificationProgress(io.err, total);
        compared = n;
        reached.read = n;
        progressOf(n, false);
      }),
    );
    interruption.check();
    progressOf?.(compared, true);
    io.out.write(`${verdict.summary}\n`);
    matchesBackup = verdict.ok;
    const fields = { audit: { against: reference.dir, summary: verdict.summary } };
    if (verdict.ok) logger.info(fields, 'journal conforme à la sauvegarde');
    else logger.error(fields, 'journal différent de la sauvegarde');
  }
  const broken = result.firstBroken;
  if (broken === undefined) {
    if (!matchesBackup) return 1;
    logger.info({ audit: { checked: result.checked, stream } }, 'intégrité du journal vérifiée');
    return 0;
  }
  logger.error(
    {
      audit: {
        checked: result.checked,
        unchecked: result.unchecked,
        brokenStreams: result.brokenStreams,
        // The first broken event, as before; the next few broken streams by name.
        stream: broken.stream,
        revision: String(broken.revision),
        position: String(broken.position),
        eventId: broken.eventId,
        reason: broken.reason,
        otherBrokenStreams: result.broken.slice(1, 11).map((b) => b.stream),
      },
    },
    result.brokenStreams > 1
      ? `altération du journal : ${result.brokenStreams} flux altérés, le premier : ${integrityReasonLabels[broken.reason]}`
      : `altération du journal : ${integrityReasonLabels[broken.reason]}`,
  );
  return 1;
}

/**
 * The verification's progress line, `[#####.....] 45 % 123 456 / 270 000 événements lus · 98 000
 * év./s · reste 2 s` (countProgress). « Lus », not « vérifiés »: the events after a stream's first
 * break are read and counted here, but not verified (the report says how many).
 */
export const verificationProgress = (
  output: ProgressOutput,
  total: number | undefined,
  now?: () => number,
): ((checked: number, done: boolean) => void) =>
  countProgress(output, total, { counted: 'événements lus', rate: 'év./s' }, now);

export interface AuditedLog {
  /** Read-only (services/audit/readOnly.ts). */
  store: EventStore;
  kind: EventStore['kind'];
  close(): Promise<void>;
}

/**
 * The configured log, opened read-only for the audit; undefined once the reason is written to
 * stderr (the caller exits 2: a log that cannot be read is not a log found altered, which is 1).
 */
export async function openLogForAudit(
  config: Config,
  io: { err: { write(chunk: string): unknown } },
): Promise<AuditedLog | undefined> {
  const missing = missingStoreMessage(config);
  if (missing !== undefined) {
    io.err.write(missing);
    return undefined;
  }
  // Read-only down to the file: an auditor's account may have no right to write the data.
  let opened: EventStore;
  try {
    opened = await createEventStore(config.eventStore, {
      registry: createGrantsEventRegistry(),
      readOnly: true,
    });
  } catch (error) {
    if (!(error instanceof EventStoreBackendError)) throw error;
    io.err.write(`${error.message}\n`);
    return undefined;
  }
  return { store: auditView(opened), kind: opened.kind, close: () => opened.close() };
}

/**
 * Opening a SQLite file that is not there would create an empty log and report it intact: say
 * instead that there is nothing at that path. Undefined when the store can be opened.
 */
export function missingStoreMessage(config: Config): string | undefined {
  if (config.eventStore.kind !== 'sqlite' || existsSync(config.eventStore.file)) return undefined;
  return (
    `Aucun journal d’événements à ${config.eventStore.file} : vérifiez GRANTS_DATA_DIR ` +
    '(ou EVENTSTORE_CONNECTION_STRING pour EventStoreDB).\n'
  );
}

/** `grants audit digest [--upto <position>]`: exit 0, or 2 on bad usage or a position past the head. */
async function runDigest(config: Config, argv: string[], io: CliIo): Promise<number> {
  const line = readArguments(argv, io, {
    options: { upto: { type: 'string' } },
    usage: auditUsage,
    check: (values) => {
      if (values.upto === undefined) return { upTo: undefined };
      if (!/^\d+$/.test(values.upto))
        throw new Error(`--upto attend une position (un entier), pas « ${values.upto} ».`);
      return { upTo: BigInt(values.upto) };
    },
  });
  if ('exitCode' in line) return line.exitCode;
  const { upTo } = line.args;
  let read = 0;
  let total: number | undefined;
  const interruption = listenForInterruption(io.signals);
  let log: AuditedLog | undefined;
  try {
    log = await interruption.race(openLogForAudit(config, io));
    if (log === undefined) return 2;
    const { store } = log;
    const head = await store.headPosition();
    if (upTo !== undefined && upTo > head) {
      io.err.write(`Le journal s’arrête à la position ${head} : pas d’empreinte jusqu’à ${upTo}.\n`);
      return 2;
    }
    total = log.kind === 'sqlite' ? Number(upTo ?? head) : undefined;
    const progress = verificationProgress(io.err, total);
    const result = await interruption.race(
      logDigest(store, upTo ?? head, (n) => {
        read = n;
        progress(n, false);
      }),
    );
    interruption.check();
    progress(result.events, true);
    io.out.write(`${digestSummary(result)}\n`);
    return result.firstMismatch === undefined ? 0 : 1;
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    const howFar =
      read === 0
        ? 'avant le premier événement lu'
        : `après ${formatCount(read)} événement${read > 1 ? 's lus' : ' lu'}` +
          (total === undefined ? '' : ` sur ${formatCount(total)}`);
    io.err.write(
      `${closeProgressLine(io.err)}Calcul de l’empreinte interrompu ${howFar} : aucune empreinte ` +
        '(relancez grants audit digest pour l’avoir).\n',
    );
    return INTERRUPTED_EXIT_CODE;
  } finally {
    interruption.dispose();
    await log?.close();
  }
}
