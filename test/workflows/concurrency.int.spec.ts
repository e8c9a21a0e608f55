// Steps racing each other, on the real dev server with the worker in a child process (two cores:
// test process and worker each get one):
//  - the same step sent twenty times at once to one application is recorded once;
//  - 500 funder commitments racing on one envelope (ETAT's, sized for about half of them) never
//    overspend it: at every point of the envelope's stream the reservations fit, and in the end
//    they equal what the applications recorded as committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { applicationStreamName, type FunderPosition } from '../../domain/application';
import { toCampaignSnapshot, type CampaignSnapshot } from '../../domain/campaign';
import { envelopeStreamName } from '../../domain/envelope';
import { DomainRefusalError, StepPendingError, type StepActor } from '../../workflows/client';
import { actors, createCampaignCommand, day, dossier } from '../support/fixtures';
import { waitFor } from '../support/processes';
import {
  spawnGrantsWorker,
  startDevServerWorld,
  type DevServerWorld,
  type WorkerProcess,
} from './support/devServer';

let world: DevServerWorld;
let worker: WorkerProcess;
beforeAll(async () => {
  world = await startDevServerWorld('grants-concurrency-');
  worker = await spawnGrantsWorker(world);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

const as = (actor: StepActor) => ({ actor, commandId: ulid() });

async function openCampaign(
  campaignId: string,
  envelopes: Record<string, number>,
): Promise<CampaignSnapshot> {
  // The window opened yesterday: the campaign's own deadline opens it as soon as it is created.
  await world.grants.createCampaign(
    createCampaignCommand(Date.now(), { campaignId, opensInDays: -1, closesInDays: 60, envelopes }),
    as(actors.manager),
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

async function submitEligible(campaign: CampaignSnapshot, perYear: Record<string, number>, declare = true) {
  const applicationId = ulid();
  await world.grants.submitApplication(
    { type: 'SubmitApplication', applicationId, campaign, dossier: dossier({ durationYears: 1, perYear }) },
    as(actors.porteur(`asso-${applicationId}`)),
  );
  if (declare) {
    await world.grants.applicationCommand(
      applicationId,
      { type: 'DeclareEligible', coDecisionDueDate: day(Date.now(), 20) },
      as(actors.manager),
    );
  }
  return applicationId;
}

/** Runs fn over items with at most `limit` at a time (the submissions are set-up, not the race). */
async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await fn(item);
      }
    }),
  );
}

const refusalCode = (reason: unknown): string =>
  reason instanceof DomainRefusalError ? reason.code : `not a refusal: ${String(reason)}`;

