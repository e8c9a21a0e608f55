// « Why others are not possible »: notNowApplicationCommands, for every situation and every actor who
// may read the file, against the decider itself. Each command it lists is refused by decide with the
// same code (and, for a refusal of the status or of the rule's condition, the same message) when sent
// with a body the actor could send in that state; no command it lists is open to the actor.
import { describe, expect, it } from 'vitest';
import {
  allowedApplicationCommands,
  applicationCommandRoles,
  applicationCommandTypes,
  concernedFunders,
  decideApplication,
  notNowApplicationCommands,
  type Actor,
  type ApplicationCommand,
  type ApplicationCommandType,
  type DomainErrorCode,
  type Role,
} from '../../domain';
import { allowedTo } from '../../domain/shared/decision';
import { actors, dossier, MAUBEUGE, meta } from './support/fixtures';
import { sampleCommand } from './support/samples';
import { applicationSituations } from './support/situations';
import { Story } from './support/story';

/** Refusals of who acts: a step open now, to others only (their body is the state's, not the actor's). */
const othersTurn: readonly DomainErrorCode[] = ['FORBIDDEN_ROLE', 'WRONG_INSTITUTION', 'NOT_OWNER'];

/** The people who may read the file, and a porteur who may not. */
function readers(story: Story): [string, Actor][] {
  const s = story.state;
  const funders = s.status === 'not_submitted' ? ['ETAT'] : concernedFunders(s);
  return [
    ['porteur', actors.porteur],
    ['chargé de mission', actors.grantManager],
    ['conseil citoyen', actors.citizenCouncil],
    ['auditeur', actors.auditor],
    ...funders.map((f): [string, Actor] => [`financeur ${f}`, actors.funder(f)]),
    ['autre porteur', actors.otherPorteur],
  ];
}

/**
 * A well-formed command of that type the actor could send now: the situation's sample, a funder's
 * position for its own institution; a signature is the actor's own, as the API builds it from the
 * token (a porteur's, or its institution's), and otherwise one still missing.
 */
function commandOf(type: ApplicationCommandType, story: Story, actor: Actor): ApplicationCommand {
  const sample = sampleCommand(type, story).command;
  const s = story.state;
  if (sample.type === 'RecordFunderPosition' && actor.role === 'funder' && actor.institution)
    return { ...sample, funder: actor.institution };
  if (sample.type === 'SignConvention' && actor.role === 'porteur')
    return { ...sample, signatory: { kind: 'porteur' } };
  if (sample.type === 'SignConvention' && actor.role === 'funder' && actor.institution)
    return { ...sample, signatory: { kind: 'funder', funder: actor.institution } };
  if (sample.type === 'SignConvention' && s.status === 'awaiting_signatures') {
    const missing = s.convention.signatories.filter(
      (sig) => !s.signatures.some((done) => JSON.stringify(done.signatory) === JSON.stringify(sig)),
    );
    const kind = actor.role === 'funder' ? 'funder' : 'porteur';
    const signatory = missing.find((m) => m.kind === kind) ?? missing[0];
    if (signatory) return { ...sample, signatory };
  }
  return sample;
}

/** Till signatures: whose signature is still awaited decides who hears « not your turn ». */
const coDecision = () =>
  new Story().submit(dossier(2)).on('2027-04-12').declareEligible('2027-05-31').on('2027-05-05');
const signing = (spoken: Story) =>
  spoken
    .opinion()
    .on('2027-06-15')
    .approve()
    .on('2027-06-20')
    .draft('2027-01-01', '2027-07-31')
    .on('2027-06-25');

const situations = [
  ...applicationSituations(),
  {
    name: 'awaiting signatures, porteur and État signed',
    story: signing(coDecision().commitAll()).signByPorteur().signByFunder('ETAT'),
  },
  {
    name: 'awaiting signatures, only the porteur missing',
    story: signing(coDecision().commitAll())
      .signByFunder('ETAT')
      .signByFunder('REGION')
      .signByFunder(MAUBEUGE),
  },
  {
    name: 'awaiting signatures, the Région declined',
    story: signing(coDecision().commit('ETAT').decline('REGION').commit(MAUBEUGE)),
  },
];

describe.each(situations.map((s) => [s.name, s.story] as const))('in situation « %s »', (_name, story) => {
  const state = story.state;
  const allowed = allowedApplicationCommands(state);

  it.each(readers(story))(
    'lists for the %s what decide refuses, with its code and message',
    (_who, actor) => {
      const notNow = notNowApplicationCommands(state, actor);
      const open = allowedTo(allowed, actor).map((a) => a.type);
      const ofRole = applicationCommandTypes.filter((t) => applicationCommandRoles[t].includes(actor.role));
      // The actor's role's commands, each either open to it or explained; never both, never another's.
      expect(notNow.filter((n) => open.includes(n.type))).toEqual([]);
      expect([...open, ...notNow.map((n) => n.type)].sort()).toEqual([...ofRole].sort());
      for (const refused of notNow) {
        const result = decideApplication(
          commandOf(refused.type, story, actor),
          state,
          meta(actor, story.now),
        );
        const where = `${refused.type} : ${refused.message}`;
        expect(result.ok ? 'accepted' : result.error.code, where).toBe(refused.code);
        if (!result.ok && !othersTurn.includes(refused.code))
          expect(result.error.message).toBe(refused.message);
        expect(refused.message, where).toMatch(/^[A-ZÉÈ]/);
      }
    },
  );
});

