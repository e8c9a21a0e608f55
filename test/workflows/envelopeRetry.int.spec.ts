// A retried envelope step finds its own write. The worker or the Temporal server killed after the
// append but before its answer reached Temporal, the activity runs again (attempt 2, same activity
// id): deciding again on the stream that now holds its events refused OpenEnvelope (« déjà
// ouverte »), and the campaign's creation stopped with half its envelopes opened, for good. Run in
// Temporal's mock activity context (attempt and identity as a retry has them), on a real SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeStreamName } from '../../domain/envelope';
import { openSqliteEventStore } from '../../infra/eventstore';
import type { EventStore } from '../../infra/eventstore/port';
import { createLogger } from '../../infra/logging/logger';
import { createEnvelopeActivities, type EnvelopeStepInput } from '../../workflows/activities/envelopes';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';

const workflowExecution = { workflowId: 'campaign-retry-test', runId: 'run-1' };
/** Runs `applyToEnvelope` as the given attempt of the given activity runs it. */
const attemptOf = (activityId: string, attempt: number) => ({
  run: (activities: ReturnType<typeof createEnvelopeActivities>, input: EnvelopeStepInput) =>
    new MockActivityEnvironment({ activityId, attempt, workflowExecution }).run(
      (i: EnvelopeStepInput) => activities.applyToEnvelope(i),
      input,
    ),
});

const step = (command: EnvelopeStepInput['command']): EnvelopeStepInput => ({
  campaignId: 'retry-test',
  funder: 'ETAT',
  command,
  metadata: {
    correlationId: 'corr-1',
    causationId: 'cmd-1',
    actor: { id: 'manager-1', role: 'grant_manager' },
    occurredAt: '2027-01-10T09:00:00.000Z',
  },
});

describe('a retried envelope step', () => {
  let dir: string;
  let store: EventStore;
  let activities: ReturnType<typeof createEnvelopeActivities>;
  const stream = envelopeStreamName('retry-test', 'ETAT');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grants-envelope-retry-'));
    store = openSqliteEventStore({ file: join(dir, 'events.sqlite'), registry: createGrantsEventRegistry() });
    activities = createEnvelopeActivities({
      eventStore: store,
      logger: createLogger({ level: 'silent', format: 'json' }),
    });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers its first write when the opening went through but its answer was lost, and writes nothing more', async () => {
    const open = step({
      type: 'OpenEnvelope',
      campaignId: 'retry-test',
      funder: 'ETAT',
      amountCents: 10_000_000,
    });
    await expect(attemptOf('open-etat', 1).run(activities, open)).resolves.toEqual({
      ok: true,
      revision: '0',
    });
    // The same activity again, as Temporal retries it: its own write found, not a refusal.
    await expect(attemptOf('open-etat', 2).run(activities, open)).resolves.toEqual({
      ok: true,
      revision: '0',
    });
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['EnvelopeOpened']);
    // Another step opening it again is still refused: the rule holds, only the retry is recognised.
    const again = await attemptOf('open-etat-bis', 1).run(activities, open);
    expect(again).toMatchObject({ ok: false, error: { code: 'ENVELOPE_ALREADY_OPENED' } });
  });

  it('finds its own write after other writers appended behind it', async () => {
    const reserve = step({
      type: 'ReserveFunds',
      funder: 'ETAT',
      applicationId: 'app-1',
      amountsByYear: [{ year: 1, amountCents: 500_000 }],
    });
    await expect(attemptOf('reserve-app-1', 1).run(activities, reserve)).resolves.toEqual({
      ok: true,
      revision: '1',
    });
    const other = step({
      type: 'ReserveFunds',
      funder: 'ETAT',
      applicationId: 'app-2',
      amountsByYear: [{ year: 1, amountCents: 300_000 }],
    });
    await attemptOf('reserve-app-2', 1).run(activities, other);
    await expect(attemptOf('reserve-app-1', 3).run(activities, reserve)).resolves.toEqual({
      ok: true,
      revision: '1',
    });
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual([
      'EnvelopeOpened',
      'FundsReserved',
      'FundsReserved',
    ]);
  });
});
