// `grants export scdl --year 2027 [--output f.csv] [--above-threshold] [--attribuants f.json]
// [--allow-incomplete] [--as-of …]` and
// `grants export ledger [--output f.csv] [--from …] [--to …] [--time …] [--funder …] [--campaign …]`:
// the open-data file and the funding ledger, written to a file (or stdout, for a pipe). A file is
// written under a temporary name and renamed at the end, so an interrupted export never leaves a
// half file that looks complete; an SCDL file missing a mandatory value is not written unless asked
// for (exit code 1), as the API refuses it. Summaries and warnings go to stderr; the usage, asked
// with --help, to stdout.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
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
import { readArguments } from './arguments';
import { countProgress } from './io';
import { openLogForAudit } from './audit';
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

Sans --output, le CSV est écrit sur la sortie standard.
`;

export interface ExportIo {
  /** Where the CSV goes without --output. */
  out: NodeJS.WritableStream;
  /** Summaries and warnings. */
  err: { write(chunk: string): unknown };
}

const processIo: ExportIo = { out: process.stdout, err: process.stderr };

class UsageError extends Error {}

/** Writes the chunks with backpressure, to a temporary file renamed at the end, or to `io.out`. */
async function writeOut(
  chunks: Iterable<string> | AsyncIterable<string>,
  output: string | undefined,
  io: ExportIo,
): Promise<void> {
  if (output === undefined) {
    for await (const chunk of chunks) {
      if (!io.out.write(chunk)) await once(io.out, 'drain');
    }
    return;
  }
  const partial = `${output}.partiel`;
  const file = createWriteStream(partial, { encoding: 'utf8' });
  try {
    for await (const chunk of chunks) {
      if (!file.write(chunk)) await once(file, 'drain');
    }
    file.end();
    await finished(file);
    await rename(partial, output);
  } catch (error) {
    file.destroy();
    await rm(partial, { force: true });
    throw error;
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

async function exportScdl(store: EventStore, plan: ScdlPlan, io: ExportIo, logger: Logger): Promise<number> {
  const { year } = plan;
  let progress: ((count: number, done: boolean) => void) | undefined;
  const result = await scdlExport(store, {
    year,
    aboveThresholdOnly: plan.aboveThresholdOnly,
    attribuants: plan.attribuants,
    ...(plan.asOf === undefined ? {} : { asOf: plan.asOf }),
    onProgress: (replayed, total) => {
      progress ??= countProgress(io.err, total, { counted: 'conventions relues', rate: 'conv./s' });
      progress(replayed, replayed === total);
    },
  });
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
  await writeOut([scdlCsv(result.rows)], plan.output, io);
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
): Promise<number> {
  const { query } = plan;
  if (query.campaign !== undefined && !(await campaignInLog(store, query.campaign))) {
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
  await writeOut(chunked(lines()), plan.output, io);
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
  const log = await openLogForAudit(config, io);
  if (log === undefined) return 2;
  try {
    const { store } = log;
    return plan.args.kind === 'scdl'
      ? await exportScdl(store, plan.args, io, logger)
      : await exportLedger(store, plan.args, io, logger);
  } finally {
    await log.close();
  }
}
