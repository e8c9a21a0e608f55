// Workflow benchmark on the real Temporal dev server (the CLI's `server start-dev`, workers in
// child processes, the SQLite event store):
//  - full lifecycles per minute: a one-year action from submission to closure (13 updates, one
//    deadline step, 16 activities), against a bare workflow taking the same updates and running
//    the same activities with empty bodies (bench/fixtures/bareLifecycle.ts), driven by the same
//    client code, in alternating rounds of the same run. The dev server runs on real time, so the
//    convention starts a year and a week ago: year 1 is over, the workflow's own deadline asks for
//    the report at once, and the report can be filed, accepted and the file closed without waiting.
//  - the grants worker's resident memory: what each cached application workflow adds (against the
//    bare workflow), and the total with N application workflows open, each waiting on a timer
//    (co-decision deadline 20 days ahead), with the configured sticky cache.
// Sizes: BENCH_LIFECYCLE_COUNT lifecycles per flavour and round (default 20), BENCH_LIFECYCLE_ROUNDS
// (default 3), BENCH_LIFECYCLE_CONCURRENCY lifecycles in flight (default 10), BENCH_LIFECYCLE_SLOPE
// workflows for the per-workflow memory (default 300), BENCH_LIFECYCLE_OPEN open workflows for the
// memory figure (default 10000) with BENCH_LIFECYCLE_CACHE workflows in the sticky cache (default
// 250, the configuration's default). BENCH_LIFECYCLE_ON_DISK=1 keeps the dev server's SQLite file
// on disk instead of /dev/shm (its fsyncs then set the pace). BENCH_LIFECYCLE_PARTS picks parts
// (comma-separated among throughput, slope, open; all by default). BENCH_LIFECYCLE_WORKER_NODE_ARGS
// gives node flags to the worker of the `open` part (e.g. "--max-old-space-size=384").
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import { toCampaignSnapshot, type CampaignSnapshot } from '../domain/campaign';
import { createGrantsClient, type GrantsClient } from '../workflows/client';
import { actors, createCampaignCommand, day } from '../test/support/fixtures';
import {
  bundleTo,
  plannedSteps,
  sendStep,
  sleep,
  spawnGrantsWorker,
  spawnWorkerProcess,
  startDevServerWorld,
  type DevServerWorld,
  type WorkerProcess,
} from '../test/workflows/support/devServer';
import { envInt, note, seconds, throughput, type BenchLine } from './lib';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const mb = (bytes: number): number => Number((bytes / 1024 / 1024).toFixed(0));

async function openCampaign(world: DevServerWorld, campaignId: string): Promise<CampaignSnapshot> {
  await world.grants.createCampaign(
    createCampaignCommand(Date.now(), {
      campaignId,
      // The AMI after the year its conventions start in (a year and a week ago, see plannedSteps):
      // a convention starts within a year of its campaign's year (rule revision 2).
      year: Number(day(Date.now(), -372).slice(0, 4)) + 1,
      opensInDays: -1,
      closesInDays: 60,
      // Large enough never to refuse: this bench measures the steps, not the envelope's limits.
      envelopes: { ETAT: 100_000_000_000, EPCI: 100_000_000_000 },
    }),
    { actor: actors.manager, commandId: ulid() },
  );
  for (;;) {
    const view = await world.grants.campaignView(campaignId);
    const snapshot = view.state.status === 'open' ? toCampaignSnapshot(view.state) : undefined;
    if (snapshot) return snapshot;
    await sleep(20);
  }
}

/** Runs `count` closed lifecycles through `grants`, `concurrency` at a time. */
async function lifecycles(
  grants: GrantsClient,
  campaign: CampaignSnapshot,
  count: number,
  concurrency: number,
): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (started < count) {
        started += 1;
        const applicationId = ulid();
        const steps = plannedSteps('closed', {
          applicationId,
          campaign,
          porteurId: `asso-${applicationId}`,
          nowMs: Date.now(),
          etatCents: 1_000_000,
          epciCents: 500_000,
        });
        for (const step of steps) await sendStep(grants, applicationId, step, { attempts: 3 });
      }
    }),
  );
}

