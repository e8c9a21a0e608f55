// « Why others are not possible », for campaigns: notNowCampaignCommands in each status and for every
// role, against the decider itself. Each command it lists is refused by decideCampaign with the same
// code and message when sent with a well-formed body; none is open to the actor; together with what is
// open to it, they are exactly its role's commands.
import { describe, expect, it } from 'vitest';
import {
  allowedCampaignCommands,
  campaignCommandSchema,
  campaignDecider,
  campaignDecision,
  decideCampaign,
  evolveCampaign,
  notNowCampaignCommands,
  qpvSampleCamvs,
  type Actor,
  type CampaignCommand,
  type CampaignCommandType,
  type CampaignEvent,
  type CampaignState,
} from '../../domain';
import { allowedTo } from '../../domain/shared/decision';
import { actors, MAUBEUGE, meta, QPV } from './support/fixtures';

const campaignCommandTypes = campaignCommandSchema.options.map((o) => o.shape.type.value);
const rolesOf = (type: CampaignCommandType) => campaignDecision.rules[type].roles;

const create: Extract<CampaignCommand, { type: 'CreateCampaign' }> = {
  type: 'CreateCampaign',
  campaignId: '2027',
  year: 2027,
  name: 'Appel à manifestation d’intérêt 2027',
  submissionWindow: { opensAt: '2027-01-15T09:00:00+01:00', closesAt: '2027-03-31T23:59:59+02:00' },
  themes: ['1.1', '1.3', '1.4', '2.1'],
  funders: [
    { funder: 'ETAT', envelopeCents: 30_000_000 },
    { funder: 'REGION', envelopeCents: 10_000_000 },
    { funder: MAUBEUGE, envelopeCents: 8_000_000 },
  ],
  maxDurationYears: 4,
  publicShareCapPercent: 80,
  territory: {
    name: 'CA Maubeuge Val-de-Sambre',
    qpvCodes: QPV,
    qpvReferenceVersion: qpvSampleCamvs.version,
  },
};

/** A well-formed command of each type: what the actor could send, whatever the status. */
const commands: Record<CampaignCommandType, CampaignCommand> = {
  CreateCampaign: create,
  OpenCampaign: { type: 'OpenCampaign' },
  CloseCampaign: { type: 'CloseCampaign', reason: 'Fin de la fenêtre de dépôt' },
  AdjustFunderEnvelope: {
    type: 'AdjustFunderEnvelope',
    funder: 'ETAT',
    amountCents: 32_000_000,
    reason: 'Crédits complémentaires',
  },
};

const created = (): CampaignEvent[] => {
  const result = decideCampaign(
    create,
    campaignDecider.initialState,
    meta(actors.grantManager, '2027-01-02T10:00:00Z'),
  );
  if (!result.ok) throw new Error(result.error.message);
  return result.events;
};
const opened = (): CampaignEvent[] => [
  ...created(),
  { type: 'CampaignOpened', data: { openedAt: '2027-01-15T08:00:00.000Z', trigger: 'window_start' } },
];
const closed = (): CampaignEvent[] => [
  ...opened(),
  { type: 'CampaignClosed', data: { closedAt: '2027-03-31T21:59:59.000Z', trigger: 'window_end' } },
];
const stateOf = (events: CampaignEvent[]): CampaignState =>
  events.reduce(evolveCampaign, campaignDecider.initialState);

// After the window closes, so a system step is refused for the status, never for its time.
const now = '2027-04-02T10:00:00Z';
const situations: [string, CampaignState][] = [
  ['not created', campaignDecider.initialState],
  ['draft', stateOf(created())],
  ['open', stateOf(opened())],
  ['closed', stateOf(closed())],
];
const everyone: [string, Actor][] = [
  ['chargé de mission', actors.grantManager],
  ['système', actors.system],
  ['porteur', actors.porteur],
  ['financeur ETAT', actors.funder('ETAT')],
  ['conseil citoyen', actors.citizenCouncil],
  ['auditeur', actors.auditor],
  ['évaluateur', actors.evaluator],
];

describe.each(situations)('a campaign « %s »', (_name, state) => {
  const allowed = allowedCampaignCommands(state);

  it.each(everyone)(
    'lists for the %s what decideCampaign refuses, with its code and message',
    (_who, actor) => {
      const notNow = notNowCampaignCommands(state, actor);
      const open = allowedTo(allowed, actor).map((a) => a.type);
      const ofRole = campaignCommandTypes.filter((t) => rolesOf(t).includes(actor.role));
      expect(notNow.filter((n) => open.includes(n.type))).toEqual([]);
      expect([...open, ...notNow.map((n) => n.type)].sort()).toEqual([...ofRole].sort());
      for (const refused of notNow) {
        const result = decideCampaign(commands[refused.type], state, meta(actor, now));
        const where = `${refused.type} : ${refused.message}`;
        expect(result.ok ? 'accepted' : result.error.code, where).toBe(refused.code);
        if (!result.ok) expect(result.error.message).toBe(refused.message);
        expect(refused.label).toBe(campaignDecision.rules[refused.type].label);
        expect(refused.message, where).toMatch(/^La campagne/);
      }
    },
  );
});

describe('notNowCampaignCommands, status by status', () => {
  const at = (name: string): CampaignState => {
    const found = situations.find(([n]) => n === name);
    if (!found) throw new Error(`situation inconnue : ${name}`);
    return found[1];
  };
  const codes = (name: string, actor: Actor) =>
    Object.fromEntries(notNowCampaignCommands(at(name), actor).map((n) => [n.type, n.code]));

  it('tells the manager why creating again or opening waits, and what it may do instead', () => {
    expect(codes('draft', actors.grantManager)).toEqual({ CreateCampaign: 'CAMPAIGN_ALREADY_CREATED' });
    expect(codes('open', actors.grantManager)).toEqual({
      CreateCampaign: 'CAMPAIGN_ALREADY_CREATED',
      OpenCampaign: 'CAMPAIGN_ALREADY_OPEN',
    });
    const opening = notNowCampaignCommands(at('open'), actors.grantManager).find(
      (n) => n.type === 'OpenCampaign',
    );
    expect(opening?.message).toBe(
      "La campagne 2027 est ouverte depuis le 15 janvier 2027 : l'ouverture de la campagne n'est pas possible." +
        " Possible maintenant pour vous : la clôture de la campagne ; l'ajustement d'une enveloppe.",
    );
  });

  it('once closed: only the envelopes remain open to the manager', () => {
    expect(codes('closed', actors.grantManager)).toEqual({
      CreateCampaign: 'CAMPAIGN_ALREADY_CREATED',
      OpenCampaign: 'CAMPAIGN_CLOSED',
      CloseCampaign: 'CAMPAIGN_CLOSED',
    });
    expect(allowedTo(allowedCampaignCommands(at('closed')), actors.grantManager).map((a) => a.type)).toEqual([
      'AdjustFunderEnvelope',
    ]);
  });

  it('has nothing to say to a role that sends no campaign command', () => {
    for (const [name] of situations)
      for (const actor of [actors.porteur, actors.funder('ETAT'), actors.auditor, actors.evaluator])
        expect(notNowCampaignCommands(at(name), actor)).toEqual([]);
  });
});
