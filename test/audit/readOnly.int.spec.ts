// The store as the audit side holds it: reads pass through unchanged, writes cannot happen.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../infra/eventstore/port';
import { auditView, ReadOnlyStoreError } from '../../services/audit/readOnly';
import { FundingWorld, openTestStore, type TestStore } from './support';

describe('the audit view of the store', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = openTestStore();
    await new FundingWorld(t).createAndOpenCampaign();
  });
  afterAll(() => t.close());

  it('refuses every append, leaving the log as it was', async () => {
    const head = await t.store.headPosition();
    const view = auditView(t.store);
    await expect(
      view.append(
        'campaign-2027',
        [
          {
            id: randomUUID(),
            type: 'CampaignClosed',
            data: { closedAt: '2027-02-01T00:00:00.000Z', trigger: 'manual' },
            metadata: {
              correlationId: 'c',
              causationId: 'c',
              actor: { id: 'user-audit', role: 'auditor' },
              occurredAt: '2027-02-01T00:00:00.000Z',
            },
          },
        ],
        { expectedRevision: 'any' },
      ),
    ).rejects.toBeInstanceOf(ReadOnlyStoreError);
    expect(await t.store.headPosition()).toBe(head);
  });

  it('reads the same events, in the same order, even when giving the event loop a turn between them', async () => {
    const direct: RecordedEvent[] = [];
    for await (const e of t.store.readAll()) direct.push(e);
    const paced: RecordedEvent[] = [];
    for await (const e of auditView(t.store, 2).readAll()) paced.push(e);
    expect(paced).toEqual(direct);
    expect(direct.length).toBeGreaterThan(3);
    expect(await auditView(t.store).readStream('campaign-2027')).toEqual(
      await t.store.readStream('campaign-2027'),
    );
    // Closing the view leaves the store open: its owner closes it.
    await auditView(t.store).close();
    expect(await t.store.headPosition()).toBeGreaterThan(0n);
  });
});
