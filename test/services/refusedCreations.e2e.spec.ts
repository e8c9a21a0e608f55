// A creation the rules refuse (a campaign naming a funder twice, a submission to a campaign not open
// yet) leaves nothing behind: the 422 with the domain's code, then the id is unknown everywhere — its
// GET and its commands answer 404 — and no workflow is left running for it. And a stale If-Match on
// a finished application is a 412, as on a live one, not the refusal its finished state would give.
// Real HTTP, real JWTs, the real Temporal dev server, the real workflows and SQLite event store.
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationStreamName } from '../../domain/application';
import { campaignStreamName } from '../../domain/campaign';
import { keyedApplicationId } from '../../services/commands/idempotency';
import { createCampaignCommand, dossier } from '../support/fixtures';
import { openCampaignToday, startTestEngine, type RunningEngine } from './support/engine';

let e: RunningEngine;
const tokens: Record<string, string> = {};
const openCampaign = 'refus-ouverte';

beforeAll(async () => {
  e = await startTestEngine();
  tokens.manager = await e.token({ role: 'grant_manager', subject: 'gestionnaire' });
  tokens.porteur = await e.token({ role: 'porteur', porteurId: 'asso-refus', subject: 'porteur-refus' });
  await openCampaignToday(e, tokens.manager, openCampaign);
}, 180_000);
afterAll(async () => {
  await e?.stop();
});

interface Problem {
  status: number;
  code?: string;
  detail?: string;
}

/** The workflow's status, or 'absent' when Temporal has never heard of it. */
async function workflowStatus(workflowId: string): Promise<string> {
  try {
    return (await e.engine.client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'absent';
    throw error;
  }
}

/** The body of a campaign creation, without its command type. */
const campaignBody = (campaignId: string, options: Parameters<typeof createCampaignCommand>[1] = {}) => {
  const { type: _type, ...body } = createCampaignCommand(Date.now(), { campaignId, ...options });
  return body;
};

describe('a refused creation leaves nothing behind', () => {
  it('a campaign naming a funder twice: 422, then 404 on its GET and its commands, no workflow running', async () => {
    const campaignId = 'refus-doublon';
    const body = campaignBody(campaignId);
    const refused = await e.call('POST', '/api/campaigns', {
      token: tokens.manager,
      body: { ...body, funders: [...body.funders, { funder: 'ETAT', envelopeCents: 1_000_000 }] },
    });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((refused.body as Problem).code).toBe('DUPLICATE_FUNDER');

    const read = await e.call('GET', `/api/campaigns/${campaignId}`, { token: tokens.manager });
    expect(read.status, JSON.stringify(read.body)).toBe(404);
    expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(read.body).toMatchObject({
      code: 'CAMPAIGN_NOT_FOUND',
      detail: `La campagne « ${campaignId} » est introuvable.`,
    });
    // As an id never used: not « possible now: creating the campaign ».
    const open = await e.call('POST', `/api/campaigns/${campaignId}/open`, { token: tokens.manager });
    expect(open.status, JSON.stringify(open.body)).toBe(404);
    // (Its code is the command routes' own for an unknown campaign.)
    expect(open.body).toMatchObject({ type: '/api/docs#problem-notFound' });

    expect(['absent', 'COMPLETED']).toContain(await workflowStatus(campaignStreamName(campaignId)));

    // The id is still free: the corrected creation goes through.
    const created = await e.call('POST', '/api/campaigns', { token: tokens.manager, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((created.body as { state: { status: string } }).state.status).toBe('draft');
    const again = await e.call('GET', `/api/campaigns/${campaignId}`, { token: tokens.manager });
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe('"0"');
  });

  it('a submission to a campaign not open yet: 422, then 404 on its GET and its commands, no workflow running', async () => {
    const campaignId = 'refus-pas-ouverte';
    const created = await e.call('POST', '/api/campaigns', {
      token: tokens.manager,
      body: campaignBody(campaignId, { opensInDays: 10 }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // With a key, the application's id is known in advance (derived from the key and the sender).
    const key = 'depot-refuse-0001';
    const refused = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      headers: { 'idempotency-key': key },
      body: { campaignId, dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000_000 } }) },
    });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect((refused.body as Problem).code).toBe('SUBMISSION_WINDOW_CLOSED');
    const id = keyedApplicationId(key, ['porteur-refus', 'porteur', '', 'asso-refus'].join('\u001f'));

    const read = await e.call('GET', `/api/applications/${id}`, { token: tokens.porteur });
    expect(read.status, JSON.stringify(read.body)).toBe(404);
    expect((read.body as Problem).code).toBe('NOT_FOUND');
    const withdraw = await e.call('POST', `/api/applications/${id}/withdraw`, { token: tokens.porteur });
    expect(withdraw.status, JSON.stringify(withdraw.body)).toBe(404);
    expect((withdraw.body as Problem).code).toBe('NOT_FOUND');

    expect(['absent', 'COMPLETED']).toContain(await workflowStatus(applicationStreamName(id)));
  });
});

describe('If-Match on a finished application', () => {
  it('a stale tag is a 412, as on a live application; the current one gets the refusal of its state', async () => {
    const submitted = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: {
        campaignId: openCampaign,
        dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000_000 } }),
      },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const id = (submitted.body as { state: { applicationId: string } }).state.applicationId;
    const withdrawn = await e.call('POST', `/api/applications/${id}/withdraw`, {
      token: tokens.porteur,
      body: { reason: 'Action reportée' },
    });
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).toBe(200);
    const current = withdrawn.headers.get('etag') ?? '';
    expect(current).toBe('"1"');
    // Withdrawn is terminal: the workflow completes, and steps are then answered from its last state.
    for (let i = 0; (await workflowStatus(applicationStreamName(id))) !== 'COMPLETED'; i++) {
      if (i > 100) throw new Error('le workflow de la candidature retirée ne se termine pas');
      await new Promise((r) => setTimeout(r, 100));
    }

    const stale = await e.call('POST', `/api/applications/${id}/withdraw`, {
      token: tokens.porteur,
      headers: { 'if-match': '"0"' },
    });
    expect(stale.status, JSON.stringify(stale.body)).toBe(412);
    expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((stale.body as Problem).code).toBe('PRECONDITION_FAILED');
    expect((stale.body as Problem).detail).toContain('"1"');

    const onCurrent = await e.call('POST', `/api/applications/${id}/withdraw`, {
      token: tokens.porteur,
      headers: { 'if-match': current },
    });
    expect(onCurrent.status, JSON.stringify(onCurrent.body)).toBe(422);
    expect((onCurrent.body as Problem).code).not.toBe('PRECONDITION_FAILED');
  });
});
