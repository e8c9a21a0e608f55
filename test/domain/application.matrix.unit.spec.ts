// Every command in every situation: accepted where allowedCommands lists it, refused with the code
// of the situation everywhere else. The statuses and commands come from the domain's own lists,
// so a new status or command without a situation or a spec entry fails here.
import { describe, expect, it } from 'vitest';
import {
  allowedApplicationCommands,
  applicationCommandRoles,
  openApplicationCommands,
  applicationCommandTypes,
  applicationStatuses,
  decideApplication,
  evolveApplication,
  roles,
  type ApplicationCommandType,
  type ApplicationStatus,
  type DomainErrorCode,
} from '../../domain';
import { actors, meta } from './support/fixtures';
import { actorOfRole, sampleCommand } from './support/samples';
import { applicationSituations } from './support/situations';

/** The business rule, written independently of the implementation: where each command applies. */
const appliesIn: Record<ApplicationCommandType, readonly ApplicationStatus[]> = {
  SubmitApplication: ['not_submitted'],
  DeclareEligible: ['under_review'],
  DeclareIneligible: ['under_review'],
  RequestComplements: ['under_review'],
  ProvideComplements: ['awaiting_complements'],
  MarkComplementsMissed: ['awaiting_complements'],
  RecordFunderPosition: ['co_decision'],
  GiveCitizenOpinion: ['co_decision'],
  LapseSilentFunders: ['co_decision'],
  RecordCommitteeApproval: ['co_decision'],
  RecordCommitteeRejection: ['co_decision'],
  DraftConvention: ['approved'],
  SignConvention: ['awaiting_signatures'],
  LapseConvention: ['awaiting_signatures'],
  RequestYearlyReport: ['in_force'],
  SendReportReminder: ['in_force'],
  MarkReportOverdue: ['in_force'],
  SubmitYearlyReport: ['in_force'],
  AcceptYearlyReport: ['in_force'],
  RequestReportChanges: ['in_force'],
  OrderPayment: ['in_force'],
  CloseApplication: ['in_force'],
  TerminateConvention: ['in_force'],
  WithdrawApplication: [
    'under_review',
    'awaiting_complements',
    'co_decision',
    'approved',
    'awaiting_signatures',
  ],
};

/** The refusal code of each status, for commands that do not apply there. */
const codeOfStatus: Record<ApplicationStatus, DomainErrorCode> = {
  not_submitted: 'NOT_SUBMITTED',
  under_review: 'UNDER_REVIEW',
  awaiting_complements: 'COMPLEMENTS_PENDING',
  co_decision: 'CO_DECISION_IN_PROGRESS',
  approved: 'CONVENTION_NOT_DRAFTED',
  awaiting_signatures: 'SIGNATURES_PENDING',
  in_force: 'CONVENTION_IN_FORCE',
  withdrawn: 'TERMINAL_STATE',
  ineligible: 'TERMINAL_STATE',
  rejected: 'TERMINAL_STATE',
  lapsed: 'TERMINAL_STATE',
  closed: 'TERMINAL_STATE',
  terminated: 'TERMINAL_STATE',
};

const requestProblems: DomainErrorCode[] = [
  'INVALID_COMMAND',
  'FORBIDDEN_ROLE',
  'WRONG_INSTITUTION',
  'NOT_OWNER',
];

const situations = applicationSituations();

describe('application situations', () => {
  it('cover every status', () => {
    const covered = new Set(situations.map((s) => s.story.state.status));
    expect(applicationStatuses.filter((status) => !covered.has(status))).toEqual([]);
  });
  it('list exactly the command types of the union', () => {
    expect([...applicationCommandTypes].sort()).toEqual(Object.keys(appliesIn).sort());
  });
});

