// Given/when/then specs of the application's rules, with the refusals a person reads.
import { describe, expect, it } from 'vitest';
import {
  allowedApplicationCommands,
  applicationDecider,
  decideApplication,
  domainErrorCategory,
  evolveApplication,
  initialApplicationState,
  ruleRevisions,
  type ApplicationCommand,
  type ApplicationEvent,
  type CommandMeta,
  type Dossier,
} from '../../domain';
import {
  actors,
  APPLICATION_ID,
  campaign2027,
  dossier,
  MAUBEUGE,
  QPV_SOUS_LE_BOIS,
} from './support/fixtures';
import { plain, specFor } from './support/gwt';
import { inForce } from './support/situations';
import { Story } from './support/story';

const given = specFor(applicationDecider);
// Deliberately malformed dossiers must reach decide's runtime schema, hence `unknown` and the cast.
const submit = (d: unknown, campaign = campaign2027): ApplicationCommand =>
  ({ type: 'SubmitApplication', applicationId: APPLICATION_ID, campaign, dossier: d }) as ApplicationCommand;
const inWindow = '2027-02-10T09:00:00.000Z';

describe('submission (dépôt)', () => {
  it('records the dossier, the campaign terms and the automatic findings', () => {
    const [event] = given()
      .when(submit(dossier(2)), actors.porteur, inWindow)
      .thenTypes(['ApplicationSubmitted']);
    expect(event?.type === 'ApplicationSubmitted' && event.data).toMatchObject({
      applicationId: APPLICATION_ID,
      campaignId: '2027',
      porteurId: 'porteur-asso-sambre',
      submittedAt: inWindow,
      terms: { campaignYear: 2027, maxDurationYears: 4, publicShareCapPercent: 80 },
    });
  });

  it('is refused before the window opens and after it closes, with the date', () => {
    const early = given()
      .when(submit(dossier(1)), actors.porteur, '2027-01-10T10:00:00Z')
      .thenRefused('SUBMISSION_WINDOW_CLOSED');
    expect(early.message).toContain('ouvrira le 15 janvier 2027');
    const late = given()
      .when(submit(dossier(1)), actors.porteur, '2027-04-01T08:00:00+02:00')
      .thenRefused('SUBMISSION_WINDOW_CLOSED');
    expect(late.message).toContain('fermée depuis le 1er avril 2027');
    // Closed by hand before the end of its window: said so, not dated by a window end still to come.
    const closedEarly = given()
      .when(submit(dossier(1), { ...campaign2027, status: 'closed' }), actors.porteur, inWindow)
      .thenRefused('SUBMISSION_WINDOW_CLOSED');
    expect(closedEarly.message).toContain("a été close par l'agglomération avant la fin prévue");
    expect(closedEarly.message).not.toContain('fermée depuis');
    given()
      .when(submit(dossier(1), { ...campaign2027, status: 'draft' }), actors.porteur, inWindow)
      .thenRefused('SUBMISSION_WINDOW_CLOSED');
  });

  it('files in the name of the organisation the account vouches for, and names each quartier once (rule revision 3)', () => {
    const vouched = { ...actors.porteur, siret: '81234567800013', rna: 'W593000001' };
    const other = dossier(1);
    const impostor = {
      ...other,
      porteur: { ...other.porteur, name: 'Lire Ensemble (fictive)', siret: '99900000200009' },
    };
    const refusal = given()
      .when(submit(impostor), vouched, inWindow)
      .thenRefused('PORTEUR_IDENTITY_MISMATCH');
    expect(refusal.message).toContain('SIRET 99900000200009 au lieu de 81234567800013');
    given()
      .when(submit(dossier(1)), vouched, inWindow)
      .thenTypes(['ApplicationSubmitted']);
    // The RNA alone is vouched for: a dossier without it, or with another, is not that association's.
    const rnaOnly = { ...actors.porteur, rna: 'W593000009' };
    given()
      .when(submit(dossier(1)), rnaOnly, inWindow)
      .thenRefused('PORTEUR_IDENTITY_MISMATCH');
    // An account without identifiers (development tokens) is not checked.
    given().when(submit(impostor), actors.porteur, inWindow).thenTypes(['ApplicationSubmitted']);

    const d = dossier(1);
    const repeated = {
      ...d,
      action: { ...d.action, qpvCodes: [...d.action.qpvCodes, d.action.qpvCodes[0] ?? ''] },
    };
    const twice = given().when(submit(repeated), actors.porteur, inWindow).thenRefused('DUPLICATE_QPV');
    expect(twice.message).toContain(`Le quartier ${d.action.qpvCodes[0]} est indiqué deux fois`);
    // The second mention is the one to remove.
    expect(twice.field).toEqual(['dossier', 'action', 'qpvCodes', d.action.qpvCodes.length]);

    // A workflow replaying a submission it accepted before these rules decides it as it did then.
    expect(ruleRevisions.porteurIdentity).toBe(3);
    expect(ruleRevisions.distinctQuartiers).toBe(3);
    given()
      .when(submit(impostor), vouched, inWindow, { ruleRevision: 2 })
      .thenTypes(['ApplicationSubmitted']);
    given()
      .when(submit(repeated), actors.porteur, inWindow, { ruleRevision: 2 })
      .thenTypes(['ApplicationSubmitted']);
  });

  it('checks the amended dossier of a complements answer like a submission', () => {
    const vouched = { ...actors.porteur, siret: '81234567800013' };
    const story = new Story().submit(dossier(1)).on('2027-03-01').requestComplements('2027-03-15');
    const d = dossier(1);
    const answer = (amendedDossier: Dossier) =>
      given(story.events).when(
        { type: 'ProvideComplements', response: 'Dossier corrigé.', amendedDossier },
        vouched,
        '2027-03-02T09:00:00Z',
      );
    expect(
      answer({ ...d, porteur: { ...d.porteur, siret: '99900000200009' } }).thenRefused(
        'PORTEUR_IDENTITY_MISMATCH',
      ).field,
    ).toEqual(['amendedDossier', 'porteur', 'siret']);
    expect(
      answer({
        ...d,
        action: { ...d.action, qpvCodes: [...d.action.qpvCodes, ...d.action.qpvCodes] },
      }).thenRefused('DUPLICATE_QPV').field,
    ).toEqual(['amendedDossier', 'action', 'qpvCodes', d.action.qpvCodes.length]);
    answer(d).thenTypes(['ComplementsProvided']);
  });

  it('checks identifiers: SIRET of 14 digits and/or RNA W + 9 digits, at least one', () => {
    const withPorteur = (porteur: Partial<Dossier['porteur']>) => {
      const d = dossier(1);
      return { ...d, porteur: { name: d.porteur.name, contactRef: d.porteur.contactRef, ...porteur } };
    };
    given()
      .when(submit(withPorteur({ rna: 'W593000001' })), actors.porteur, inWindow)
      .thenTypes(['ApplicationSubmitted']);
    given()
      .when(submit(withPorteur({ siret: '81234567800013' })), actors.porteur, inWindow)
      .thenTypes(['ApplicationSubmitted']);
    const none = given()
      .when(submit(withPorteur({})), actors.porteur, inWindow)
      .thenRefused('INVALID_COMMAND');
    expect(none.message).toContain('SIRET et/ou le numéro RNA');
    expect(none.message).toMatch(
      /^La commande est incomplète ou mal formée \(.*\)\. Corrigez ces champs puis renvoyez-la\.$/,
    );
    given()
      .when(submit(withPorteur({ siret: '8123456780001' })), actors.porteur, inWindow)
      .thenRefused('INVALID_COMMAND');
    given()
      .when(submit(withPorteur({ rna: 'X593000001' })), actors.porteur, inWindow)
      .thenRefused('INVALID_COMMAND');
  });

  it('says metadata of the command that are malformed in a sentence that agrees with them', () => {
    const refused = decideApplication(submit(dossier(1)), initialApplicationState, {
      actor: actors.porteur,
      commandId: 'cmd-1',
    } as unknown as CommandMeta);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('INVALID_COMMAND');
    expect(refused.error.message).toMatch(
      /^Les métadonnées de la commande sont incomplètes ou mal formées \(at : .*\)\. Corrigez ces champs puis renvoyez-les\.$/,
    );
  });

  it('keeps personal data out: an email or a contact name in the dossier is refused', () => {
    const d = dossier(1);
    const refused = given()
      .when(
        submit({ ...d, porteur: { ...d.porteur, contactEmail: 'marie@example.org' } }),
        actors.porteur,
        inWindow,
      )
      .thenRefused('INVALID_COMMAND');
    expect(refused.message).toContain('contactEmail');
    given()
      .when(submit({ ...d, action: { ...d.action, contactName: 'Marie Dupont' } }), actors.porteur, inWindow)
      .thenRefused('INVALID_COMMAND');
  });

  it('refuses unknown QPV codes, naming them', () => {
    const d = dossier(1);
    const error = given()
      .when(
        submit({ ...d, action: { ...d.action, qpvCodes: [QPV_SOUS_LE_BOIS, 'QN07512M'] } }),
        actors.porteur,
        inWindow,
      )
      .thenRefused('UNKNOWN_QPV');
    expect(error.details).toEqual({ unknownQpvCodes: ['QN07512M'] });
    // Known to the national reference, outside the territory: accepted, flagged by a finding.
    const events = given()
      .when(
        submit(
          { ...d, action: { ...d.action, qpvCodes: ['QN07512M'] } },
          { ...campaign2027, knownQpvCodes: [...campaign2027.qpvCodes, 'QN07512M'] },
        ),
        actors.porteur,
        inWindow,
      )
      .thenTypes(['ApplicationSubmitted']);
    const findings = events[0]?.type === 'ApplicationSubmitted' ? events[0].data.findings : [];
    expect(findings.find((f) => f.id === 'qpv-territory')?.outcome).toBe('fail');
    expect(findings.find((f) => f.id === 'qpv-outside-territory')?.outcome).toBe('warn');
  });

  it('wants a balanced budget, requests within the cost, one line per year and known funders', () => {
    const d = dossier(2);
    const unbalanced = structuredClone(d);
    if (unbalanced.budget[1]) unbalanced.budget[1].otherResourcesCents -= 100_000;
    const e1 = given().when(submit(unbalanced), actors.porteur, inWindow).thenRefused('UNBALANCED_BUDGET');
    expect(plain(e1.message)).toContain(
      'Année 2 : budget non équilibré — coût total 40 000,00 €, ressources 39 000,00 €',
    );
    expect(e1.field).toEqual(['dossier', 'budget', 1, 'otherResourcesCents']);

    const overCost = structuredClone(d);
    if (overCost.budget[0]) overCost.budget[0].totalCostCents = 1_000_000;
    expect(
      given().when(submit(overCost), actors.porteur, inWindow).thenRefused('REQUESTED_EXCEEDS_COST').field,
    ).toEqual(['dossier', 'budget', 0, 'requested']);

    expect(
      given()
        .when(submit({ ...d, durationYears: 3 }), actors.porteur, inWindow)
        .thenRefused('BUDGET_YEARS_MISMATCH').field,
    ).toEqual(['dossier', 'budget']);
    given()
      .when(submit({ ...d, durationYears: 5 }), actors.porteur, inWindow)
      .thenRefused('INVALID_COMMAND');
    given()
      .when(submit(dossier(1, { CAF: 0, ETAT: 0 }, 100)), actors.porteur, inWindow)
      .thenRefused('NOTHING_REQUESTED');
    const foreign = given()
      .when(submit(dossier(1, { 'COMMUNE-59365': 100_000 })), actors.porteur, inWindow)
      .thenRefused('UNKNOWN_FUNDER');
    expect(foreign.message).toContain('Commune de Louvroil');
  });

  it('needs a porteur account on the actor', () => {
    given()
      .when(submit(dossier(1)), { id: 'u', role: 'porteur' }, inWindow)
      .thenRefused('MISSING_PORTEUR_ID');
  });
});

