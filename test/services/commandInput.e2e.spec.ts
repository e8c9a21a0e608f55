// What the command API refuses in a request before any rule runs, on the whole engine (real HTTP,
// real JWTs, the Temporal dev server, the SQLite event store): an unknown field at any depth of any
// command's body, a body that does not decode from its Content-Encoding, a convention year not
// written in decimal digits; and what it reads the same whatever the case (an application's ULID).
// Each refusal names what to fix, in French, and writes nothing.
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, fromEpochMs, parisDateOf } from '../../domain/calendar';
import { commandRoutes } from '../../services/commands/routes';
import { createCampaignCommand, dossier, qpvCodes } from '../support/fixtures';
import { commandTarget, openCampaignToday, startTestEngine, type RunningEngine } from './support/engine';

interface FieldError {
  in: string;
  path: string;
  code: string;
  message: string;
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

let e: RunningEngine;
const tokens: Record<'manager' | 'porteur' | 'etat' | 'council' | 'auditor', string> = {
  manager: '',
  porteur: '',
  etat: '',
  council: '',
  auditor: '',
};
const campaignId = 'camvs-entrees';
const today = parisDateOf(fromEpochMs(Date.now()));

beforeAll(async () => {
  e = await startTestEngine();
  tokens.manager = await e.token({ role: 'grant_manager' });
  tokens.porteur = await e.token({ role: 'porteur', porteurId: 'asso-1' });
  tokens.etat = await e.token({ role: 'funder', institution: 'ETAT' });
  tokens.council = await e.token({ role: 'citizen_council' });
  tokens.auditor = await e.token({ role: 'auditor' });
  await openCampaignToday(e, tokens.manager, campaignId);
}, 180_000);
afterAll(async () => {
  await e?.stop();
});

async function submit(): Promise<string> {
  const res = await e.call('POST', '/api/applications', {
    token: tokens.porteur,
    body: { campaignId, dossier: dossier({ durationYears: 2, perYear: { ETAT: 1_000_000, EPCI: 500_000 } }) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { state: { applicationId: string } }).state.applicationId;
}

const streamLength = async (stream: string) => (await e.engine.eventStore.readStream(stream)).length;

describe('command bodies: unknown fields refused at every depth', () => {
  it('walks every command route with an unknown field, nested wherever the body nests objects: 400 naming its path, nothing written', async () => {
    const id = await submit();
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), {
      campaignId: 'camvs-jamais-creee',
    });
    const filed = dossier({ durationYears: 1, perYear: { ETAT: 1_000 } });
    // Each body is valid but for its unknown fields: the 400 lists those and nothing else.
    const cases: Record<string, { body: Record<string, unknown>; paths: string[] }> = {
      '/api/campaigns': {
        body: {
          ...campaign,
          territory: { ...campaign.territory, extra: 1 },
          funders: campaign.funders.map((f, i) => (i === 1 ? { ...f, extra: 1 } : f)),
          submissionWindow: { ...campaign.submissionWindow, extra: 1 },
        },
        paths: ['funders.1.extra', 'submissionWindow.extra', 'territory.extra'],
      },
      '/api/campaigns/:id/open': { body: { extra: 1 }, paths: ['extra'] },
      '/api/campaigns/:id/close': { body: { reason: 'Fin', extra: 1 }, paths: ['extra'] },
      '/api/campaigns/:id/envelopes': {
        body: { funder: 'ETAT', amountCents: 1, reason: 'Ajustement', extra: 1 },
        paths: ['extra'],
      },
      '/api/applications': {
        body: { campaignId, dossier: { ...filed, action: { ...filed.action, extra: 1 } } },
        paths: ['dossier.action.extra'],
      },
      '/api/applications/:id/eligibility': {
        body: { decision: 'complements', items: ['Budget'], dueDate: addDays(today, 10), extra: 1 },
        paths: ['extra'],
      },
      '/api/applications/:id/complements': {
        body: {
          response: 'Voici',
          amendedDossier: { ...filed, budget: filed.budget.map((b) => ({ ...b, extra: 1 })) },
        },
        paths: ['amendedDossier.budget.0.extra'],
      },
      '/api/applications/:id/positions': {
        body: { position: { decision: 'declined', reason: 'x', extra: 1 } },
        paths: ['position.extra'],
      },
      '/api/applications/:id/citizen-opinion': {
        body: { opinion: 'favourable', comment: 'Bien', extra: 1 },
        paths: ['extra'],
      },
      '/api/applications/:id/committee-decision': {
        body: {
          decision: 'approved',
          decisionReference: 'COPIL',
          decisionDate: today,
          plan: [{ funder: 'ETAT', year: 1, amountCents: 1, extra: 1 }],
        },
        paths: ['plan.0.extra'],
      },
      '/api/applications/:id/convention': {
        body: {
          startDate: today,
          signatureDueDate: today,
          paymentSchedule: [
            { funder: 'ETAT', year: 1, amountCents: 1, trigger: { kind: 'signature', extra: 1 } },
          ],
        },
        paths: ['paymentSchedule.0.trigger.extra'],
      },
      '/api/applications/:id/signatures': { body: { extra: 1 }, paths: ['extra'] },
      '/api/applications/:id/reports': {
        body: {
          year: 1,
          spentByFunder: [{ funder: 'ETAT', amountCents: 1, note: 'x' }],
          beneficiariesReached: 1,
          indicators: [{ name: 'Enfants', achieved: 3, zzz: 1 }],
          narrative: 'Bilan',
        },
        paths: ['indicators.0.zzz', 'spentByFunder.0.note'],
      },
      '/api/applications/:id/reports/:year/review': {
        body: { decision: 'changes_requested', comments: ['x'], dueDate: today, extra: 1 },
        paths: ['extra'],
      },
      '/api/applications/:id/payments': { body: { installmentId: 'ETAT-y1-1', extra: 1 }, paths: ['extra'] },
      '/api/applications/:id/close': { body: { comment: 'x', extra: 1 }, paths: ['extra'] },
      '/api/applications/:id/terminate': {
        body: {
          reason: 'breach',
          comment: 'x',
          justified: [{ funder: 'ETAT', year: 1, amountCents: 1, extra: 1 }],
        },
        paths: ['justified.0.extra'],
      },
      '/api/applications/:id/withdraw': { body: { reason: 'x', extra: 1 }, paths: ['extra'] },
    };
    // A route added without a case here fails the walk rather than passing unchecked.
    expect(Object.keys(cases).sort()).toEqual(commandRoutes.map((r) => r.path).sort());

    const head = await e.engine.eventStore.headPosition();
    const before = await streamLength(`application-${id}`);
    for (const route of commandRoutes) {
      const { body, paths } = cases[route.path]!;
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
      const res = await e.call('POST', path, { token, body });
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(400);
      const problem = res.body as Problem;
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(problem.errors?.map((err) => [err.in, err.path, err.code]).sort(), path).toEqual(
        paths.map((p) => ['body', p, 'unrecognized_keys']),
      );
      expect(problem.detail).toMatch(/^body\..*Champ non reconnu : à retirer de la requête/);
    }
    expect(await streamLength(`application-${id}`)).toBe(before);
    expect(await e.engine.eventStore.headPosition()).toBe(head);
    expect(await streamLength('campaign-camvs-jamais-creee')).toBe(0);
  });

  it('refuses a blank reason, and a report narrative or an answer to complements longer than kept: 400 naming the field, nothing written', async () => {
    const id = await submit();
    const head = await e.engine.eventStore.headPosition();
    const refused = async (path: string, token: string, body: unknown, field: string) => {
      const res = await e.call('POST', path, { token, body });
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(400);
      expect((res.body as Problem).errors?.map((err) => err.path)).toEqual([field]);
    };
    // Every refusal carries a reason a person can read: blanks are no reason.
    await refused(
      `/api/applications/${id}/positions`,
      tokens.etat,
      { position: { decision: 'declined', reason: '   ' } },
      'position.reason',
    );
    await refused(
      `/api/campaigns/${campaignId}/envelopes`,
      tokens.manager,
      { funder: 'ETAT', amountCents: 1, reason: ' \t ' },
      'reason',
    );
    await refused(`/api/campaigns/${campaignId}/close`, tokens.manager, { reason: '   ' }, 'reason');
    // A campaign named with blanks was listed as an empty line everywhere.
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId: 'camvs-blanc' });
    await refused('/api/campaigns', tokens.manager, { ...campaign, name: '   ' }, 'name');
    await refused(
      '/api/campaigns',
      tokens.manager,
      { ...campaign, territory: { ...campaign.territory, name: ' ' } },
      'territory.name',
    );
    // The stored report keeps 20,000 characters of narrative: more was a 500 once the rules accepted it.
    await refused(
      `/api/applications/${id}/reports`,
      tokens.porteur,
      { year: 1, spentByFunder: [], beneficiariesReached: 1, narrative: 'a'.repeat(20_001) },
      'narrative',
    );
    // Every answer stays in the application for its whole life: 20,000 characters each at most.
    await refused(
      `/api/applications/${id}/complements`,
      tokens.porteur,
      { response: 'a'.repeat(20_001) },
      'response',
    );
    expect(await e.engine.eventStore.headPosition()).toBe(head);
  });