describe.each(situations.map((s) => [s.name, s] as const))('in situation « %s »', (_name, { story }) => {
  const state = story.state;
  const allowed = allowedApplicationCommands(state);

  it('lists only commands that apply to its status', () => {
    for (const a of allowed) expect(appliesIn[a.type]).toContain(state.status);
  });

  it('opens the same commands to the same people without the hints (openApplicationCommands)', () => {
    expect(openApplicationCommands(state)).toEqual(allowed.map(({ reason: _reason, ...open }) => open));
  });

  it.each(applicationCommandTypes.map((t) => [t]))('%s is accepted if and only if allowed', (type) => {
    const sample = sampleCommand(type, story);
    const result = decideApplication(sample.command, state, meta(sample.actor, sample.at));
    const entry = allowed.find((a) => a.type === type);
    if (!appliesIn[type].includes(state.status)) {
      expect(entry).toBeUndefined();
      const alreadySubmitted =
        type === 'SubmitApplication' && codeOfStatus[state.status] !== 'TERMINAL_STATE';
      const expected = alreadySubmitted ? 'ALREADY_SUBMITTED' : codeOfStatus[state.status];
      expect(result.ok ? 'accepted' : result.error.code).toBe(expected);
      if (!result.ok) expect(result.error.message).toMatch(/possible|En attente|Possible maintenant/);
      return;
    }
    if (entry) {
      if (!result.ok)
        throw new Error(
          `${type} listé comme possible mais refusé : ${result.error.code} — ${result.error.message}`,
        );
      // The events fold without complaint onto the state decide saw.
      expect(() => result.events.reduce(evolveApplication, state)).not.toThrow();
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(requestProblems).not.toContain(result.error.code);
    }
  });

  it.each(allowed.map((a) => [a.type, a] as const))('%s is refused to every other role', (type, entry) => {
    const sample = sampleCommand(type, story);
    // Roles listed now are a subset of the command's roles (e.g. only those who have not signed).
    expect(applicationCommandRoles[type]).toEqual(expect.arrayContaining(entry.roles));
    for (const role of roles.filter((r) => !applicationCommandRoles[type].includes(r))) {
      const result = decideApplication(sample.command, state, meta(actorOfRole(role), sample.at));
      expect(result.ok ? 'accepted' : result.error.code).toBe('FORBIDDEN_ROLE');
    }
  });

  it.each(allowed.filter((a) => a.institutions !== undefined).map((a) => [a.type, a] as const))(
    '%s by a funder is refused for another institution',
    (type) => {
      const sample = sampleCommand(type, story);
      if (sample.actor.role !== 'funder') return;
      const result = decideApplication(sample.command, state, meta(actors.funder('CAF'), sample.at));
      expect(result.ok ? 'accepted' : result.error.code).toBe('WRONG_INSTITUTION');
    },
  );

  it.each(
    allowed.filter((a) => a.roles.includes('porteur') && a.type !== 'SubmitApplication').map((a) => [a.type]),
  )('%s by another porteur is refused', (type) => {
    const sample = sampleCommand(type, story);
    if (sample.actor.role !== 'porteur') return;
    const result = decideApplication(sample.command, state, meta(actors.otherPorteur, sample.at));
    expect(result.ok ? 'accepted' : result.error.code).toBe('NOT_OWNER');
  });

  // Whatever the status, and whether the command applies to it or not: a refusal for the status
  // would tell a stranger that a convention is in force, since when, who signed…
  it.each(applicationCommandTypes.map((t) => [t]))(
    '%s by a porteur or funder the application is not theirs learns nothing of its state',
    (type) => {
      if (state.status === 'not_submitted') return;
      for (const stranger of [actors.otherPorteur, actors.funder('CAF')]) {
        if (!applicationCommandRoles[type].includes(stranger.role)) continue;
        const sample = sampleCommand(type, story);
        const result = decideApplication(sample.command, state, meta(stranger, sample.at));
        expect(result.ok ? 'accepted' : result.error.code).toBe(
          stranger.role === 'porteur' ? 'NOT_OWNER' : 'WRONG_INSTITUTION',
        );
      }
    },
  );
});

describe('the matrix itself', () => {
  it('accepts every command type in at least one situation (no command is only ever refused)', () => {
    const acceptedSomewhere = new Set<string>();
    for (const { story } of situations) {
      for (const a of allowedApplicationCommands(story.state)) {
        const sample = sampleCommand(a.type, story);
        const result = decideApplication(sample.command, story.state, meta(sample.actor, sample.at));
        if (result.ok) acceptedSomewhere.add(a.type);
      }
    }
    expect(applicationCommandTypes.filter((t) => !acceptedSomewhere.has(t))).toEqual([]);
  });
});
