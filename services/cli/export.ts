// `grants export scdl --year 2027 [--output f.csv] [--above-threshold] [--attribuants f.json]
// [--allow-incomplete] [--as-of …]` and
// `grants export ledger [--output f.csv] [--from …] [--to …] [--time …] [--funder …] [--campaign …]`:
// the open-data file and the funding ledger, written to a file (or stdout, for a pipe). A file is
// written under a temporary name and renamed at the end, so an interrupted export never leaves a
// half file that looks complete (Ctrl-C or SIGTERM removes it, says so, exit 130); the file's folder
// is checked before the log is read. An SCDL file missing a mandatory value is not written unless
// asked for (exit code 1), as the API refuses it. A pipe closed by its reader (`| head -1`) ends the
// export quietly (exit 0). Summaries and warnings go to stderr; the usage, asked with --help, to stdout.
import { once } from 'node:events';
import { accessSync, constants, createWriteStream, rmSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { funderIdSchema } from '../../domain/shared/funders';
import { ConfigError, type Config } from '../../infra/config/config';
import type { EventStore } from '../../infra/eventstore/port';
import type { Logger } from '../../infra/logging/logger';
import { formatCount } from '../../infra/projections/progress';
import { frenchInstant, resolveInstant, timeAxes, type TimeAxis } from '../audit/asOf';
import {
  attribuantDirectory,
  AttribuantsFileError,
  attribuantsFileExample,
  configuredAttribuants,
  readAttribuantsFile,
  type AttribuantDirectory,
} from '../audit/attribuants';
import { chunked, csvRecord } from '../audit/csv';
import { campaignInLog, campaignNotInLog, ledgerEntries, type LedgerQuery } from '../audit/ledger';
import { ledgerCsvColumns, ledgerCsvRecord } from '../audit/ledgerCsv';
import { ledgerCsvQuery } from '../audit/schemas';
import { readArguments } from './arguments';
import {
  closeProgressLine,
  countProgress,
  INTERRUPTED_EXIT_CODE,
  InterruptedError,
  listenForInterruption,
  type Interruption,
  type SignalSource,
} from './io';
import { openLogForAudit, type AuditedLog } from './audit';
import {
  PUBLICATION_THRESHOLD_CENTS,
  scdlCsv,
  scdlExport,
  scdlIncompleteSummary,
  SCDL_SUBVENTIONS_VERSION,
} from '../audit/scdl';

export const exportUsage = `Usage : grants export <scdl | ledger> [options]

  grants export scdl --year <AAAA> [--output <fichier.csv>] [--above-threshold] [--attribuants <fichier.json>]
                    [--allow-incomplete] [--as-of <date>]
      Subventions attribuées (conventions entrées en vigueur cette année-là) au format SCDL
      « subventions » ${SCDL_SUBVENTIONS_VERSION}, une ligne par bénéficiaire et financeur.
      --above-threshold   seulement les subventions à publier obligatoirement : plus de
                          ${formatCount(PUBLICATION_THRESHOLD_CENTS / 100)} € par an pour la convention, ou en cumul pour un même
                          financeur et un même bénéficiaire
      --attribuants       noms officiels et SIRET des financeurs, en JSON, par-dessus ceux de
                          GRANTS_ATTRIBUANTS_FILE : { "ETAT": { "nom": "…", "siret": "12345678900012" }, … }
      --allow-incomplete  écrire le fichier même si un financeur n’a pas de SIRET connu
                          (idAttribuant, obligatoire) ; sans elle, rien n’est écrit (code 1)
      --as-of             le fichier tel qu’il pouvait être tiré à cette date (fin du jour, heure de
                          Paris) ou à cet instant, des événements enregistrés jusque-là : un fichier
                          publié ce jour-là se retrouve à l’identique

  grants export ledger [--output <fichier.csv>] [--from <date>] [--to <date>] [--time business|record]
                       [--funder <code>] [--campaign <id>]
      Grand livre des financements (enveloppes, réservations, positions, attributions, versements,
      reversements), dans l’ordre du journal. Dates : 2027-06-30 ou 2027-06-30T12:00:00+02:00 ;
      --time business (défaut) filtre sur la date métier, record sur la date d’enregistrement.

Sans --output, le CSV est écrit sur la sortie standard. Le dossier de --output doit exister.
Ctrl-C interrompt l’export sans laisser de fichier (code de sortie 130).

Code de sortie : 0 écrit, 1 export SCDL incomplet refusé, 2 usage incorrect, 130 interrompu.
`;

export interface ExportIo {
  /** Where the CSV goes without --output. */
  out: NodeJS.WritableStream;
  /** Summaries and warnings. */
  err: { write(chunk: string): unknown; isTTY?: boolean };
  /** Where Ctrl-C (SIGINT) and SIGTERM come from: the process when not given. */
  signals?: SignalSource;
}

const processIo: ExportIo = { out: process.stdout, err: process.stderr };

class UsageError extends Error {}

/** The partial file an export to `output` writes before renaming it. */
const partialOf = (output: string): string => `${output}.partiel`;

/** Whether the chunks were all written, or the reader of stdout went away first (a closed pipe). */
type Written = 'written' | 'reader gone';

/**
 * Writes the chunks with backpressure, to a temporary file renamed at the end, or to `io.out`;
 * stops between two chunks when interrupted (InterruptedError, the temporary file removed).
 */
async function writeOut(
  chunks: Iterable<string> | AsyncIterable<string>,
  output: string | undefined,
  io: ExportIo,
  interruption: Interruption,
): Promise<Written> {
  if (output === undefined) return writeToStdout(chunks, io.out, interruption);
  const partial = partialOf(output);
  const file = createWriteStream(partial, { encoding: 'utf8' });
  const closed = once(file, 'close');
  try {
    for await (const chunk of chunks) {
      interruption.check();
      if (!file.write(chunk)) await interruption.race(once(file, 'drain'));
    }
    file.end();
    await interruption.race(finished(file));
    interruption.check();
    await rename(partial, output);
  } catch (error) {
    // Closed before it is removed: a file still being opened would appear after the removal.
    if (!file.closed) {
      file.destroy();
      await closed.catch(() => undefined);
    }
    await rm(partial, { force: true });
    throw error;
  }
  return 'written';
}

const readerGone = (error: unknown): boolean =>
  (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

/** To stdout, until the chunks end or its reader goes away (EPIPE: `| head -1` has what it wanted). */
async function writeToStdout(
  chunks: Iterable<string> | AsyncIterable<string>,
  out: NodeJS.WritableStream,
  interruption: Interruption,
): Promise<Written> {
  let failure: Error | undefined;
  const onError = (error: Error): void => {
    failure ??= error;
  };
  out.on('error', onError);
  try {
    for await (const chunk of chunks) {
      interruption.check();
      if (!out.write(chunk)) await interruption.race(once(out, 'drain'));
      // The error of a write comes after it: seen before the next chunk is read.
      await new Promise<void>((done) => setImmediate(done));
      if (failure !== undefined) break;
    }
  } catch (error) {
    failure ??= error instanceof Error ? error : new Error(String(error));
  } finally {
    out.off('error', onError);
  }
  if (failure === undefined) return 'written';
  if (readerGone(failure)) return 'reader gone';
  throw failure;
}

/**
 * Why the file --output names cannot be written there, said before the log is read (a replay takes
 * seconds, and its work would be lost at the last step); undefined when it can.
 */
function outputProblem(output: string): string | undefined {
  const file = resolve(output);
  const folder = dirname(file);
  const nothingDone = 'rien n’a été lu ni écrit.';
  const notAFolder = (path: string): string =>
    `--output : ${path} n’est pas un dossier. Écrivez le fichier ailleurs ; ${nothingDone}`;
  try {
    if (!statSync(folder).isDirectory()) return notAFolder(folder);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      return `--output : le dossier ${folder} est inaccessible (${code ?? String(error)}) ; ${nothingDone}`;
    // The nearest existing part of the path may be a plain file (fichier/s.csv, fichier/a/s.csv).
    const blocking = firstNonFolder(folder);
    return blocking === undefined
      ? `--output : le dossier ${folder} n’existe pas. Créez-le, ou écrivez le fichier ailleurs ; ${nothingDone}`
      : notAFolder(blocking);
  }
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    return `--output : impossible d’écrire dans le dossier ${folder} (droits insuffisants). Écrivez le fichier ailleurs ; ${nothingDone}`;
  }
  try {
    if (statSync(file).isDirectory())
      return `--output : ${file} est un dossier ; donnez le chemin du fichier à écrire, ex. ${join(file, 'export.csv')}.`;
  } catch {
    // Not there yet: it will be.
  }
  return undefined;
}

/** The first component of `path` that exists and is not a folder, if one is. */
function firstNonFolder(path: string): string | undefined {
  let at = path;
  for (;;) {
    try {
      return statSync(at).isDirectory() ? undefined : at;
    } catch {
      const up = dirname(at);
      if (up === at) return undefined;
      at = up;
    }
  }
}

function instantOption(name: string, value: string | undefined, bound: 'start' | 'end'): string | undefined {
  if (value === undefined) return undefined;
  const resolved = resolveInstant(value, bound);
  if (resolved === undefined) {
    throw new UsageError(
      `--${name} : date (2027-06-30) ou instant ISO 8601 (2027-06-30T12:00:00+02:00) attendu.`,
    );
  }
  return resolved;
}

interface ScdlPlan {
  kind: 'scdl';
  year: number;
  output: string | undefined;
  aboveThresholdOnly: boolean;
  allowIncomplete: boolean;
  attribuants: AttribuantDirectory;
  asOf: string | undefined;
}

const scdlLine = {
  options: {
    year: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'above-threshold': { type: 'boolean' },
    attribuants: { type: 'string' },
    'allow-incomplete': { type: 'boolean' },
    'as-of': { type: 'string' },
  },
  usage: exportUsage,
  check: (values: {
    year?: string;
    output?: string;
    'above-threshold'?: boolean;
    attribuants?: string;
    'allow-incomplete'?: boolean;
    'as-of'?: string;
  }) => {
    if (values.year === undefined) {
      throw new UsageError('--year <AAAA> est obligatoire (année de la convention, ex. --year 2027).');
    }
    if (!/^\d{4}$/.test(values.year)) {
      throw new UsageError(`--year attend une année sur quatre chiffres (reçu : ${values.year}).`);
    }
    return {
      year: Number(values.year),
      output: values.output,
      aboveThresholdOnly: values['above-threshold'] === true,
      allowIncomplete: values['allow-incomplete'] === true,
      attribuantsFile: values.attribuants,
      asOf: instantOption('as-of', values['as-of'], 'end'),
    };
  },
} as const;

/**
 * The SCDL export's arguments, then its funders: the configured directory (GRANTS_ATTRIBUANTS_FILE, a
 * bad one being a bad setting) with the --attribuants file on top (a bad one being a usage mistake).
 */
function readScdlPlan(
  config: Config,
  argv: string[],
  io: ExportIo,
): { args: ScdlPlan } | { exitCode: number } {
  const line = readArguments(argv, io, scdlLine);
  if ('exitCode' in line) return line;
  const { attribuantsFile, ...args } = line.args;
  let configured: AttribuantDirectory;
  try {
    configured = configuredAttribuants(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err.write(`${error.message}\n`);
    return { exitCode: 2 };
  }
  try {
    const overrides = attribuantsFile === undefined ? {} : readAttribuantsFile(attribuantsFile);
    return { args: { kind: 'scdl', ...args, attribuants: attribuantDirectory(configured, overrides) } };
  } catch (error) {
    if (!(error instanceof AttribuantsFileError)) throw error;
    io.err.write(`${error.message}\n\n${exportUsage}`);
    return { exitCode: 2 };
  }
}

async function exportScdl(
  store: EventStore,
  plan: ScdlPlan,
  io: ExportIo,
  logger: Logger,
  interruption: Interruption,
): Promise<number> {
  const { year } = plan;
  let progress: ((count: number, done: boolean) => void) | undefined;
  // The replay cannot stop halfway: not waited for once interrupted (no file is open yet).
  const result = await interruption.race(
    scdlExport(store, {
      year,
      aboveThresholdOnly: plan.aboveThresholdOnly,
      attribuants: plan.attribuants,
      ...(plan.asOf === undefined ? {} : { asOf: plan.asOf }),
      onProgress: (replayed, total) => {
        // Given up: its progress would follow the message that says so.
        if (interruption.signal.aborted) return;
        progress ??= countProgress(io.err, total, { counted: 'conventions relues', rate: 'conv./s' });
        progress(replayed, replayed === total);
      },
    }),
  );
  const log = { kind: 'scdl', year, rows: result.rows.length, warnings: result.warnings.length };
  if (!result.complete && !plan.allowIncomplete) {
    io.err.write(
      `${scdlIncompleteSummary(result)} Aucun fichier écrit. Renseignez leur nom officiel et leur SIRET dans un ` +
        `fichier des attribuants (--attribuants <fichier.json>, ou GRANTS_ATTRIBUANTS_FILE pour tout le moteur : ` +
        `${attribuantsFileExample}) ; ou écrivez le fichier incomplet avec --allow-incomplete, à compléter avant ` +
        'publication.\n',
    );
    for (const warning of result.warnings) io.err.write(`Attention : ${warning}\n`);
    logger.warn({ export: { ...log, complete: false } }, 'export SCDL refusé : incomplet');
    return 1;
  }
  if ((await writeOut([scdlCsv(result.rows)], plan.output, io, interruption)) === 'reader gone') {
    logger.debug({ export: log }, 'export SCDL : sortie fermée par son lecteur');
    return 0;
  }
  const mandatory = result.rows.filter((r) => r.aboveThreshold).length;
  io.err.write(
    `Export SCDL « subventions » ${result.schemaVersion}, conventions de ${year}` +
      (result.asOf === undefined ? '' : `, tel qu’enregistré au ${frenchInstant(result.asOf)}`) +
      ' : ' +
      `${formatCount(result.rows.length)} ligne${result.rows.length > 1 ? 's' : ''} ` +
      `(dont ${formatCount(mandatory)} à publier obligatoirement, au-dessus de ` +
      `${formatCount(PUBLICATION_THRESHOLD_CENTS / 100)} € par an)` +
      (plan.output === undefined ? '.\n' : ` écrites dans ${plan.output}.\n`),
  );
  if (!result.complete) io.err.write(`Attention : fichier incomplet. ${scdlIncompleteSummary(result)}\n`);
  for (const warning of result.warnings) io.err.write(`Attention : ${warning}\n`);
  logger.info({ export: { ...log, complete: result.complete } }, 'export SCDL');
  return 0;
}

interface LedgerPlan {
  kind: 'ledger';
  query: LedgerQuery;
  output: string | undefined;
}

const ledgerLine = {
  options: {
    output: { type: 'string', short: 'o' },
    from: { type: 'string' },
    to: { type: 'string' },
    time: { type: 'string' },
    funder: { type: 'string' },
    campaign: { type: 'string' },
  },
  usage: exportUsage,
  check: (values: {
    output?: string;
    from?: string;
    to?: string;
    time?: string;
    funder?: string;
    campaign?: string;
  }): LedgerPlan => {
    const time: TimeAxis | undefined = timeAxes.find((axis) => axis === (values.time ?? 'business'));
    if (time === undefined) {
      throw new UsageError('--time : business (date métier) ou record (date d’enregistrement).');
    }
    if (values.funder !== undefined && !funderIdSchema.safeParse(values.funder).success) {
      throw new UsageError('--funder : ETAT, REGION, DEPARTEMENT, CAF, EPCI ou COMMUNE-<code INSEE>.');
    }
    const from = instantOption('from', values.from, 'start');
    const to = instantOption('to', values.to, 'end');
    // The API's own check (a period ending before it starts holds nothing), with its words.
    const period = ledgerCsvQuery.safeParse({
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(values.to === undefined ? {} : { to: values.to }),
    });
    if (!period.success) throw new UsageError(period.error.issues.map((i) => i.message).join(' '));
    return {
      kind: 'ledger',
      output: values.output,
      query: {
        time,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(values.funder === undefined ? {} : { funder: values.funder }),
        ...(values.campaign === undefined ? {} : { campaign: values.campaign }),
      },
    };
  },
} as const;

async function exportLedger(
  store: EventStore,
  plan: LedgerPlan,
  io: ExportIo,
  logger: Logger,
  interruption: Interruption,
): Promise<number> {
  const { query } = plan;
  if (query.campaign !== undefined && !(await interruption.race(campaignInLog(store, query.campaign)))) {
    io.err.write(`${campaignNotInLog(query.campaign)} Vérifiez --campaign ; aucun fichier écrit.\n`);
    return 2;
  }
  let entries = 0;
  // Progress by the log's position reached: the whole log is read, whatever the filters keep.
  const head = Number(await store.headPosition());
  const progress = countProgress(io.err, head, { counted: 'événements parcourus', rate: 'év./s' });
  async function* lines(): AsyncGenerator<string> {
    yield csvRecord(ledgerCsvColumns);
    for await (const entry of ledgerEntries(store, query)) {
      entries += 1;
      progress(Number(entry.position), false);
      yield ledgerCsvRecord(entry);
    }
    progress(head, true);
  }
  if ((await writeOut(chunked(lines()), plan.output, io, interruption)) === 'reader gone') {
    logger.debug({ export: { kind: 'ledger', entries } }, 'grand livre : sortie fermée par son lecteur');
    return 0;
  }
  io.err.write(
    `Grand livre des financements : ${formatCount(entries)} écriture${entries > 1 ? 's' : ''}` +
      (plan.output === undefined ? '.\n' : ` écrites dans ${plan.output}.\n`),
  );
  logger.info({ export: { kind: 'ledger', entries } }, 'export du grand livre');
  return 0;
}

export async function runExport(
  config: Config,
  logger: Logger,
  argv: string[],
  io: ExportIo = processIo,
): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === '--help' || kind === '-h' || kind === 'help') {
    io.out.write(exportUsage);
    return 0;
  }
  if (kind === undefined) {
    io.err.write(`Indiquez l’export : scdl ou ledger.\n\n${exportUsage}`);
    return 2;
  }
  if (kind !== 'scdl' && kind !== 'ledger') {
    io.err.write(`Export inconnu : ${kind}.\n\n${exportUsage}`);
    return 2;
  }
  // Arguments first: a typo must not open (or create) the event store.
  const plan = kind === 'scdl' ? readScdlPlan(config, rest, io) : readArguments(rest, io, ledgerLine);
  if ('exitCode' in plan) return plan.exitCode;
  const { output } = plan.args;
  const problem = output === undefined ? undefined : outputProblem(output);
  if (problem !== undefined) {
    io.err.write(`${problem}\n`);
    return 2;
  }
  const interrupted = (): string =>
    `${closeProgressLine(io.err)}Export interrompu : ` +
    (output === undefined ? 'la sortie standard est incomplète.' : `${output} n’a pas été écrit.`) +
    '\n';
  // Listening from before the log is opened (on EventStoreDB, up to 10 s to reach it): Ctrl-C then is
  // said as at any other moment.
  const interruption = listenForInterruption(io.signals, {
    onSecond: () => {
      if (output !== undefined) rmSync(partialOf(output), { force: true });
      io.err.write(interrupted());
    },
  });
  let log: AuditedLog | undefined;
  try {
    log = await interruption.race(openLogForAudit(config, io));
    if (log === undefined) return 2;
    const { store } = log;
    return plan.args.kind === 'scdl'
      ? await exportScdl(store, plan.args, io, logger, interruption)
      : await exportLedger(store, plan.args, io, logger, interruption);
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    io.err.write(interrupted());
    logger.warn({ export: { kind, signal: error.signal } }, 'export interrompu, rien d’écrit');
    return INTERRUPTED_EXIT_CODE;
  } finally {
    interruption.dispose();
    await log?.close();
  }
}
