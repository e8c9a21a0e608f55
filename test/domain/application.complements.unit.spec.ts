// What the porteur answered to each demande de compléments stays in the application's state, next
// to what was asked, whatever the application becomes afterwards: the grant manager who rules on
// eligibility, and everyone reading the file later, see the exchange (not only the audit trail).
import { describe, expect, it } from 'vitest';
import {
  evolveApplication,
  initialApplicationState,
  withCurrentShape,
  type ApplicationEvent,
  type ApplicationState,
  qpvSampleCamvs,
  type CampaignSnapshot,
  type ComplementsExchange,
  type Dossier,
} from '../../domain';
import {
  APPLICATION_ID,
  QPV_MONTPLAISIR,
  QPV_PONT_DE_PIERRE,
  QPV_SOUS_LE_BOIS,
  actors,
  campaign2027,
  dossier,
} from './support/fixtures';
import { Story } from './support/story';

const budget = 'Budget prévisionnel signé';

/** Submitted, asked for the signed budget on 2 April (due 20 April), answered on 10 April. */
const answeredOnce = () =>
  new Story().submit(dossier(1)).on('2027-04-02').requestComplements('2027-04-20').on('2027-04-10');

const firstExchange: ComplementsExchange = {
  number: 1,
  items: [budget],
  dueDate: '2027-04-20',
  answer: { response: 'Budget signé joint.', documentRefs: ['doc-budget-signe'], dossierAmended: false },
};

describe('the complements exchanges (demandes de compléments et réponses)', () => {
  it('keeps what was asked while the answer is awaited, then the answer beside it', () => {
    const story = new Story().submit(dossier(1));
    expect(story.as('under_review').complements).toEqual([]);
    story.on('2027-04-02').requestComplements('2027-04-20');
    expect(story.as('awaiting_complements').complements).toEqual([
      { number: 1, items: [budget], dueDate: '2027-04-20', answer: null },
    ]);
    story.on('2027-04-10').provideComplements();
    expect(story.as('under_review').complements).toEqual([firstExchange]);
  });

  it('keeps every request and its own answer when complements are asked a second time', () => {
    const story = answeredOnce().provideComplements();
    const amended = dossier(1, { ETAT: 1_500_000 }, 1_500_000);
    story.on('2027-04-12');
    story.do(
      {
        type: 'RequestComplements',
        items: ['Attestation d’assurance', 'Budget rééquilibré'],
        dueDate: '2027-04-30',
      },
      actors.grantManager,
    );
    expect(story.as('awaiting_complements').complements).toEqual([
      firstExchange,
      {
        number: 2,
        items: ['Attestation d’assurance', 'Budget rééquilibré'],
        dueDate: '2027-04-30',
        answer: null,
      },
    ]);
    story.on('2027-04-20');
    story.do(
      {
        type: 'ProvideComplements',
        response: 'Attestation jointe ; budget corrigé dans le dossier.',
        documentRefs: ['assurance-2027.pdf'],
        amendedDossier: amended,
      },
      actors.porteur,
    );
    const state = story.as('under_review');
    expect(state.complementsRequests).toBe(2);
    expect(state.complements).toEqual([
      firstExchange,
      {
        number: 2,
        items: ['Attestation d’assurance', 'Budget rééquilibré'],
        dueDate: '2027-04-30',
        answer: {
          response: 'Attestation jointe ; budget corrigé dans le dossier.',
          documentRefs: ['assurance-2027.pdf'],
          dossierAmended: true,
        },
      },
    ]);
    expect(state.dossier).toEqual(amended);
  });

  it('carries the exchanges through co-decision, the convention and closure', () => {
    const story = answeredOnce().provideComplements();
    story.on('2027-04-12').declareEligible('2027-05-31');
    expect(story.as('co_decision').complements).toEqual([firstExchange]);
    story.on('2027-05-05').commitAll().opinion();
    story.on('2027-06-15').approve();
    expect(story.as('approved').complements).toEqual([firstExchange]);
    story.on('2027-06-20').draft('2027-09-01', '2027-07-31');
    story.on('2027-07-02').signAll();
    expect(story.as('in_force').complements).toEqual([firstExchange]);
    story.on('2028-10-01').submitReport(1);
    story.on('2028-10-15').acceptReport(1);
    story.do({ type: 'CloseApplication' }, actors.grantManager);
    expect(story.as('closed').complements).toEqual([firstExchange]);
  });

  it('carries them to the refusals too: ineligible, rejected, withdrawn', () => {
    const ineligible = answeredOnce().provideComplements().on('2027-04-12');
    ineligible.do({ type: 'DeclareIneligible', reasons: ['Hors territoire'] }, actors.grantManager);
    expect(ineligible.as('ineligible').complements).toEqual([firstExchange]);

    const rejected = answeredOnce().provideComplements();
    rejected.on('2027-04-12').declareEligible('2027-05-31').on('2027-05-05').commitAll().opinion();
    rejected.on('2027-06-15').reject();
    expect(rejected.as('rejected').complements).toEqual([firstExchange]);

    const withdrawn = answeredOnce().provideComplements().on('2027-04-12');
    withdrawn.do({ type: 'WithdrawApplication' }, actors.porteur);
    expect(withdrawn.as('withdrawn').complements).toEqual([firstExchange]);
  });

  it('keeps a request left unanswered, with no answer, when the due date passes or the porteur withdraws', () => {
    const missed = new Story().submit(dossier(1)).on('2027-04-02').requestComplements('2027-04-20');
    missed.on('2027-04-25'); // the timer at the end of 20 April (Paris) has fired
    expect(missed.as('ineligible')).toMatchObject({ automatic: true });
    expect(missed.as('ineligible').complements).toEqual([
      { number: 1, items: [budget], dueDate: '2027-04-20', answer: null },
    ]);

    const withdrawn = new Story().submit(dossier(1)).on('2027-04-02').requestComplements('2027-04-20');
    withdrawn.on('2027-04-05').do({ type: 'WithdrawApplication' }, actors.porteur);
    expect(withdrawn.as('withdrawn').complements).toEqual([
      { number: 1, items: [budget], dueDate: '2027-04-20', answer: null },
    ]);
  });

  it('refuses to fold an answer to another request than the pending one (a corrupt stream)', () => {
    const story = new Story().submit(dossier(1)).on('2027-04-02').requestComplements('2027-04-20');
    const stray: ApplicationEvent = {
      type: 'ComplementsProvided',
      data: { requestNumber: 2, response: 'Réponse égarée', documentRefs: [], findings: [] },
    };
    expect(() => evolveApplication(story.state, stray)).toThrow(/ComplementsProvided/);
  });
});

