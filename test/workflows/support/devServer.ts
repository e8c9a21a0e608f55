// The real Temporal dev server (the CLI's `server start-dev`, the one `grants start` runs) on free
// ports with a throw-away SQLite file, and grants workers in child processes that a test can
// kill -9 and start again. Used by the crash, concurrency and workflow-show specs and the bench.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ulid } from 'ulid';
import { openSqliteEventStore, type SqliteEventStore } from '../../../infra/eventstore';
import { createLogger } from '../../../infra/logging/logger';
import { temporalBinaries } from '../../../infra/temporal/binaries';
import { startDevServer, type RunningDevServer } from '../../../infra/temporal/devServer';
import type { ApplicationCommand, ApplicationState, Signatory } from '../../../domain/application';
import { addDays, addYears, type CivilDate } from '../../../domain/calendar';
import type { CampaignSnapshot } from '../../../domain/campaign';
import {
  createGrantsClient,
  DomainRefusalError,
  type AggregateView,
  type GrantsClient,
  type StepActor,
} from '../../../workflows/client';
import { createGrantsEventRegistry } from '../../../workflows/eventCatalog';
import { workflowsPath } from '../../../workflows/worker';
import { actors, day, dossier } from '../../support/fixtures';
import { freePort } from '../../support/processes';
import type { WorkerProcessOptions } from './workerProcess';

const projectRoot = resolve(import.meta.dirname, '..', '..', '..');
const workerEntry = resolve(import.meta.dirname, 'workerProcess.ts');

export interface DevServerWorld {
  dir: string;
  server: RunningDevServer;
  client: Client;
  grants: GrantsClient;
  taskQueue: string;
  /** The event store file the child workers write; opened here too, for the assertions. */
  eventsFile: string;
  eventStore: SqliteEventStore;
  /** The grants workflows bundled once, for fast worker (re)starts. */
  workflowBundle: string;
  close(): Promise<void>;
}

/**
 * Where the world's files go. The dev server syncs its SQLite file on every history write: on this
 * VM's disk (about 4 ms per fsync) that halves the step rate and lets the disk, not the engine,
 * set the pace. RAM (/dev/shm) unless told otherwise; the server and the code are the same.
 */
export function worldBaseDir(onDisk = false): string {
  if (onDisk) return tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** Dev server + client + event store + workflow bundle, all in one fresh temporary directory. */
export async function startDevServerWorld(
  prefix = 'grants-devserver-',
  options: { onDisk?: boolean } = {},
): Promise<DevServerWorld> {
  const dir = mkdtempSync(join(worldBaseDir(options.onDisk), prefix));
  const logger = createLogger({ level: 'warn', format: 'json', name: 'test-dev-server' });
  const [port, uiPort] = [await freePort(), await freePort()];
  const server = await startDevServer({
    cliPath: temporalBinaries().cli,
    dbFile: join(dir, 'temporal.sqlite'),
    port,
    uiPort,
    namespace: 'default',
    logger,
  });
  // Anything failing from here on must not leave the server running.
  try {
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `grants-${ulid()}`;
    const eventsFile = join(dir, 'events.sqlite');
    const eventStore = openSqliteEventStore({
      file: eventsFile,
      synchronous: 'NORMAL',
      registry: createGrantsEventRegistry(),
    });
    const workflowBundle = await bundleTo(join(dir, 'workflow-bundle.js'), workflowsPath);
    return {
      dir,
      server,
      client,
      grants: createGrantsClient(client, taskQueue),
      taskQueue,
      eventsFile,
      eventStore,
      workflowBundle,
      close: async () => {
        await connection.close();
        await eventStore.close();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export async function bundleTo(file: string, path: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: path, logger: quietBundlerLogger });
  writeFileSync(file, code);
  return file;
}

// webpack's progress lines would drown the test output; its errors still fail bundleWorkflowCode.
const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface WorkerProcess {
  pid: number;
  /** kill -9: no shutdown, in-flight activities and workflow tasks are simply lost. */
  kill9(): Promise<void>;
  /** SIGTERM: the worker drains and exits. */
  stop(): Promise<void>;
  /** Resident set size of the worker process, in bytes (from /proc). */
  rssBytes(): number;
  /** Highest resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): number;
  /** Resolves when the process has exited, whatever the reason. */
  exited: Promise<void>;
  stderr(): string;
}

/** Starts `entry` (a worker process script) with its options as JSON; resolves once it says `ready`. */
export async function spawnWorkerProcess(
  options: WorkerProcessOptions | Record<string, unknown>,
  entry = workerEntry,
  nodeArgs: string[] = [],
  readyTimeoutMs = 60_000,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry, JSON.stringify(options)], {
    cwd: projectRoot,
    // stdin stays open as a lifeline: the worker stops when it closes (this process gone).
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`worker process did not start: ${stderr}`);
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`worker not ready in ${readyTimeoutMs} ms:\n${stderr}`)),
      readyTimeoutMs,
    );
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.trim() !== 'ready') return;
      clearTimeout(timer);
      ready();
    });
    void exited.then(() => {
      clearTimeout(timer);
      fail(new Error(`worker exited before ready (code ${child.exitCode}):\n${stderr}`));
    });
  });
  return {
    pid,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
    rssBytes: () => procStatusBytes(pid, 'VmRSS'),
    peakRssBytes: () => procStatusBytes(pid, 'VmHWM'),
    exited,
    stderr: () => stderr,
  };
}

