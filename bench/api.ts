// Read side at scale: a grants history of 100,000 applications over four yearly campaigns, played
// by the real deciders into a real SQLite event store (bench/support/grantsHistory.ts; cached in
// .data/bench between runs), then, each figure beside a baseline measured in the same run:
//  - projection rebuild of the whole store into a new read-model file (rebuildProjections with the
//    grants projections), in events/s, as the engine runs it (GRANTS_REBUILD_WORKERS worker threads,
//    by default one per core up to 4) and in this thread alone (`.oneThread`), against a raw readAll
//    scan of the same store (readAll with raw: true, no validation: the least any reader of the log
//    does);
//  - audit verification of the whole store (verifyIntegrity: every hash recomputed, every chain link
//    checked), in events/s, against the same raw scan;
//  - requests/s and p99 latency of GET /api/campaigns/:id/summary and of a filtered GET
//    /api/applications (campaign, status co_decision, funder ETAT, 50 per page) through the real API
//    (authentication, validation, logging) served by a child process on 127.0.0.1, against a bare
//    Express endpoint answering a constant JSON in the same child, driven by the same load loop
//    (bench/support/load.ts) at 50 keep-alive connections, in alternating rounds; GET /health (every
//    platform middleware, no token, no query) is measured too, to split platform from query cost.
//    Both queries twice: steady state (no writes, answers from the API's read-model answer cache)
//    and `.cold` (the same API with that cache off: every answer computed, as after each commit).
// The scan runs before, between and after rebuild and verification; its median is the baseline.
// The machine is shared and noisy: every throughput is also given per CPU-second (`.cpu` lines: of
// this process for the log reads, of the server process for HTTP), the steadier measure of the code.
// For latency lines, ratio = value / baseline (how many times slower than the bare endpoint).
// Sizes: BENCH_APPLICATIONS (default 100000), BENCH_CAMPAIGNS (4), BENCH_API_SECONDS per endpoint
// and round (5), BENCH_API_ROUNDS (3), BENCH_API_CONNECTIONS (50); BENCH_API_FRESH=1 regenerates the
// store instead of taking it from the cache; BENCH_API_ONLY=http measures HTTP alone, on read models
// rebuilt once per store and projection sources and cached (bench/support/readModelsCache.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { openSqliteEventStore } from '../infra/eventstore/sqlite';
import { verifyIntegrity } from '../infra/eventstore/integrity';
import type { EventStore } from '../infra/eventstore/port';
import { rebuildProjections } from '../infra/projections/rebuild';
import { loadConfig } from '../infra/config/config';
import { grantsProjections } from '../services/readModels';
import { grantsRebuildSource } from '../services/readModels/rebuildSource';
import { mintDevelopmentToken } from '../services/http/platform/auth';
import { createGrantsEventRegistry } from '../workflows/eventCatalog';
import { envInt, median, note, seconds, throughput, type BenchLine } from './lib';
import { spawnChild } from './support/child';
import { grantsStoreFile } from './support/grantsStore';
import { cachedReadModels } from './support/readModelsCache';
import { runLoad, type LoadResult } from './support/load';

/** The bench's "today": the history stops there (the current campaign is mid-way). */
const TODAY = '2026-11-25';
const cacheDir = resolve(import.meta.dirname, '..', '.data', 'bench');

interface Timed {
  seconds: number;
  /** CPU time of this process (user + system) over the same span. */
  cpuSeconds: number;
}