describe('a state carried over from an earlier version (continue-as-new)', () => {
  it('gets an empty list of exchanges, and a later request is then folded into it', () => {
    const story = new Story().submit(dossier(1));
    const { complements: _dropped, ...older } = story.as('under_review');
    const upgraded = withCurrentShape(older as unknown as ApplicationState);
    expect(upgraded).toEqual({ ...older, complements: [] });
    // The same object when nothing is missing (a state of this version, or not yet submitted).
    const current = story.as('under_review');
    expect(withCurrentShape(current)).toBe(current);
    expect(withCurrentShape(initialApplicationState)).toBe(initialApplicationState);
    const requested = story.on('2027-04-02').requestComplements('2027-04-20').events.at(-1);
    if (requested?.type !== 'ComplementsRequested') throw new Error('pas de demande de compléments');
    const next = evolveApplication(upgraded, requested);
    expect(next.status === 'awaiting_complements' && next.complements).toEqual([
      { number: 1, items: [budget], dueDate: '2027-04-20', answer: null },
    ]);
  });
});

describe('an amended dossier is checked against the QPV reference frozen at submission', () => {
  // The campaign's territory: two quartiers of the sample reference; the reference has more.
  const territory = [QPV_SOUS_LE_BOIS, QPV_MONTPLAISIR];
  const campaign = {
    ...campaign2027,
    qpvCodes: territory,
    qpvReferenceVersion: qpvSampleCamvs.version,
  } satisfies CampaignSnapshot;
  const awaitingComplements = () => {
    const story = new Story();
    story.do(
      { type: 'SubmitApplication', applicationId: APPLICATION_ID, campaign, dossier: dossier(1) },
      actors.porteur,
    );
    return story.on('2027-04-02').requestComplements('2027-04-20').on('2027-04-10');
  };
  const amendedTo = (qpvCodes: string[]): Dossier => {
    const d = dossier(1);
    return { ...d, action: { ...d.action, qpvCodes } };
  };

  it('files a quartier of the reference outside the territory, with the finding that says so', () => {
    expect(QPV_PONT_DE_PIERRE).not.toBe('');
    expect(territory).not.toContain(QPV_PONT_DE_PIERRE);
    const story = awaitingComplements();
    const result = story.try(
      {
        type: 'ProvideComplements',
        response: 'L’action touche aussi le quartier voisin.',
        documentRefs: [],
        amendedDossier: amendedTo([QPV_SOUS_LE_BOIS, QPV_PONT_DE_PIERRE]),
      },
      actors.porteur,
    );
    expect(result.ok ? result.events.map((e) => e.type) : result.error).toEqual(['ComplementsProvided']);
    if (!result.ok) return;
    story.apply(result.events);
    const state = story.as('under_review');
    expect(state.dossier.action.qpvCodes).toEqual([QPV_SOUS_LE_BOIS, QPV_PONT_DE_PIERRE]);
    expect(state.terms.qpvReferenceVersion).toBe(qpvSampleCamvs.version);
    expect(state.findings.find((f) => f.id === 'qpv-outside-territory')).toMatchObject({ outcome: 'warn' });
  });

  it('still refuses a code in no reference as an unknown quartier', () => {
    const result = awaitingComplements().try(
      {
        type: 'ProvideComplements',
        response: 'Nouveau quartier.',
        documentRefs: [],
        amendedDossier: amendedTo([QPV_SOUS_LE_BOIS, 'QN05999Z']),
      },
      actors.porteur,
    );
    expect(result.ok ? 'accepted' : result.error.code).toBe('UNKNOWN_QPV');
  });
});