describe('eligibility (recevabilité)', () => {
  const findingsOf = (d: Dossier) => {
    const [event] = given().when(submit(d), actors.porteur, inWindow).thenTypes(['ApplicationSubmitted']);
    return event?.type === 'ApplicationSubmitted'
      ? Object.fromEntries(event.data.findings.map((f) => [f.id, f]))
      : {};
  };

  it('computes small findings with a French label and detail', () => {
    const all = findingsOf(dossier(2));
    expect(Object.values(all).map((f) => f.outcome)).toEqual(Object.values(all).map(() => 'pass'));
    expect(all['duration-max']?.detail).toBe('2 ans, maximum 4.');
    expect(findingsOf(dossier(1))['duration-max']?.detail).toBe('1 an, maximum 4.');
    const greedy = findingsOf(dossier(1, { ETAT: 1_800_000 }, 200_000));
    expect(greedy['public-share-cap']).toMatchObject({ outcome: 'fail' });
    expect(plain(greedy['public-share-cap']?.detail ?? '')).toContain(
      '18 000,00 € sur un coût total de 20 000,00 € (90 %)',
    );
    // A share with a decimal, as French writes it.
    expect(
      plain(findingsOf(dossier(1, { ETAT: 2_000_000 }, 1_000_000))['public-share-cap']?.detail ?? ''),
    ).toContain('20 000,00 € sur un coût total de 30 000,00 € (66,7 %)');
    const d = dossier(1);
    // « Thème », as the form and the application's page say it.
    expect(findingsOf({ ...d, action: { ...d.action, theme: '1.6' } })['theme-in-campaign']).toMatchObject({
      label: 'Thème ouvert par la campagne',
      outcome: 'warn',
      detail:
        "Le thème 1.6 Prévention et lutte contre les discriminations liées à l'origine et à l'adresse ne figure pas parmi ceux de l'appel.",
    });
    // A call on 1.5 takes its sub-themes (1.5b Sport et loisir is not listed apart).
    expect(findingsOf({ ...d, action: { ...d.action, theme: '1.5b' } })['theme-in-campaign']).toMatchObject({
      outcome: 'pass',
      detail: '1.5b Sport et loisir.',
    });
    expect(
      findingsOf({ ...d, action: { ...d.action, residentsInvolvement: '' } })['residents-involvement']
        ?.outcome,
    ).toBe('fail');
    expect(
      findingsOf({ ...d, action: { ...d.action, residentsInvolvement: 'Avec les habitants.' } })[
        'residents-involvement'
      ]?.outcome,
    ).toBe('warn');
    expect(
      findingsOf({ ...d, porteur: { ...d.porteur, siret: '81234567800014' } })['porteur-siret']?.outcome,
    ).toBe('warn');
    const short = findingsOf(dossier(3));
    expect(short['duration-max']?.outcome).toBe('pass');
  });

  it('asks for a justification to declare eligible despite a failed finding', () => {
    const story = new Story().submit(dossier(1, { ETAT: 1_800_000 }, 200_000));
    given(story.events)
      .when(
        { type: 'DeclareEligible', coDecisionDueDate: '2027-05-31' },
        actors.grantManager,
        '2027-04-12T08:00:00Z',
      )
      .thenRefused('JUSTIFICATION_REQUIRED');
    given(story.events)
      .when(
        {
          type: 'DeclareEligible',
          coDecisionDueDate: '2027-05-31',
          justification: 'Porteur sans autre ressource mobilisable cette année',
        },
        actors.grantManager,
        '2027-04-12T08:00:00Z',
      )
      .thenTypes(['ApplicationDeclaredEligible']);
  });

  it('solicits the funders asked for something', () => {
    const story = new Story().submit(dossier(2));
    given(story.events)
      .when(
        { type: 'DeclareEligible', coDecisionDueDate: '2027-05-31' },
        actors.grantManager,
        '2027-04-12T08:00:00Z',
      )
      .then([
        {
          type: 'ApplicationDeclaredEligible',
          data: { solicitedFunders: ['ETAT', 'REGION', MAUBEUGE], coDecisionDueDate: '2027-05-31' },
        },
      ]);
  });

  it('refuses a due date that is not in the future (Paris calendar)', () => {
    const story = new Story().submit(dossier(1));
    const error = given(story.events)
      .when(
        { type: 'RequestComplements', items: ['RIB'], dueDate: '2027-04-12' },
        actors.grantManager,
        '2027-04-12T21:30:00Z',
      )
      .thenRefused('DATE_IN_PAST');
    expect(error.message).toContain("aujourd'hui (12 avril 2027)");
  });

  it('refuses a deadline more than a year ahead, for each deadline a manager sets (rule revision 7)', () => {
    expect(ruleRevisions.deadlineWithinAYear).toBe(7);
    const at = '2027-04-12T08:00:00Z';
    const submitted = new Story().submit(dossier(1));
    // A year to the day is still a deadline (29 February 2028 between them or not); a day more, or
    // a century typed for a year, is not.
    given(submitted.events)
      .when({ type: 'DeclareEligible', coDecisionDueDate: '2028-04-12' }, actors.grantManager, at)
      .thenTypes(['ApplicationDeclaredEligible']);
    const error = given(submitted.events)
      .when({ type: 'DeclareEligible', coDecisionDueDate: '2207-01-15' }, actors.grantManager, at)
      .thenRefused('DATE_TOO_FAR');
    expect(error.message).toBe(
      "La date limite de co-décision (15 janvier 2207) tombe plus d'un an après aujourd'hui : une faute de frappe ? Choisissez une date au plus tard le 12 avril 2028.",
    );
    expect(error.field).toEqual(['coDecisionDueDate']);
    given(submitted.events)
      .when({ type: 'RequestComplements', items: ['RIB'], dueDate: '2028-04-13' }, actors.grantManager, at)
      .thenRefused('DATE_TOO_FAR');
    const approved = new Story()
      .submit(dossier(1))
      .on('2027-02-20')
      .declareEligible('2027-04-10')
      .on('2027-03-01')
      .commitAll()
      .opinion()
      .on('2027-03-20')
      .approve();
    given(approved.events)
      .when(
        { type: 'DraftConvention', startDate: '2027-01-01', signatureDueDate: '9999-12-31' },
        actors.grantManager,
        '2027-03-21T09:00:00Z',
      )
      .thenRefused('DATE_TOO_FAR');
    // A history recorded before the rule is decided again as it was.
    given(submitted.events)
      .when({ type: 'DeclareEligible', coDecisionDueDate: '2207-01-15' }, actors.grantManager, at, {
        ruleRevision: 6,
      })
      .thenTypes(['ApplicationDeclaredEligible']);
  });

  it('while complements are pending, says until when and what is possible instead', () => {
    const story = new Story().submit(dossier(1)).on('2027-03-01').requestComplements('2027-03-15');
    const error = given(story.events)
      .when(
        { type: 'DeclareEligible', coDecisionDueDate: '2027-05-31' },
        actors.grantManager,
        '2027-03-02T09:00:00Z',
      )
      .thenRefused('COMPLEMENTS_PENDING');
    expect(error.message).toBe(
      "La candidature est en attente de compléments jusqu'au 15 mars 2027 : la déclaration de recevabilité n'est pas encore possible. En attente de : la réponse à la demande de compléments (porteur de projet) ; le constat de l'absence de compléments (système, à échéance).",
    );
  });

  it('makes the application ineligible when the complements deadline passes — not a minute before', () => {
    const story = new Story().submit(dossier(1)).on('2027-03-01').requestComplements('2027-03-15');
    const deadline = story.deadlines()[0];
    expect(deadline).toMatchObject({
      id: 'complements-1',
      kind: 'complements-due',
      dueAt: '2027-03-15T23:00:00.000Z',
    });
    const early = given(story.events)
      .when({ type: 'MarkComplementsMissed', requestNumber: 1 }, actors.system, '2027-03-15T22:59:59.999Z')
      .thenRefused('DEADLINE_NOT_REACHED');
    // The deadline people were given (the 15th), not the instant after its last day (the 16th, midnight).
    expect(early.message).toBe(
      "Le constat d'absence de compléments n'aura lieu qu'après l'échéance du 15 mars 2027 : rien à faire avant.",
    );
    given(story.events)
      .when({ type: 'MarkComplementsMissed', requestNumber: 2 }, actors.system, '2027-03-16T00:00:00Z')
      .thenRefused('STALE_DEADLINE');
    const state = given(story.events)
      .when({ type: 'MarkComplementsMissed', requestNumber: 1 }, actors.system, '2027-03-15T23:00:00Z')
      .then([{ type: 'ComplementsDeadlineMissed', data: { requestNumber: 1, dueDate: '2027-03-15' } }]);
    expect(state).toMatchObject({ status: 'ineligible', automatic: true });
    // The porteur answering late, before the timer ran, is told so.
    given(story.events)
      .when({ type: 'ProvideComplements', response: 'Voici' }, actors.porteur, '2027-03-16T07:00:00Z')
      .thenRefused('DEADLINE_PASSED');
  });

  it('re-checks an amended dossier and recomputes the findings', () => {
    const story = new Story().submit(dossier(1)).on('2027-03-01').requestComplements('2027-03-15');
    const amended = dossier(1, { ETAT: 1_500_000 }, 1_500_000);
    const [event] = given(story.events)
      .when(
        { type: 'ProvideComplements', response: 'Budget corrigé', amendedDossier: amended },
        actors.porteur,
        '2027-03-02T09:00:00Z',
      )
      .thenTypes(['ComplementsProvided']);
    expect(event?.type === 'ComplementsProvided' && event.data.amendedDossier).toEqual(amended);
    const broken = structuredClone(amended);
    if (broken.budget[0]) broken.budget[0].otherResourcesCents = 0;
    given(story.events)
      .when(
        { type: 'ProvideComplements', response: 'Budget corrigé', amendedDossier: broken },
        actors.porteur,
        '2027-03-02T09:00:00Z',
      )
      .thenRefused('UNBALANCED_BUDGET');
  });
});