  it('refuses a contact reference that reads like a name, an e-mail or a phone number: 400 naming it, nothing written', async () => {
    const head = await e.engine.eventStore.headPosition();
    const filed = dossier({ durationYears: 2, perYear: { ETAT: 1_000_000, EPCI: 500_000 } });
    const withContact = (contactRef: string) => ({
      campaignId,
      dossier: { ...filed, porteur: { ...filed.porteur, contactRef } },
    });
    // Each would stay in the history for good, where nothing can be erased.
    for (const [contactRef, says] of [
      ['Jean Dupont', 'jamais un nom, un courriel ni un téléphone'],
      ['jean.dupont@example.org', 'sans espace ni « @ »'],
      ['contact-0612345678', 'ressemble à un numéro de téléphone'],
    ] as const) {
      const res = await e.call('POST', '/api/applications', {
        token: tokens.porteur,
        body: withContact(contactRef),
      });
      expect(res.status, `${contactRef} ${JSON.stringify(res.body)}`).toBe(400);
      const errors = (res.body as Problem).errors ?? [];
      expect(errors.map((err) => err.path)).toEqual(['dossier.porteur.contactRef']);
      expect(errors[0]?.message).toContain(says);
    }
    expect(await e.engine.eventStore.headPosition()).toBe(head);
    // A key of the contacts' directory goes through.
    const res = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: withContact('annuaire:asso-1/contact-2'),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });

