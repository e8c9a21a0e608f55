// The HTTP API end to end (commands, queries, audit), as a grant manager, porteurs, funders and the conseil citoyen use it:
// real HTTP, real JWTs, the real Temporal dev server, the real workflows and SQLite event store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationCommandRoles, type ApplicationCommandType } from '../../domain/application';
import { addDays, parisDateOf, fromEpochMs } from '../../domain/calendar';
import { qpvSampleCamvs } from '../../domain/reference/qpv';
import { commandRoutes } from '../../services/commands/routes';
import type { Role } from '../../services/http/platform/auth';
import { createCampaignCommand, dossier } from '../support/fixtures';
import { commandTarget, openCampaignToday, startTestEngine, type RunningEngine } from './support/engine';

let e: RunningEngine;
const tokens: Record<string, string> = {};
const campaignId = 'camvs-e2e';
const today = parisDateOf(fromEpochMs(Date.now()));

beforeAll(async () => {
  e = await startTestEngine();
  tokens.manager = await e.token({ role: 'grant_manager' });
  tokens.porteur = await e.token({ role: 'porteur', porteurId: 'asso-1' });
  tokens.otherPorteur = await e.token({ role: 'porteur', porteurId: 'asso-2' });
  tokens.etat = await e.token({ role: 'funder', institution: 'ETAT' });
  tokens.epci = await e.token({ role: 'funder', institution: 'EPCI' });
  tokens.region = await e.token({ role: 'funder', institution: 'REGION' });
  tokens.council = await e.token({ role: 'citizen_council' });
  tokens.auditor = await e.token({ role: 'auditor' });
  tokens.evaluator = await e.token({ role: 'evaluator' });
  const created = await openCampaignToday(e, tokens.manager, campaignId);
  expect(created.headers.get('location')).toBe(`/api/campaigns/${campaignId}`);
}, 180_000);
afterAll(async () => {
  await e?.stop();
});

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('the read models did not catch up in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function submit(token = tokens.porteur): Promise<string> {
  const res = await e.call('POST', '/api/applications', {
    token,
    body: { campaignId, dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000_000, EPCI: 500_000 } }) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { state: { applicationId: string } }).state.applicationId;
}