async function timed(fn: () => Promise<void>): Promise<Timed> {
  const cpu = process.cpuUsage();
  const wall = await seconds(fn);
  const used = process.cpuUsage(cpu);
  return { seconds: wall, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Every event as stored, metadata and data parsed, nothing validated: the baseline reader. */
async function rawScan(store: EventStore): Promise<number> {
  let count = 0;
  for await (const event of store.readAll({ raw: true })) {
    if (event.metadata.schemaVersion > 0) count++;
  }
  return count;
}

const latency = (name: string, value: number, baseline: { name: string; value: number }): BenchLine => ({
  name,
  unit: 'ms',
  value: Number(value.toFixed(2)),
  baseline: baseline.name,
  baselineValue: Number(baseline.value.toFixed(2)),
  ratio: Number((value / baseline.value).toFixed(3)),
});

async function* logReads(
  storeFile: string,
  events: number,
  readModelsFile: string,
): AsyncGenerator<BenchLine> {
  const store = openSqliteEventStore({ file: storeFile, registry: createGrantsEventRegistry() });
  try {
    const scans: Timed[] = [];
    const scan = async (when: string) => {
      let n = 0;
      const t = await timed(async () => {
        n = await rawScan(store);
      });
      if (n !== events) throw new Error(`le parcours brut lit ${n} événements, ${events} attendus`);
      scans.push(t);
      note(
        `parcours brut (${when}) : ${t.seconds.toFixed(1)} s, ${Math.round(events / t.seconds)} événements/s, ` +
          `${Math.round(events / t.cpuSeconds)} par seconde CPU`,
      );
    };
    await scan('avant');

    /** A whole rebuild into `file`, in this thread or in worker threads; the swap timed apart. */
    const rebuild = async (file: string, workers: number): Promise<Timed> => {
      const how = workers === 1 ? 'dans ce fil' : `en ${workers} fils`;
      note(`reconstruction des vues ${how} depuis ${events} événements…`);
      let lastNote = performance.now();
      let applied = 0;
      let swapStartedAt = 0;
      const t = await timed(async () => {
        const result = await rebuildProjections({
          eventStore: store,
          dbFile: file,
          projections: grantsProjections,
          ...(workers === 1 ? {} : { parallel: { workers, source: grantsRebuildSource(storeFile) } }),
          onProgress: (p) => {
            // The swap reports each object it creates: its start is the first report.
            if (p.phase === 'swap' && swapStartedAt === 0) swapStartedAt = performance.now();
            if (performance.now() - lastNote < 30_000) return;
            lastNote = performance.now();
            note(`  ${p.phase} : ${p.events} événements, ${Math.round(p.eventsPerSecond)}/s`);
          },
        });
        applied = result.events;
      });
      if (applied !== events) throw new Error(`reconstruction de ${applied} événements, ${events} attendus`);
      note(
        `reconstruction ${how} : ${t.seconds.toFixed(1)} s dont bascule ${((performance.now() - swapStartedAt) / 1000).toFixed(1)} s, ` +
          `${t.cpuSeconds.toFixed(1)} s CPU (tous fils), pic de mémoire du processus ` +
          `${Math.round(process.resourceUsage().maxRSS / 1024)} Mo`,
      );
      return t;
    };
    // As the engine runs it (GRANTS_REBUILD_WORKERS: one per core, at most 4), then in one thread.
    const workers = loadConfig().readModels.rebuildWorkers;
    const inWorkers = await rebuild(readModelsFile, workers);
    await scan('entre les deux reconstructions');
    const oneThreadFile = `${readModelsFile}.one-thread`;
    const inOneThread = await rebuild(oneThreadFile, 1);
    for (const suffix of ['', '-wal', '-shm']) rmSync(oneThreadFile + suffix, { force: true });
    await scan('entre reconstruction et vérification');
    // The scans so far are the baseline; each figure is given per wall and per CPU second.
    const figures = function* (label: string, value: { seconds: number; cpuSeconds: number }) {
      const name = `raw readAll scan (readAll raw: true), median of ${scans.length}`;
      const baseline = { name, value: median(scans.map((t) => events / t.seconds)) };
      const cpuBaseline = { name, value: median(scans.map((t) => events / t.cpuSeconds)) };
      yield throughput(label, 'events/s', events / value.seconds, baseline);
      yield throughput(`${label}.cpu`, 'events/CPU-s', events / value.cpuSeconds, cpuBaseline);
    };
    // BENCH_API_ONLY=rebuild: the rebuild between two scans, nothing else.
    const rebuildFigures = function* () {
      yield* figures('api.rebuild.wholeStore', inWorkers);
      yield* figures('api.rebuild.wholeStore.oneThread', inOneThread);
    };
    if (process.env.BENCH_API_ONLY === 'rebuild') {
      yield* rebuildFigures();
      return;
    }

    let verified = 0;
    const verify = await timed(async () => {
      const report = await verifyIntegrity(store);
      if (!report.ok) throw new Error(`chaîne rompue : ${JSON.stringify(report.firstBroken)}`);
      verified = report.checked;
    });
    if (verified !== events) throw new Error(`vérification de ${verified} événements, ${events} attendus`);
    note(`vérification : ${verify.seconds.toFixed(1)} s, ${verify.cpuSeconds.toFixed(1)} s CPU`);
    await scan('après');

    yield* rebuildFigures();
    yield* figures('api.verifyIntegrity.wholeStore', verify);
  } finally {
    await store.close();
  }
}

const serverMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), api: z.url(), cold: z.url(), bare: z.url() }),
  z.object({ kind: z.literal('cpu'), micros: z.number() }),
]);
type ServerMessage = z.infer<typeof serverMessageSchema>;

interface Target {
  key:
    'bare' | 'health' | 'summary' | 'list' | 'summaryIdentity' | 'listIdentity' | 'summaryCold' | 'listCold';
  /** Sent without `accept-encoding: gzip`, as a client that cannot decompress would. */
  identity?: boolean;
  url: string;
}

