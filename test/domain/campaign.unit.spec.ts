import { describe, expect, it } from 'vitest';
import {
  allowedCampaignCommands,
  campaignDeadlines,
  campaignDecider,
  campaignStatuses,
  decideApplication,
  initialApplicationState,
  toCampaignSnapshot,
  type CampaignCommand,
  type CampaignCommandType,
  type CampaignEvent,
  type CampaignStatus,
  type DomainErrorCode,
} from '../../domain';
import { actors, APPLICATION_ID, dossier, meta } from './support/fixtures';
import { closed, createCampaign2027, created, opened } from './support/campaignHistory';
import { specFor } from './support/gwt';

const given = specFor(campaignDecider);
const create = createCampaign2027;

describe('campaign', () => {
  it('is created with its window (normalised to UTC), themes, envelopes, caps and the 50 % multi-year target', () => {
    const [event] = created();
    expect(event).toMatchObject({
      type: 'CampaignCreated',
      data: {
        submissionWindow: { opensAt: '2027-01-15T08:00:00.000Z', closesAt: '2027-03-31T21:59:59.000Z' },
        multiYearTargetPercent: 50,
      },
    });
  });

  it('refuses a window that closes before it opens, a funder twice, an axis instead of a theme', () => {
    const at = '2027-01-02T10:00:00Z';
    given()
      .when(
        {
          ...create,
          submissionWindow: { opensAt: '2027-04-01T00:00:00Z', closesAt: '2027-01-01T00:00:00Z' },
        },
        actors.grantManager,
        at,
      )
      .thenRefused('INVALID_WINDOW');
    given()
      .when(
        {
          ...create,
          funders: [
            { funder: 'ETAT', envelopeCents: 1 },
            { funder: 'ETAT', envelopeCents: 2 },
          ],
        },
        actors.grantManager,
        at,
      )
      .thenRefused('DUPLICATE_FUNDER');
    given()
      .when({ ...create, themes: ['1'] } as unknown as CampaignCommand, actors.grantManager, at)
      .thenRefused('INVALID_COMMAND');
    given().when(create, actors.funder('ETAT'), at).thenRefused('FORBIDDEN_ROLE');
  });

  it('opens at the window start (timer) or by hand, and closes at the window end', () => {
    const draft = given(created());
    expect(campaignDeadlines(draft.state)).toEqual([
      {
        id: 'window-open',
        kind: 'campaign-window-open',
        dueAt: '2027-01-15T08:00:00.000Z',
        command: { type: 'OpenCampaign' },
      },
    ]);
    given(created())
      .when({ type: 'OpenCampaign' }, actors.system, '2027-01-15T07:59:59Z')
      .thenRefused('DEADLINE_NOT_REACHED');
    given(created())
      .when({ type: 'OpenCampaign' }, actors.grantManager, '2027-01-10T10:00:00Z')
      .then([{ type: 'CampaignOpened', data: { openedAt: '2027-01-10T10:00:00.000Z', trigger: 'manual' } }]);
    const open = given(opened());
    expect(campaignDeadlines(open.state).map((d) => [d.id, d.dueAt])).toEqual([
      ['window-end', '2027-03-31T21:59:59.000Z'],
    ]);
    given(opened())
      .when({ type: 'CloseCampaign' }, actors.system, '2027-03-31T21:59:58Z')
      .thenRefused('DEADLINE_NOT_REACHED');
    // Said by the last moment of the window, not by « le 31 mars » alone (read as the last day).
    expect(allowedCampaignCommands(open.state).find((a) => a.type === 'CloseCampaign')?.reason).toBe(
      "Dépôt possible jusqu'au 31 mars 2027 à 23 h 59 ; clôture automatique ensuite.",
    );
    given(opened())
      .when(
        { type: 'CloseCampaign', reason: 'Fin de la fenêtre de dépôt' },
        actors.system,
        '2027-03-31T21:59:59Z',
      )
      .thenTypes(['CampaignClosed']);
    expect(campaignDeadlines(given(closed()).state)).toEqual([]);
  });

  it('adjusts a funder envelope with a reason; the same amount again records nothing', () => {
    const adjust = {
      type: 'AdjustFunderEnvelope',
      funder: 'REGION',
      amountCents: 12_000_000,
      reason: 'Délibération du 3 mars 2027',
    } as const;
    given(opened())
      .when(adjust, actors.grantManager, '2027-03-05T10:00:00Z')
      .then([
        {
          type: 'FunderEnvelopeAdjusted',
          data: {
            funder: 'REGION',
            previousCents: 10_000_000,
            amountCents: 12_000_000,
            reason: adjust.reason,
          },
        },
      ]);
    given(opened())
      .when({ ...adjust, amountCents: 10_000_000 }, actors.grantManager, '2027-03-05T10:00:00Z')
      .then([]);
    given(opened())
      .when({ ...adjust, funder: 'CAF' }, actors.grantManager, '2027-03-05T10:00:00Z')
      .thenRefused('UNKNOWN_FUNDER');
  });

  it('gives applications the snapshot they need, which submission accepts', () => {
    const state = given(opened()).state;
    const snapshot = toCampaignSnapshot(state);
    if (!snapshot) throw new Error('snapshot attendu');
    const result = decideApplication(
      {
        type: 'SubmitApplication',
        applicationId: APPLICATION_ID,
        campaign: snapshot,
        dossier: dossier(2, { ETAT: 100_000 }),
      },
      initialApplicationState,
      meta(actors.porteur, '2027-02-01T10:00:00Z'),
    );
    expect(result.ok).toBe(true);
    expect(toCampaignSnapshot(campaignDecider.initialState)).toBeUndefined();
  });

  it('opened by hand before its date, takes applications from then on (« Ouvrir » means open)', () => {
    const early: CampaignEvent[] = [
      ...created(),
      { type: 'CampaignOpened', data: { openedAt: '2027-01-10T10:00:00.000Z', trigger: 'manual' } },
    ];
    const snapshot = toCampaignSnapshot(given(early).state);
    if (!snapshot) throw new Error('snapshot attendu');
    expect(snapshot.submissionWindow.opensAt).toBe('2027-01-10T10:00:00.000Z');
    const submit = (at: string) =>
      decideApplication(
        { type: 'SubmitApplication', applicationId: APPLICATION_ID, campaign: snapshot, dossier: dossier(1) },
        initialApplicationState,
        meta(actors.porteur, at),
      );
    expect(submit('2027-01-11T09:00:00Z').ok).toBe(true);
    // Opened at its date by the timer: the window as created.
    expect(toCampaignSnapshot(given(opened()).state)?.submissionWindow.opensAt).toBe(
      '2027-01-15T08:00:00.000Z',
    );
  });
});