describe('concurrent steps on the real dev server', () => {
  it('records the same step sent twenty times at once exactly once', async () => {
    const campaign = await openCampaign('race-step', { ETAT: 50_000_000, EPCI: 30_000_000 });
    const applicationId = await submitEligible(campaign, { ETAT: 1_000_000, EPCI: 500_000 }, false);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        world.grants.applicationCommand(
          applicationId,
          { type: 'DeclareEligible', coDecisionDueDate: day(Date.now(), 20 + i) },
          as(actors.manager),
        ),
      ),
    );

    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const reason of refused) expect(reason).toBeInstanceOf(DomainRefusalError);
    const events = await world.eventStore.readStream(applicationStreamName(applicationId));
    expect(events.map((e) => e.type)).toEqual(['ApplicationSubmitted', 'ApplicationDeclaredEligible']);
  });

  it('never lets 500 racing commitments overspend one envelope', async () => {
    const applications = 100;
    const requestedCents = 1_000_000; // 10 000 € asked of ETAT by each application
    // Each application's ETAT representative sends five positions at once (a funder may revise its
    // position until the committee decides; the last recorded one counts): 500 commitments, every
    // one of which must reserve on the same envelope before it is recorded.
    const revisions = [200_000, 400_000, 600_000, 800_000, 1_000_000];
    const envelopeCents = 45_000_000; // room for under half of the highest commitments
    const campaign = await openCampaign('race-envelope', { ETAT: envelopeCents, EPCI: 300_000_000 });

    const ids: string[] = [];
    await inBatches(
      Array.from({ length: applications }, (_, i) => i),
      20,
      async () => {
        ids.push(await submitEligible(campaign, { ETAT: requestedCents, EPCI: 500_000 }));
      },
    );

    const commitments = ids.flatMap((applicationId) =>
      revisions.map((amountCents) => ({ applicationId, amountCents })),
    );
    const started = Date.now();
    // A step accepted but still without an outcome after the client's wait (STEP_PENDING: a loaded
    // machine, 500 steps on two cores) is resent with the same command id, as a client is told to,
    // until it has its outcome: each commitment ends recorded or refused.
    const send = async (applicationId: string, amountCents: number, meta: ReturnType<typeof as>) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await world.grants.applicationCommand(
            applicationId,
            {
              type: 'RecordFunderPosition',
              funder: 'ETAT',
              position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents }] },
            },
            meta,
          );
        } catch (error) {
          if (!(error instanceof StepPendingError) || attempt === 6) throw error;
        }
      }
    };
    const outcomes = await Promise.allSettled(
      commitments.map(({ applicationId, amountCents }) =>
        send(applicationId, amountCents, as(actors.funder('ETAT'))),
      ),
    );
    const raceSeconds = (Date.now() - started) / 1000;

    const refusedCodes = outcomes.flatMap((o) => (o.status === 'rejected' ? [refusalCode(o.reason)] : []));
    const acceptedCount = outcomes.length - refusedCodes.length;
    expect(new Set(refusedCodes)).toEqual(new Set(['ENVELOPE_EXCEEDED']));
    expect(acceptedCount).toBeGreaterThan(0);

    // The envelope, event by event: what it holds never exceeds it.
    const envelope = await world.eventStore.readStream(envelopeStreamName('race-envelope', 'ETAT'));
    expect(envelope[0]?.type).toBe('EnvelopeOpened');
    const held = new Map<string, number>();
    const reservedSequence = new Map<string, number[]>();
    let reserved = 0;
    for (const e of envelope.slice(1)) {
      expect(e.type).toBe('FundsReserved');
      const data = e.data as { applicationId: string; totalCents: number; previousTotalCents: number };
      expect(data.previousTotalCents).toBe(held.get(data.applicationId) ?? 0);
      reserved += data.totalCents - data.previousTotalCents;
      held.set(data.applicationId, data.totalCents);
      reservedSequence.set(data.applicationId, [
        ...(reservedSequence.get(data.applicationId) ?? []),
        data.totalCents,
      ]);
      expect(reserved).toBeLessThanOrEqual(envelopeCents);
    }

    // The applications' side: each recorded commitment is one reservation, in the same order, and
    // the envelope holds exactly the last commitment of each application.
    let recorded = 0;
    let lastCommitments = 0;
    for (const applicationId of ids) {
      const events = await world.eventStore.readStream(applicationStreamName(applicationId));
      const committed = events
        .filter((e) => e.type === 'FunderPositionRecorded')
        .map((e) => (e.data as { position: FunderPosition }).position)
        .flatMap((p) => (p.decision === 'committed' ? [p.amountsByYear[0]?.amountCents ?? 0] : []));
      expect(committed, applicationId).toEqual(reservedSequence.get(applicationId) ?? []);
      recorded += committed.length;
      lastCommitments += committed.at(-1) ?? 0;
    }
    expect(recorded).toBe(acceptedCount);
    expect(reserved).toBe(lastCommitments);
    expect(refusedCodes.length).toBeGreaterThan(0);
    // For the record (runtime and contention), not an assertion.
    process.stderr.write(
      `# 500 commitments in ${raceSeconds.toFixed(1)} s: ${acceptedCount} recorded, ${refusedCodes.length} refused (ENVELOPE_EXCEEDED); ${reserved} of ${envelopeCents} cents reserved\n`,
    );
  }, 300_000);
});