  it('says the format a date is expected in when it reads none (a day not in the calendar, a French date)', async () => {
    const id = await submit();
    const head = await e.engine.eventStore.headPosition();
    for (const due of ['2027-02-30', '30/06/2027']) {
      const res = await e.call('POST', `/api/applications/${id}/eligibility`, {
        token: tokens.manager,
        body: { decision: 'eligible', coDecisionDueDate: due },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect((res.body as Problem).errors).toMatchObject([
        { path: 'coDecisionDueDate', message: expect.stringContaining('au format AAAA-MM-JJ') as unknown },
      ]);
    }
    expect(await e.engine.eventStore.headPosition()).toBe(head);
  });

  it('refuses an amount beyond a billion euros, wherever the body carries money: 400 naming it, nothing written', async () => {
    const head = await e.engine.eventStore.headPosition();
    // Each within what a double holds exactly, but two of them no longer add up exactly.
    const huge = Number.MAX_SAFE_INTEGER;
    const filed = dossier({ durationYears: 2, perYear: { ETAT: 1_000_000 } });
    const res = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: {
        campaignId,
        dossier: {
          ...filed,
          budget: filed.budget.map((line) => ({
            ...line,
            totalCostCents: huge,
            requested: [{ funder: 'ETAT', amountCents: huge }],
          })),
        },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    const problem = res.body as Problem;
    expect(problem.errors?.map((err) => err.path)).toEqual([
      'dossier.budget.0.totalCostCents',
      'dossier.budget.0.requested.0.amountCents',
      'dossier.budget.1.totalCostCents',
      'dossier.budget.1.requested.0.amountCents',
    ]);
    expect(problem.errors?.[0]?.message).toMatch(/^Montant trop élevé : 1\s000\s000\s000,00\s€ au plus\.$/);
    const envelope = await e.call('POST', `/api/campaigns/${campaignId}/envelopes`, {
      token: tokens.manager,
      body: { funder: 'ETAT', amountCents: 100_000_000_001, reason: 'Ajustement' },
    });
    expect(envelope.status, JSON.stringify(envelope.body)).toBe(400);
    expect(await e.engine.eventStore.headPosition()).toBe(head);
  });

  it('bounds every free text and every list of the command bodies: one over the bound is a 400 naming it, nothing written', async () => {
    const id = await submit();
    const head = await e.engine.eventStore.headPosition();
    const before = await streamLength(`application-${id}`);
    const { type: _type, ...campaign } = createCampaignCommand(Date.now(), { campaignId: 'camvs-bornes' });
    const filed = dossier({ durationYears: 1, perYear: { ETAT: 1_000 } });
    const times = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));
    // Well-formed codes, distinct: only their number is wrong.
    const qpvs = (n: number) =>
      times(
        n,
        (i) =>
          `QN${String(590 + Math.floor(i / 26)).padStart(3, '0')}01${String.fromCharCode(65 + (i % 26))}`,
      );
    const communes = (n: number) => times(n, (i) => `COMMUNE-${String(59_001 + i)}`);
    const over = (length: number) => 'a'.repeat(length + 1);
    const app = `/api/applications/${id}`;
    const report = { year: 1, spentByFunder: [], beneficiariesReached: 1, narrative: 'Bilan' };
    const cases: {
      path: string;
      token: keyof typeof tokens;
      body: Record<string, unknown>;
      field: string;
      message: string;
    }[] = [
      {
        path: '/api/campaigns',
        token: 'manager',
        body: { ...campaign, themes: times(51, () => '1.1') },
        field: 'themes',
        message: '50 éléments au plus.',
      },
      {
        path: '/api/campaigns',
        token: 'manager',
        body: { ...campaign, funders: communes(101).map((funder) => ({ funder, envelopeCents: 1 })) },
        field: 'funders',
        message: '100 éléments au plus.',
      },
      {
        path: '/api/campaigns',
        token: 'manager',
        body: { ...campaign, territory: { ...campaign.territory, name: over(200) } },
        field: 'territory.name',
        message: '200 caractères au plus.',
      },
      {
        path: '/api/campaigns',
        token: 'manager',
        body: { ...campaign, territory: { ...campaign.territory, qpvCodes: qpvs(501) } },
        field: 'territory.qpvCodes',
        message: '500 éléments au plus.',
      },
      {
        path: '/api/campaigns',
        token: 'manager',
        body: { ...campaign, territory: { ...campaign.territory, qpvReferenceVersion: over(100) } },
        field: 'territory.qpvReferenceVersion',
        message: '100 caractères au plus.',
      },
      {
        path: `/api/campaigns/${campaignId}/close`,
        token: 'manager',
        body: { reason: over(5000) },
        field: 'reason',
        message: '5000 caractères au plus.',
      },
      {
        path: `/api/campaigns/${campaignId}/envelopes`,
        token: 'manager',
        body: { funder: 'ETAT', amountCents: 1, reason: over(5000) },
        field: 'reason',
        message: '5000 caractères au plus.',
      },
      {
        path: '/api/applications',
        token: 'porteur',
        body: { campaignId: over(64), dossier: filed },
        field: 'campaignId',
        message: '64 caractères au plus.',
      },
      {
        path: '/api/applications',
        token: 'porteur',
        body: { campaignId, dossier: { ...filed, action: { ...filed.action, qpvCodes: qpvs(101) } } },
        field: 'dossier.action.qpvCodes',
        message: '100 éléments au plus.',
      },
      {
        // One count of 2^53 - 1 made every beneficiary total of its campaign inexact for good.
        path: '/api/applications',
        token: 'porteur',
        body: {
          campaignId,
          dossier: { ...filed, action: { ...filed.action, expectedBeneficiaries: Number.MAX_SAFE_INTEGER } },
        },
        field: 'dossier.action.expectedBeneficiaries',
        message: 'Doit être au plus 1000000.',
      },
      {
        path: '/api/applications',
        token: 'porteur',
        body: {
          campaignId,
          dossier: {
            ...filed,
            budget: [
              { ...filed.budget[0]!, requested: communes(101).map((funder) => ({ funder, amountCents: 0 })) },
            ],
          },
        },
        field: 'dossier.budget.0.requested',
        message: '100 éléments au plus.',
      },
      {
        path: `${app}/eligibility`,
        token: 'manager',
        body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20), justification: over(5000) },
        field: 'justification',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/eligibility`,
        token: 'manager',
        body: { decision: 'ineligible', reasons: times(51, () => 'Hors QPV') },
        field: 'reasons',
        message: '50 éléments au plus.',
      },
      {
        path: `${app}/eligibility`,
        token: 'manager',
        body: { decision: 'ineligible', reasons: ['Hors QPV', over(5000)] },
        field: 'reasons.1',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/eligibility`,
        token: 'manager',
        body: { decision: 'complements', items: times(51, () => 'Budget'), dueDate: addDays(today, 10) },
        field: 'items',
        message: '50 éléments au plus.',
      },
      {
        path: `${app}/eligibility`,
        token: 'manager',
        body: { decision: 'complements', items: [over(5000)], dueDate: addDays(today, 10) },
        field: 'items.0',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/complements`,
        token: 'porteur',
        body: { response: 'Voici', documentRefs: times(51, (i) => `piece-${i}.pdf`) },
        field: 'documentRefs',
        message: '50 éléments au plus.',
      },
      {
        path: `${app}/complements`,
        token: 'porteur',
        body: { response: 'Voici', documentRefs: [over(500)] },
        field: 'documentRefs.0',
        message: '500 caractères au plus.',
      },
      {
        path: `${app}/complements`,
        token: 'porteur',
        body: {
          response: 'Voici',
          amendedDossier: { ...filed, action: { ...filed.action, qpvCodes: qpvs(101) } },
        },
        field: 'amendedDossier.action.qpvCodes',
        message: '100 éléments au plus.',
      },
      {
        path: `${app}/positions`,
        token: 'etat',
        body: {
          position: {
            decision: 'committed',
            amountsByYear: times(5, (i) => ({ year: (i % 4) + 1, amountCents: 1 })),
          },
        },
        field: 'position.amountsByYear',
        message: '4 éléments au plus.',
      },
      {
        path: `${app}/citizen-opinion`,
        token: 'council',
        body: { opinion: 'favourable', comment: over(5000) },
        field: 'comment',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/committee-decision`,
        token: 'manager',
        body: {
          decision: 'approved',
          decisionReference: over(200),
          decisionDate: today,
          plan: [{ funder: 'ETAT', year: 1, amountCents: 1 }],
        },
        field: 'decisionReference',
        message: '200 caractères au plus.',
      },
      {
        path: `${app}/committee-decision`,
        token: 'manager',
        body: {
          decision: 'approved',
          decisionReference: 'COPIL',
          decisionDate: today,
          plan: times(401, () => ({ funder: 'ETAT', year: 1, amountCents: 1 })),
        },
        field: 'plan',
        message: '400 éléments au plus.',
      },
      {
        path: `${app}/committee-decision`,
        token: 'manager',
        body: {
          decision: 'rejected',
          decisionReference: 'COPIL',
          decisionDate: today,
          reasons: times(51, () => 'Enveloppe'),
        },
        field: 'reasons',
        message: '50 éléments au plus.',
      },
      {
        path: `${app}/committee-decision`,
        token: 'manager',
        body: {
          decision: 'rejected',
          decisionReference: 'COPIL',
          decisionDate: today,
          reasons: [over(5000)],
        },
        field: 'reasons.0',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/convention`,
        token: 'manager',
        body: {
          startDate: today,
          signatureDueDate: today,
          paymentSchedule: times(801, () => ({
            funder: 'ETAT',
            year: 1,
            amountCents: 1,
            trigger: { kind: 'signature' },
          })),
        },
        field: 'paymentSchedule',
        message: '800 éléments au plus.',
      },
      {
        path: `${app}/reports`,
        token: 'porteur',
        body: { ...report, spentByFunder: communes(101).map((funder) => ({ funder, amountCents: 0 })) },
        field: 'spentByFunder',
        message: '100 éléments au plus.',
      },
      {
        path: `${app}/reports`,
        token: 'porteur',
        body: { ...report, indicators: times(101, (i) => ({ name: `Indicateur ${i}`, achieved: i })) },
        field: 'indicators',
        message: '100 éléments au plus.',
      },
      {
        path: `${app}/reports`,
        token: 'porteur',
        body: { ...report, beneficiariesReached: 1_000_001 },
        field: 'beneficiariesReached',
        message: 'Doit être au plus 1000000.',
      },
      {
        path: `${app}/reports`,
        token: 'porteur',
        body: { ...report, documentRefs: times(51, (i) => `piece-${i}.pdf`) },
        field: 'documentRefs',
        message: '50 éléments au plus.',
      },
      {
        path: `${app}/reports`,
        token: 'porteur',
        body: { ...report, documentRefs: ['bilan.pdf', over(500)] },
        field: 'documentRefs.1',
        message: '500 caractères au plus.',
      },
      {
        path: `${app}/reports/1/review`,
        token: 'manager',
        body: { decision: 'accepted', comment: over(5000) },
        field: 'comment',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/reports/1/review`,
        token: 'manager',
        body: { decision: 'changes_requested', comments: times(51, () => 'Corriger'), dueDate: today },
        field: 'comments',
        message: '50 éléments au plus.',
      },
      {
        path: `${app}/reports/1/review`,
        token: 'manager',
        body: { decision: 'changes_requested', comments: [over(5000)], dueDate: today },
        field: 'comments.0',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/payments`,
        token: 'manager',
        body: { installmentId: over(100) },
        field: 'installmentId',
        message: '100 caractères au plus.',
      },
      {
        path: `${app}/close`,
        token: 'manager',
        body: { comment: over(5000) },
        field: 'comment',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/terminate`,
        token: 'manager',
        body: { reason: 'breach', comment: over(5000) },
        field: 'comment',
        message: '5000 caractères au plus.',
      },
      {
        path: `${app}/terminate`,
        token: 'manager',
        body: {
          reason: 'breach',
          comment: 'Manquement',
          justified: times(401, () => ({ funder: 'ETAT', year: 1, amountCents: 0 })),
        },
        field: 'justified',
        message: '400 éléments au plus.',
      },
      {
        path: `${app}/withdraw`,
        token: 'porteur',
        body: { reason: over(5000) },
        field: 'reason',
        message: '5000 caractères au plus.',
      },
    ];
    for (const { path, token, body, field, message } of cases) {
      const res = await e.call('POST', path, { token: tokens[token], body });
      expect(res.status, `${path} ${field} ${JSON.stringify(res.body).slice(0, 300)}`).toBe(400);
      expect((res.body as Problem).errors, `${path} ${field}`).toEqual([
        { in: 'body', path: field, pointer: `#/${field.replaceAll('.', '/')}`, code: 'too_big', message },
      ]);
    }
    expect(await streamLength(`application-${id}`)).toBe(before);
    expect(await streamLength('campaign-camvs-bornes')).toBe(0);
    expect(await e.engine.eventStore.headPosition()).toBe(head);
  });

  it('accepts what is at the bound: the longest lists of the longest texts, and the longest campaign id', async () => {
    const atBound = (length: number, i: number) => `${i} `.padEnd(length, 'a');
    const step = async (path: string, token: string, body: unknown) => {
      const res = await e.call('POST', path, { token, body });
      expect(res.status, `${path} ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
    };
    // A demande de compléments, its answer and the ineligibility: the largest a file gets this way.
    const complements = await submit();
    await step(`/api/applications/${complements}/eligibility`, tokens.manager, {
      decision: 'complements',
      items: Array.from({ length: 50 }, (_, i) => atBound(5000, i)),
      dueDate: addDays(today, 10),
    });
    await step(`/api/applications/${complements}/complements`, tokens.porteur, {
      response: atBound(20_000, 0),
      documentRefs: Array.from({ length: 50 }, (_, i) => atBound(500, i)),
    });
    await step(`/api/applications/${complements}/eligibility`, tokens.manager, {
      decision: 'ineligible',
      reasons: Array.from({ length: 50 }, (_, i) => atBound(5000, i)),
    });
    const eligible = await submit();
    await step(`/api/applications/${eligible}/eligibility`, tokens.manager, {
      decision: 'eligible',
      coDecisionDueDate: addDays(today, 20),
      justification: atBound(5000, 0),
    });
    await step(`/api/applications/${eligible}/citizen-opinion`, tokens.council, {
      opinion: 'reserved',
      comment: atBound(5000, 0),
    });
    await step(`/api/applications/${eligible}/withdraw`, tokens.porteur, { reason: atBound(5000, 0) });
    // Past the length check: the campaign is looked up, and there is none.
    const longest = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: { campaignId: 'c'.repeat(64), dossier: dossier({ durationYears: 1, perYear: { ETAT: 1_000 } }) },
    });
    expect((longest.body as Problem).errors?.map((err) => [err.path, err.code])).toEqual([
      ['campaignId', 'unknown_campaign'],
    ]);
  });

  it('documents the bounds in the OpenAPI document (maxLength, maxItems)', async () => {
    const doc = (await e.call('GET', '/api/openapi.json')).body as {
      paths: Record<string, { post?: { requestBody?: unknown } }>;
    };
    const body = (path: string) => JSON.stringify(doc.paths[path]?.post?.requestBody);
    expect(body('/api/applications/{id}/eligibility')).toContain('"maxItems":50');
    expect(body('/api/applications/{id}/eligibility')).toContain('"maxLength":5000');
    expect(body('/api/applications/{id}/reports')).toContain('"maxItems":100');
    expect(body('/api/applications/{id}/reports')).toContain('"maxLength":500');
    expect(body('/api/applications')).toContain('"maxItems":100');
    expect(body('/api/campaigns')).toContain('"maxItems":500');
  });

  it('refuses a query parameter on a command, which takes none: 400 naming it, nothing written', async () => {
    const id = await submit();
    const before = await streamLength(`application-${id}`);
    const res = await e.call('POST', `/api/applications/${id}/withdraw?motif=doublon`, {
      token: tokens.porteur,
      body: {},
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect((res.body as Problem).errors?.map((err) => [err.in, err.path])).toEqual([['query', 'motif']]);
    expect(await streamLength(`application-${id}`)).toBe(before);
  });

  it('names the accepted values of a refused choice, nested in a union', async () => {
    const id = await submit();
    const res = await e.call('POST', `/api/applications/${id}/positions`, {
      token: tokens.etat,
      body: { position: { decision: 'peut-être', reason: 'x' } },
    });
    expect(res.status).toBe(400);
    expect((res.body as Problem).errors).toEqual([
      expect.objectContaining({
        path: 'position.decision',
        message: 'Valeur inconnue : « peut-être ». Valeurs possibles : committed, declined.',
      }),
    ]);
  });

  it('documents every object of every command body as closed (additionalProperties: false)', async () => {
    const doc = (await e.call('GET', '/api/openapi.json')).body as {
      paths: Record<string, { post?: { requestBody?: unknown } }>;
    };
    const open: string[] = [];
    let objects = 0;
    const walk = (node: unknown, where: string): void => {
      if (typeof node !== 'object' || node === null) return;
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${where}/${i}`));
      const schema = node as Record<string, unknown>;
      if (schema.type === 'object' && schema.properties !== undefined) {
        objects += 1;
        if (schema.additionalProperties !== false) open.push(where);
      }
      for (const [key, value] of Object.entries(schema)) walk(value, `${where}/${key}`);
    };
    for (const route of commandRoutes) {
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      walk(doc.paths[path]?.post?.requestBody, path);
    }
    expect(open).toEqual([]);
    expect(objects).toBeGreaterThan(40);
    // The ones the review found open.
    const position = JSON.stringify(doc.paths['/api/applications/{id}/positions']?.post?.requestBody);
    expect(position.match(/"additionalProperties":false/g)?.length).toBeGreaterThanOrEqual(4);
  });
});

