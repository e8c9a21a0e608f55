// Every command route of the API, sent from the console by the role the API lets through, in
// Debian's Chromium on the real engine (test/console/support/console.ts). The submission →
// convention in force path is console.e2e.spec.ts; this file drives the other forms: campaigns
// (creation, with communes among the funders, envelopes, opening, closing), complements and the
// porteur's answer shown, ineligibility, committee rejection, withdrawal, yearly reports (filed,
// corrections asked, accepted), payment order, closure, termination. Each application is brought to its step through the API first (support/steps.ts),
// then the step under test is done in the browser, and what the page shows is checked against
// the query API. Deadlines are real Temporal timers: tests never wait for one — conventions that
// need reports start in the past, so their report timers are due at once.
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonths, addYears, formatFrenchDate, parisInstant } from '../../domain/calendar';
import { qpvCodesOf, qpvSampleCamvs } from '../../domain/reference/qpv';
import { commandRoutes } from '../../services/commands/routes';
import {
  COMPLEMENTS_RESPONSE_MAX_LENGTH,
  DECISION_REFERENCE_MAX_LENGTH,
  FREE_TEXT_MAX_LENGTH,
} from '../../services/commands/schemas';
import type { Role } from '../../services/http/platform/auth';
import { artifacts, chromiumPath, demo, startConsoleWorld, type ConsoleWorld } from './support/console';
import {
  acceptReport,
  applicationDetail,
  bringToCommittee,
  bringToInForce,
  campaignOfYear,
  campaignView,
  createOpenCampaign,
  declareEligible,
  submitApplication,
  submitReport,
  todayInParis,
  tokenOf,
  waitForApplication,
  type ApplicationDetail,
  type InstallmentView,
  type Plan,
  type ReportView,
} from './support/steps';

const reportsOf = (d: ApplicationDetail): ReportView[] => d.state.reports ?? [];
const installmentsOf = (d: ApplicationDetail): InstallmentView[] => d.state.installments ?? [];

/** The browser tests, by name: the route × role table below says which one sends each route. */
const T = {
  lifecycle:
    'console.e2e.spec.ts › takes an application from the porteur’s submission to a convention in force, every actor through the console',
  campaign: 'the grant manager creates a campaign, adjusts an envelope, opens then closes it',
  complements:
    'the grant manager asks for complements, the porteur answers, the grant manager declares it ineligible',
  rejection: 'the grant manager records the steering committee’s rejection',
  withdrawal: 'the porteur withdraws the application, with the keyboard only',
  reports:
    'the porteur files the yearly report, the grant manager asks for corrections then accepts it and closes the file',
  payment: 'the grant manager orders a payment held back by an overdue report',
  termination: 'the grant manager terminates a convention in force, with recovery of what was not justified',
} as const;

/**
 * Route × role × console form × browser test. Paths and roles are those of the command router's
 * metadata (services/commands/routes.ts, `commandRoutes`: the roles `requireRole` lets through);
 * the first test checks this table against it, so a new route or a change of roles fails here
 * until the console has its form. `form` is the `data-action` of the console's form
 * (services/console/static/actions.js and pages.js; `<id>` stands for the campaign's id), `test`
 * the browser test that sends it as that role.
 */
const routeTable: { path: string; roles: Role[]; form: string; test: string }[] = [
  { path: '/api/campaigns', roles: ['grant_manager'], form: 'create-campaign', test: T.campaign },
  { path: '/api/campaigns/:id/open', roles: ['grant_manager'], form: 'open-<id>', test: T.campaign },
  { path: '/api/campaigns/:id/close', roles: ['grant_manager'], form: 'close-<id>', test: T.campaign },
  { path: '/api/campaigns/:id/envelopes', roles: ['grant_manager'], form: 'envelope-<id>', test: T.campaign },
  { path: '/api/applications', roles: ['porteur'], form: 'depot', test: T.lifecycle },
  {
    path: '/api/applications/:id/eligibility',
    roles: ['grant_manager'],
    form: 'eligible',
    test: T.lifecycle,
  },
  {
    path: '/api/applications/:id/eligibility',
    roles: ['grant_manager'],
    form: 'ineligible',
    test: T.complements,
  },
  {
    path: '/api/applications/:id/eligibility',
    roles: ['grant_manager'],
    form: 'complements-request',
    test: T.complements,
  },
  { path: '/api/applications/:id/complements', roles: ['porteur'], form: 'complements', test: T.complements },
  { path: '/api/applications/:id/positions', roles: ['funder'], form: 'position', test: T.lifecycle },
  {
    path: '/api/applications/:id/citizen-opinion',
    roles: ['citizen_council'],
    form: 'opinion',
    test: T.lifecycle,
  },
  {
    path: '/api/applications/:id/committee-decision',
    roles: ['grant_manager'],
    form: 'approval',
    test: T.lifecycle,
  },
  {
    path: '/api/applications/:id/committee-decision',
    roles: ['grant_manager'],
    form: 'rejection',
    test: T.rejection,
  },
  {
    path: '/api/applications/:id/convention',
    roles: ['grant_manager'],
    form: 'convention',
    test: T.lifecycle,
  },
  {
    path: '/api/applications/:id/signatures',
    roles: ['porteur', 'funder'],
    form: 'signature',
    test: T.lifecycle,
  },
  { path: '/api/applications/:id/reports', roles: ['porteur'], form: 'report', test: T.reports },
  {
    path: '/api/applications/:id/reports/:year/review',
    roles: ['grant_manager'],
    form: 'report-accept',
    test: T.reports,
  },
  {
    path: '/api/applications/:id/reports/:year/review',
    roles: ['grant_manager'],
    form: 'report-changes',
    test: T.reports,
  },
  { path: '/api/applications/:id/payments', roles: ['grant_manager'], form: 'payment', test: T.payment },
  { path: '/api/applications/:id/close', roles: ['grant_manager'], form: 'close', test: T.reports },
  {
    path: '/api/applications/:id/terminate',
    roles: ['grant_manager'],
    form: 'terminate',
    test: T.termination,
  },
  { path: '/api/applications/:id/withdraw', roles: ['porteur'], form: 'withdraw', test: T.withdrawal },
];