async function throughputLine(
  world: DevServerWorld,
  getCampaign: () => Promise<CampaignSnapshot>,
): Promise<BenchLine> {
  const count = envInt('BENCH_LIFECYCLE_COUNT', 20);
  const rounds = envInt('BENCH_LIFECYCLE_ROUNDS', 3);
  const concurrency = envInt('BENCH_LIFECYCLE_CONCURRENCY', 10);
  const bareQueue = `bare-${ulid()}`;
  const bareBundle = await bundleTo(join(world.dir, 'bare-bundle.js'), join(fixtures, 'bareLifecycle.ts'));
  const workers: WorkerProcess[] = [
    await spawnGrantsWorker(world),
    await spawnWorkerProcess(
      { address: world.server.address, taskQueue: bareQueue, workflowBundle: bareBundle },
      join(fixtures, 'bareWorker.ts'),
    ),
  ];
  try {
    const campaign = await getCampaign();
    const flavours = {
      grants: world.grants,
      bare: createGrantsClient(world.client, bareQueue),
    };
    note(`échauffement (${concurrency} cycles de chaque)`);
    for (const grants of Object.values(flavours))
      await lifecycles(grants, campaign, concurrency, concurrency);
    const elapsed = { grants: 0, bare: 0 };
    for (let round = 0; round < rounds; round += 1) {
      // Alternate which goes first, so drift on a shared machine hits both alike.
      const order = round % 2 === 0 ? (['grants', 'bare'] as const) : (['bare', 'grants'] as const);
      for (const flavour of order) {
        const s = await seconds(() => lifecycles(flavours[flavour], campaign, count, concurrency));
        elapsed[flavour] += s;
        note(`tour ${round + 1}/${rounds} ${flavour} : ${count} cycles en ${s.toFixed(1)} s`);
      }
    }
    // Every real lifecycle did reach closure (the bare ones answer with a counter, not a view).
    let closed = 0;
    for await (const _ of world.eventStore.readAll({ filter: { eventTypes: ['ApplicationClosed'] } }))
      closed += 1;
    if (closed !== concurrency + count * rounds) {
      throw new Error(`${closed} dossiers clôturés sur ${concurrency + count * rounds} cycles`);
    }
    const perMinute = (s: number): number => (count * rounds * 60) / s;
    return throughput('lifecycle.closed_one_year', 'lifecycles/min', perMinute(elapsed.grants), {
      name: `bare workflow, same updates and activities (concurrency ${concurrency})`,
      value: perMinute(elapsed.bare),
    });
  } finally {
    for (const worker of workers) await worker.stop();
  }
}

/**
 * Submits and declares eligible `count` applications through `grants`, up to 100 at a time: each
 * workflow then waits on its co-decision timer. Steps whose call timed out are resent with the same
 * command id (recorded once). Fails at once if the worker dies (its updates would wait forever),
 * saying how far it got and how much memory it held.
 */
async function openWorkflows(
  grants: GrantsClient,
  worker: WorkerProcess,
  campaign: CampaignSnapshot,
  count: number,
  cache: number,
): Promise<void> {
  // Fewer in flight than the cache holds: a workflow evicted between its two steps would be
  // replayed, which measures the cache's thrashing rather than the workflows' weight.
  const inFlight = Math.min(100, count, Math.max(10, Math.floor(cache / 2)));
  let started = 0;
  let done = 0;
  let lastRss = 0;
  // Errors that a resend got past (an update refused while a workflow task had failed, an RPC
  // deadline): counted and shown, since a healthy worker has none.
  const retried = new Map<string, number>();
  const countRetry = (error: unknown): void => {
    const key = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 160) : String(error);
    retried.set(key, (retried.get(key) ?? 0) + 1);
  };
  const sampling = setInterval(() => {
    lastRss = worker.rssBytes();
  }, 2_000);
  const progress = setInterval(
    () => note(`${done}/${count} workflows ouverts, worker ${mb(lastRss)} Mo`),
    30_000,
  );
  const died = worker.exited.then(() => {
    throw new Error(
      `le worker s'est arrêté après ${done} workflows ouverts (dernière mesure : ${mb(lastRss)} Mo) :\n` +
        worker.stderr().slice(-2000),
    );
  });
  try {
    const opening = Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (started < count) {
          started += 1;
          const applicationId = ulid();
          const [submit, eligible] = plannedSteps('in_force', {
            applicationId,
            campaign,
            porteurId: `asso-${applicationId}`,
            nowMs: Date.now(),
            etatCents: 1_000_000,
            epciCents: 500_000,
          });
          for (const step of [submit, eligible]) {
            if (step) await sendStep(grants, applicationId, step, { attempts: 120, onRetry: countRetry });
          }
          done += 1;
        }
      }),
    );
    await Promise.race([opening, died]).catch((error: unknown) => {
      throw new Error(
        `ouverture des workflows arrêtée après ${done} : ${String(error)}\nworker :\n${worker.stderr().slice(-4000)}`,
      );
    });
  } finally {
    for (const [error, times] of retried) note(`renvoyé ${times} fois après : ${error}`);
    if (retried.size > 0) note(`worker :\n${worker.stderr().slice(-4000)}`);
    clearInterval(sampling);
    clearInterval(progress);
  }
}

/** RSS once the worker has settled for a few seconds (what a probe would read). */
async function settledRss(worker: WorkerProcess): Promise<number> {
  await sleep(5_000);
  return worker.rssBytes();
}