describe('compressed bodies', () => {
  it('reads a body in its Content-Encoding, refuses one that is not (400) or an encoding not decoded (415), writing nothing', async () => {
    const id = await submit();
    const withdraw = (body: string | Buffer, encoding: string) =>
      fetch(`${e.url}/api/applications/${id}/withdraw`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.porteur}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body,
      });
    const before = await streamLength(`application-${id}`);
    for (const [encoding, body] of [
      ['br', '{}'],
      ['deflate', '{}'],
      ['gzip', '{}'],
      ['gzip', brotliCompressSync(Buffer.from('{}'))],
    ] as const) {
      const res = await withdraw(body, encoding);
      expect(res.status, encoding).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await res.json()) as Problem;
      expect(problem.code, encoding).toBe('BODY_DECOMPRESSION_FAILED');
      expect(problem.detail).toContain('Content-Encoding');
    }
    const unsupported = await withdraw('{}', 'compress');
    expect(unsupported.status).toBe(415);
    const problem = (await unsupported.json()) as Problem;
    expect(problem.code).toBe('UNSUPPORTED_CONTENT_ENCODING');
    expect(problem.detail).toMatch(/« compress ».*identity, gzip, deflate, br/);
    expect(await streamLength(`application-${id}`)).toBe(before);
    // The same body, compressed as announced, is read: the withdrawal is recorded.
    const gzipped = await withdraw(
      gzipSync(Buffer.from(JSON.stringify({ reason: 'Projet abandonné' }))),
      'gzip',
    );
    expect(gzipped.status, await gzipped.clone().text()).toBe(200);
    expect(await streamLength(`application-${id}`)).toBe(before + 1);
  });
});