describe('command API', () => {
  it('takes an application from submission to a convention in force, with ETags', async () => {
    const id = await submit();
    const eligible = await e.call('POST', `/api/applications/${id}/eligibility`, {
      token: tokens.manager,
      body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
    });
    expect(eligible.status).toBe(200);
    expect(eligible.headers.get('etag')).toBe('"1"');
    const stale = await e.call('POST', `/api/applications/${id}/positions`, {
      token: tokens.etat,
      headers: { 'if-match': '"0"' },
      body: { position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: 1_000_000 }] } },
    });
    expect(stale.status).toBe(412);
    // The État names its own decision (and its day); the EPCI does not.
    for (const [token, amount, own] of [
      [tokens.etat, 1_000_000, { decisionReference: 'Arrêté préfectoral E2E-118' }],
      [tokens.epci, 500_000, {}],
    ] as const) {
      const res = await e.call('POST', `/api/applications/${id}/positions`, {
        token,
        body: {
          position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: amount }], ...own },
          ...('decisionReference' in own ? { decisionDate: today } : {}),
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    expect(
      (
        await e.call('POST', `/api/applications/${id}/citizen-opinion`, {
          token: tokens.council,
          body: { opinion: 'favourable', comment: 'Attendu par les habitants.' },
        })
      ).status,
    ).toBe(200);
    const approved = await e.call('POST', `/api/applications/${id}/committee-decision`, {
      token: tokens.manager,
      body: {
        decision: 'approved',
        decisionReference: 'COPIL-E2E',
        decisionDate: today,
        plan: [
          { funder: 'ETAT', year: 1, amountCents: 1_000_000 },
          { funder: 'EPCI', year: 1, amountCents: 500_000 },
        ],
      },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(
      (
        await e.call('POST', `/api/applications/${id}/convention`, {
          token: tokens.manager,
          body: { startDate: addDays(today, 10), signatureDueDate: addDays(today, 9) },
        })
      ).status,
    ).toBe(200);
    for (const token of [tokens.porteur, tokens.etat, tokens.epci]) {
      const signed = await e.call('POST', `/api/applications/${id}/signatures`, { token, body: {} });
      expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    }
    const view = await e.call('POST', `/api/applications/${id}/signatures`, {
      token: tokens.porteur,
      body: {},
    });
    expect(view.status).toBe(422);
    expect(view.headers.get('content-type')).toContain('application/problem+json');

    // The read models follow: the query API shows the convention in force and the money.
    const detail = await eventually(async () => {
      const res = await e.call('GET', `/api/applications/${id}`, { token: tokens.manager });
      return res.status === 200 && (res.body as { status: string }).status === 'in_force' ? res : undefined;
    });
    expect(detail.headers.get('etag')).toBe(
      `"${(await e.engine.eventStore.readStream(`application-${id}`)).length - 1}"`,
    );
    expect(detail.body).toMatchObject({ campaignId, conventionKind: 'annual' });
    // ULIDs are case-insensitive: the same application under a lower-case id.
    const lower = await e.call('GET', `/api/applications/${id.toLowerCase()}`, { token: tokens.manager });
    expect(lower.status).toBe(200);
    expect((lower.body as { id: string }).id).toBe(id);
    // Open data names each funder's own decision, else the steering committee's.
    const scdl = await e.call('GET', `/api/audit/exports/scdl?year=${today.slice(0, 4)}`, {
      token: tokens.auditor,
    });
    const references = (
      scdl.body as { rows: { applicationId: string; funder: string; record: Record<string, string> }[] }
    ).rows
      .filter((r) => r.applicationId === id)
      .map((r) => `${r.funder}:${String(r.record.referenceDecision)}`);
    expect(references.sort()).toEqual(['EPCI:COPIL-E2E', 'ETAT:Arrêté préfectoral E2E-118']);
    const summary = await e.call('GET', `/api/campaigns/${campaignId}/summary`, { token: tokens.evaluator });
    expect(summary.status).toBe(200);
    expect(JSON.stringify(summary.body)).toContain('ETAT');
    const list = await e.call('GET', `/api/applications?campaignId=${campaignId}&status=in_force`, {
      token: tokens.evaluator,
    });
    expect((list.body as { items: { id: string }[] }).items.map((a) => a.id)).toContain(id);
    // A porteur sees only its own applications.
    const others = await e.call('GET', `/api/applications`, { token: tokens.otherPorteur });
    expect((others.body as { items: { id: string }[] }).items.map((a) => a.id)).not.toContain(id);
    expect((await e.call('GET', `/api/applications/${id}`, { token: tokens.otherPorteur })).status).toBe(403);

    // The audit trail: every event in order with who and when; the integrity check holds.
    const trail = await e.call('GET', `/api/audit/streams/application-${id}/events`, {
      token: tokens.auditor,
    });
    expect(trail.status).toBe(200);
    const trailText = JSON.stringify(trail.body);
    expect(trailText).toContain('ConventionEnteredIntoForce');
    expect(trailText).toContain('"role":"funder"');
    const verify = await e.call('POST', '/api/audit/verify', { token: tokens.auditor, body: {} });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
  });

  it('shows what was asked for complements and what the porteur answered, to those who may read the file', async () => {
    const id = await submit();
    const items = ['Budget détaillé de l’année 1', 'Attestation d’assurance'];
    const asked = await e.call('POST', `/api/applications/${id}/eligibility`, {
      token: tokens.manager,
      body: { decision: 'complements', items, dueDate: addDays(today, 15) },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    const response = 'Budget détaillé et attestation joints ; le local est assuré depuis mars.';
    const answered = await e.call('POST', `/api/applications/${id}/complements`, {
      token: tokens.porteur,
      body: { response, documentRefs: ['budget-annee-1.pdf', 'assurance.pdf'] },
    });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    const exchanges = [
      {
        number: 1,
        items,
        dueDate: addDays(today, 15),
        answer: { response, documentRefs: ['budget-annee-1.pdf', 'assurance.pdf'], dossierAmended: false },
      },
    ];
    // The command's answer (the workflow's state) already carries it…
    expect((answered.body as { state: { complements: unknown } }).state.complements).toEqual(exchanges);
    // …and the detail of the query API once the read models follow, after the ruling too.
    expect(
      (
        await e.call('POST', `/api/applications/${id}/eligibility`, {
          token: tokens.manager,
          body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
        })
      ).status,
    ).toBe(200);
    type Detail = { status: string; state?: { complements?: unknown } };
    const detail = await eventually(async () => {
      const res = await e.call('GET', `/api/applications/${id}`, { token: tokens.manager });
      return (res.body as Detail).status === 'co_decision' ? (res.body as Detail) : undefined;
    });
    expect(detail.state?.complements).toEqual(exchanges);
    for (const token of [tokens.porteur, tokens.etat, tokens.auditor]) {
      const res = await e.call('GET', `/api/applications/${id}`, { token });
      expect(res.status).toBe(200);
      expect((res.body as Detail).state?.complements).toEqual(exchanges);
    }
    // Evaluators read projections and statistics, not the file: neither the dossier nor the answer.
    const evaluated = await e.call('GET', `/api/applications/${id}`, { token: tokens.evaluator });
    expect(evaluated.status).toBe(200);
    expect(evaluated.body).not.toHaveProperty('state');
    expect(JSON.stringify(evaluated.body)).not.toContain('assurance.pdf');
    expect((await e.call('GET', `/api/applications/${id}`, { token: tokens.otherPorteur })).status).toBe(403);
  });

  it('GET /api/applications/{id}: why the caller’s other steps are not possible now (notNow), as sending them would say', async () => {
    const id = await submit();
    type Refused = { type: ApplicationCommandType; code: string; message: string };
    type Detail = { status: string; allowed: { type: string }[]; notNow?: Refused[] };
    const read = async (token: string | undefined): Promise<Detail> => {
      const res = await e.call('GET', `/api/applications/${id}`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as Detail;
    };
    const manager = await eventually(async () => {
      const detail = await read(tokens.manager);
      return detail.status === 'under_review' ? detail : undefined;
    });
    // The manager's own steps: the ruling now, the others each with the reason, in French.
    expect(manager.allowed.map((a) => a.type)).toEqual(
      expect.arrayContaining(['DeclareEligible', 'DeclareIneligible', 'RequestComplements']),
    );
    const refused = manager.notNow ?? [];
    expect(refused.map((n) => n.type)).toEqual(
      expect.arrayContaining([
        'RecordCommitteeRejection',
        'DraftConvention',
        'OrderPayment',
        'CloseApplication',
      ]),
    );
    for (const n of refused) {
      expect(manager.allowed.map((a) => a.type)).not.toContain(n.type);
      expect(applicationCommandRoles[n.type]).toContain('grant_manager');
      expect(n.code).toBe('UNDER_REVIEW');
      expect(n.message).toMatch(
        /^La candidature est en cours d'instruction \(recevabilité\) : .+ n'est pas possible à ce stade\./,
      );
    }
    expect(refused.find((n) => n.type === 'DraftConvention')?.message).toContain(
      'la rédaction de la convention',
    );
    // Sent anyway, a step is refused with the very code and message announced.
    const rejection = await e.call('POST', `/api/applications/${id}/committee-decision`, {
      token: tokens.manager,
      body: {
        decision: 'rejected',
        decisionReference: 'COPIL-X',
        decisionDate: today,
        reasons: ['trop tôt'],
      },
    });
    expect(rejection.status).toBe(422);
    const announced = refused.find((n) => n.type === 'RecordCommitteeRejection');
    expect(rejection.body).toMatchObject({ code: announced?.code, detail: announced?.message });

    // A porteur hears only of porteur steps; a funder only of funder steps.
    const porteur = await read(tokens.porteur);
    expect(porteur.allowed.map((a) => a.type)).toEqual(['WithdrawApplication']);
    expect(porteur.notNow?.map((n) => n.type)).toEqual(
      expect.arrayContaining([
        'SubmitApplication',
        'ProvideComplements',
        'SignConvention',
        'SubmitYearlyReport',
      ]),
    );
    for (const n of porteur.notNow ?? []) expect(applicationCommandRoles[n.type]).toContain('porteur');
    expect(porteur.notNow?.find((n) => n.type === 'SubmitApplication')).toMatchObject({
      code: 'ALREADY_SUBMITTED',
      message: expect.stringMatching(/^Cette candidature a déjà été déposée/) as string,
    });
    const funder = await read(tokens.etat);
    expect(funder.notNow?.map((n) => [n.type, n.code])).toEqual([
      ['RecordFunderPosition', 'UNDER_REVIEW'],
      ['SignConvention', 'UNDER_REVIEW'],
    ]);
    // Evaluators read no file: no list (as no state).
    expect(await read(tokens.evaluator)).not.toHaveProperty('notNow');
  });

  it('creates a campaign with communes among its funders, each with its envelope', async () => {
    const id = 'camvs-communes-e2e';
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), {
      campaignId: id,
      envelopes: { ETAT: 50_000_000, 'COMMUNE-59392': 8_000_000, 'COMMUNE-59365': 3_000_000 },
    });
    const created = await e.call('POST', '/api/campaigns', { token: tokens.manager, body: campaign });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const funders = [
      { funder: 'ETAT', envelopeCents: 50_000_000 },
      { funder: 'COMMUNE-59392', envelopeCents: 8_000_000 },
      { funder: 'COMMUNE-59365', envelopeCents: 3_000_000 },
    ];
    expect((created.body as { state: { funders: unknown } }).state.funders).toEqual(funders);
    // Each commune's envelope stream is opened like any funder's: the summary lists it, named.
    type Summary = {
      byFunder: { funder: string; funderName: string; envelope: { amountCents: number } | null }[];
    };
    const summary = await eventually(async () => {
      const res = await e.call('GET', `/api/campaigns/${id}/summary`, { token: tokens.manager });
      const body = res.body as Summary;
      return res.status === 200 && body.byFunder.filter((f) => f.envelope !== null).length === 3
        ? body
        : undefined;
    });
    expect(summary.byFunder.map((f) => [f.funder, f.funderName, f.envelope?.amountCents]).sort()).toEqual([
      ['COMMUNE-59365', 'Commune de Louvroil', 3_000_000],
      ['COMMUNE-59392', 'Commune de Maubeuge', 8_000_000],
      ['ETAT', 'État', 50_000_000],
    ]);
    // A commune is named by its INSEE code (5 characters): anything else is a 400 naming the field.
    const { type: _t, ...bad } = createCampaignCommand(Date.now(), {
      campaignId: 'camvs-communes-mal-formees',
      envelopes: { ETAT: 50_000_000, 'COMMUNE-5939': 1_000_000 },
    });
    const refused = await e.call('POST', '/api/campaigns', { token: tokens.manager, body: bad });
    expect(refused.status).toBe(400);
    expect((refused.body as { detail: string }).detail).toMatch(/funders\.1\.funder.*COMMUNE-<code INSEE>/s);
  });

  it('If-Match holds under concurrency: two funders sending on the same ETag at once, one acts, the other gets 412', async () => {
    const id = await submit();
    const eligible = await e.call('POST', `/api/applications/${id}/eligibility`, {
      token: tokens.manager,
      body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
    });
    const etag = eligible.headers.get('etag') ?? '';
    expect(etag).toBe('"1"');
    const position = (amountCents: number) => ({
      position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents }] },
    });
    const [etat, epci] = await Promise.all([
      e.call('POST', `/api/applications/${id}/positions`, {
        token: tokens.etat,
        headers: { 'if-match': etag },
        body: position(1_000_000),
      }),
      e.call('POST', `/api/applications/${id}/positions`, {
        token: tokens.epci,
        headers: { 'if-match': etag },
        body: position(500_000),
      }),
    ]);
    expect([etat.status, epci.status].sort()).toEqual([200, 412]);
    // The answer lists what its sender may do next, not every role's actions.
    const accepted = etat.status === 200 ? etat : epci;
    const allowed = (accepted.body as { allowed: { type: string; roles: string[] }[] }).allowed;
    expect(allowed.every((a) => a.roles.includes('funder'))).toBe(true);
    expect(allowed.map((a) => a.type)).not.toContain('WithdrawApplication');
    const refused = etat.status === 412 ? etat : epci;
    expect(refused.body).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect((refused.body as { detail: string }).detail).toMatch(/version actuelle "\d+"/);
    const events = await e.engine.eventStore.readStream(`application-${id}`);
    expect(events.filter((ev) => ev.type === 'FunderPositionRecorded')).toHaveLength(1);
  });

  it('Idempotency-Key: a resend is recorded once; another sender’s key is its own; another request under a used key is refused', async () => {
    const id = await submit();
    await e.call('POST', `/api/applications/${id}/eligibility`, {
      token: tokens.manager,
      body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
    });
    const key = 'cle-de-test-0001';
    const committed = {
      position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: 1_000_000 }] },
    };
    const send = (
      token: string | undefined,
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ) =>
      e.call('POST', `/api/applications/${id}/${path}`, {
        token,
        headers: { 'idempotency-key': key, ...headers },
        body,
      });
    const first = await send(tokens.etat, 'positions', committed, { 'if-match': '"1"' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).not.toHaveProperty('requestDigest');
    // The same request again (the network failed, the client retries): the first outcome, once.
    const resent = await send(tokens.etat, 'positions', committed, { 'if-match': '"1"' });
    expect(resent.status, JSON.stringify(resent.body)).toBe(200);
    expect(resent.headers.get('etag')).toBe(first.headers.get('etag'));
    // The conseil citoyen happens to use the same key: its opinion is its own command, recorded.
    const opinion = await send(tokens.council, 'citizen-opinion', {
      opinion: 'favourable',
      comment: 'Utile.',
    });
    expect(opinion.status, JSON.stringify(opinion.body)).toBe(200);
    expect(
      (opinion.body as { state: { coDecision: { citizenOpinion: unknown } } }).state.coDecision
        .citizenOpinion,
    ).toMatchObject({ opinion: 'favourable' });
    // The same funder, the same key, another position: refused, not answered with the first one's outcome.
    const other = await send(tokens.etat, 'positions', {
      position: { decision: 'declined', reason: 'Enveloppe épuisée.' },
    });
    expect(other.status).toBe(422);
    // Its own problem type: the business rules did not refuse anything.
    expect(other.body).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      type: '/api/docs#problem-idempotencyKeyReused',
      title: 'Clé d’idempotence déjà utilisée pour une autre demande',
    });
    const events = await e.engine.eventStore.readStream(`application-${id}`);
    expect(events.filter((ev) => ev.type === 'FunderPositionRecorded')).toHaveLength(1);
    expect(events.filter((ev) => ev.type === 'CitizenOpinionGiven')).toHaveLength(1);
  });

  it('Idempotency-Key on a submission: resent, the same application; a key that cannot be one, 400; If-Match on a creation, 400', async () => {
    const body = {
      campaignId,
      dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000_000 } }),
    };
    const headers = { 'idempotency-key': 'depot-unique-0001' };
    const first = await e.call('POST', '/api/applications', { token: tokens.porteur, headers, body });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await e.call('POST', '/api/applications', { token: tokens.porteur, headers, body });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const idOf = (res: { body: unknown }) =>
      (res.body as { state: { applicationId: string } }).state.applicationId;
    expect(idOf(again)).toBe(idOf(first));
    expect(first.headers.get('location')).toBe(`/api/applications/${idOf(first)}`);
    expect(idOf(first)).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(await e.engine.eventStore.readStream(`application-${idOf(first)}`)).toHaveLength(1);
    // Another association's porteur with the same key files its own application.
    const theirs = await e.call('POST', '/api/applications', { token: tokens.otherPorteur, headers, body });
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);
    expect(idOf(theirs)).not.toBe(idOf(first));

    const nowhere = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: { ...body, campaignId: 'camvs-inexistante' },
    });
    expect(nowhere.status).toBe(400);
    expect((nowhere.body as { errors: { path: string; message: string }[] }).errors).toEqual([
      expect.objectContaining({
        path: 'campaignId',
        pointer: '#/campaignId',
        message: expect.stringContaining('Campagne inconnue') as unknown,
      }),
    ]);
    const unreadable = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      headers: { 'idempotency-key': 'abc' },
      body,
    });
    expect(unreadable.status).toBe(400);
    expect(unreadable.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID' });
    const ifMatch = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      headers: { 'if-match': '"0"' },
      body,
    });
    expect(ifMatch.status).toBe(400);
    expect(ifMatch.body).toMatchObject({ code: 'IF_MATCH_NOT_APPLICABLE' });
  });

  it('GET /api/campaigns/{id}: its terms to every role with an ETag; the funders’ envelopes only to those who read the summary', async () => {
    type Campaign = { state: { funders: { funder: string; envelopeCents?: number }[] } };
    for (const [role, token, seesEnvelopes] of [
      ['porteur', tokens.porteur, false],
      ['citizen_council', tokens.council, false],
      ['funder', tokens.etat, true],
      ['evaluator', tokens.evaluator, true],
    ] as const) {
      const res = await e.call('GET', `/api/campaigns/${campaignId}`, { token });
      expect(res.status, role).toBe(200);
      expect(res.headers.get('etag'), role).toMatch(/^"\d+"$/);
      const funders = (res.body as Campaign).state.funders;
      expect(
        funders.map((f) => f.funder),
        role,
      ).toContain('ETAT');
      expect(
        funders.every((f) => typeof f.envelopeCents === 'number'),
        role,
      ).toBe(seesEnvelopes);
      expect(
        funders.some((f) => 'envelopeCents' in f),
        role,
      ).toBe(seesEnvelopes);
      // No campaign command for these roles: nothing to refuse either.
      expect((res.body as { notNow: unknown[] }).notNow, role).toEqual([]);
    }
    // The grant manager, beside what it may do, learns why the rest is not possible now, in French.
    const managed = await e.call('GET', `/api/campaigns/${campaignId}`, { token: tokens.manager });
    expect(managed.status).toBe(200);
    const { allowed, notNow } = managed.body as {
      allowed: { type: string }[];
      notNow: { type: string; label: string; code: string; message: string }[];
    };
    expect(allowed.map((a) => a.type).sort()).toEqual(['AdjustFunderEnvelope', 'CloseCampaign']);
    expect(notNow.map((n) => [n.type, n.code])).toEqual([
      ['CreateCampaign', 'CAMPAIGN_ALREADY_CREATED'],
      ['OpenCampaign', 'CAMPAIGN_ALREADY_OPEN'],
    ]);
    const opening = notNow.find((n) => n.type === 'OpenCampaign');
    expect(opening?.label).toBe("l'ouverture de la campagne");
    expect(opening?.message).toMatch(
      /^La campagne \d{4} est ouverte depuis le .+ : l'ouverture de la campagne n'est pas possible\. Possible maintenant pour vous : la clôture de la campagne ; l'ajustement d'une enveloppe\.$/,
    );
  });

  it('a porteur whose account vouches for its SIRET files only in that name (403 PORTEUR_IDENTITY_MISMATCH, nothing written)', async () => {
    const vouched = await e.token({ role: 'porteur', porteurId: 'asso-verifiee', siret: '81234567800013' });
    const filed = dossier({ durationYears: 1, perYear: { ETAT: 1_000_000 } });
    const asAnother = await e.call('POST', '/api/applications', {
      token: vouched,
      body: { campaignId, dossier: { ...filed, porteur: { ...filed.porteur, siret: '99900000200009' } } },
    });
    expect(asAnother.status, JSON.stringify(asAnother.body)).toBe(403);
    expect(asAnother.body).toMatchObject({ code: 'PORTEUR_IDENTITY_MISMATCH' });
    // A refusal about a field names it, whatever its status, so a form can show it in place.
    expect((asAnother.body as { errors?: { path: string; pointer: string }[] }).errors).toEqual([
      expect.objectContaining({ path: expect.stringMatching(/^dossier\.porteur/) as unknown }),
    ]);
    const mine = (await e.call('GET', '/api/applications', { token: vouched })).body as { total: number };
    expect(mine.total).toBe(0);
    const own = await e.call('POST', '/api/applications', {
      token: vouched,
      body: { campaignId, dossier: { ...filed, porteur: { ...filed.porteur, siret: '81234567800013' } } },
    });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
  });

  it('answers a command on an unknown campaign or application 404, worded as GET on it is', async () => {
    const campaign = await e.call('POST', '/api/campaigns/camvs-nulle-part/open', { token: tokens.manager });
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(404);
    expect(campaign.body).toMatchObject({
      code: 'CAMPAIGN_NOT_FOUND',
      detail: 'La campagne « camvs-nulle-part » est introuvable.',
    });
    const got = await e.call('GET', '/api/campaigns/camvs-nulle-part', { token: tokens.manager });
    expect(got.body).toMatchObject({
      code: 'CAMPAIGN_NOT_FOUND',
      detail: (campaign.body as { detail: string }).detail,
    });
    const unknown = '01J00000000000000000000000';
    const application = await e.call('POST', `/api/applications/${unknown}/withdraw`, {
      token: tokens.porteur,
    });
    expect(application.status, JSON.stringify(application.body)).toBe(404);
    expect(application.body).toMatchObject({ detail: `La candidature ${unknown} est introuvable.` });
  });

  it('GET /metrics: the projections’ lag and the worker’s state and load, in Prometheus text', async () => {
    const res = await fetch(`${e.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^grants_projection_lag_events\{projection_set="read-models"\} \d+$/m);
    expect(text).toMatch(/^grants_worker_running\{task_queue="[^"]+"\} 1$/m);
    expect(text).toMatch(/^grants_worker_cached_workflows\{task_queue="[^"]+"\} [1-9]\d*$/m);
    expect(text).toMatch(/^grants_worker_activities_in_flight\{task_queue="[^"]+"\} \d+$/m);
    expect(text).toMatch(/^grants_metrics_collector_up\{collector="worker"\} 1$/m);
  });

  it('refuses a campaign drawn from a QPV reference the engine does not know, or naming quartiers outside it', async () => {
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), {
      campaignId: 'camvs-ref',
      opensInDays: 3,
    });
    const errorsOf = (res: { body: unknown }) =>
      (res.body as { errors: { path: string; message: string }[] }).errors;
    const unknownReference = await e.call('POST', '/api/campaigns', {
      token: tokens.manager,
      body: { ...campaign, territory: { ...campaign.territory, qpvReferenceVersion: 'officiel-2024' } },
    });
    expect(unknownReference.status).toBe(400);
    expect(errorsOf(unknownReference)).toEqual([
      expect.objectContaining({
        path: 'territory.qpvReferenceVersion',
        message: expect.stringContaining('Référentiels connus : echantillon-camvs-1') as unknown,
      }),
    ]);
    const outside = await e.call('POST', '/api/campaigns', {
      token: tokens.manager,
      body: {
        ...campaign,
        territory: { ...campaign.territory, qpvCodes: [...campaign.territory.qpvCodes, 'QN05901M'] },
      },
    });
    expect(outside.status).toBe(400);
    expect(errorsOf(outside).map((x) => x.path)).toEqual([
      `territory.qpvCodes.${campaign.territory.qpvCodes.length}`,
    ]);
    expect((await e.call('GET', '/api/campaigns/camvs-ref', { token: tokens.manager })).status).toBe(404);
  });

  it('answers a domain refusal with 422, its code and the French message, and writes nothing', async () => {
    const id = await submit();
    const refused = await e.call('POST', `/api/applications/${id}/committee-decision`, {
      token: tokens.manager,
      body: { decision: 'rejected', decisionReference: 'X', decisionDate: today, reasons: ['trop tôt'] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ status: 422, code: expect.any(String) as string });
    expect((refused.body as { detail: string }).detail).toMatch(/candidature|recevabilit/i);
    const stream = await e.engine.eventStore.readStream(`application-${id}`);
    expect(stream.map((ev) => ev.type)).toEqual(['ApplicationSubmitted']);
  });

  it('keeps a funder to its own institution and a porteur to its own applications (403)', async () => {
    const id = await submit();
    const mine = await e.call('POST', `/api/applications/${id}/withdraw`, {
      token: tokens.otherPorteur,
      body: {},
    });
    expect(mine.status).toBe(403);
    expect(mine.body).toMatchObject({ code: 'NOT_OWNER' });
  });

  it('walks every command route × every role: only the roles of the route get past authorisation', async () => {
    const roles: Role[] = ['porteur', 'grant_manager', 'funder', 'citizen_council', 'auditor', 'evaluator'];
    const tokenOf: Record<Role, string> = {
      porteur: tokens.porteur!,
      grant_manager: tokens.manager!,
      funder: tokens.region!,
      citizen_council: tokens.council!,
      auditor: tokens.auditor!,
      evaluator: tokens.evaluator!,
    };
    const unknownId = '01JAAAAAAAAAAAAAAAAAAAAAAA';
    for (const route of commandRoutes) {
      const path = route.path
        .replace(':id', route.kind === 'campaign' ? 'no-such-campaign' : unknownId)
        .replace(':year', '1');
      for (const role of roles) {
        const res = await e.call('POST', path, { token: tokenOf[role], body: {} });
        if (route.roles.includes(role)) expect(res.status, `${role} ${path}`).not.toBe(403);
        else expect(res.status, `${role} ${path}`).toBe(403);
        expect(res.status, `${role} ${path}`).toBeLessThan(500);
      }
      expect((await e.call('POST', path, { body: {} })).status).toBe(401);
      expect((await e.call('POST', path, { token: 'not.a.jwt', body: {} })).status).toBe(401);
    }
  });

  it('walks every query and audit route × every role: allowed roles read, the others get 403', async () => {
    const id = await submit();
    const all: Role[] = ['porteur', 'grant_manager', 'funder', 'citizen_council', 'auditor', 'evaluator'];
    const analysts: Role[] = ['grant_manager', 'evaluator', 'auditor', 'funder'];
    const reports: Role[] = ['grant_manager', 'evaluator', 'auditor', 'funder', 'porteur'];
    const matrix: [method: string, path: string, roles: Role[]][] = [
      ['GET', '/api/applications', all],
      ['GET', '/api/campaigns', all],
      ['GET', `/api/campaigns/${campaignId}`, all],
      ['GET', `/api/campaigns/${campaignId}/summary`, analysts],
      ['GET', '/api/stats/qpv', analysts],
      ['GET', '/api/stats/funders', analysts],
      ['GET', '/api/stats/themes', analysts],
      ['GET', '/api/stats/ledger', analysts],
      ['GET', '/api/reports/overdue', reports],
      ['GET', '/api/reports/upcoming', reports],
      ['GET', `/api/reference/qpv/${qpvSampleCamvs.version}`, all],
      ['GET', `/api/audit/streams/application-${id}/events`, ['auditor', 'grant_manager']],
      [
        'GET',
        `/api/audit/applications/${id}/as-of?at=${new Date().toISOString()}`,
        ['auditor', 'grant_manager'],
      ],
      ['GET', '/api/audit/ledger', ['auditor']],
      ['GET', '/api/audit/ledger.csv', ['auditor']],
      ['GET', `/api/audit/campaigns/${campaignId}/as-of?at=${new Date().toISOString()}`, ['auditor']],
      ['GET', '/api/audit/exports/scdl.csv?year=2027', ['auditor']],
      ['POST', '/api/audit/verify', ['auditor']],
      ['GET', '/api/audit/digest', ['auditor']],
    ];
    const tokenOf: Record<Role, string> = {
      porteur: tokens.porteur!,
      grant_manager: tokens.manager!,
      funder: tokens.etat!,
      citizen_council: tokens.council!,
      auditor: tokens.auditor!,
      evaluator: tokens.evaluator!,
    };
    for (const [method, path, roles] of matrix) {
      for (const role of all) {
        const res = await e.call(method, path, {
          token: tokenOf[role],
          ...(method === 'POST' ? { body: {} } : {}),
        });
        if (roles.includes(role)) expect(res.status, `${role} ${method} ${path}`).toBe(200);
        else expect(res.status, `${role} ${method} ${path}`).toBe(403);
      }
      expect((await e.call(method, path)).status, `anonymous ${path}`).toBe(401);
    }
  });

  it('serves every route of its OpenAPI document, and answers another method there with 405 and Allow', async () => {
    const doc = (await e.call('GET', '/api/openapi.json')).body as { paths: Record<string, object> };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x')] as const),
    );
    expect(documented.length).toBeGreaterThan(25);
    for (const [method, path] of documented) {
      // Anonymous: a served route refuses at authentication (or answers, when public), never 404/405.
      const res = await e.call(method, path, method === 'POST' ? { body: {} } : {});
      expect([404, 405], `${method} ${path}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
    }
    const wrong = await e.call('GET', '/api/applications/x/eligibility', { token: tokens.manager });
    expect(wrong.status).toBe(405);
    // The same Allow as OPTIONS answers there (RFC 9110 §15.5.6: the methods the resource supports).
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
    expect(wrong.body).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const list = await e.call('DELETE', '/api/applications', { token: tokens.manager });
    expect(list.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS');
    const options = await e.call('OPTIONS', '/api/applications');
    expect(options.headers.get('allow')).toBe(list.headers.get('allow'));
  });

  it('answers malformed and hostile inputs on every route with a 4xx problem, never a 500', async () => {
    const id = await submit();
    const hostile: { body?: unknown; rawBody?: string }[] = [
      { rawBody: '{"decision": ' },
      { body: { decision: 'eligible', coDecisionDueDate: "2027-01-01'; DROP TABLE events;--" } },
      { body: { unknownField: true } },
      { body: [1, 2, 3] },
      { body: { position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: 1.5 }] } } },
      { body: { dossier: { porteur: { name: '<script>alert(1)</script>' } }, campaignId: campaignId } },
      { rawBody: JSON.stringify({ comment: 'x'.repeat(300_000) }) },
    ];
    const before = await e.engine.eventStore.readStream(`application-${id}`);
    for (const route of commandRoutes) {
      const { path, token } = commandTarget(
        route,
        { application: id, campaign: campaignId },
        {
          manager: tokens.manager ?? '',
          porteur: tokens.porteur ?? '',
          funder: tokens.etat ?? '',
          council: tokens.council ?? '',
        },
      );
      for (const input of hostile) {
        const res = await e.call('POST', path, { token, ...input });
        expect(res.status, `${path} ${JSON.stringify(input).slice(0, 80)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${path} ${JSON.stringify(input).slice(0, 80)}`).toBeLessThan(500);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
      }
    }
    expect(await e.engine.eventStore.readStream(`application-${id}`)).toHaveLength(before.length);
  }, 120_000);
});