describe('partner co-decision', () => {
  const coDecision = () =>
    new Story().submit(dossier(2)).on('2027-04-12').declareEligible('2027-05-31').on('2027-05-05');
  const at = '2027-05-05T09:00:00Z';
  const commit = (funder: string, amountsByYear: { year: number; amountCents: number }[]) =>
    ({ type: 'RecordFunderPosition', funder, position: { decision: 'committed', amountsByYear } }) as const;

  it('records a funder position per year, for its own institution only', () => {
    const { events } = coDecision();
    given(events)
      .when(
        commit('ETAT', [
          { year: 2, amountCents: 800_000 },
          { year: 1, amountCents: 1_000_000 },
        ]),
        actors.funder('ETAT'),
        at,
      )
      .then([
        {
          type: 'FunderPositionRecorded',
          data: {
            funder: 'ETAT',
            position: {
              decision: 'committed',
              amountsByYear: [
                { year: 1, amountCents: 1_000_000 },
                { year: 2, amountCents: 800_000 },
              ],
            },
          },
        },
      ]);
    const wrong = given(events)
      .when(commit('ETAT', [{ year: 1, amountCents: 1 }]), actors.funder('REGION'), at)
      .thenRefused('WRONG_INSTITUTION');
    expect(wrong.message).toContain('pour votre propre institution');
    // A funder the application does not concern learns nothing of it (not even who was solicited).
    const stranger = given(events)
      .when(commit('CAF', [{ year: 1, amountCents: 1 }]), actors.funder('CAF'), at)
      .thenRefused('WRONG_INSTITUTION');
    expect(stranger.message).toBe(
      'Cette candidature ne sollicite pas votre institution : vous ne pouvez pas agir dessus.',
    );
    given(events)
      .when(commit('ETAT', [{ year: 3, amountCents: 1 }]), actors.funder('ETAT'), at)
      .thenRefused('YEAR_OUT_OF_RANGE');
    given(events)
      .when(commit('ETAT', [{ year: 1, amountCents: 0 }]), actors.funder('ETAT'), at)
      .thenRefused('EMPTY_COMMITMENT');
    const twice = given(events)
      .when(
        commit('ETAT', [
          { year: 1, amountCents: 100 },
          { year: 1, amountCents: 100 },
        ]),
        actors.funder('ETAT'),
        at,
      )
      .thenRefused('DUPLICATE_YEAR');
    expect(twice.message).toBe("Chaque année ne peut figurer qu'une fois dans la position.");
    const over = given(events)
      .when(commit('REGION', [{ year: 1, amountCents: 500_001 }]), actors.funder('REGION'), at)
      .thenRefused('COMMITMENT_EXCEEDS_REQUEST');
    expect(plain(over.message)).toContain('le porteur a demandé 5 000,00 €');
    given(events)
      .when(commit('ETAT', [{ year: 1, amountCents: 1 }]), actors.grantManager, at)
      .thenRefused('FORBIDDEN_ROLE');
  });

  it('closes positions and the opinion at the end of the due date, and lapses silent funders then', () => {
    const story = coDecision().commit('ETAT').decline(MAUBEUGE);
    given(story.events)
      .when(commit('REGION', [{ year: 1, amountCents: 1 }]), actors.funder('REGION'), '2027-05-31T22:00:00Z')
      .thenRefused('DEADLINE_PASSED');
    const blocked = given(story.events)
      .when(
        {
          type: 'RecordCommitteeRejection',
          decisionReference: 'C',
          decisionDate: '2027-05-20',
          reasons: ['r'],
        },
        actors.grantManager,
        '2027-05-20T09:00:00Z',
      )
      .thenRefused('POSITIONS_PENDING');
    expect(blocked.message).toContain("Région (jusqu'au 31 mai 2027)");
    given(story.events)
      .when({ type: 'LapseSilentFunders' }, actors.system, '2027-05-31T22:00:00Z')
      .then([
        {
          type: 'SilentFundersLapsed',
          data: { dueDate: '2027-05-31', funders: ['REGION'], citizenOpinionMissing: true },
        },
      ]);
  });

  it('waits for the conseil citoyen before the committee, unless the deadline passed', () => {
    const story = coDecision().commitAll();
    given(story.events)
      .when(
        {
          type: 'RecordCommitteeApproval',
          decisionReference: 'C',
          decisionDate: '2027-05-20',
          plan: [{ funder: 'ETAT', year: 1, amountCents: 1 }],
        },
        actors.grantManager,
        at,
      )
      .thenRefused('CITIZEN_OPINION_PENDING');
    given(story.events)
      .when(
        { type: 'GiveCitizenOpinion', opinion: 'unfavourable', comment: 'Déjà proposé par le centre social' },
        actors.citizenCouncil,
        at,
      )
      .thenTypes(['CitizenOpinionGiven']);
  });

  it('approves a plan within each funder commitment, or refuses it', () => {
    const story = coDecision().commit('ETAT', 50).decline('REGION').commit(MAUBEUGE).opinion();
    const approve = (plan: { funder: string; year: number; amountCents: number }[]) =>
      ({
        type: 'RecordCommitteeApproval',
        decisionReference: 'COPIL-2027-06',
        decisionDate: '2027-05-04',
        plan,
      }) as const;
    const over = given(story.events)
      .when(approve([{ funder: 'ETAT', year: 1, amountCents: 500_001 }]), actors.grantManager, at)
      .thenRefused('AWARD_EXCEEDS_COMMITMENT');
    expect(plain(over.message)).toContain("dont l'engagement n'est que de 5 000,00 €");
    given(story.events)
      .when(approve([{ funder: 'REGION', year: 1, amountCents: 1 }]), actors.grantManager, at)
      .thenRefused('FUNDER_NOT_COMMITTED');
    given(story.events)
      .when(
        approve([
          { funder: 'ETAT', year: 1, amountCents: 1 },
          { funder: 'ETAT', year: 1, amountCents: 2 },
        ]),
        actors.grantManager,
        at,
      )
      .thenRefused('DUPLICATE_PLAN_LINE');
    given(story.events)
      .when(
        approve([
          { funder: MAUBEUGE, year: 2, amountCents: 400_000 },
          { funder: 'ETAT', year: 1, amountCents: 500_000 },
        ]),
        actors.grantManager,
        at,
      )
      .then([
        {
          type: 'CommitteeApprovalRecorded',
          data: {
            decisionReference: 'COPIL-2027-06',
            decisionDate: '2027-05-04',
            plan: [
              { funder: MAUBEUGE, year: 2, amountCents: 400_000 },
              { funder: 'ETAT', year: 1, amountCents: 500_000 },
            ],
          },
        },
      ]);
  });

  it('dates the committee decision between the submission and today (rule revision 4)', () => {
    const story = coDecision().commit('ETAT', 50).decline('REGION').commit(MAUBEUGE).opinion();
    const approve = (decisionDate: string, ruleRevision?: number) =>
      given(story.events).when(
        {
          type: 'RecordCommitteeApproval',
          decisionReference: 'COPIL-2027-05',
          decisionDate,
          plan: [{ funder: 'ETAT', year: 1, amountCents: 500_000 }],
        },
        actors.grantManager,
        at,
        ruleRevision === undefined ? {} : { ruleRevision },
      );
    const ahead = approve('2027-06-15').thenRefused('DECISION_DATE_OUT_OF_RANGE');
    expect(plain(ahead.message)).toContain('jour à venir');
    expect(ahead.field).toEqual(['decisionDate']);
    const before = approve('2020-01-01').thenRefused('DECISION_DATE_OUT_OF_RANGE');
    expect(plain(before.message)).toContain('avant le dépôt de la candidature');
    approve('2027-05-05').thenTypes(['CommitteeApprovalRecorded']);
    given(story.events)
      .when(
        {
          type: 'RecordCommitteeRejection',
          decisionReference: 'COPIL',
          decisionDate: '2027-07-01',
          reasons: ['x'],
        },
        actors.grantManager,
        at,
      )
      .thenRefused('DECISION_DATE_OUT_OF_RANGE');
    // A workflow replaying a decision it recorded before the rule decides it as it did then.
    expect(ruleRevisions.committeeDecisionDate).toBe(4);
    approve('2027-06-15', 3).thenTypes(['CommitteeApprovalRecorded']);
  });

  it("dates the committee's act on its day when it is keyed in later, and at the step's instant on the day itself", () => {
    const story = coDecision().commit('ETAT', 50).decline('REGION').commit(MAUBEUGE).opinion();
    const decide = (type: 'RecordCommitteeApproval' | 'RecordCommitteeRejection', decisionDate: string) =>
      given(story.events).when(
        type === 'RecordCommitteeApproval'
          ? {
              type,
              decisionReference: 'COPIL-2027-05',
              decisionDate,
              plan: [{ funder: 'ETAT', year: 1, amountCents: 500_000 }],
            }
          : { type, decisionReference: 'COPIL-2027-05', decisionDate, reasons: ['Hors priorités.'] },
        actors.grantManager,
        at, // 2027-05-05, 11:00 in Paris
      ).result;
    // The committee met on 3 May: from midnight that day (Paris, summer time), whatever the hour.
    expect(decide('RecordCommitteeApproval', '2027-05-03')).toMatchObject({
      ok: true,
      occurredAt: '2027-05-02T22:00:00.000Z',
    });
    expect(decide('RecordCommitteeRejection', '2027-05-03')).toMatchObject({
      ok: true,
      occurredAt: '2027-05-02T22:00:00.000Z',
    });
    // Met today: the record's own instant is closer than midnight.
    expect(decide('RecordCommitteeApproval', '2027-05-05')).not.toHaveProperty('occurredAt');
  });

  it("records the funder's own decision reference with its position, committed or declined", () => {
    const story = coDecision();
    given(story.events)
      .when(
        {
          type: 'RecordFunderPosition',
          funder: 'ETAT',
          position: {
            decision: 'committed',
            amountsByYear: [{ year: 1, amountCents: 500_000 }],
            decisionReference: ' Arrêté préfectoral 2027-118 ',
          },
        },
        actors.funder('ETAT'),
        at,
      )
      .then([
        {
          type: 'FunderPositionRecorded',
          data: {
            funder: 'ETAT',
            position: {
              decision: 'committed',
              amountsByYear: [{ year: 1, amountCents: 500_000 }],
              decisionReference: 'Arrêté préfectoral 2027-118',
            },
          },
        },
      ]);
    const declined = given(story.events).when(
      {
        type: 'RecordFunderPosition',
        funder: 'REGION',
        position: { decision: 'declined', reason: 'Hors priorités.', decisionReference: 'CP-2027-04-112' },
      },
      actors.funder('REGION'),
      at,
    );
    expect(declined.result).toMatchObject({
      ok: true,
      events: [{ data: { position: { decisionReference: 'CP-2027-04-112' } } }],
    });
  });

  it("dates a funder's position on its own decision day, between the submission and today", () => {
    const story = coDecision();
    const position = (decisionDate?: string) =>
      given(story.events).when(
        {
          ...commit('ETAT', [{ year: 1, amountCents: 500_000 }]),
          ...(decisionDate === undefined ? {} : { decisionDate }),
        },
        actors.funder('ETAT'),
        at,
      );
    // Its commission met on 28 April, the position keyed in a week later.
    expect(position('2027-04-28').result).toMatchObject({ ok: true, occurredAt: '2027-04-27T22:00:00.000Z' });
    expect(position('2027-05-05').result).not.toHaveProperty('occurredAt');
    expect(position().result).not.toHaveProperty('occurredAt');
    const ahead = position('2027-05-06').thenRefused('DECISION_DATE_OUT_OF_RANGE');
    expect(plain(ahead.message)).toBe(
      "La décision de l'État est datée du 6 mai 2027, jour à venir : enregistrez-la une fois prise, à sa date (au plus tard aujourd'hui, 5 mai 2027).",
    );
    expect(ahead.field).toEqual(['decisionDate']);
    // The conseil citoyen's opinion, given at its meeting of 30 April.
    const opinion = (decisionDate: string) =>
      given(story.events).when(
        { type: 'GiveCitizenOpinion', opinion: 'favourable', comment: 'Utile.', decisionDate },
        actors.citizenCouncil,
        at,
      );
    expect(opinion('2027-04-30').result).toMatchObject({ ok: true, occurredAt: '2027-04-29T22:00:00.000Z' });
    expect(plain(opinion('2027-05-09').thenRefused('DECISION_DATE_OUT_OF_RANGE').message)).toContain(
      'La décision du conseil citoyen est datée du 9 mai 2027, jour à venir',
    );
    const before = position('2020-01-01').thenRefused('DECISION_DATE_OUT_OF_RANGE');
    expect(plain(before.message)).toContain(
      "La décision de l'État est datée du 1er janvier 2020, avant le dépôt",
    );
  });

  it('can only reject when nobody committed', () => {
    const story = coDecision().decline('ETAT').decline('REGION').decline(MAUBEUGE).opinion();
    given(story.events)
      .when(
        {
          type: 'RecordCommitteeApproval',
          decisionReference: 'C',
          decisionDate: '2027-06-15',
          plan: [{ funder: 'ETAT', year: 1, amountCents: 1 }],
        },
        actors.grantManager,
        at,
      )
      .thenRefused('NO_COMMITMENT');
  });
});