describe('path parameters', () => {
  it('reads a convention year in decimal digits only', async () => {
    const id = await submit();
    for (const year of ['1.0', '0x1', '1e0', '+1', ' 1']) {
      const res = await e.call('POST', `/api/applications/${id}/reports/${encodeURIComponent(year)}/review`, {
        token: tokens.manager,
        body: { decision: 'accepted' },
      });
      expect(res.status, year).toBe(400);
      expect((res.body as Problem).errors, year).toEqual([
        {
          in: 'params',
          path: 'year',
          pointer: '#/year',
          code: 'invalid_type',
          message: `Nombre entier attendu, en chiffres décimaux : « ${year} » n’en est pas un.`,
        },
      ]);
    }
    const outOfRange = await e.call('POST', `/api/applications/${id}/reports/5/review`, {
      token: tokens.manager,
      body: { decision: 'accepted' },
    });
    expect((outOfRange.body as Problem).errors?.map((err) => [err.path, err.message])).toEqual([
      ['year', 'Doit être au plus 4.'],
    ]);
    // Year 1 in digits gets past the parsing: the rules answer (no report was filed).
    const parsed = await e.call('POST', `/api/applications/${id}/reports/1/review`, {
      token: tokens.manager,
      body: { decision: 'accepted' },
    });
    expect(parsed.status).toBe(422);
  });

  it('reads an application’s ULID in either case, on the commands and the audit routes', async () => {
    const id = await submit();
    const lower = id.toLowerCase();
    expect(lower).not.toBe(id);
    const eligible = await e.call('POST', `/api/applications/${lower}/eligibility`, {
      token: tokens.manager,
      body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
    });
    expect(eligible.status, JSON.stringify(eligible.body)).toBe(200);
    expect((eligible.body as { state: { applicationId: string } }).state.applicationId).toBe(id);
    // With If-Match, the version is read from the same (upper-case) stream.
    const withIfMatch = await e.call('POST', `/api/applications/${lower}/citizen-opinion`, {
      token: tokens.council,
      headers: { 'if-match': eligible.headers.get('etag') ?? '' },
      body: { opinion: 'favourable', comment: 'Attendu par les habitants.' },
    });
    expect(withIfMatch.status, JSON.stringify(withIfMatch.body)).toBe(200);
    expect(await streamLength(`application-${id}`)).toBe(3);
    expect(await streamLength(`application-${lower}`)).toBe(0);

    const events = await e.call('GET', `/api/audit/streams/application-${lower}/events`, {
      token: tokens.auditor,
    });
    expect(events.status).toBe(200);
    expect((events.body as { stream: string; events: unknown[] }).stream).toBe(`application-${id}`);
    expect((events.body as { events: unknown[] }).events).toHaveLength(3);
    const asOf = await e.call(
      'GET',
      `/api/audit/applications/${lower}/as-of?at=${encodeURIComponent(new Date().toISOString())}`,
      { token: tokens.auditor },
    );
    expect(asOf.status, JSON.stringify(asOf.body)).toBe(200);
    expect((asOf.body as { eventsApplied: number }).eventsApplied).toBe(3);
  });
});