describe('campaign commands in every status', () => {
  const situations: Record<CampaignStatus, CampaignEvent[]> = {
    not_created: [],
    draft: created(),
    open: opened(),
    closed: closed(),
  };
  const appliesIn: Record<CampaignCommandType, CampaignStatus[]> = {
    CreateCampaign: ['not_created'],
    OpenCampaign: ['draft'],
    CloseCampaign: ['draft', 'open'],
    AdjustFunderEnvelope: ['draft', 'open', 'closed'],
  };
  const samples: Record<CampaignCommandType, CampaignCommand> = {
    CreateCampaign: create,
    OpenCampaign: { type: 'OpenCampaign' },
    CloseCampaign: { type: 'CloseCampaign', reason: 'Enveloppes épuisées' },
    AdjustFunderEnvelope: {
      type: 'AdjustFunderEnvelope',
      funder: 'ETAT',
      amountCents: 1,
      reason: 'Gel de crédits',
    },
  };
  const refusal = (status: CampaignStatus, type: CampaignCommandType): DomainErrorCode =>
    status === 'not_created'
      ? 'CAMPAIGN_NOT_CREATED'
      : type === 'CreateCampaign'
        ? 'CAMPAIGN_ALREADY_CREATED'
        : status === 'draft'
          ? 'CAMPAIGN_NOT_OPEN'
          : status === 'open'
            ? 'CAMPAIGN_ALREADY_OPEN'
            : 'CAMPAIGN_CLOSED';

  it('has a situation for every status', () =>
    expect(Object.keys(situations).sort()).toEqual([...campaignStatuses].sort()));

  for (const status of campaignStatuses) {
    for (const type of Object.keys(samples) as CampaignCommandType[]) {
      it(`${type} in ${status}`, () => {
        const g = given(situations[status]);
        const allowed = allowedCampaignCommands(g.state).some((a) => a.type === type);
        expect(allowed).toBe(appliesIn[type].includes(status));
        const outcome = g.when(samples[type], actors.grantManager, '2027-06-01T10:00:00Z');
        if (allowed) expect(outcome.result.ok).toBe(true);
        else outcome.thenRefused(refusal(status, type));
      });
    }
  }
});
