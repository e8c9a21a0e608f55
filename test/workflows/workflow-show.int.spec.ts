// What an operator sees with the Temporal CLI: after a short lifecycle on the real dev server,
// `temporal workflow show` names each step (a Workflow Update named after its domain command) and
// the activities that recorded it (appendEvents, applyToEnvelope), in the text table and in JSON.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { applicationStreamName } from '../../domain/application';
import { toCampaignSnapshot } from '../../domain/campaign';
import { temporalBinaries } from '../../infra/temporal/binaries';
import { actors, createCampaignCommand } from '../support/fixtures';
import { waitFor } from '../support/processes';
import {
  plannedSteps,
  sendStep,
  spawnGrantsWorker,
  startDevServerWorld,
  type DevServerWorld,
  type WorkerProcess,
} from './support/devServer';

const run = promisify(execFile);

/** The two kinds of history events looked at, as the CLI prints them in JSON (protobuf JSON names). */
interface HistoryEventJson {
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
}

let world: DevServerWorld;
let worker: WorkerProcess;
beforeAll(async () => {
  world = await startDevServerWorld('grants-show-');
  worker = await spawnGrantsWorker(world);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

async function show(workflowId: string, output: 'text' | 'json'): Promise<string> {
  const { stdout } = await run(
    temporalBinaries().cli,
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      world.server.address,
      '--namespace',
      'default',
      '--output',
      output,
      // The text table lists event types only; the detailed sections carry update and activity names.
      ...(output === 'text' ? ['--detailed'] : []),
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

describe('temporal workflow show on an application workflow', () => {
  it('names the steps (updates) and the activities', async () => {
    await world.grants.createCampaign(
      createCampaignCommand(Date.now(), { campaignId: 'show-2027', opensInDays: -1 }),
      { actor: actors.manager, commandId: ulid() },
    );
    const campaign = await waitFor(
      'campaign open',
      async () => {
        const view = await world.grants.campaignView('show-2027');
        return view.state.status === 'open' ? toCampaignSnapshot(view.state) : undefined;
      },
      30_000,
    );
    const applicationId = ulid();
    const steps = plannedSteps('in_force', {
      applicationId,
      campaign,
      porteurId: 'asso-show',
      nowMs: Date.now(),
      etatCents: 1_000_000,
      epciCents: 500_000,
    });
    for (const step of steps) await sendStep(world.grants, applicationId, step);

    const workflowId = applicationStreamName(applicationId);
    const updates = steps.map((step) => step.command.type);
    // Each step appends its events; a commitment first reserves on the funder's envelope.
    const activities = updates.flatMap((type) =>
      type === 'RecordFunderPosition' ? ['applyToEnvelope', 'appendEvents'] : ['appendEvents'],
    );

    const text = await show(workflowId, 'text');
    const linesOf = (key: string): string[] =>
      text
        .split('\n')
        .filter((line) => line.startsWith(`${key}: `))
        .map((line) => line.slice(key.length + 2).trim());
    expect(linesOf('acceptedRequest.input.name')).toEqual(updates);
    expect(linesOf('activityType.name')).toEqual(activities);

    const json = JSON.parse(await show(workflowId, 'json')) as { events: HistoryEventJson[] };
    expect(
      json.events.flatMap((e) => {
        const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
        return name === undefined ? [] : [name];
      }),
    ).toEqual(updates);
    expect(
      json.events.flatMap((e) => {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
        return name === undefined ? [] : [name];
      }),
    ).toEqual(activities);
  });
});