/** The console's form for each command the API lists in `allowed` (actions.js, CommandForm). */
const formOfCommand: Record<string, string> = {
  DeclareEligible: 'eligible',
  DeclareIneligible: 'ineligible',
  RequestComplements: 'complements-request',
  ProvideComplements: 'complements',
  RecordFunderPosition: 'position',
  GiveCitizenOpinion: 'opinion',
  RecordCommitteeApproval: 'approval',
  RecordCommitteeRejection: 'rejection',
  DraftConvention: 'convention',
  SignConvention: 'signature',
  SubmitYearlyReport: 'report',
  AcceptYearlyReport: 'report-accept',
  RequestReportChanges: 'report-changes',
  OrderPayment: 'payment',
  CloseApplication: 'close',
  TerminateConvention: 'terminate',
  WithdrawApplication: 'withdraw',
};

const campaignId = 'console-commandes';
const today = todayInParis();
const qpvCodes = qpvCodesOf(qpvSampleCamvs);
const plan: Plan = { title: '', perYear: { ETAT: 1_000_000, EPCI: 500_000 } };
const euros = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
/** A civil date as the console writes it (lib.js `date`, as the engine): « 12 mars 2031 », « 1er avril 2031 ». */
const date = formatFrenchDate;

let world: ConsoleWorld;
/** The forms this file sent (data-action), checked against the table at the end. */
const sent = new Set<string>();

describe('the route × role table', () => {
  it('names every command route of the API with the roles its router lets through, and a browser test', () => {
    expect([...new Set(routeTable.map((r) => r.path))].sort()).toEqual(
      commandRoutes.map((r) => r.path).sort(),
    );
    for (const row of routeTable) {
      const route = commandRoutes.find((r) => r.path === row.path);
      expect([...row.roles].sort(), `${row.path} (${row.form})`).toEqual([...(route?.roles ?? [])].sort());
    }
    // Every command a person may send has its console form, and each form one line.
    const forms = routeTable.map((r) => r.form);
    expect(new Set(forms).size).toBe(forms.length);
    for (const form of Object.values(formOfCommand)) expect(forms, form).toContain(form);
  });
});

