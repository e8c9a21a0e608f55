// One configuration object, read from environment variables and validated with zod.
// Defaults are the embedded mode: SQLite files under the data directory, a Temporal dev server
// started for us. Setting EVENTSTORE_CONNECTION_STRING / TEMPORAL_ADDRESS switches to scale-out.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { safeParseInFrench } from '../validation/safeParseInFrench';

/** Decimal digits only: `0x10` or `4203.0` is a typo, not a number to guess. */
const envInteger = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'nombre entier attendu, en chiffres décimaux')
    .transform(Number)
    .pipe(z.int().min(min).max(max));
const port = envInteger(1, 65535);
const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();
/** What the EventStoreDB client parses; anything else (http://, a host alone) is a typo, said by name. */
const esdbConnectionString = optionalString.refine(
  (s) => s === undefined || /^esdb(\+discover)?:\/\/[^/?#\s]+/.test(s),
  'chaîne de connexion EventStoreDB attendue : esdb://hôte:2113?tls=false (ou esdb+discover://…)',
);
/** A gRPC endpoint, as the Temporal SDK takes it: no scheme, no path. */
const temporalAddress = optionalString.refine(
  (s) => s === undefined || /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(:\d{1,5})?$/.test(s),
  'adresse hôte:port attendue, sans http:// (par exemple temporal:7233)',
);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every variable the engine reads, with what it expects and its default. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  GRANTS_DATA_DIR: z.string().min(1).default('.data'),
  GRANTS_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  GRANTS_HTTP_PORT: port.default(3000),
  // How long a command's HTTP request waits for its step to be recorded once the workflow accepted
  // it; then 503 STEP_PENDING (the step completes when the event log answers again).
  GRANTS_STEP_WAIT_SECONDS: envInteger(1, 120).default(20),
  GRANTS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GRANTS_LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  GRANTS_JWT_SECRET: optionalString,
  GRANTS_JWKS_URL: z.url().optional(),
  // With a JWKS: the `iss` a token must carry, and its `aud` (one of these, comma-separated). The
  // provider signs the tokens of its other applications with the same keys.
  GRANTS_JWT_ISSUER: optionalString,
  GRANTS_JWT_AUDIENCE: optionalString,
  EVENTSTORE_CONNECTION_STRING: esdbConnectionString,
  EVENTSTORE_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL', 'EXTRA']).default('FULL'),
  TEMPORAL_ADDRESS: temporalAddress,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('grants'),
  TEMPORAL_DEV_SERVER_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI: optionalString,
  TEMPORAL_TEST_SERVER: optionalString,
  // Each cached workflow holds ~2.4 MB in the worker (bench/RESULTS.md, Lifecycle: 10,000 open workflows
  // measured 1,482 MB at 250, 4.7 GB at 2,000); a smaller cache only costs
  // replays from history when an evicted workflow wakes.
  GRANTS_WORKER_STICKY_CACHE_SIZE: envInteger(0, 1_000_000).default(250),
  // Worker threads of a read-model rebuild on the SQLite store (each replays ranges of streams);
  // by default one per core, at most 4.
  GRANTS_REBUILD_WORKERS: envInteger(1, 16).default(() => Math.min(availableParallelism(), 4)),
  // The engine verifies its whole log this long after it starts, then every so many hours (0: never;
  // services/audit/integrityWatch.ts): an altered log is found without waiting for an audit.
  GRANTS_INTEGRITY_CHECK_DELAY_SECONDS: envInteger(0, 86_400).default(60),
  GRANTS_INTEGRITY_CHECK_HOURS: envInteger(0, 8_760).default(24),
  GRANTS_START_WORKER: bool.default(true),
  GRANTS_START_PROJECTOR: bool.default(true),
  GRANTS_START_HTTP: bool.default(true),
  // The funders' official names and SIRETs for the open-data export (a JSON file, read by the
  // services at start-up: infra does not know what a funder is).
  GRANTS_ATTRIBUANTS_FILE: optionalString,
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config {
  env: RawConfig['NODE_ENV'];
  dataDir: string;
  http: {
    host: string;
    port: number;
    /** How long a command waits for its accepted step to be recorded before answering 503 STEP_PENDING. */
    stepWaitSeconds: number;
  };
  log: { level: RawConfig['GRANTS_LOG_LEVEL']; format: 'pretty' | 'json' };
  auth: {
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    jwtIssuer: string | undefined;
    jwtAudience: string[] | undefined;
  };
  eventStore:
    | { kind: 'sqlite'; file: string; synchronous: RawConfig['EVENTSTORE_SQLITE_SYNCHRONOUS'] }
    | { kind: 'eventstoredb'; connectionString: string };
  readModels: { file: string; rebuildWorkers: number };
  temporal: {
    /** Undefined → the embedded dev server is started on devServerPort. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    devServerPort: number;
    uiPort: number;
    devServerDbFile: string;
    cliPath: string | undefined;
    testServerPath: string | undefined;
    stickyCacheSize: number;
  };
  /** The engine's own periodic verification of the log; everyHours 0: none. */
  integrityCheck: { delaySeconds: number; everyHours: number };
  start: { worker: boolean; projector: boolean; http: boolean };
  /** Undefined → the built-in directory of funders alone. */
  openData: { attribuantsFile: string | undefined };
}

/**
 * A setting the operator must change: `grants` stops with exit code 2 and this message. Found when
 * the variables are read, or later when a value turns out unusable on this machine (a port another
 * process holds, a data directory it cannot write): then `message` says what happened, in a sentence
 * naming the variable.
 */
export class ConfigError extends Error {
  constructor(
    readonly problems: { variable: string; expected: string; received: string | undefined }[],
    message?: string,
  ) {
    super(
      message ??
        'Configuration invalide :\n' +
          problems
            .map(
              (p) => `  - ${p.variable}${p.received === undefined ? '' : `=${p.received}`} : ${p.expected}`,
            )
            .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** GRANTS_ variables read elsewhere (the test suite's own). */
const OTHER_GRANTS_VARIABLES: ReadonlySet<string> = new Set(['GRANTS_TEST_FIRST_PORT']);

/** Edits (insertions, deletions, substitutions) from a to b: how far a typo is from a name. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * A GRANTS_ variable the engine does not read is most likely a misspelt one whose setting is
 * silently not applied (GRANTS_HTTP_PROT): said at start, with the name it probably meant.
 */
export function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known = Object.keys(configSchema.shape);
  return Object.keys(env)
    .filter((k) => k.startsWith('GRANTS_') && !known.includes(k) && !OTHER_GRANTS_VARIABLES.has(k))
    .sort()
    .map((k) => {
      const near = known
        .map((name) => ({ name, d: editDistance(k, name) }))
        .filter((n) => n.d <= 3)
        .sort((x, y) => x.d - y.d)[0];
      return near === undefined
        ? `Variable ${k} inconnue : le moteur ne la lit pas.`
        : `Variable ${k} inconnue : le moteur ne la lit pas (vouliez-vous dire ${near.name} ?).`;
    });
}

/** « a, b » → ['a', 'b']; nothing (or only commas) → undefined: no audience checked, not none accepted. */
function audiences(text: string | undefined): string[] | undefined {
  const list = (text ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  return list.length === 0 ? undefined : list;
}

/** A value as it may be printed: the user and password of a URL (`esdb://admin:secret@…`) hidden. */
export function withoutCredentials<T extends string | undefined>(value: T): T {
  return value?.replace(/\/\/[^@/\s]*@/g, '//***@') as T;
}

/**
 * Two of the engine's own listeners given one port: the second to start found it taken and the start
 * said « déjà utilisé par un autre processus », though that process was the engine's own. The Temporal
 * dev server's two ports count only when the engine starts it (no TEMPORAL_ADDRESS).
 */
function portClash(
  c: z.infer<typeof configSchema>,
  env: NodeJS.ProcessEnv,
): ConstructorParameters<typeof ConfigError>[0][number] | undefined {
  const ports: [string, number][] = [['GRANTS_HTTP_PORT', c.GRANTS_HTTP_PORT]];
  if (c.TEMPORAL_ADDRESS === undefined)
    ports.push(
      ['TEMPORAL_DEV_SERVER_PORT', c.TEMPORAL_DEV_SERVER_PORT],
      ['TEMPORAL_UI_PORT', c.TEMPORAL_UI_PORT],
    );
  for (let i = 1; i < ports.length; i++) {
    const [variable, port] = ports[i]!;
    const same = ports.slice(0, i).find(([, other]) => other === port);
    if (same !== undefined)
      return {
        variable,
        expected: `un port différent de ${same[0]} (${port}) : chaque service du moteur écoute sur le sien`,
        received: env[variable] ?? String(port),
      };
  }
  return undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (GRANTS_HTTP_PORT= in a unit file) counts as unset: its default applies.
  const set = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  // Messages in French: the person reading them runs the engine for a French agglomeration.
  const parsed = safeParseInFrench(configSchema, set);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '?');
        return { variable, expected: issue.message, received: withoutCredentials(env[variable]) };
      }),
    );
  }
  const c = parsed.data;
  const clash = portClash(c, env);
  if (clash !== undefined) throw new ConfigError([clash]);
  const dataDir = resolve(c.GRANTS_DATA_DIR);
  return {
    env: c.NODE_ENV,
    dataDir,
    http: { host: c.GRANTS_HTTP_HOST, port: c.GRANTS_HTTP_PORT, stepWaitSeconds: c.GRANTS_STEP_WAIT_SECONDS },
    log: {
      level: c.GRANTS_LOG_LEVEL,
      format:
        c.GRANTS_LOG_FORMAT ?? (c.NODE_ENV === 'production' || !process.stdout.isTTY ? 'json' : 'pretty'),
    },
    auth: {
      jwtSecret: c.GRANTS_JWT_SECRET,
      jwksUrl: c.GRANTS_JWKS_URL,
      jwtIssuer: c.GRANTS_JWT_ISSUER,
      jwtAudience: audiences(c.GRANTS_JWT_AUDIENCE),
    },
    eventStore: c.EVENTSTORE_CONNECTION_STRING
      ? { kind: 'eventstoredb', connectionString: c.EVENTSTORE_CONNECTION_STRING }
      : {
          kind: 'sqlite',
          file: resolve(dataDir, 'events.sqlite'),
          synchronous: c.EVENTSTORE_SQLITE_SYNCHRONOUS,
        },
    readModels: { file: resolve(dataDir, 'read-models.sqlite'), rebuildWorkers: c.GRANTS_REBUILD_WORKERS },
    temporal: {
      address: c.TEMPORAL_ADDRESS,
      namespace: c.TEMPORAL_NAMESPACE,
      taskQueue: c.TEMPORAL_TASK_QUEUE,
      devServerPort: c.TEMPORAL_DEV_SERVER_PORT,
      uiPort: c.TEMPORAL_UI_PORT,
      devServerDbFile: resolve(dataDir, 'temporal.sqlite'),
      cliPath: c.TEMPORAL_CLI,
      testServerPath: c.TEMPORAL_TEST_SERVER,
      stickyCacheSize: c.GRANTS_WORKER_STICKY_CACHE_SIZE,
    },
    integrityCheck: {
      delaySeconds: c.GRANTS_INTEGRITY_CHECK_DELAY_SECONDS,
      everyHours: c.GRANTS_INTEGRITY_CHECK_HOURS,
    },
    start: { worker: c.GRANTS_START_WORKER, projector: c.GRANTS_START_PROJECTOR, http: c.GRANTS_START_HTTP },
    openData: {
      attribuantsFile:
        c.GRANTS_ATTRIBUANTS_FILE === undefined ? undefined : resolve(c.GRANTS_ATTRIBUANTS_FILE),
    },
  };
}
