// A command whose step the event log does not take (its SQLite file locked by another process past
// the store's busy timeout, an EventStoreDB down) does not hang: once its workflow has accepted the
// step, the request waits GRANTS_STEP_WAIT_SECONDS, then answers 503 STEP_PENDING with Retry-After
// and a French detail. The step is not lost nor doubled: it is recorded once the log answers, a
// resend under the same Idempotency-Key gets its outcome, and the read models follow.
// Real HTTP, real JWTs, the real Temporal dev server, the real workflows and SQLite event store.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, fromEpochMs, parisDateOf } from '../../domain/calendar';
import { applicationStreamName } from '../../domain/application';
import { keyedCommandId } from '../../services/commands/idempotency';
import { dossier } from '../support/fixtures';
import { openCampaignToday, startTestEngine, type RunningEngine } from './support/engine';
import { postWithin, type AnswerWithin } from './support/postWithin';

const waitSeconds = 2;
/**
 * How late past the bound an answer may come. Each append attempt waits out the store's busy timeout
 * (5 s) synchronously (better-sqlite3), the engine's event loop with it, the HTTP server included:
 * the answer leaves in the first pause between attempts after the bound, the second or third. Before
 * the bound existed, no answer came at all.
 */
const answerWithinMs = waitSeconds * 1000 + 3 * 5_000 + 3_000;

let e: RunningEngine;
const tokens = { manager: '', porteur: '' };
const campaignId = 'attente-journal';
const today = parisDateOf(fromEpochMs(Date.now()));

beforeAll(async () => {
  e = await startTestEngine({ GRANTS_STEP_WAIT_SECONDS: String(waitSeconds) });
  tokens.manager = await e.token({ role: 'grant_manager', subject: 'gestionnaire-attente' });
  tokens.porteur = await e.token({ role: 'porteur', porteurId: 'asso-attente', subject: 'porteur-attente' });
  await openCampaignToday(e, tokens.manager, campaignId);
}, 180_000);
afterAll(async () => {
  await e?.stop();
});

/** The event log's write lock, taken by another connection as another process could; released by the returned function. */
function holdEventLog(): () => void {
  const db = new Database(e.eventsFile);
  db.exec('BEGIN EXCLUSIVE');
  return () => {
    db.exec('ROLLBACK');
    db.close();
  };
}

/** A request given up after `ms`: a request that hangs fails an assertion, not the test's timeout. */
const callWithin = (
  ms: number,
  path: string,
  options: { token: string; body: unknown; headers?: Record<string, string> },
) => postWithin(e.url, ms, path, options);

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('not there in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Problem {
  code?: string;
  detail?: string;
}

/** A 503 STEP_PENDING, as problem+json with Retry-After, answered within the bound. */
function expectStepPending(answer: AnswerWithin): Problem {
  expect(answer.status, `${answer.ms} ms: ${JSON.stringify(answer.body)}`).toBe(503);
  expect(answer.headers?.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.headers?.get('retry-after')).toMatch(/^\d+$/);
  const problem = answer.body as Problem;
  expect(problem.code).toBe('STEP_PENDING');
  expect(problem.detail).toContain('Action acceptée, mais pas encore enregistrée');
  expect(answer.ms).toBeGreaterThanOrEqual(waitSeconds * 1000);
  return problem;
}

describe('a step the event log does not take', () => {
  it('answers 503 STEP_PENDING within the bound; a resend with its key gets the outcome once the log answers', async () => {
    const submitted = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: { campaignId, dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000_000 } }) },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const id = (submitted.body as { state: { applicationId: string } }).state.applicationId;
    const stream = applicationStreamName(id);
    const before = (await e.engine.eventStore.readStream(stream)).length;

    const key = 'recevabilite-attente-0001';
    const path = `/api/applications/${id}/eligibility`;
    const step = {
      token: tokens.manager,
      headers: { 'idempotency-key': key },
      body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
    };
    const release = holdEventLog();
    let released = false;
    try {
      const pending = expectStepPending(await callWithin(answerWithinMs, path, step));
      // With a key, resending is the way to learn the outcome: it cannot act twice.
      expect(pending.detail).toContain('même Idempotency-Key');
      expect(pending.detail).toContain(`GET /api/applications/${id}`);
      // Resent while the step is still under way: the same step (its update id), still pending.
      expectStepPending(await callWithin(answerWithinMs, path, step));
      // Nothing half written while the log is held.
      expect(await e.engine.eventStore.readStream(stream)).toHaveLength(before);
      release();
      released = true;
    } finally {
      if (!released) release();
    }

    // The log answers again: the accepted step completes by itself; a resend gets its outcome.
    const done = await eventually(async () => {
      const again = await callWithin(answerWithinMs, path, step);
      return again.status === 200 ? again : undefined;
    });
    const view = done.body as { revision: string; state: { status: string } };
    expect(done.headers?.get('etag')).toBe(`"${view.revision}"`);
    const events = await e.engine.eventStore.readStream(stream);
    // Exactly once: the stream ends at the answer's revision, the step's events recorded once.
    expect(events).toHaveLength(Number(view.revision) + 1);
    const commandId = keyedCommandId(
      key,
      ['gestionnaire-attente', 'grant_manager', '', ''].join('\u001f'),
      '/api/applications/:id/eligibility',
    );
    const stepEvents = events.filter((event) => event.metadata.causationId === commandId);
    expect(stepEvents.length).toBeGreaterThan(0);
    expect(new Set(stepEvents.map((event) => event.type)).size).toBe(stepEvents.length);
    expect(stepEvents.length).toBe(events.length - before);
    // And the read models follow.
    await eventually(async () => {
      const list = await e.call(
        'GET',
        `/api/applications?campaignId=${campaignId}&status=${view.state.status}`,
        {
          token: tokens.manager,
        },
      );
      return (list.body as { items: { id: string }[] }).items.some((item) => item.id === id)
        ? true
        : undefined;
    });
  }, 90_000);

  it('without a key, says to read the application rather than resend; the submission is recorded once', async () => {
    const release = holdEventLog();
    let released = false;
    let id: string;
    try {
      const pending = expectStepPending(
        await callWithin(answerWithinMs, '/api/applications', {
          token: tokens.porteur,
          body: { campaignId, dossier: dossier({ durationYears: 1, perYear: { ETAT: 500_000 } }) },
        }),
      );
      expect(pending.detail).not.toContain('même Idempotency-Key');
      expect(pending.detail).toContain('ne renvoyez pas');
      const named = /GET \/api\/applications\/([0-9A-HJKMNP-TV-Z]{26})/.exec(pending.detail ?? '');
      expect(named, pending.detail).not.toBeNull();
      id = named?.[1] ?? '';
      release();
      released = true;
    } finally {
      if (!released) release();
    }

    const read = await eventually(async () => {
      const res = await e.call('GET', `/api/applications/${id}`, { token: tokens.porteur });
      return res.status === 200 ? res : undefined;
    });
    const events = await e.engine.eventStore.readStream(applicationStreamName(id));
    expect(read.headers.get('etag')).toBe(`"${events.length - 1}"`);
    expect(new Set(events.map((event) => event.metadata.causationId)).size).toBe(1);
    expect(new Set(events.map((event) => event.type)).size).toBe(events.length);
  }, 90_000);
});