describe.skipIf(chromiumPath === undefined)('every command from the console (Chromium)', () => {
  beforeAll(async () => {
    world = await startConsoleWorld();
    await createOpenCampaign(world.engine, campaignId);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  /** An attribute of every element `locator` finds, in order. */
  async function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
    const values: (string | null)[] = [];
    for (let i = 0; i < (await locator.count()); i += 1) values.push(await locator.nth(i).getAttribute(name));
    return values;
  }
  /** The forms on the page, in order (data-action). */
  const formsOn = (page: Page) => attributes(page.locator('form[data-action]'), 'data-action');

  /** The forms the API says this person may send now (GET /api/applications/:id, `allowed`). */
  async function formsAllowed(id: string, who: Parameters<typeof tokenOf>[1]): Promise<string[]> {
    const answer = await world.engine.call('GET', `/api/applications/${id}`, {
      token: await tokenOf(world.engine, who),
    });
    return (answer.body as ApplicationDetail).allowed.map((a) => formOfCommand[a.type] ?? a.type);
  }

  /** Sends a form of the application page (support act) and records it as exercised. */
  async function act(page: Page, action: string, fill: Record<string, string> = {}): Promise<void> {
    await world.act(page, action, fill);
    sent.add(action);
  }

  /**
   * Waits until the query API shows `status`, then until the page shows the same label; returns
   * the API's view.
   */
  async function sameStatus(page: Page, id: string, status: string): Promise<ApplicationDetail> {
    const detail = await waitForApplication(world.engine, id, status, (d) => d.status === status);
    await world.openApplication(page, id, `[data-testid="status"]:text-is("${detail.statusLabel}")`);
    return detail;
  }

  /** The campaign form, its common fields filled: submission window in 30 to 90 days, the State's envelope. */
  async function fillCampaignBasics(page: Page, id: string, year: number): Promise<Locator> {
    const create = page.locator('form[data-action="create-campaign"]');
    await create.getByLabel('Identifiant (lettres, chiffres, tirets) *').fill(id);
    await create.getByLabel('Année *').fill(String(year));
    await create.getByLabel('Nom *').fill(`AMI Contrat de ville ${year}`);
    await create.getByLabel('Ouverture du dépôt *').fill(addDays(today, 30));
    await create.getByLabel('Dernier jour de dépôt (inclus) *').fill(addDays(today, 89));
    await create.getByLabel('Enveloppe de l’État (vide : non partenaire) (€)').fill('400 000');
    return create;
  }

  it(T.campaign, async () => {
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await page.getByRole('link', { name: 'Campagnes' }).click();
    const id = 'camvs-console-2031';
    const create = await fillCampaignBasics(page, id, 2031);
    await create
      .getByLabel('Enveloppe de l’intercommunalité (EPCI) (vide : non partenaire) (€)')
      .fill('250 000');
    await create.getByLabel('Codes QPV du territoire (un par ligne) *').fill(qpvCodes.slice(0, 2).join('\n'));
    await create.getByLabel('Version du référentiel QPV *').fill(qpvSampleCamvs.version);
    await create.getByRole('button', { name: 'Créer la campagne' }).click();
    await page.getByRole('status').filter({ hasText: 'créée, en préparation' }).waitFor();
    sent.add('create-campaign');
    // A new form: a second click cannot send the same identifier again.
    await expect(
      page
        .locator('form[data-action="create-campaign"]')
        .getByLabel('Identifiant (lettres, chiffres, tirets) *')
        .inputValue(),
    ).resolves.toBe('');

    const card = page.locator(`[data-campaign="${id}"]`);
    const status = card.locator('[data-field="campaign-status"]');
    const cardForms = () => attributes(card.locator('form[data-action]'), 'data-action');
    await expect(status.textContent()).resolves.toBe('en préparation');
    // The last day typed is the one shown, « inclus »; the API's closesAt is 0 h the day after.
    await expect(card.locator('[data-field="submission-window"]').textContent()).resolves.toBe(
      `du ${date(addDays(today, 30))} au ${date(addDays(today, 89))} inclus`,
    );
    expect(await cardForms()).toEqual([`open-${id}`, `close-${id}`, `envelope-${id}`]);
    let view = await campaignView(world.engine, id);
    expect(view.state).toMatchObject({
      status: 'draft',
      year: 2031,
      funders: [
        { funder: 'ETAT', envelopeCents: 40_000_000 },
        { funder: 'EPCI', envelopeCents: 25_000_000 },
      ],
      territory: { qpvCodes: qpvCodes.slice(0, 2) },
    });
    // Sent as the API has it: the window closes at 0 h (Paris) the day after the last day typed.
    const { closesAt } = (view.state as unknown as { submissionWindow: { closesAt: string } })
      .submissionWindow;
    expect(Date.parse(closesAt)).toBe(Date.parse(parisInstant(addDays(today, 90))));
    expect(view.allowed.map((a: { type: string }) => a.type)).toEqual([
      'OpenCampaign',
      'CloseCampaign',
      'AdjustFunderEnvelope',
    ]);

    // Envelope: the EPCI's raised by a deliberation.
    const envelope = card.locator(`form[data-action="envelope-${id}"]`);
    await envelope.getByLabel('Financeur').selectOption('EPCI');
    await envelope.getByLabel('Nouveau montant de l’enveloppe (€) *').fill('300 000');
    await envelope.getByLabel('Motif *').fill('Délibération du conseil communautaire du 12 mars');
    await envelope.getByRole('button', { name: 'Ajuster' }).click();
    await page.getByRole('status').filter({ hasText: 'enveloppe ajustée' }).waitFor();
    sent.add('envelope-<id>');
    const epciRow = card.locator('tr[data-funder="EPCI"] td.num');
    await expect.poll(() => epciRow.textContent()).toBe(euros(30_000_000));
    view = await campaignView(world.engine, id);
    expect(view.state.funders).toContainEqual({ funder: 'EPCI', envelopeCents: 30_000_000 });

    // Opened ahead of its date, then closed: only the actions possible now stay on the card.
    await card.locator(`form[data-action="open-${id}"]`).getByRole('button', { name: 'Ouvrir' }).click();
    await page.getByRole('status').filter({ hasText: ': ouverte.' }).waitFor();
    sent.add('open-<id>');
    await expect.poll(() => status.textContent()).toBe('ouverte');
    await expect.poll(cardForms).toEqual([`close-${id}`, `envelope-${id}`]);
    expect((await campaignView(world.engine, id)).state.status).toBe('open');
    await page.screenshot({ path: join(artifacts, 'console-campagnes.png'), fullPage: true });

    const close = card.locator(`form[data-action="close-${id}"]`);
    await close.getByLabel('Motif (facultatif)').fill('Appel complété');
    await close.getByRole('button', { name: 'Fermer' }).click();
    // Closing the submission window asks first.
    const confirmClose = page.getByRole('dialog', { name: /^Fermer le dépôt de/ });
    await confirmClose.waitFor();
    await confirmClose.getByRole('button', { name: 'Confirmer' }).click();
    await page.getByRole('status').filter({ hasText: ': fermée.' }).waitFor();
    sent.add('close-<id>');
    await expect.poll(() => status.textContent()).toBe('fermée');
    await expect.poll(cardForms).toEqual([`envelope-${id}`]);
    view = await campaignView(world.engine, id);
    expect(view.state.status).toBe('closed');
    expect(view.state.closedAt).toMatch(/^\d{4}-/);
    // The list (read models) follows.
    await expect
      .poll(() => page.locator(`tr[data-campaign-row="${id}"]`).textContent(), { timeout: 10_000 })
      .toContain('fermée');
    expect(world.cspViolations).toEqual([]);
  });

  it('a campaign opening today is said open at once, and the Campagnes page fits a 390 px phone', async () => {
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await page.getByRole('link', { name: 'Campagnes' }).click();
    const id = 'camvs-aujourdhui-2033';
    const create = await fillCampaignBasics(page, id, 2033);
    await create.getByLabel('Ouverture du dépôt *').fill(today);
    await create.getByLabel('Codes QPV du territoire (un par ligne) *').fill(qpvCodes.slice(0, 2).join('\n'));
    await create.getByLabel('Version du référentiel QPV *').fill(qpvSampleCamvs.version);
    await create.getByRole('button', { name: 'Créer la campagne' }).click();
    await page.getByRole('status').filter({ hasText: 'créée, ouverte' }).waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.locator(`tr[data-campaign-row="${id}"] td:nth-child(2)`).textContent())
      .toBe('ouverte');
    await expect
      .poll(() => page.locator(`[data-campaign="${id}"] [data-field="campaign-status"]`).textContent())
      .toBe('ouverte');
    // « Créer une campagne » is a section of the page as the campaigns' cards are.
    await expect(page.getByRole('heading', { level: 2, name: 'Créer une campagne' }).count()).resolves.toBe(
      1,
    );
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.evaluate<number>('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(
      390,
    );
    await page.screenshot({ path: join(artifacts, 'console-campagnes-390.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  });

  it('the grant manager adds communes to a new campaign’s funders, a wrong INSEE code refused in the form', async () => {
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await page.getByRole('link', { name: 'Campagnes' }).click();
    const id = 'camvs-communes-2032';
    const create = await fillCampaignBasics(page, id, 2032);
    const communes = create.getByLabel('Communes financeuses (une par ligne : code INSEE : enveloppe en €)');
    // A code of four digits: the form names it and sends nothing.
    await communes.fill('59392 : 80 000\n5936 : 30 000');
    await create.getByLabel('Codes QPV du territoire (un par ligne) *').fill(qpvCodes.slice(0, 2).join('\n'));
    await create.getByLabel('Version du référentiel QPV *').fill(qpvSampleCamvs.version);
    await create.getByRole('button', { name: 'Créer la campagne' }).click();
    const refusal = create.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(
      /À corriger avant l’envoi :.*Code INSEE de commune invalide : « 5936 »/s,
    );
    expect(
      (
        await world.engine.call('GET', `/api/campaigns/${id}`, {
          token: await tokenOf(world.engine, 'manager'),
        })
      ).status,
    ).toBe(404);

    await communes.fill('59392 : 80 000\n59365 : 30 000');
    await create.getByRole('button', { name: 'Créer la campagne' }).click();
    await page.getByRole('status').filter({ hasText: 'créée, en préparation' }).waitFor();
    sent.add('create-campaign');
    const view = await campaignView(world.engine, id);
    expect(view.state.funders).toEqual([
      { funder: 'ETAT', envelopeCents: 40_000_000 },
      { funder: 'COMMUNE-59392', envelopeCents: 8_000_000 },
      { funder: 'COMMUNE-59365', envelopeCents: 3_000_000 },
    ]);
    // The campaign's card lists each commune with its envelope, named as everywhere in the console,
    // in the console's funder order: the institutions, then the communes by INSEE code.
    const envelopes = page.locator(`[data-campaign="${id}"] [data-testid="envelopes-${id}"]`);
    await expect
      .poll(() => envelopes.locator('tbody th').allTextContents())
      .toEqual(['État', 'Commune de Louvroil', 'Commune de Maubeuge']);
    await expect(envelopes.locator('tr[data-funder="COMMUNE-59365"] td.num').textContent()).resolves.toBe(
      euros(3_000_000),
    );
    await expect
      .poll(() => page.locator(`tr[data-campaign-row="${id}"]`).count(), { timeout: 10_000 })
      .toBe(1);
    // Its envelope can be adjusted like any funder's.
    const adjust = page.locator(`form[data-action="envelope-${id}"]`);
    await expect(adjust.getByLabel('Financeur').locator('option').allTextContents()).resolves.toContain(
      `Commune de Maubeuge (actuellement ${euros(8_000_000)})`,
    );
    await page.screenshot({ path: join(artifacts, 'console-campagne-communes.png'), fullPage: true });

    // Once open, a porteur may ask each commune for money, by the same name.
    await page.locator(`form[data-action="open-${id}"]`).getByRole('button', { name: 'Ouvrir' }).click();
    await page.getByRole('status').filter({ hasText: ': ouverte.' }).waitFor();
    await world.signInAs(page, demo.porteur);
    // The form offers the campaigns the read models show open: reload until this one is among them.
    const choice = page.locator(`#depot-campaignId option[value="${id}"]`);
    for (let i = 0; i < 30 && (await choice.count()) === 0; i += 1) {
      await page.goto(`${world.base}/console/#/depot`);
      await page.reload();
      await choice.waitFor({ state: 'attached', timeout: 1_000 }).catch(() => undefined);
    }
    await page.getByLabel('Appel à manifestation d’intérêt *').selectOption(id);
    const budget = page.locator('form.cerfa fieldset.budget');
    await budget.getByLabel('Demandé à la commune de Louvroil, année 1 (€)').waitFor();
    await expect(budget.locator('label').allTextContents()).resolves.toEqual([
      'Coût total, année 1 (€) *',
      'Demandé à l’État, année 1 (€)',
      'Demandé à la commune de Louvroil, année 1 (€)',
      'Demandé à la commune de Maubeuge, année 1 (€)',
      'Autres ressources, année 1 (€)',
    ]);
    expect(world.cspViolations).toEqual([]);
  });

  it(T.complements, async () => {
    const id = await submitApplication(world.engine, campaignId, {
      ...plan,
      title: 'Jardins partagés à Montplaisir',
    });
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="complements-request"]');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'manager'));
    expect(await formsOn(page)).toEqual(['eligible', 'ineligible', 'complements-request']);
    // A form offers no more than the API takes.
    await expect(page.locator('#eligible-justification').getAttribute('maxlength')).resolves.toBe(
      String(FREE_TEXT_MAX_LENGTH),
    );

    // A due date already past: the rules' French refusal names the field, so the message sits in
    // the form's summary and the date field itself takes the focus, marked invalid.
    const request = page.locator('form[data-action="complements-request"]');
    await request
      .getByLabel('Pièces ou précisions demandées (une par ligne) *')
      .fill('Budget détaillé de l’année 1\nAttestation d’assurance');
    await request.getByLabel('Date limite de réponse *').fill(addDays(today, -1));
    await request.getByRole('button', { name: 'Envoyer la demande' }).click();
    const refusal = request.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/Refusé :.*date limite/is);
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe(
      'complements-request-dueDate',
    );
    expect(await request.getByLabel('Date limite de réponse *').getAttribute('aria-invalid')).toBe('true');
    expect((await applicationDetail(world.engine, id)).status).toBe('under_review');
    // What was typed stays, to be corrected (the re-render with the refusal puts back no default).
    expect(await request.getByLabel('Date limite de réponse *').inputValue()).toBe(addDays(today, -1));
    expect(
      await request.getByLabel('Pièces ou précisions demandées (une par ligne) *').inputValue(),
    ).toContain('Attestation d’assurance');

    await act(page, 'complements-request', { 'Date limite de réponse *': addDays(today, 15) });
    let detail = await sameStatus(page, id, 'awaiting_complements');
    expect(detail.state.request).toMatchObject({
      items: ['Budget détaillé de l’année 1', 'Attestation d’assurance'],
      dueDate: addDays(today, 15),
    });
    await expect(page.getByTestId('outcome').textContent()).resolves.toContain('Attestation d’assurance');
    // The deadline shown is the due date given, the last day the answer is awaited (not the day after).
    await expect(page.getByTestId('deadline').getAttribute('data-value')).resolves.toBe(addDays(today, 15));
    await expect(page.getByTestId('deadline').textContent()).resolves.toBe(
      `échéance : ${date(addDays(today, 15))} (compléments)`,
    );

    await world.signInAs(page, demo.porteur);
    // The porteur's own list says the same.
    const mine = page.locator(`tr[data-application="${id}"] [data-field="deadline"]`);
    await mine.waitFor({ timeout: 15_000 });
    await expect(mine.textContent()).resolves.toBe(date(addDays(today, 15)));
    await world.openApplication(page, id, 'form[data-action="complements"]');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'porteur'));
    expect(await formsOn(page)).toEqual(['complements', 'withdraw']);
    await expect(page.locator('form[data-action="complements"] .hint').textContent()).resolves.toContain(
      'Budget détaillé de l’année 1',
    );
    await expect(page.locator('#complements-response').getAttribute('maxlength')).resolves.toBe(
      String(COMPLEMENTS_RESPONSE_MAX_LENGTH),
    );
    await page.screenshot({ path: join(artifacts, 'console-complements.png'), fullPage: true });
    await act(page, 'complements', {
      'Réponse *': 'Budget détaillé et attestation joints.',
      'Références des pièces jointes (une par ligne)': 'budget-2031.pdf\nassurance-2031.pdf',
    });
    detail = await sameStatus(page, id, 'under_review');
    expect(detail.state.complementsRequests).toBe(1);
    expect(detail.state.complements).toEqual([
      {
        number: 1,
        items: ['Budget détaillé de l’année 1', 'Attestation d’assurance'],
        dueDate: addDays(today, 15),
        answer: {
          response: 'Budget détaillé et attestation joints.',
          documentRefs: ['budget-2031.pdf', 'assurance-2031.pdf'],
          dossierAmended: false,
        },
      },
    ]);

    // The grant manager who rules on it reads what was asked and what the porteur answered.
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="ineligible"]');
    await page.getByTestId('timeline').getByText('Compléments fournis').first().waitFor();
    const exchanges = page.getByTestId('complements');
    const expectExchangeShown = async () => {
      await expect(
        exchanges.getByRole('heading', { name: 'Compléments demandés et réponses' }).count(),
      ).resolves.toBe(1);
      const first = exchanges.locator('li[data-complements="1"]');
      await expect(first.textContent()).resolves.toContain('Attestation d’assurance');
      await expect(first.textContent()).resolves.toContain(date(addDays(today, 15)));
      await expect(first.locator('[data-field="complements-response"]').textContent()).resolves.toContain(
        'Budget détaillé et attestation joints.',
      );
      await expect(first.locator('[data-field="complements-documents"]').textContent()).resolves.toBe(
        'budget-2031.pdf, assurance-2031.pdf',
      );
    };
    await expectExchangeShown();
    await page.screenshot({ path: join(artifacts, 'console-complements-reponse.png'), fullPage: true });
    await act(page, 'ineligible', {
      'Motifs (un par ligne) *':
        'Aucun habitant du quartier associé à l’action\nPart de financement public au-delà du plafond',
    });
    detail = await sameStatus(page, id, 'ineligible');
    expect(detail.state.reasons).toEqual([
      'Aucun habitant du quartier associé à l’action',
      'Part de financement public au-delà du plafond',
    ]);
    await page.getByRole('heading', { name: 'Motifs d’irrecevabilité' }).waitFor();
    // Ruled on, the file still shows the exchange the ruling was based on.
    await expectExchangeShown();
    expect(await formsOn(page)).toEqual([]);
    expect(detail.allowed).toEqual([]);
    expect(world.cspViolations).toEqual([]);
  });

  it(T.rejection, async () => {
    const id = await bringToCommittee(world.engine, campaignId, { ...plan, title: 'Fresque participative' });
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="rejection"]');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'manager'));
    await expect(page.locator('#rejection-decisionReference').getAttribute('maxlength')).resolves.toBe(
      String(DECISION_REFERENCE_MAX_LENGTH),
    );
    await act(page, 'rejection', {
      'Référence de la décision *': 'COPIL-2031-07',
      'Motifs (un par ligne) *': 'Action déjà financée par le droit commun',
    });
    const detail = await sameStatus(page, id, 'rejected');
    expect(detail.state.rejection).toEqual({
      decisionReference: 'COPIL-2031-07',
      decisionDate: today,
      reasons: ['Action déjà financée par le droit commun'],
    });
    await expect(
      page.getByRole('heading', { name: /Rejet du comité \(COPIL-2031-07/ }).count(),
    ).resolves.toBe(1);
    expect(await formsOn(page)).toEqual([]);
  });

  it(T.withdrawal, async () => {
    const id = await submitApplication(world.engine, campaignId, { ...plan, title: 'Radio de quartier' });
    await declareEligible(world.engine, id);
    const page = await world.newPage();
    await world.signInAs(page, demo.porteur);
    await world.openApplication(page, id, 'form[data-action="withdraw"]');
    // The porteur sees the one action open to it in co-décision; no funder's or manager's form.
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'porteur'));
    expect(await formsOn(page)).toEqual(['withdraw']);
    const form = page.locator('form[data-action="withdraw"]');
    await form.getByLabel('Motif (facultatif)').focus();
    await page.keyboard.type('L’association perd son local.');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent.trim()')).toBe(
      'Retirer',
    );
    // Withdrawing is for good: a dialog says so; Escape cancels, nothing is sent.
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Retirer la candidature ?' });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain('C’est définitif');
    // The focus is in the dialog, on « Annuler »: a stray Enter cancels.
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent.trim()')).toBe(
      'Annuler',
    );
    await page.screenshot({ path: join(artifacts, 'console-retrait-confirmation.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await applicationDetail(world.engine, id)).status).toBe('co_decision');
    // Back on the form with the keyboard, as the first time (Shift+Tab to the reason, Tab to the
    // button): the focus the closed dialog hands back is not what a keyboard user sees moving.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    await expect
      .poll(() => page.evaluate('document.activeElement && document.activeElement.textContent.trim()'))
      .toBe('Retirer');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent.trim()')).toBe(
      'Confirmer',
    );
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Action enregistrée' }).waitFor();
    sent.add('withdraw');
    const detail = await sameStatus(page, id, 'withdrawn');
    expect(detail.state.reason).toBe('L’association perd son local.');
    // Its own full stop kept, not doubled (« local.. »).
    await expect(page.getByTestId('outcome').locator('p').textContent()).resolves.toBe(
      'Motif : L’association perd son local.',
    );
    expect(await formsOn(page)).toEqual([]);
  });

  it(T.reports, async () => {
    // A one-year convention whose year ended five days ago: its report is expected now.
    const start = addDays(addYears(today, -1), -5);
    const id = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, campaignId, start),
      { ...plan, title: 'Café des parents' },
      start,
    );
    await waitForApplication(
      world.engine,
      id,
      'report expected',
      (d) => reportsOf(d)[0]?.status === 'expected',
    );
    const page = await world.newPage();
    await world.signInAs(page, demo.porteur);
    await world.openApplication(page, id, 'form[data-action="report"]');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'porteur'));
    expect(await formsOn(page)).toEqual(['report']);
    const fillReport = async (narrative: string) => {
      const form = page.locator('form[data-action="report"]');
      await form.getByLabel('Année de convention').selectOption('1');
      await form.getByLabel('Dépensé sur la subvention de l’État (€) *').fill('10 000');
      await form.getByLabel('Dépensé sur la subvention de l’intercommunalité (EPCI) (€) *').fill('5 000');
      await form.getByLabel('Bénéficiaires touchés *').fill('95');
      await form.getByLabel('Bilan qualitatif *').fill(narrative);
    };
    // Nothing is pre-filled: an amount left blank is named, not sent as « 0 € spent ».
    const reportForm = page.locator('form[data-action="report"]');
    await reportForm.getByLabel('Bilan qualitatif *').fill('Vingt-quatre cafés tenus.');
    await expect(
      reportForm.getByLabel('Dépensé sur la subvention de l’État (€) *').inputValue(),
    ).resolves.toBe('');
    await reportForm.getByRole('button', { name: 'Déposer le compte rendu' }).click();
    const missing = reportForm.getByRole('alert');
    await missing.waitFor();
    // Every missing field named, in the form's order (the funders as the plan lists them).
    await expect(
      missing
        .locator('li')
        .allTextContents()
        .then((l) => [...l].sort()),
    ).resolves.toEqual([
      'Bénéficiaires touchés : à remplir.',
      'Dépensé sur la subvention de l’intercommunalité (EPCI) : à remplir.',
      'Dépensé sur la subvention de l’État : à remplir.',
    ]);
    // The focus is on the first of them.
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toMatch(
      /^report-spent\|(ETAT|EPCI)$/,
    );
    // Before sending, the recap: per funder, the year's grant, what was paid (the advance, half),
    // what was spent, and what accepting it does: the État paid 5 000 € of which 3 000 € were spent
    // (2 000 € to repay, its 5 000 € balance cancelled); the EPCI paid 2 500 €, all spent (its balance
    // cancelled, nothing to repay).
    await reportForm.getByLabel('Dépensé sur la subvention de l’État (€) *').fill('3 000');
    await reportForm.getByLabel('Dépensé sur la subvention de l’intercommunalité (EPCI) (€) *').fill('2 500');
    await reportForm.getByLabel('Bénéficiaires touchés *').fill('95');
    await reportForm.getByRole('button', { name: 'Déposer le compte rendu' }).click();
    const recap = page.getByRole('dialog', { name: 'Déposer le compte rendu de l’année 1 ?' });
    await recap.waitFor();
    const recapRow = (funder: string) =>
      recap.locator(`[data-testid="report-recap"] tr[data-funder="${funder}"] td`);
    // Attribué, Versé, Dépensé, À reverser, Reste à verser, Annulé.
    await expect(recapRow('ETAT').allTextContents()).resolves.toEqual(
      [1_000_000, 500_000, 300_000, 200_000, 0, 500_000].map(euros),
    );
    await expect(recapRow('EPCI').allTextContents()).resolves.toEqual(
      [500_000, 250_000, 250_000, 0, 0, 250_000].map(euros),
    );
    await expect(recapRow('total').allTextContents()).resolves.toEqual(
      [1_500_000, 750_000, 550_000, 200_000, 0, 750_000].map(euros),
    );
    const outcome = (await recap.getByTestId('report-outcome').textContent()) ?? '';
    expect(outcome.replace(/\s/g, ' ')).toContain(
      `${euros(200_000)} versés par l’État et non dépensés seront à reverser`.replace(/\s/g, ' '),
    );
    expect(outcome.replace(/\s/g, ' ')).toContain(
      `le solde de ${euros(500_000)} de l’État ne sera versé qu’à hauteur des dépenses : ${euros(500_000)} annulés`.replace(
        /\s/g,
        ' ',
      ),
    );
    expect(outcome).not.toContain('non dépensés sur la subvention');
    await page.screenshot({ path: join(artifacts, 'console-compte-rendu-recap.png') });
    await recap.getByRole('button', { name: 'Annuler' }).click();
    await recap.waitFor({ state: 'hidden' });
    expect(reportsOf(await applicationDetail(world.engine, id))[0]?.status).toBe('expected');
    await fillReport('Vingt-quatre cafés tenus, une centaine de parents venus.');
    await act(page, 'report', {
      'Références des pièces jointes (une par ligne)': 'cr-financier-annee-1.pdf',
    });
    let detail = await waitForApplication(
      world.engine,
      id,
      'report submitted',
      (d) => reportsOf(d)[0]?.status === 'submitted',
    );
    expect(reportsOf(detail)[0]?.report).toMatchObject({
      beneficiariesReached: 95,
      documentRefs: ['cr-financier-annee-1.pdf'],
    });
    expect(reportsOf(detail)[0]?.report?.spentByFunder).toEqual(
      expect.arrayContaining([
        { funder: 'ETAT', amountCents: 1_000_000 },
        { funder: 'EPCI', amountCents: 500_000 },
      ]),
    );

    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="report-changes"]');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'manager'));
    expect(await formsOn(page)).toEqual(['report-accept', 'report-changes', 'terminate']);
    await expect(page.locator('li[data-report="1"]').textContent()).resolves.toContain(
      'Vingt-quatre cafés tenus',
    );
    await act(page, 'report-changes', {
      'Corrections demandées (une par ligne) *': 'Joindre les feuilles de présence',
    });
    detail = await waitForApplication(
      world.engine,
      id,
      'changes requested',
      (d) => reportsOf(d)[0]?.status === 'changes_requested',
    );
    expect(reportsOf(detail)[0]).toMatchObject({
      comments: ['Joindre les feuilles de présence'],
      dueDate: addDays(today, 30),
    });

    await world.signInAs(page, demo.porteur);
    await world.openApplication(page, id, 'li[data-report="1"]:has-text("Joindre les feuilles de présence")');
    await fillReport('Vingt-quatre cafés tenus ; feuilles de présence jointes.');
    await act(page, 'report', {
      'Références des pièces jointes (une par ligne)': 'cr-financier-annee-1.pdf\nfeuilles-presence.pdf',
    });
    await waitForApplication(
      world.engine,
      id,
      'report submitted again',
      (d) => reportsOf(d)[0]?.status === 'submitted',
    );

    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="report-accept"]');
    await act(page, 'report-accept', { Commentaire: 'Bilan complet.' });
    detail = await waitForApplication(
      world.engine,
      id,
      'report accepted',
      (d) => reportsOf(d)[0]?.status === 'accepted',
    );
    // Accepted: the balance is paid; everything is reconciled, so the file may be closed.
    expect(installmentsOf(detail).every((i) => i.status === 'ordered')).toBe(true);
    await world.openApplication(page, id, 'form[data-action="close"]');
    await expect(
      page.locator('li[data-report="1"] [data-field="report-status"]').textContent(),
    ).resolves.toBe('accepté');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'manager'));
    expect(await formsOn(page)).toEqual(['close', 'terminate']);
    await page.screenshot({ path: join(artifacts, 'console-compte-rendu.png'), fullPage: true });
    await act(page, 'close', { Commentaire: 'Action menée à son terme.' });
    detail = await sameStatus(page, id, 'closed');
    expect(detail.state.comment).toBe('Action menée à son terme.');
    expect(detail).toMatchObject({ amounts: { paidCents: 1_500_000, awardedCents: 1_500_000 } });
    await expect(page.getByTestId('outcome').textContent()).resolves.toContain('Action menée à son terme.');
    expect(await formsOn(page)).toEqual([]);
    expect(world.cspViolations).toEqual([]);
  });

  it(T.payment, async () => {
    // A two-year CPO whose two years are over and both reports late: payments are suspended.
    const cpo: Plan = { ...plan, title: 'Médiation sociale de nuit', durationYears: 2 };
    const start = addMonths(addYears(today, -2), -8);
    const id = await bringToInForce(
      world.engine,
      await campaignOfYear(world.engine, campaignId, start),
      cpo,
      start,
    );
    await waitForApplication(
      world.engine,
      id,
      'both reports overdue',
      (d) =>
        reportsOf(d).length === 2 && reportsOf(d).every((r: { overdue?: boolean }) => r.overdue === true),
    );
    // Year 1 filed and accepted while year 2 is late: what it makes due is held back; year 2 filed.
    await submitReport(world.engine, id, 1, cpo);
    await acceptReport(world.engine, id, 1);
    await submitReport(world.engine, id, 2, cpo);
    const before = await waitForApplication(world.engine, id, 'payment possible', (d) =>
      d.allowed.some((a) => a.type === 'OrderPayment'),
    );
    const held = installmentsOf(before).filter(
      (i) => i.status === 'scheduled' && i.trigger.kind === 'report_accepted' && i.trigger.reportYear === 1,
    );
    const advance = held.find((i) => i.funder === 'ETAT' && i.year === 2);
    if (advance === undefined)
      throw new Error(`no État advance of year 2 held back: ${JSON.stringify(held)}`);

    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="payment"]');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'manager'));
    // The choice lists only what is due now, not the year 2 balance that waits on its report.
    const options = await attributes(page.locator('form[data-action="payment"] select option'), 'value');
    expect(options.sort()).toEqual(held.map((i) => i.id).sort());
    await page.locator('form[data-action="payment"]').getByLabel('Échéance').selectOption(advance.id);
    await act(page, 'payment');
    const detail = await waitForApplication(world.engine, id, 'payment ordered', (d) =>
      installmentsOf(d).some((i) => i.id === advance.id && i.status === 'ordered'),
    );
    expect(installmentsOf(detail).find((i) => i.id === advance.id)).toMatchObject({
      status: 'ordered',
      orderedCents: advance.scheduledCents,
    });
    await world.openApplication(page, id, `tr[data-installment="${advance.id}"]:has-text("ordonné")`);
    // The installment is named by what it is (the État's advance of year 2), not by its id.
    const row = page.locator(`tr[data-installment="${advance.id}"]`);
    await expect(row.textContent()).resolves.toContain(`ordonné (${euros(advance.scheduledCents)})`);
    await expect(row.locator('td').first().textContent()).resolves.toBe('Avance année 2');
    expect(detail.amounts).toMatchObject({ paidCents: before.amounts.paidCents + advance.scheduledCents });
    await page.screenshot({ path: join(artifacts, 'console-versement.png'), fullPage: true });
  });

  it(T.termination, async () => {
    // In force since today: the advance (half of each grant) was paid at signature.
    const id = await bringToInForce(
      world.engine,
      campaignId,
      { ...plan, title: 'Atelier vélo solidaire' },
      today,
    );
    const page = await world.newPage();
    await world.signInAs(page, demo.manager);
    await world.openApplication(page, id, 'form[data-action="terminate"]');
    expect(await formsOn(page)).toEqual(await formsAllowed(id, 'manager'));
    const terminate = page.locator('form[data-action="terminate"]');
    await terminate.getByLabel('Motif', { exact: true }).selectOption('porteur_dissolved');
    // One line per grant paid for a year without an accepted report.
    await expect(terminate.getByLabel(/^Dépenses justifiées/).count()).resolves.toBe(2);
    await terminate.getByLabel(/^Dépenses justifiées, État, année 1/).fill('3 000');
    await act(page, 'terminate', { 'Commentaire *': 'Association dissoute par son assemblée générale.' });
    const detail = await sameStatus(page, id, 'terminated');
    expect(detail.state).toMatchObject({
      terminationReason: 'porteur_dissolved',
      comment: 'Association dissoute par son assemblée générale.',
    });
    // État: 5 000 € paid, 3 000 € justified → 2 000 € back; EPCI: nothing justified → all 2 500 €.
    expect((detail.state.recoveries ?? []).map((r) => [r.funder, r.amountCents]).sort()).toEqual([
      ['EPCI', 250_000],
      ['ETAT', 200_000],
    ]);
    await expect(page.getByTestId('outcome').textContent()).resolves.toContain('dissolution du porteur');
    await expect(page.getByRole('heading', { name: 'Reversements' }).count()).resolves.toBe(1);
    expect(await formsOn(page)).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'console-resiliation.png'), fullPage: true });
    expect(world.cspViolations).toEqual([]);
  });

  it('sent every form the table gives to this file’s tests', () => {
    const expected = routeTable.filter((r) => r.test !== T.lifecycle).map((r) => r.form);
    expect([...sent].sort()).toEqual(expected.sort());
  });
});