describe('convention', () => {
  const approved = (years = 2) =>
    new Story()
      .submit(dossier(years))
      .on('2027-04-12')
      .declareEligible('2027-05-31')
      .on('2027-05-05')
      .commitAll()
      .opinion()
      .on('2027-06-15')
      .approve();
  const at = '2027-06-20T08:00:00Z';

  it('drafts a CPO with the default schedule: half at signature or after the previous report, the balance after its own report', () => {
    const story = approved(2);
    const [event] = given(story.events)
      .when(
        { type: 'DraftConvention', startDate: '2027-01-01', signatureDueDate: '2027-07-31' },
        actors.grantManager,
        at,
      )
      .thenTypes(['ConventionDrafted']);
    if (event?.type !== 'ConventionDrafted') throw new Error('ConventionDrafted attendu');
    expect(event.data.kind).toBe('CPO');
    expect(event.data.signatories).toEqual([
      { kind: 'porteur' },
      { kind: 'funder', funder: MAUBEUGE },
      { kind: 'funder', funder: 'ETAT' },
      { kind: 'funder', funder: 'REGION' },
    ]);
    expect(event.data.installments.filter((i) => i.funder === 'ETAT')).toEqual([
      { id: 'ETAT-y1-1', funder: 'ETAT', year: 1, amountCents: 500_000, trigger: { kind: 'signature' } },
      {
        id: 'ETAT-y1-2',
        funder: 'ETAT',
        year: 1,
        amountCents: 500_000,
        trigger: { kind: 'report_accepted', reportYear: 1 },
      },
      {
        id: 'ETAT-y2-1',
        funder: 'ETAT',
        year: 2,
        amountCents: 500_000,
        trigger: { kind: 'report_accepted', reportYear: 1 },
      },
      {
        id: 'ETAT-y2-2',
        funder: 'ETAT',
        year: 2,
        amountCents: 500_000,
        trigger: { kind: 'report_accepted', reportYear: 2 },
      },
    ]);
  });

  it('makes each report due six months after its year ends, also for a start on the 31st', () => {
    const story = approved(2);
    const dueDates = (startDate: string, ruleRevision?: number) => {
      const [event] = given(story.events)
        .when(
          { type: 'DraftConvention', startDate, signatureDueDate: '2027-07-31' },
          actors.grantManager,
          at,
          ruleRevision === undefined ? {} : { ruleRevision },
        )
        .thenTypes(['ConventionDrafted']);
      if (event?.type !== 'ConventionDrafted') throw new Error('ConventionDrafted attendu');
      return event.data.years.map((y) => [y.endDate, y.reportDueDate]);
    };
    expect(dueDates('2027-01-01')).toEqual([
      ['2027-12-31', '2028-06-30'],
      ['2028-12-31', '2029-06-30'],
    ]);
    // A year ending on 30 December is due on 30 June, not 29 June (the sixth month has no 31st).
    expect(dueDates('2026-12-31')).toEqual([
      ['2027-12-30', '2028-06-30'],
      ['2028-12-30', '2029-06-30'],
    ]);
    expect(dueDates('2027-03-31')).toEqual([
      ['2028-03-30', '2028-09-30'],
      ['2029-03-30', '2029-09-30'],
    ]);
    // A workflow replaying a convention it drafted before the rule gets the dates it recorded then.
    expect(ruleRevisions.reportDueAfterYearEnd).toBe(5);
    expect(dueDates('2026-12-31', 4)).toEqual([
      ['2027-12-30', '2028-06-29'],
      ['2028-12-30', '2029-06-29'],
    ]);
  });

  it('starts the convention within a year of the campaign year (a typed 2024 for 2027 is refused)', () => {
    const story = approved(1);
    const draft = (startDate: string, ruleRevision?: number) =>
      given(story.events).when(
        { type: 'DraftConvention', startDate, signatureDueDate: '2027-07-31' },
        actors.grantManager,
        at,
        ruleRevision === undefined ? {} : { ruleRevision },
      );
    for (const startDate of ['2024-01-01', '2025-12-31', '2029-01-01']) {
      const error = draft(startDate).thenRefused('CONVENTION_START_OUTSIDE_CAMPAIGN_YEAR');
      expect(plain(error.message), startDate).toMatch(
        /^Une convention de l'AMI 2027 commence au plus tôt en 2026 et au plus tard en 2028 : le /,
      );
    }
    expect(
      plain(draft('2024-01-01').thenRefused('CONVENTION_START_OUTSIDE_CAMPAIGN_YEAR').message),
    ).toContain('le 1er janvier 2024 n');
    // Retroactive starts stay possible, even a first year already over (a regularisation).
    for (const startDate of ['2026-01-01', '2026-06-01', '2027-01-01', '2027-09-01', '2028-12-31'])
      draft(startDate).thenTypes(['ConventionDrafted']);
    // A workflow replaying a step it took before the rule existed decides it as it did then.
    expect(ruleRevisions.conventionStartBounds).toBe(2);
    draft('2024-01-01', 1).thenTypes(['ConventionDrafted']);
    draft('2024-01-01', 2).thenRefused('CONVENTION_START_OUTSIDE_CAMPAIGN_YEAR');
  });

  it('refuses a schedule that does not add up to the award or pays a later year at signature', () => {
    const story = approved(1);
    const error = given(story.events)
      .when(
        {
          type: 'DraftConvention',
          startDate: '2027-01-01',
          signatureDueDate: '2027-07-31',
          paymentSchedule: [
            { funder: 'ETAT', year: 1, amountCents: 900_000, trigger: { kind: 'signature' } },
          ],
        },
        actors.grantManager,
        at,
      )
      .thenRefused('INVALID_PAYMENT_SCHEDULE');
    expect(plain(error.message)).toContain(
      "État, année 1 : l'échéancier prévoit 9 000,00 € pour 10 000,00 € attribués.",
    );
  });

  it('accepts a custom schedule: everything at signature for a one-year action', () => {
    const story = approved(1);
    const schedule = [
      { funder: 'ETAT', year: 1, amountCents: 1_000_000, trigger: { kind: 'signature' } },
      { funder: 'REGION', year: 1, amountCents: 500_000, trigger: { kind: 'signature' } },
      {
        funder: MAUBEUGE,
        year: 1,
        amountCents: 500_000,
        trigger: { kind: 'report_accepted', reportYear: 1 },
      },
    ] as const;
    const drafted = story.on('2027-06-20');
    drafted.do(
      {
        type: 'DraftConvention',
        startDate: '2027-01-01',
        signatureDueDate: '2027-07-31',
        paymentSchedule: [...schedule],
      },
      actors.grantManager,
    );
    drafted.on('2027-07-01').signAll();
    expect(drafted.events.filter((e) => e.type === 'PaymentOrdered').map((e) => e.data.amountCents)).toEqual([
      1_000_000, 500_000,
    ]);
  });

  it('takes each signature once, from signatories only, before the deadline, then lapses', () => {
    const story = approved(1)
      .on('2027-06-20')
      .draft('2027-01-01', '2027-07-31')
      .on('2027-07-01')
      .signByPorteur();
    const sign = (funder: string) =>
      ({ type: 'SignConvention', signatory: { kind: 'funder', funder } }) as const;
    const again = given(story.events)
      .when(
        { type: 'SignConvention', signatory: { kind: 'porteur' } },
        actors.porteur,
        '2027-07-02T08:00:00Z',
      )
      .thenRefused('ALREADY_SIGNED');
    // A sentence, capitalised like every other message.
    expect(plain(again.message)).toMatch(/^Le porteur a déjà signé le 1er juillet 2027\./);
    // CAF is not a party: refused as a stranger, without the list of signatories.
    expect(
      given(story.events)
        .when(sign('CAF'), actors.funder('CAF'), '2027-07-02T08:00:00Z')
        .thenRefused('WRONG_INSTITUTION').message,
    ).not.toContain('Signataires');
    given(story.events)
      .when(sign('ETAT'), actors.funder('REGION'), '2027-07-02T08:00:00Z')
      .thenRefused('WRONG_INSTITUTION');
    given(story.events)
      .when(sign('ETAT'), actors.porteur, '2027-07-02T08:00:00Z')
      .thenRefused('FORBIDDEN_ROLE');
    given(story.events)
      .when(
        { type: 'SignConvention', signatory: { kind: 'porteur' } },
        actors.otherPorteur,
        '2027-07-02T08:00:00Z',
      )
      .thenRefused('NOT_OWNER');
    given(story.events)
      .when(sign('ETAT'), actors.funder('ETAT'), '2027-07-31T22:00:00Z')
      .thenRefused('DEADLINE_PASSED');
    given(story.events)
      .when({ type: 'LapseConvention' }, actors.system, '2027-07-31T21:59:59Z')
      .thenRefused('DEADLINE_NOT_REACHED');
    const lapsed = given(story.events)
      .when({ type: 'LapseConvention' }, actors.system, '2027-07-31T22:00:00Z')
      .thenTypes(['ConventionLapsed']);
    expect(lapsed[0]?.type === 'ConventionLapsed' && lapsed[0].data.missingSignatories).toEqual([
      { kind: 'funder', funder: MAUBEUGE },
      { kind: 'funder', funder: 'ETAT' },
      { kind: 'funder', funder: 'REGION' },
    ]);
  });

  it("records the last signature as the signatory's act, and what follows from it as the system's", () => {
    const story = approved(1)
      .on('2027-06-20')
      .draft('2027-01-01', '2027-07-31')
      .on('2027-07-01')
      .signByPorteur()
      .signByFunder('ETAT')
      .signByFunder('REGION');
    const last = given(story.events).when(
      { type: 'SignConvention', signatory: { kind: 'funder', funder: MAUBEUGE } },
      actors.funder(MAUBEUGE),
      '2027-07-02T08:00:00Z',
    );
    const types = last.thenTypes([
      'ConventionSigned',
      'ConventionEnteredIntoForce',
      ...Array.from({ length: last.result.ok ? last.result.events.length - 2 : 0 }, () => 'PaymentOrdered'),
    ]);
    expect(types.length).toBeGreaterThan(2);
    // The commune signed; the convention's entry into force and the payments of its schedule (for
    // the État's money too) are not the commune's doing.
    expect(last.result.ok && last.result.followUpsFrom).toBe(1);
    // A signature that is not the last one is the signatory's act alone.
    const notLast = given(story.events.slice(0, -1)).when(
      { type: 'SignConvention', signatory: { kind: 'funder', funder: 'REGION' } },
      actors.funder('REGION'),
      '2027-07-02T08:00:00Z',
    );
    expect(notLast.result).toEqual({
      ok: true,
      events: [expect.objectContaining({ type: 'ConventionSigned' })],
    });
  });

  it('tells who still has to sign, and which institutions', () => {
    const story = approved(1)
      .on('2027-06-20')
      .draft('2027-01-01', '2027-07-31')
      .on('2027-07-01')
      .signByPorteur()
      .signByFunder('ETAT');
    expect(allowedApplicationCommands(story.state).find((a) => a.type === 'SignConvention')).toEqual({
      type: 'SignConvention',
      roles: ['funder'],
      institutions: [MAUBEUGE, 'REGION'],
      reason: "Signatures attendues jusqu'au 31 juillet 2027 inclus : Région, Commune de Maubeuge.",
    });
  });

  it('cannot be withdrawn from once in force: termination is the way', () => {
    const story = approved(1).on('2027-06-20').draft().on('2027-07-01').signAll();
    const error = given(story.events)
      .when({ type: 'WithdrawApplication' }, actors.porteur, '2027-08-01T08:00:00Z')
      .thenRefused('CONVENTION_IN_FORCE');
    expect(error.message).toContain('demandez sa résiliation au chargé de mission');
  });
});