describe('domain refusals', () => {
  it('files a quartier of the campaign’s reference outside its territory, with its finding; refuses a code in no reference', async () => {
    const [inside, other, outside] = qpvCodes as [string, string, string];
    await openCampaignToday(e, tokens.manager, 'camvs-territoire', { qpvCodes: [inside, other] });
    const filed = dossier({ durationYears: 1, perYear: { ETAT: 1_000_000 } });
    const withQuartiers = (codes: string[]) => ({
      campaignId: 'camvs-territoire',
      dossier: { ...filed, action: { ...filed.action, qpvCodes: codes } },
    });
    // A real quartier of the reference, next door: for the grant manager to judge, not « inconnu ».
    const res = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: withQuartiers([inside, outside]),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const findings = (res.body as { state: { findings: { id: string; outcome: string; detail?: string }[] } })
      .state.findings;
    expect(findings.find((f) => f.id === 'qpv-outside-territory')).toMatchObject({
      outcome: 'warn',
      detail: `Quartiers hors territoire : ${outside}.`,
    });
    const head = await e.engine.eventStore.headPosition();
    const unknown = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: withQuartiers([inside, 'QN01234X']),
    });
    expect(unknown.status, JSON.stringify(unknown.body)).toBe(422);
    expect((unknown.body as Problem).code).toBe('UNKNOWN_QPV');
    expect(await e.engine.eventStore.headPosition()).toBe(head);
  });

  it('answers an invalid command refused by the rules with its own code, not the 400’s VALIDATION_FAILED', async () => {
    const id = await submit();
    expect(
      (
        await e.call('POST', `/api/applications/${id}/eligibility`, {
          token: tokens.manager,
          body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
        })
      ).status,
    ).toBe(200);
    const before = await streamLength(`application-${id}`);
    const res = await e.call('POST', `/api/applications/${id}/positions`, {
      token: tokens.etat,
      body: {
        position: {
          decision: 'committed',
          amountsByYear: [
            { year: 1, amountCents: 100 },
            { year: 1, amountCents: 100 },
          ],
        },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      status: 422,
      type: '/api/docs#problem-domainRefusal',
      code: 'DUPLICATE_YEAR',
      detail: "Chaque année ne peut figurer qu'une fois dans la position.",
    });
    expect(await streamLength(`application-${id}`)).toBe(before);
  });

  it('names the field a rule refuses, so a form shows the message next to it; a refusal of the moment names none', async () => {
    const id = await submit();
    const repeated = await e.call('POST', `/api/applications/${id}/eligibility`, {
      token: tokens.manager,
      body: { decision: 'eligible', coDecisionDueDate: today },
    });
    expect(repeated.status).toBe(422);
    expect((repeated.body as Problem).errors).toEqual([
      {
        in: 'body',
        path: 'coDecisionDueDate',
        pointer: '#/coDecisionDueDate',
        code: 'DATE_IN_PAST',
        message: (repeated.body as Problem).detail,
      },
    ]);
    expect(
      (
        await e.call('POST', `/api/applications/${id}/eligibility`, {
          token: tokens.manager,
          body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
        })
      ).status,
    ).toBe(200);
    const position = await e.call('POST', `/api/applications/${id}/positions`, {
      token: tokens.etat,
      body: {
        position: {
          decision: 'committed',
          amountsByYear: [
            { year: 1, amountCents: 100 },
            { year: 1, amountCents: 100 },
          ],
        },
      },
    });
    expect((position.body as Problem).errors).toMatchObject([
      { in: 'body', path: 'position.amountsByYear.1.year', code: 'DUPLICATE_YEAR' },
    ]);
    // A funder's decision date is its own deliberation's: not one still to come.
    const ahead = await e.call('POST', `/api/applications/${id}/positions`, {
      token: tokens.etat,
      body: {
        position: { decision: 'declined', reason: 'Hors priorités.' },
        decisionDate: addDays(today, 3),
      },
    });
    expect(ahead.status).toBe(422);
    expect(ahead.body).toMatchObject({
      code: 'DECISION_DATE_OUT_OF_RANGE',
      errors: [{ in: 'body', path: 'decisionDate', code: 'DECISION_DATE_OUT_OF_RANGE' }],
    });
    expect((ahead.body as Problem).detail).toMatch(/^La décision de l'État est datée du .+, jour à venir/u);
    const malformed = await e.call('POST', `/api/applications/${id}/positions`, {
      token: tokens.etat,
      body: { position: { decision: 'declined', reason: 'Hors priorités.' }, decisionDate: '31/12/2026' },
    });
    expect(malformed.status).toBe(400);
    expect((malformed.body as Problem).errors).toMatchObject([{ path: 'decisionDate' }]);
    // Not a field's fault: the application is past eligibility.
    const again = await e.call('POST', `/api/applications/${id}/eligibility`, {
      token: tokens.manager,
      body: { decision: 'eligible', coDecisionDueDate: addDays(today, 20) },
    });
    expect(again.status).toBe(422);
    expect(again.body).not.toHaveProperty('errors');

    // A dossier's own fields, under `dossier`, as the body nests them.
    const unbalanced = dossier({ durationYears: 2, perYear: { ETAT: 1_000_000 } });
    const second = unbalanced.budget[1]!;
    second.otherResourcesCents += 1;
    const filed = await e.call('POST', '/api/applications', {
      token: tokens.porteur,
      body: { campaignId, dossier: unbalanced },
    });
    expect(filed.status).toBe(422);
    expect(filed.body).toMatchObject({
      code: 'UNBALANCED_BUDGET',
      errors: [
        {
          in: 'body',
          path: 'dossier.budget.1.otherResourcesCents',
          pointer: '#/dossier/budget/1/otherResourcesCents',
          code: 'UNBALANCED_BUDGET',
        },
      ],
    });
  });
});