interface Sample extends LoadResult {
  /** Requests per CPU-second of the server process. */
  perServerCpuSecond: number;
  /** CPU time of the load loop (this process) per request, in µs: is the client the limit? */
  clientCpuMicrosPerRequest: number;
}

const logTail = (file: string): string => {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  return lines.slice(-5).join('\n');
};

async function* http(
  storeFile: string,
  readModelsFile: string,
  campaignId: string,
  logFile: string,
): AsyncGenerator<BenchLine> {
  const connections = envInt('BENCH_API_CONNECTIONS', 50);
  const rounds = envInt('BENCH_API_ROUNDS', 3);
  const durationMs = envInt('BENCH_API_SECONDS', 5) * 1000;
  const secret = randomBytes(32).toString('hex');
  // The child answers one message at a time, in order: a queue of waiting readers is enough.
  const waiting: ((message: ServerMessage) => void)[] = [];
  const nextMessage = () => new Promise<ServerMessage>((done) => waiting.push(done));
  const server = spawnChild(
    'apiServer.ts',
    { readModels: readModelsFile, eventStore: storeFile, secret },
    { stdoutFile: logFile, onMessage: (message) => waiting.shift()?.(serverMessageSchema.parse(message)) },
  );
  const serverCpuSeconds = async (): Promise<number> => {
    const reply = nextMessage();
    server.send('cpu');
    const message = await reply;
    if (message.kind !== 'cpu') throw new Error(`réponse inattendue du serveur : ${message.kind}`);
    return message.micros / 1e6;
  };
  try {
    const ready = await Promise.race([
      nextMessage(),
      server.exited.then((code): never => {
        throw new Error(`le serveur d'API s'est arrêté avant d'écouter (sortie ${code})`);
      }),
    ]);
    if (ready.kind !== 'ready') throw new Error(`réponse inattendue du serveur : ${ready.kind}`);
    note(
      `serveur d'API dans un processus enfant (pid ${server.pid}) : ${ready.api}, sans cache des réponses : ` +
        `${ready.cold}, Express nu : ${ready.bare}`,
    );
    const token = await mintDevelopmentToken({ secret, role: 'grant_manager', subject: 'bench-api' });
    // As browsers, the console and `curl --compressed` ask: answers of 1 KiB or more come gzipped.
    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' };
    const identityHeaders = { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' };
    const id = encodeURIComponent(campaignId);
    const summaryPath = `/api/campaigns/${id}/summary`;
    const listPath = `/api/applications?campaignId=${id}&status=co_decision&funder=ETAT&limit=50`;
    const targets: Target[] = [
      { key: 'bare', url: `${ready.bare}/constant` },
      // The platform's floor: every middleware (logging, correlation id, headers), no token, no query.
      { key: 'health', url: `${ready.api}/health` },
      // Steady state: the read models do not change, the answers come from the cache.
      { key: 'summary', url: `${ready.api}${summaryPath}` },
      { key: 'list', url: `${ready.api}${listPath}` },
      // The same answers uncompressed (a client that does not ask for gzip).
      { key: 'summaryIdentity', url: `${ready.api}${summaryPath}`, identity: true },
      { key: 'listIdentity', url: `${ready.api}${listPath}`, identity: true },
      // Every answer computed: the first request after a projector commit.
      { key: 'summaryCold', url: `${ready.cold}${summaryPath}` },
      { key: 'listCold', url: `${ready.cold}${listPath}` },
    ];

    // Each answer checked once, so the loop measures real answers and not problem documents.
    for (const target of targets) {
      const response = await fetch(target.url, { headers: target.identity ? identityHeaders : headers });
      const body: unknown = await response.json();
      if (response.status !== 200) {
        throw new Error(
          `${target.url} → ${response.status} ${JSON.stringify(body)}\njournal du serveur :\n${logTail(logFile)}`,
        );
      }
      const encoding = response.headers.get('content-encoding');
      if (encoding !== (target.identity || target.key === 'bare' || target.key === 'health' ? null : 'gzip'))
        throw new Error(`${target.url} : content-encoding ${encoding} inattendu`);
      if (target.key === 'summary' || target.key === 'summaryCold') {
        const summary = z.object({ campaignId: z.literal(campaignId), applications: z.number() }).parse(body);
        note(`synthèse de ${campaignId} : ${summary.applications} candidatures`);
      }
      if (target.key === 'list' || target.key === 'listCold') {
        const page = z.object({ items: z.array(z.unknown()).min(1), total: z.number() }).parse(body);
        note(`liste filtrée : ${page.items.length} lignes sur ${page.total}`);
      }
    }

    const load = async (target: Target, ms: number): Promise<Sample> => {
      const serverBefore = await serverCpuSeconds();
      const clientBefore = process.cpuUsage();
      const result = await runLoad({
        url: target.url,
        headers: target.identity ? identityHeaders : headers,
        connections,
        durationMs: ms,
      });
      const client = process.cpuUsage(clientBefore);
      const serverCpu = (await serverCpuSeconds()) - serverBefore;
      return {
        ...result,
        perServerCpuSecond: result.requests / serverCpu,
        clientCpuMicrosPerRequest: (client.user + client.system) / result.requests,
      };
    };
    for (const target of targets) await load(target, 1000);
    const samples = new Map<Target['key'], Sample[]>(targets.map((t) => [t.key, []]));
    for (let round = 0; round < rounds; round++) {
      // Each round starts with the next target, so none always meets a quieter machine.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        const sample = await load(target, durationMs);
        samples.get(target.key)?.push(sample);
        note(
          `tour ${round + 1} ${target.key} : ${Math.round(sample.requestsPerSecond)} req/s ` +
            `(${Math.round(sample.perServerCpuSecond)} par seconde CPU du serveur), ` +
            `p50 ${sample.p50Ms.toFixed(2)} ms, p99 ${sample.p99Ms.toFixed(2)} ms, max ${sample.maxMs.toFixed(1)} ms, ` +
            `${sample.bodyBytes} octets, client ${Math.round(sample.clientCpuMicrosPerRequest)} µs CPU/requête`,
        );
      }
    }
    const med = (key: Target['key'], pick: (s: Sample) => number) =>
      median((samples.get(key) ?? []).map(pick));
    const bareName = `bare Express 5 GET returning a constant JSON, same client, ${connections} connections`;
    const bare = {
      rps: { name: bareName, value: med('bare', (s) => s.requestsPerSecond) },
      cpu: { name: `${bareName}, per server CPU-second`, value: med('bare', (s) => s.perServerCpuSecond) },
      p99: { name: bareName, value: med('bare', (s) => s.p99Ms) },
    };
    yield throughput('api.http.bare', 'req/s', bare.rps.value);
    yield throughput('api.http.bare.cpu', 'req/CPU-s', bare.cpu.value);
    yield latency('api.http.bare.p99', bare.p99.value, bare.p99);
    for (const [key, name] of [
      ['health', 'api.http.platformHealth'],
      ['summary', 'api.http.campaignSummary'],
      ['list', 'api.http.applicationsFiltered'],
      ['summaryIdentity', 'api.http.campaignSummary.identity'],
      ['listIdentity', 'api.http.applicationsFiltered.identity'],
      ['summaryCold', 'api.http.campaignSummary.cold'],
      ['listCold', 'api.http.applicationsFiltered.cold'],
    ] as const) {
      yield throughput(
        name,
        'req/s',
        med(key, (s) => s.requestsPerSecond),
        bare.rps,
      );
      yield throughput(
        `${name}.cpu`,
        'req/CPU-s',
        med(key, (s) => s.perServerCpuSecond),
        bare.cpu,
      );
      yield latency(
        `${name}.p99`,
        med(key, (s) => s.p99Ms),
        bare.p99,
      );
    }
  } finally {
    await server.stop();
  }
}

