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
  type Actor,
  type CampaignCommand,
  type CampaignCommandType,
  type CampaignEvent,
  type CampaignState,
} from '../../domain';
import { allowedTo } from '../../domain/shared/decision';
import { closed, createCampaign2027, created, opened } from './support/campaignHistory';
import { actors, meta } from './support/fixtures';

const campaignCommandTypes = campaignCommandSchema.options.map((o) => o.shape.type.value);
const rolesOf = (type: CampaignCommandType) => campaignDecision.rules[type].roles;

const create = createCampaign2027;

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