describe('notNowApplicationCommands, step by step', () => {
  const at = (name: string) => {
    const found = situations.find((s) => s.name === name);
    if (!found) throw new Error(`situation inconnue : ${name}`);
    return found.story.state;
  };
  const entry = (name: string, actor: Actor, type: ApplicationCommandType) =>
    notNowApplicationCommands(at(name), actor).find((n) => n.type === type);
  const roleOf = (type: ApplicationCommandType): Role[] => applicationCommandRoles[type];

  it('under review: the manager learns why drafting or paying waits, and what it may do instead', () => {
    const draft = entry('under review', actors.grantManager, 'DraftConvention');
    expect(draft?.code).toBe('UNDER_REVIEW');
    expect(draft?.message).toContain("en cours d'instruction");
    expect(draft?.message).toContain('Possible maintenant pour vous');
    expect(entry('under review', actors.grantManager, 'DeclareEligible')).toBeUndefined();
  });

  it('gives a porteur only porteur steps, a funder only funder steps', () => {
    for (const [actor, role] of [
      [actors.porteur, 'porteur'],
      [actors.funder('ETAT'), 'funder'],
      [actors.citizenCouncil, 'citizen_council'],
    ] as const) {
      const types = notNowApplicationCommands(at('under review'), actor).map((n) => n.type);
      expect(types.length).toBeGreaterThan(0);
      for (const type of types) expect(roleOf(type)).toContain(role);
    }
    expect(entry('under review', actors.porteur, 'SubmitApplication')?.code).toBe('ALREADY_SUBMITTED');
  });

  it("says the condition of a step in its status: the co-decision's deadline, the committee's wait", () => {
    expect(
      entry(
        'co-decision, deadline passed with a silent funder',
        actors.funder('REGION'),
        'RecordFunderPosition',
      )?.code,
    ).toBe('DEADLINE_PASSED');
    expect(
      entry('co-decision, nobody has spoken', actors.grantManager, 'RecordCommitteeApproval')?.code,
    ).toBe('POSITIONS_PENDING');
  });

  it('tells a signatory who has signed, or a funder that does not sign, what its signature would get', () => {
    const signed = entry('awaiting signatures, porteur signed', actors.porteur, 'SignConvention');
    expect(signed?.code).toBe('ALREADY_SIGNED');
    expect(signed?.message).toMatch(
      /^Le porteur a déjà signé le .+\. Signatures attendues : État, Région, Commune de Maubeuge\.$/,
    );
    expect(entry('awaiting signatures, none yet', actors.funder(MAUBEUGE), 'SignConvention')).toBeUndefined();
    expect(
      entry('awaiting signatures, porteur and État signed', actors.funder('ETAT'), 'SignConvention')?.code,
    ).toBe('ALREADY_SIGNED');
    // The Région declined: it does not sign, and is not told it may (its position's refusal said
    // « Possible maintenant pour vous : la signature de la convention »).
    const declined = notNowApplicationCommands(
      at('awaiting signatures, the Région declined'),
      actors.funder('REGION'),
    );
    const signature = declined.find((n) => n.type === 'SignConvention');
    expect(signature?.code).toBe('NOT_A_SIGNATORY');
    expect(signature?.message).toMatch(/^La Région ne finance pas cette convention et n'a pas à la signer\./);
    for (const n of declined) expect(n.message, n.type).not.toContain('Possible maintenant pour vous');
    expect(
      entry('awaiting signatures, only the porteur missing', actors.funder('ETAT'), 'SignConvention')?.code,
    ).toBe('ALREADY_SIGNED');
  });

  it('in a terminal status: every step of the role, each saying the file is over', () => {
    const withdrawn = notNowApplicationCommands(at('withdrawn'), actors.grantManager);
    expect(withdrawn.map((n) => n.type).sort()).toEqual(
      applicationCommandTypes.filter((t) => roleOf(t).includes('grant_manager')).sort(),
    );
    for (const n of withdrawn) {
      expect(n.code).toBe('TERMINAL_STATE');
      expect(n.message).toContain('a été retirée par le porteur');
    }
  });

  it('has nothing to say to a role that sends no command', () => {
    expect(notNowApplicationCommands(at('under review'), actors.auditor)).toEqual([]);
    expect(notNowApplicationCommands(at('under review'), actors.evaluator)).toEqual([]);
  });
});
