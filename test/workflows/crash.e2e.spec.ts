// kill -9 of the worker, on the real Temporal dev server (real time, persisted history): the worker
// runs in a child process, the test drives ten applications' lifecycles and kills the worker while
// steps are in flight, between steps, and again while a fresh worker is recovering. Every lifecycle
// must still reach its end (convention in force, or withdrawn / rejected / ineligible: the yearly
// reports would need a year of real time), and the event store must hold each expected event
// exactly once: same types in the same order, unique ids, contiguous revisions, intact hash chain.
//
// A killed worker's activities are only retried once their start-to-close timeout has passed
// (30 s for appends, 1 min for envelope steps; they do not heartbeat), so each kill in flight
// costs up to a minute: the test takes about two and a half minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { applicationStreamName } from '../../domain/application';
import { toCampaignSnapshot, type CampaignSnapshot } from '../../domain/campaign';
import { envelopeStreamName } from '../../domain/envelope';
import { verifyIntegrity, type RecordedEvent } from '../../infra/eventstore';
import { actors, createCampaignCommand } from '../support/fixtures';
import { waitFor } from '../support/processes';
import {
  expectedApplicationEvents,
  expectedEnvelopeEvents,
  plannedSteps,
  sendStep,
  sleep,
  spawnGrantsWorker,
  startDevServerWorld,
  terminalStatus,
  type DevServerWorld,
  type LifecyclePath,
  type PlannedStep,
  type WorkerProcess,
} from './support/devServer';

let world: DevServerWorld;
let worker: WorkerProcess | undefined;
const kills: string[] = [];