/** Resident memory added per open workflow, every one of them held in the sticky cache. */
async function perWorkflowBytes(
  start: (cache: number) => Promise<WorkerProcess>,
  grants: GrantsClient,
  campaign: () => Promise<CampaignSnapshot>,
  count: number,
): Promise<number> {
  const worker = await start(count + 100);
  try {
    const idle = await settledRss(worker);
    await openWorkflows(grants, worker, await campaign(), count, count + 100);
    return ((await settledRss(worker)) - idle) / count;
  } finally {
    await worker.stop();
  }
}

async function* slopeLines(
  world: DevServerWorld,
  campaign: () => Promise<CampaignSnapshot>,
): AsyncIterable<BenchLine> {
  const slopeCount = envInt('BENCH_LIFECYCLE_SLOPE', 300);

  // What one cached workflow weighs, against the bare workflow waiting on its timer likewise.
  const bareQueue = `bare-${ulid()}`;
  const bareBundle = await bundleTo(join(world.dir, 'bare-bundle.js'), join(fixtures, 'bareLifecycle.ts'));
  const grantsEach = await perWorkflowBytes(
    (stickyCacheSize) => spawnGrantsWorker(world, { stickyCacheSize }),
    world.grants,
    campaign,
    slopeCount,
  );
  const bareEach = await perWorkflowBytes(
    (stickyCacheSize) =>
      spawnWorkerProcess(
        { address: world.server.address, taskQueue: bareQueue, workflowBundle: bareBundle, stickyCacheSize },
        join(fixtures, 'bareWorker.ts'),
      ),
    createGrantsClient(world.client, bareQueue),
    campaign,
    slopeCount,
  );
  const kb = (bytes: number): number => Math.round(bytes / 1024);
  yield {
    name: 'lifecycle.worker_rss_per_cached_workflow',
    unit: 'KB',
    value: kb(grantsEach),
    baseline: `bare workflow waiting on a timer (${slopeCount} open, all cached)`,
    baselineValue: kb(bareEach),
    ratio: null,
  };
}

/**
 * `open` application workflows on one worker with the configured sticky cache (the default of
 * GRANTS_WORKER_STICKY_CACHE_SIZE unless BENCH_LIFECYCLE_CACHE says otherwise).
 */
async function* openLines(
  world: DevServerWorld,
  campaign: () => Promise<CampaignSnapshot>,
): AsyncIterable<BenchLine> {
  const open = envInt('BENCH_LIFECYCLE_OPEN', 10_000);
  const cache = envInt('BENCH_LIFECYCLE_CACHE', 250);
  // V8 keeps the heap it has grown to long after the workflows in it are evicted: a heap cap
  // (e.g. --max-old-space-size=384) is how an operator bounds the worker's RSS.
  const nodeArgs = (process.env.BENCH_LIFECYCLE_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const worker = await spawnGrantsWorker(world, { stickyCacheSize: cache }, nodeArgs);
  try {
    const idle = await settledRss(worker);
    const open_ = await campaign();
    const s = await seconds(() => openWorkflows(world.grants, worker, open_, open, cache));
    note(`${open} workflows ouverts en ${s.toFixed(0)} s (${((2 * open) / s).toFixed(0)} updates/s)`);
    const resident = await settledRss(worker);
    note(`pic de mémoire du worker : ${mb(worker.peakRssBytes())} Mo`);
    yield {
      name: `lifecycle.worker_rss_${open}_open_cache_${cache}${nodeArgs.length > 0 ? `_${nodeArgs.join('_')}` : ''}`,
      unit: 'MB',
      value: mb(resident),
      baseline: 'same worker before any workflow',
      baselineValue: mb(idle),
      ratio: null,
    };
  } finally {
    await worker.stop();
  }
}

export async function* run(): AsyncIterable<BenchLine> {
  const world = await startDevServerWorld('bench-lifecycle-', {
    onDisk: process.env.BENCH_LIFECYCLE_ON_DISK === '1',
  });
  try {
    note(`serveur Temporal de dev : ${world.server.address}, fichiers dans ${world.dir}`);
    // One campaign for every part, opened by whichever grants worker runs first (the campaign
    // workflow needs one).
    let campaign: CampaignSnapshot | undefined;
    const getCampaign = async (): Promise<CampaignSnapshot> =>
      (campaign ??= await openCampaign(world, 'bench-lifecycle'));
    const parts = (process.env.BENCH_LIFECYCLE_PARTS ?? 'throughput,slope,open').split(',');
    if (parts.includes('throughput')) yield await throughputLine(world, getCampaign);
    if (parts.includes('slope')) yield* slopeLines(world, getCampaign);
    if (parts.includes('open')) yield* openLines(world, getCampaign);
  } finally {
    await world.close();
  }
}

// `npx tsx bench/lifecycle.ts` runs it alone; `npm run bench -- lifecycle` goes through bench/run.ts.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { printLine } = await import('./lib');
  for await (const line of run()) printLine(line);
}