describe('yearly reports, payments and recoveries', () => {
  it('cannot be filed before the convention year ends', () => {
    const story = inForce();
    const error = given(story.events)
      .when(
        { type: 'SubmitYearlyReport', year: 1, spentByFunder: [], beneficiariesReached: 1, narrative: 'x' },
        actors.porteur,
        '2027-12-01T10:00:00Z',
      )
      .thenRefused('REPORT_NOT_EXPECTED');
    expect(error.message).toContain('pourra être déposé à partir du 1er janvier 2028');
  });

  it('wants the spending of every funder of that year', () => {
    const story = inForce().on('2028-01-10');
    const error = given(story.events)
      .when(
        {
          type: 'SubmitYearlyReport',
          year: 1,
          spentByFunder: [{ funder: 'ETAT', amountCents: 1 }],
          beneficiariesReached: 1,
          narrative: 'x',
        },
        actors.porteur,
        story.now,
      )
      .thenRefused('SPENT_NOT_REPORTED');
    expect(error.message).toContain('il manque Région, Commune de Maubeuge');
    given(story.events)
      .when(
        {
          type: 'SubmitYearlyReport',
          year: 1,
          spentByFunder: [{ funder: 'CAF', amountCents: 1 }],
          beneficiariesReached: 1,
          narrative: 'x',
        },
        actors.porteur,
        story.now,
      )
      .thenRefused('SPENT_FOR_UNFUNDED_FUNDER');
  });

  it('on acceptance, orders a recovery of what was paid beyond the justified spending, and cancels the balance', () => {
    const story = inForce().on('2028-02-01').submitReport(1, { ETAT: 300_000 });
    const acceptance = given(story.events).when(
      { type: 'AcceptYearlyReport', year: 1 },
      actors.grantManager,
      '2028-02-15T09:00:00Z',
    );
    // The grant manager accepted the report; the recovery and the balance follow by the rules.
    expect(acceptance.result.ok && acceptance.result.followUpsFrom).toBe(1);
    acceptance.then([
      { type: 'YearlyReportAccepted', data: { year: 1 } },
      {
        type: 'RecoveryOrdered',
        data: {
          funder: 'ETAT',
          year: 1,
          amountCents: 200_000,
          reason: 'unspent',
          detail:
            "Année 1 : 5\u202F000,00\u00A0€ versés par l'État, 3\u202F000,00\u00A0€ de dépenses justifiées ; reversement de 2\u202F000,00\u00A0€.",
        },
      },
      ...[
        'COMMUNE-59392-y1-2',
        'ETAT-y1-2',
        'REGION-y1-2',
        'COMMUNE-59392-y2-1',
        'ETAT-y2-1',
        'REGION-y2-1',
      ].map((id): ApplicationEvent =>
        id === 'ETAT-y1-2'
          ? {
              type: 'InstallmentCancelled',
              data: {
                installmentId: id,
                funder: 'ETAT',
                year: 1,
                scheduledCents: 500_000,
                reason:
                  "Les dépenses justifiées pour l'année 1 sont déjà couvertes par les versements effectués.",
              },
            }
          : {
              type: 'PaymentOrdered',
              data: {
                installmentId: id,
                funder: id.startsWith('ETAT') ? 'ETAT' : id.startsWith('REGION') ? 'REGION' : MAUBEUGE,
                year: id.includes('-y1-') ? 1 : 2,
                amountCents: id.startsWith('ETAT') ? 500_000 : 250_000,
                scheduledCents: id.startsWith('ETAT') ? 500_000 : 250_000,
                orderedAt: '2028-02-15T09:00:00.000Z',
              },
            },
      ),
    ]);
  });

  it('suspends payments while a report is overdue, and sends a report back with a new due date', () => {
    const story = inForce().on('2028-07-02');
    expect(story.as('in_force').reports[0]).toMatchObject({
      status: 'expected',
      overdue: true,
      reminderSent: true,
    });
    const filed = story.on('2028-07-05').submitReport(1);
    filed.on('2028-07-10').requestReportChanges(1, '2028-08-15');
    expect(filed.deadlines().map((d) => d.id)).toEqual(['report-overdue-1-2028-08-15', 'report-due-2']);
    filed.on('2028-08-20');
    expect(filed.as('in_force').reports[0]).toMatchObject({ status: 'changes_requested', overdue: true });
    const error = given(filed.events)
      .when({ type: 'OrderPayment', installmentId: 'ETAT-y1-2' }, actors.grantManager, filed.now)
      .thenRefused('PAYMENTS_SUSPENDED');
    expect(error.message).toContain("compte rendu en retard pour l'année 1. Ils reprendront dès son dépôt.");
  });

  it('names every overdue report when payments are suspended for several', () => {
    const story = inForce().on('2029-07-02');
    expect(story.as('in_force').reports.map((r) => r.status === 'expected' && r.overdue)).toEqual([
      true,
      true,
    ]);
    const error = given(story.events)
      .when({ type: 'OrderPayment', installmentId: 'ETAT-y2-1' }, actors.grantManager, story.now)
      .thenRefused('PAYMENTS_SUSPENDED');
    expect(error.message).toBe(
      'Les versements sont suspendus : comptes rendus en retard pour les années 1 et 2. Ils reprendront dès leur dépôt.',
    );
  });

  it('terminates early and recovers what was paid and not justified', () => {
    const story = inForce().on('2028-01-20');
    const terminated = given(story.events).when(
      {
        type: 'TerminateConvention',
        reason: 'breach',
        comment: 'Action interrompue en novembre',
        justified: [{ funder: 'ETAT', year: 1, amountCents: 400_000 }],
      },
      actors.grantManager,
      story.now,
    );
    if (!terminated.result.ok) throw new Error(terminated.result.error.message);
    const after = terminated.result.events.reduce(evolveApplication, given(story.events).state);
    // Nothing more is paid: the advances stay ordered, every installment still to come is void.
    if (!('installments' in after)) throw new Error('échéances attendues');
    const before = story.as('in_force').installments;
    expect(after.installments.filter((i) => i.status === 'ordered')).toEqual(
      before.filter((i) => i.status === 'ordered'),
    );
    expect(after.installments.some((i) => i.status === 'scheduled')).toBe(false);
    expect(after.installments.filter((i) => i.status === 'cancelled').length).toBeGreaterThan(0);
    given(story.events)
      .when(
        {
          type: 'TerminateConvention',
          reason: 'breach',
          comment: 'Action interrompue en novembre',
          justified: [{ funder: 'ETAT', year: 1, amountCents: 400_000 }],
        },
        actors.grantManager,
        story.now,
      )
      .thenTypes(['ConventionTerminated', 'RecoveryOrdered', 'RecoveryOrdered', 'RecoveryOrdered']);
    const refused = given(story.events)
      .when(
        {
          type: 'TerminateConvention',
          reason: 'breach',
          comment: 'x',
          justified: [{ funder: 'CAF', year: 1, amountCents: 1 }],
        },
        actors.grantManager,
        story.now,
      )
      .thenRefused('NOTHING_AWARDED_TO_JUSTIFY');
    expect(refused.message).toContain("Caisse d'allocations familiales n'a rien attribué pour l'année 1");
    // A typo of a few zeros would justify more than the grant and cancel its recovery.
    const terminate = (amountCents: number, ruleRevision?: number) =>
      given(story.events).when(
        {
          type: 'TerminateConvention',
          reason: 'breach',
          comment: 'x',
          justified: [{ funder: 'ETAT', year: 1, amountCents }],
        },
        actors.grantManager,
        story.now,
        ruleRevision === undefined ? {} : { ruleRevision },
      );
    const beyond = terminate(99_999_999_900).thenRefused('JUSTIFIED_BEYOND_AWARD');
    expect(plain(beyond.message)).toMatch(
      /^L'État a attribué .* pour l'année 1 : 999 999 999,00 € justifiés dépassent la subvention\./,
    );
    expect(beyond.field).toEqual(['justified', 0, 'amountCents']);
    // A workflow replaying a termination it recorded before the rule decides it as it did then.
    expect(ruleRevisions.justifiedWithinAward).toBe(6);
    terminate(99_999_999_900, 5).thenTypes(['ConventionTerminated', 'RecoveryOrdered', 'RecoveryOrdered']);
  });

  it('closes only once every report is accepted and every installment settled', () => {
    const story = inForce(1).on('2028-02-01').submitReport(1);
    const error = given(story.events)
      .when({ type: 'CloseApplication' }, actors.grantManager, story.now)
      .thenRefused('NOT_RECONCILED');
    expect(error.message).toContain("compte rendu de l'année 1 non accepté");
    // The balances still due, per funder in the order people read them, never by their ids.
    expect(plain(error.message)).toBe(
      "La clôture suppose tous les comptes rendus acceptés et les versements soldés ; reste : compte rendu de l'année 1 non accepté ; versement de l'État non réglé : année 1 (5 000,00 €) ; versement de la Région non réglé : année 1 (2 500,00 €) ; versement de la commune de Maubeuge non réglé : année 1 (2 500,00 €).",
    );
    expect(error.message).not.toMatch(/-y\d-\d/);
  });
});

describe('terminal outcomes', () => {
  it('nothing leaves a terminal state', () => {
    const story = new Story().submit(dossier(1)).on('2027-03-01').withdraw();
    const error = given(story.events)
      .when({ type: 'WithdrawApplication' }, actors.porteur, story.now)
      .thenRefused('TERMINAL_STATE');
    expect(error.message).toContain('retirée par le porteur le 1er mars 2027');
    expect(error.message).toContain("Plus aucune action n'est possible.");
  });
});

describe('refusal categories, for transports', () => {
  it('separates the request being wrong, the actor, and the moment', () => {
    expect(domainErrorCategory('UNBALANCED_BUDGET')).toBe('invalid');
    expect(domainErrorCategory('WRONG_INSTITUTION')).toBe('forbidden');
    expect(domainErrorCategory('COMPLEMENTS_PENDING')).toBe('conflict');
    expect(domainErrorCategory('ENVELOPE_EXCEEDED')).toBe('conflict');
  });
});