beforeAll(async () => {
  world = await startDevServerWorld('grants-crash-');
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

// A short sticky timeout, so a task parked on the dead worker's sticky queue moves on in 1 s.
const startWorker = async (): Promise<void> => {
  worker = await spawnGrantsWorker(world, { stickyQueueTimeoutMs: 1_000 });
};
async function crash(where: string): Promise<void> {
  await worker?.kill9();
  kills.push(where);
  await startWorker();
}

const campaignId = 'crash-2027';
const paths: LifecyclePath[] = [
  'in_force',
  'in_force',
  'in_force',
  'in_force',
  'in_force',
  'withdrawn',
  'withdrawn',
  'rejected',
  'rejected',
  'ineligible',
];

interface Driven {
  path: LifecyclePath;
  applicationId: string;
  steps: PlannedStep[];
}

async function openCampaign(): Promise<CampaignSnapshot> {
  // The window opened yesterday: the campaign's own deadline opens it as soon as it is created.
  await world.grants.createCampaign(
    createCampaignCommand(Date.now(), {
      campaignId,
      opensInDays: -1,
      closesInDays: 60,
      envelopes: { ETAT: 50_000_000, EPCI: 30_000_000 },
    }),
    { actor: actors.manager, commandId: ulid() },
  );
  const open = await waitFor(
    'campaign open',
    async () => {
      const view = await world.grants.campaignView(campaignId);
      return view.state.status === 'open' ? view.state : undefined;
    },
    30_000,
  );
  const snapshot = toCampaignSnapshot(open);
  if (!snapshot) throw new Error('campaign missing');
  return snapshot;
}

/**
 * Phase k sends step k of every application at once and waits for all of them; `during` runs
 * meanwhile (a kill while those steps are in flight).
 */
async function phase(driven: Driven[], k: number, during?: () => Promise<void>): Promise<void> {
  const sends = driven.flatMap((d) => {
    const step = d.steps[k];
    if (step === undefined) return [];
    return [sendStep(world.grants, d.applicationId, step, { attempts: 40 })];
  });
  await Promise.all([Promise.all(sends), during?.()]);
}

/** Waits until `count` more events are in the store than `before`, then kills: steps are mid-way. */
async function killOnceRecording(before: bigint, count: bigint, where: string): Promise<void> {
  await waitFor(
    `${count} new events`,
    async () => ((await world.eventStore.headPosition()) >= before + count ? true : undefined),
    60_000,
    5,
  );
  await crash(where);
}

const types = (events: RecordedEvent[]): string[] => events.map((e) => e.type);

describe('worker killed with -9 on the real dev server', () => {
  it('completes every lifecycle and records every event exactly once', async () => {
    await startWorker();
    const campaign = await openCampaign();
    const nowMs = Date.now();
    const driven: Driven[] = paths.map((path, i) => {
      const applicationId = ulid();
      return {
        path,
        applicationId,
        steps: plannedSteps(path, {
          applicationId,
          campaign,
          porteurId: `asso-${i + 1}`,
          nowMs,
          etatCents: 1_000_000 + i * 10_000,
          epciCents: 500_000 + i * 5_000,
        }),
      };
    });
    const longest = Math.max(...driven.map((d) => d.steps.length));

    for (let k = 0; k < longest; k += 1) {
      const head = await world.eventStore.headPosition();
      switch (k) {
        case 2:
          // Funders commit: envelope reservations and appends in flight.
          await phase(driven, k, () => killOnceRecording(head, 3n, `phase ${k}: reservations in flight`));
          break;
        case 4:
          // Killed, restarted, and the fresh worker killed again while it recovers.
          await phase(driven, k, async () => {
            await killOnceRecording(head, 2n, `phase ${k}: withdrawals in flight`);
            await sleep(300);
            await crash(`phase ${k}: fresh worker recovering`);
          });
          break;
        case 6:
          // Idle: every workflow cached on the worker, nothing in flight.
          await crash(`before phase ${k}: idle`);
          await phase(driven, k);
          break;
        case 9:
          // The last signatures: entry into force and the first payments in flight.
          await phase(driven, k, () => killOnceRecording(head, 2n, `phase ${k}: entry into force in flight`));
          break;
        default:
          await phase(driven, k);
      }
    }
    expect(kills).toHaveLength(5);

    // Every workflow reached the expected state; the terminal ones have completed.
    for (const d of driven) {
      const view = await world.grants.applicationView(d.applicationId);
      expect(view.state.status, d.path).toBe(terminalStatus[d.path]);
      const description = await world.client.workflow
        .getHandle(applicationStreamName(d.applicationId))
        .describe();
      expect(description.status.name, d.path).toBe(d.path === 'in_force' ? 'RUNNING' : 'COMPLETED');
    }

    // Each application stream holds exactly its path's events.
    for (const d of driven) {
      const events = await world.eventStore.readStream(applicationStreamName(d.applicationId));
      expect(types(events), `${d.path} ${d.applicationId}`).toEqual(expectedApplicationEvents[d.path]);
    }
    // Each envelope holds, per application, exactly the reservations and releases of its path.
    for (const funder of ['ETAT', 'EPCI'] as const) {
      const events = await world.eventStore.readStream(envelopeStreamName(campaignId, funder));
      expect(events[0]?.type).toBe('EnvelopeOpened');
      const byApplication = new Map<string, string[]>();
      for (const e of events.slice(1)) {
        const id = (e.data as { applicationId: string }).applicationId;
        byApplication.set(id, [...(byApplication.get(id) ?? []), e.type]);
      }
      for (const d of driven) {
        expect(byApplication.get(d.applicationId) ?? [], `${funder} ${d.path}`).toEqual(
          expectedEnvelopeEvents(d.path, funder),
        );
      }
      expect([...byApplication.keys()].every((id) => driven.some((d) => d.applicationId === id))).toBe(true);
    }
    expect(types(await world.eventStore.readStream(`campaign-${campaignId}`))).toEqual([
      'CampaignCreated',
      'CampaignOpened',
    ]);

    // Whole store: unique ids, contiguous revisions per stream, hash chains intact.
    const all: RecordedEvent[] = [];
    for await (const e of world.eventStore.readAll()) all.push(e);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const revisions = new Map<string, bigint[]>();
    for (const e of all) revisions.set(e.stream, [...(revisions.get(e.stream) ?? []), e.revision]);
    for (const [stream, list] of revisions) {
      expect(list, stream).toEqual(list.map((_, i) => BigInt(i)));
    }
    const expectedTotal =
      2 +
      2 +
      driven.reduce(
        (n, d) =>
          n +
          expectedApplicationEvents[d.path].length +
          expectedEnvelopeEvents(d.path, 'ETAT').length +
          expectedEnvelopeEvents(d.path, 'EPCI').length,
        0,
      );
    expect(all).toHaveLength(expectedTotal);

    // The kills did land mid-step: some activities ran again on the next worker.
    let retried = 0;
    for (const d of driven) {
      const history = await world.client.workflow
        .getHandle(applicationStreamName(d.applicationId))
        .fetchHistory();
      retried += (history.events ?? []).filter(
        (e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
      ).length;
    }
    expect(retried).toBeGreaterThan(0);

    const integrity = await verifyIntegrity(world.eventStore);
    expect(integrity.ok, JSON.stringify(integrity.firstBroken)).toBe(true);
  }, 420_000);
});
