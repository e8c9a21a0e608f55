// What one application's workflow can carry, on the real dev server: its view (state, revision,
// allowed commands) is every update's result, every query's answer and what continue-as-new carries,
// and Temporal refuses a payload over 2 MiB. The state keeps every demande de compléments with its
// answer, for as many rounds as the grant manager asks. Before the bound, the ninth answer of
// 240 kB (within the HTTP body limit) was recorded in the event store while its update never
// answered: the workflow task failed with PayloadsTooLarge hundreds of times a minute, queries failed,
// and the application was stuck for good. Now the step that would cross the bound is refused, in
// French, with nothing written, and the application goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { applicationStreamName, type ApplicationState } from '../../domain/application';
import { toCampaignSnapshot } from '../../domain/campaign';
import { DomainRefusalError, type AggregateView } from '../../workflows/client';
import { viewByteLimit } from '../../workflows/shared/aggregateWorkflow';
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
  world = await startDevServerWorld('grants-payload-');
  worker = await spawnGrantsWorker(world);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

/** A step that does not answer within the time fails the test instead of hanging it. */
function answered<T>(what: string, step: Promise<T>, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} : pas de réponse en ${ms} ms`)), ms);
  });
  return Promise.race([step, late]).finally(() => clearTimeout(timer));
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('the size of what an application workflow carries', () => {
  it('refuses the answer that would make the view too large for Temporal, and goes on', async () => {
    await world.grants.createCampaign(
      createCampaignCommand(Date.now(), { campaignId: 'taille-2027', opensInDays: -1 }),
      { actor: actors.manager, commandId: ulid() },
    );
    const campaign = await waitFor(
      'campaign open',
      async () => {
        const view = await world.grants.campaignView('taille-2027');
        return view.state.status === 'open' ? toCampaignSnapshot(view.state) : undefined;
      },
      30_000,
    );
    const applicationId = ulid();
    const porteur = actors.porteur('asso-taille');
    await world.grants.submitApplication(
      {
        type: 'SubmitApplication',
        applicationId,
        campaign,
        dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000_000 } }),
      },
      { actor: porteur, commandId: ulid() },
    );
    const step = (
      actor: Parameters<typeof world.grants.applicationCommand>[2]['actor'],
      command: Parameters<typeof world.grants.applicationCommand>[1],
    ): Promise<AggregateView<ApplicationState>> =>
      answered(
        command.type,
        world.grants.applicationCommand(applicationId, command, { actor, commandId: ulid() }),
      );

    // 120,000 « é »: 240 kB of UTF-8, what one HTTP body (256 kB) may carry.
    const longAnswer = 'é'.repeat(120_000);
    let accepted = 0;
    let largest = 0;
    let refusal: DomainRefusalError | undefined;
    for (let round = 1; round <= 12 && refusal === undefined; round += 1) {
      await step(actors.manager, {
        type: 'RequestComplements',
        items: ['Budget détaillé par poste'],
        dueDate: day(Date.now(), 10),
      });
      try {
        const view = await step(porteur, { type: 'ProvideComplements', response: longAnswer });
        accepted += 1;
        largest = Math.max(largest, jsonBytes(view));
      } catch (error) {
        if (!(error instanceof DomainRefusalError)) throw error;
        refusal = error;
      }
    }
    expect(refusal?.code).toBe('AGGREGATE_TOO_LARGE');
    expect(refusal?.message).toMatch(/Kio.*raccourcissez les textes saisis/);
    expect(accepted).toBeGreaterThanOrEqual(3);
    expect(largest).toBeLessThanOrEqual(viewByteLimit);

    // Nothing of the refused answer was written; the application still answers and goes on.
    const stream = applicationStreamName(applicationId);
    const provided = async () =>
      (await world.eventStore.readStream(stream)).filter((e) => e.type === 'ComplementsProvided').length;
    expect(await provided()).toBe(accepted);
    const waiting = await answered('view', world.grants.applicationView(applicationId));
    expect(waiting.state.status).toBe('awaiting_complements');
    const shortAnswer = await step(porteur, {
      type: 'ProvideComplements',
      response: 'Le budget détaillé est joint (pièce « budget-2027.pdf »).',
      documentRefs: ['budget-2027.pdf'],
    });
    expect(shortAnswer.state.status).toBe('under_review');
    expect(await provided()).toBe(accepted + 1);

    const description = await world.client.workflow.getHandle(stream).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.raw.pendingWorkflowTask ?? null).toBeNull();
  }, 240_000);
});
