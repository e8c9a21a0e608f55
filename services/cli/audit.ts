// `grants audit verify [--stream <flux>]`: recomputes the hash chain of the whole log (or of one
// stream) with a progress bar on stderr, then says in French on stdout what was checked and, if
// anything was altered, the first broken event. Exit 0: intact; 1: altered; 2: bad usage.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../../infra/config/config';
import { createEventStore } from '../../infra/eventstore';
import { verifyIntegrity } from '../../infra/eventstore/integrity';
import type { Logger } from '../../infra/logging/logger';
import {
  formatBar,
  formatCount,
  formatDuration,
  type ProgressOutput,
} from '../../infra/projections/progress';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { integrityReasonLabels, integritySummary } from '../audit/integrity';
import { auditView } from '../audit/readOnly';

export const auditUsage = `Usage : grants audit verify [--stream <flux>]

Vérifie que le journal des événements n’a pas été altéré : chaque empreinte SHA-256 est recalculée
et son chaînage contrôlé, du premier au dernier événement (ou d’un seul flux).

Options :
  --stream <flux>   un seul flux, ex. application-01JQ7Z8X9Y0A1B2C3D4E5F6G7H ou campaign-2027

Code de sortie : 0 journal intact, 1 altération détectée (nommée), 2 usage incorrect.
`;

export interface CliIo {
  /** The result, for people or a pipe. */
  out: { write(chunk: string): unknown };
  /** Progress and explanations. */
  err: ProgressOutput;
}

const processIo: CliIo = { out: process.stdout, err: process.stderr };

export async function runAudit(
  config: Config,
  logger: Logger,
  argv: string[],
  io: CliIo = processIo,
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
    io.out.write(auditUsage);
    return subcommand === undefined ? 2 : 0;
  }
  if (subcommand !== 'verify') {
    io.err.write(`Sous-commande inconnue : ${subcommand}.\n\n${auditUsage}`);
    return 2;
  }
  let stream: string | undefined;
  try {
    const { values } = parseArgs({
      args: rest,
      options: { stream: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out.write(auditUsage);
      return 0;
    }
    stream = values.stream;
  } catch (error) {
    io.err.write(`${error instanceof Error ? error.message : String(error)}\n\n${auditUsage}`);
    return 2;
  }

  const missing = missingStoreMessage(config);
  if (missing !== undefined) {
    io.err.write(missing);
    return 2;
  }
  const opened = await createEventStore(config.eventStore, { registry: createGrantsEventRegistry() });
  const store = auditView(opened);
  try {
    // SQLite numbers positions 1…n, so its head is the count; EventStoreDB's positions are byte
    // offsets, which say nothing of how many events there are.
    const total =
      stream !== undefined
        ? (await store.readStream(stream, { raw: true })).length
        : opened.kind === 'sqlite'
          ? Number(await store.headPosition())
          : undefined;
    if (stream !== undefined && total === 0) {
      io.err.write(`Le flux ${stream} n’existe pas (aucun événement) : rien à vérifier.\n`);
      return 2;
    }
    const progress = verificationProgress(io.err, total);
    const result = await verifyIntegrity(store, {
      ...(stream === undefined ? {} : { stream }),
      onProgress: (checked) => progress(checked, false),
      progressEvery: 1000,
    });
    progress(result.checked, true);
    io.out.write(`${integritySummary(result, stream)}\n`);
    const broken = result.firstBroken;
    if (broken === undefined) {
      logger.info({ audit: { checked: result.checked, stream } }, 'intégrité du journal vérifiée');
      return 0;
    }
    logger.error(
      {
        audit: {
          checked: result.checked,
          stream: broken.stream,
          revision: String(broken.revision),
          position: String(broken.position),
          eventId: broken.eventId,
          reason: broken.reason,
        },
      },
      `altération du journal : ${integrityReasonLabels[broken.reason]}`,
    );
    return 1;
  } finally {
    await opened.close();
  }
}

/**
 * The progress line, `[#####.....] 45 % 123 456 / 270 000 événements vérifiés · 98 000 év./s · reste 2 s`
 * (without the bar when the total is unknown): redrawn in place on a terminal, one line every few
 * seconds in a file or a pipe.
 */
export function verificationProgress(
  output: ProgressOutput,
  total: number | undefined,
  now: () => number = () => Date.now(),
): (checked: number, done: boolean) => void {
  const tty = output.isTTY === true;
  const interval = tty ? 100 : 5000;
  const started = now();
  let last = Number.NEGATIVE_INFINITY;
  return (checked, done) => {
    const t = now();
    if (!done && t - last < interval) return;
    last = t;
    const elapsedMs = Math.max(1, t - started);
    const rate = (checked * 1000) / elapsedMs;
    const parts: string[] = [];
    if (total === undefined) {
      parts.push(`${formatCount(checked)} événements vérifiés`);
    } else {
      const ratio = total === 0 ? 1 : Math.min(1, checked / total);
      parts.push(
        `${formatBar(ratio)} ${Math.floor(ratio * 100)} % ${formatCount(checked)} / ${formatCount(Math.max(total, checked))} événements vérifiés`,
      );
    }
    parts.push(`${formatCount(Math.round(rate))} év./s`);
    if (done) parts.push(`terminé en ${formatDuration(elapsedMs / 1000)}`);
    else if (total !== undefined && rate > 0) parts.push(`reste ${formatDuration((total - checked) / rate)}`);
    const line = parts.join(' · ');
    if (tty) {
      const width = output.columns ?? 0;
      const shown = width > 0 && line.length >= width ? line.slice(0, width - 1) : line;
      output.write(`\r${shown}\x1b[K${done ? '\n' : ''}`);
    } else {
      output.write(`${line}\n`);
    }
  };
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