export async function* run(): AsyncGenerator<BenchLine> {
  const applications = envInt('BENCH_APPLICATIONS', 100_000);
  const campaigns = envInt('BENCH_CAMPAIGNS', 4);
  const generated = await grantsStoreFile({
    cacheDir,
    applications,
    campaigns,
    today: TODAY,
    fresh: process.env.BENCH_API_FRESH === '1',
    note,
  });
  const { history } = generated;
  if (generated.generatedSeconds !== undefined) {
    note(
      `généré en ${generated.generatedSeconds.toFixed(0)} s : ${Math.round(history.events / generated.generatedSeconds)} événements/s ` +
        `(${history.appendCalls} ajouts)`,
    );
  }
  note(
    `${history.events} événements, ${applications} candidatures, statuts : ${JSON.stringify(history.statuses)}`,
  );
  // Not lib's withTempDir: lines are yielded as they are measured, from inside the directory's life.
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  try {
    const readModelsFile = join(dir, 'read-models.sqlite');
    // BENCH_API_ONLY=http: the HTTP figures alone, on read models rebuilt once and cached.
    if (process.env.BENCH_API_ONLY === 'http') {
      await cachedReadModels({ cacheDir, storeFile: generated.file, target: readModelsFile, note });
    } else yield* logReads(generated.file, history.events, readModelsFile);
    if (process.env.BENCH_API_ONLY !== 'rebuild')
      yield* http(generated.file, readModelsFile, history.currentCampaignId, join(dir, 'api-server.log'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
