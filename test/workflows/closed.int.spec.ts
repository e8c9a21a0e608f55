// A step sent to an application whose workflow has ended (terminal outcome) is refused with the
// domain's own French message, like any other impossible step — not a technical error.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ulid } from 'ulid';
import { toCampaignSnapshot } from '../../domain/campaign';
import { DomainRefusalError } from '../../workflows/client';
import { createTimeSkippingEnv } from '../support/temporal';
import { actors, createCampaignCommand, day, dossier } from '../support/fixtures';
import { as, createHarness, type Harness } from './support/harness';

let env: TestWorkflowEnvironment;
let h: Harness;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
  h = await createHarness(env);
});
afterAll(async () => {
  await h?.close();
  await env?.teardown();
});

it('refuses a step on a withdrawn application with code TERMINAL_STATE and a French message', () =>
  h.run(async () => {
    const t = Number(await env.currentTimeMs());
    await h.grants.createCampaign(createCampaignCommand(t, { campaignId: 'closed-wf' }), as(actors.manager));
    await env.sleep(2 * 86_400_000);
    const campaign = toCampaignSnapshot((await h.grants.campaignView('closed-wf')).state)!;
    const applicationId = ulid();
    await h.grants.submitApplication(
      { type: 'SubmitApplication', applicationId, campaign, dossier: dossier() },
      as(actors.porteur()),
    );
    const withdrawn = await h.grants.applicationCommand(
      applicationId,
      { type: 'WithdrawApplication', reason: 'Projet abandonné' },
      as(actors.porteur()),
    );
    expect(withdrawn.state.status).toBe('withdrawn');
    await env.sleep(1000);
    const refusal = await h.grants
      .applicationCommand(
        applicationId,
        { type: 'DeclareEligible', coDecisionDueDate: day(t, 30) },
        as(actors.manager),
      )
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DomainRefusalError);
    expect((refusal as DomainRefusalError).code).toBe('TERMINAL_STATE');
    expect((refusal as DomainRefusalError).message).toMatch(/retirée|retrait/i);
    // The state stays readable after the workflow ended.
    expect((await h.grants.applicationView(applicationId)).state.status).toBe('withdrawn');
  }));
