// An application's detail replays its stream from the log: a stored event edited so that it no longer
// reads as its type (someone with the file) is said as such — 500 STORED_EVENT_UNREADABLE naming the
// event and the verification to run, as the audit routes say it — not a bare « Erreur interne ».
// Real HTTP, the real Temporal dev server, the real workflows and SQLite event store.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationStreamName } from '../../domain/application';
import { dossier } from '../support/fixtures';
import { openCampaignToday, startTestEngine, type RunningEngine } from './support/engine';

let e: RunningEngine;
const campaignId = 'journal-altere';

beforeAll(async () => {
  e = await startTestEngine();
}, 180_000);
afterAll(async () => {
  await e?.stop();
});

describe('an application whose stored submission no longer reads', () => {
  it('answers its detail 500 STORED_EVENT_UNREADABLE, naming the event and the verification', async () => {
    const manager = await e.token({ role: 'grant_manager' });
    const porteur = await e.token({ role: 'porteur', porteurId: 'asso-journal' });
    await openCampaignToday(e, manager, campaignId);
    const submitted = await e.call('POST', '/api/applications', {
      token: porteur,
      body: { campaignId, dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000 } }) },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const id = (submitted.body as { state: { applicationId: string } }).state.applicationId;
    const path = `/api/applications/${id}`;
    // Readable first: once the views have it, the detail answers.
    for (let i = 0; i < 100 && (await e.call('GET', path, { token: manager })).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));

    // Its campaign id made a number in the stored text, as an edit of the file could.
    const db = new Database(e.eventsFile);
    let position: number;
    try {
      db.exec('DROP TRIGGER IF EXISTS events_no_update');
      const stream = applicationStreamName(id);
      ({ position } = db
        .prepare('SELECT position FROM events WHERE stream = ? AND revision = 0')
        .get(stream) as { position: number });
      const edit = db.prepare(
        "UPDATE events SET data = json_set(data, '$.campaignId', 7) WHERE position = ?",
      );
      expect(edit.run(position).changes).toBe(1);
    } finally {
      db.close();
    }

    const answer = await e.call('GET', path, { token: manager });
    expect(answer.status).toBe(500);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = answer.body as { code?: string; detail?: string };
    expect(problem.code).toBe('STORED_EVENT_UNREADABLE');
    expect(problem.detail).toContain(`application-${id}, révision 0 (position ${position})`);
    expect(problem.detail).toContain('grants audit verify');
  });
});