function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} for ${pid}`);
  return Number(kb) * 1024;
}

/** A grants worker process for this world (real workflows and activities, the world's event store file). */
export function spawnGrantsWorker(
  world: DevServerWorld,
  extra: Partial<WorkerProcessOptions> = {},
  nodeArgs: string[] = [],
): Promise<WorkerProcess> {
  return spawnWorkerProcess(
    {
      address: world.server.address,
      taskQueue: world.taskQueue,
      eventsFile: world.eventsFile,
      workflowBundle: world.workflowBundle,
      ...extra,
    } satisfies WorkerProcessOptions,
    workerEntry,
    nodeArgs,
  );
}

// ---- application lifecycles driven step by step, as the HTTP layer would ----

/** Where a driven application ends: the dev server runs on real time, so no yearly report waits. */
export type LifecyclePath = 'in_force' | 'closed' | 'withdrawn' | 'rejected' | 'ineligible';

export interface PlannedStep {
  actor: StepActor;
  command: ApplicationCommand;
  /**
   * A refusal code that only means "not yet": the step follows a deadline the workflow fires by
   * itself (the year-1 report request), so the driver sends it again until it is accepted.
   */
  notYet?: string;
}

export interface LifecycleSetup {
  applicationId: string;
  campaign: CampaignSnapshot;
  porteurId: string;
  nowMs: number;
  /** Requested and committed per year, in cents. */
  etatCents: number;
  epciCents: number;
}

/**
 * The steps of one path, in order. 'closed' back-dates the convention start by a year and a week:
 * year 1 is already over, so the workflow asks for the report at once (a deadline in the past)
 * while the report's due date, reminder and overdue mark stay months ahead.
 */
export function plannedSteps(path: LifecyclePath, s: LifecycleSetup): PlannedStep[] {
  const porteur = actors.porteur(s.porteurId);
  const today = day(s.nowMs, 0);
  const submit: PlannedStep = {
    actor: porteur,
    command: {
      type: 'SubmitApplication',
      applicationId: s.applicationId,
      campaign: s.campaign,
      dossier: dossier({ durationYears: 1, perYear: { ETAT: s.etatCents, EPCI: s.epciCents } }),
    },
  };
  const commit = (funder: 'ETAT' | 'EPCI', amountCents: number): PlannedStep => ({
    actor: actors.funder(funder),
    command: {
      type: 'RecordFunderPosition',
      funder,
      position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents }] },
    },
  });
  const eligible: PlannedStep = {
    actor: actors.manager,
    command: { type: 'DeclareEligible', coDecisionDueDate: day(s.nowMs, 20) },
  };
  const opinion = (verdict: 'favourable' | 'unfavourable'): PlannedStep => ({
    actor: actors.council,
    command: {
      type: 'GiveCitizenOpinion',
      opinion: verdict,
      comment: 'Avis du conseil citoyen de Sous-le-Bois.',
    },
  });
  const sign = (signatory: Signatory): PlannedStep => ({
    actor: signatory.kind === 'porteur' ? porteur : actors.funder(signatory.funder),
    command: { type: 'SignConvention', signatory },
  });
  const toInForce = (startDate: CivilDate): PlannedStep[] => [
    submit,
    eligible,
    commit('ETAT', s.etatCents),
    commit('EPCI', s.epciCents),
    opinion('favourable'),
    {
      actor: actors.manager,
      command: {
        type: 'RecordCommitteeApproval',
        decisionReference: 'COPIL-2027-03',
        decisionDate: today,
        plan: [
          { funder: 'ETAT', year: 1, amountCents: s.etatCents },
          { funder: 'EPCI', year: 1, amountCents: s.epciCents },
        ],
      },
    },
    {
      actor: actors.manager,
      command: { type: 'DraftConvention', startDate, signatureDueDate: day(s.nowMs, 25) },
    },
    sign({ kind: 'porteur' }),
    sign({ kind: 'funder', funder: 'ETAT' }),
    sign({ kind: 'funder', funder: 'EPCI' }),
  ];
  switch (path) {
    case 'in_force':
      return toInForce(day(s.nowMs, 30));
    case 'closed':
      return [
        ...toInForce(addDays(addYears(today, -1), -7)),
        {
          actor: porteur,
          command: {
            type: 'SubmitYearlyReport',
            year: 1,
            spentByFunder: [
              { funder: 'ETAT', amountCents: s.etatCents },
              { funder: 'EPCI', amountCents: s.epciCents },
            ],
            beneficiariesReached: 110,
            narrative: 'Objectifs atteints.',
          },
          notYet: 'REPORT_NOT_EXPECTED',
        },
        { actor: actors.manager, command: { type: 'AcceptYearlyReport', year: 1 } },
        { actor: actors.manager, command: { type: 'CloseApplication' } },
      ];
    case 'withdrawn':
      return [
        submit,
        eligible,
        commit('ETAT', s.etatCents),
        commit('EPCI', s.epciCents),
        { actor: porteur, command: { type: 'WithdrawApplication', reason: 'Action reportée.' } },
      ];
    case 'rejected':
      return [
        submit,
        eligible,
        commit('ETAT', s.etatCents),
        {
          actor: actors.funder('EPCI'),
          command: {
            type: 'RecordFunderPosition',
            funder: 'EPCI',
            position: { decision: 'declined', reason: 'Hors priorités communautaires.' },
          },
        },
        opinion('unfavourable'),
        {
          actor: actors.manager,
          command: {
            type: 'RecordCommitteeRejection',
            decisionReference: 'COPIL-2027-03',
            decisionDate: today,
            reasons: ['Plan de financement incomplet.'],
          },
        },
      ];
    case 'ineligible':
      return [
        submit,
        {
          actor: actors.manager,
          command: { type: 'DeclareIneligible', reasons: ['Aucun QPV du territoire visé.'] },
        },
      ];
    default: {
      const never: never = path;
      return never;
    }
  }
}

const toInForceEvents = [
  'ApplicationSubmitted',
  'ApplicationDeclaredEligible',
  'FunderPositionRecorded',
  'FunderPositionRecorded',
  'CitizenOpinionGiven',
  'CommitteeApprovalRecorded',
  'ConventionDrafted',
  'ConventionSigned',
  'ConventionSigned',
  'ConventionSigned',
  'ConventionEnteredIntoForce',
  'PaymentOrdered',
  'PaymentOrdered',
];

/** The application stream each path must leave, event by event. */
export const expectedApplicationEvents: Record<LifecyclePath, string[]> = {
  in_force: toInForceEvents,
  closed: [
    ...toInForceEvents,
    'YearlyReportRequested',
    'YearlyReportSubmitted',
    'YearlyReportAccepted',
    'PaymentOrdered',
    'PaymentOrdered',
    'ApplicationClosed',
  ],
  withdrawn: [
    'ApplicationSubmitted',
    'ApplicationDeclaredEligible',
    'FunderPositionRecorded',
    'FunderPositionRecorded',
    'ApplicationWithdrawn',
  ],
  rejected: [
    'ApplicationSubmitted',
    'ApplicationDeclaredEligible',
    'FunderPositionRecorded',
    'FunderPositionRecorded',
    'CitizenOpinionGiven',
    'CommitteeRejectionRecorded',
  ],
  ineligible: ['ApplicationSubmitted', 'ApplicationDeclaredIneligible'],
};

/** What each path leaves on one funder's envelope, for this application. */
export function expectedEnvelopeEvents(path: LifecyclePath, funder: 'ETAT' | 'EPCI'): string[] {
  switch (path) {
    case 'in_force':
    case 'closed':
      return ['FundsReserved'];
    case 'withdrawn':
      return ['FundsReserved', 'FundsReleased'];
    case 'rejected':
      // EPCI declined: nothing was ever reserved on its envelope.
      return funder === 'ETAT' ? ['FundsReserved', 'FundsReleased'] : [];
    case 'ineligible':
      return [];
    default: {
      const never: never = path;
      return never;
    }
  }
}

export const terminalStatus: Record<LifecyclePath, ApplicationState['status']> = {
  in_force: 'in_force',
  closed: 'closed',
  withdrawn: 'withdrawn',
  rejected: 'rejected',
  ineligible: 'ineligible',
};

/**
 * Sends one step as the HTTP layer would: a fresh command id, kept across resends, so a request
 * resent after a transport error is recorded once. Domain refusals are returned, not retried
 * (except a step's `notYet` code).
 */
export async function sendStep(
  grants: GrantsClient,
  applicationId: string,
  step: PlannedStep,
  options: {
    attempts?: number;
    notYetPauseMs?: number;
    notYetTimeoutMs?: number;
    /** Told of each transport or server error before the step is resent. */
    onRetry?: (error: unknown) => void;
  } = {},
): Promise<AggregateView<ApplicationState>> {
  const attempts = options.attempts ?? 20;
  const notYetUntil = Date.now() + (options.notYetTimeoutMs ?? 60_000);
  let commandId = ulid();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return step.command.type === 'SubmitApplication'
        ? await grants.submitApplication(step.command, { actor: step.actor, commandId })
        : await grants.applicationCommand(applicationId, step.command, { actor: step.actor, commandId });
    } catch (error) {
      if (error instanceof DomainRefusalError) {
        if (step.notYet !== error.code || Date.now() > notYetUntil) throw error;
        // Refused by the validator, so never recorded: a new command id for the next try.
        commandId = ulid();
        await sleep(options.notYetPauseMs ?? 20);
        continue;
      }
      if (attempt >= attempts) throw error;
      options.onRetry?.(error);
      await sleep(250);
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
