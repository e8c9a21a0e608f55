// The pipeline every aggregate's decide follows, so refusals are consistent and allowedCommands (what
// is possible now) and notNowFrom (why the rest is not) can never disagree with decide: all read the
// same table of rules (roles, statuses, extra conditions).
import type { z } from 'zod';
import { funderName, funderNames, theFunder } from '../reference/funders';
import { domainError, type DomainError, type DomainErrorCode } from './errors';
import { funderIdSchema } from './funders';
import { commandMetaSchema, type CommandMeta } from './meta';
import { refuse, type Result } from './result';
import { roleLabels, type Role } from './roles';
import { parseWith } from './validation';

export interface AllowedCommand<T extends string = string> {
  type: T;
  roles: Role[];
  /** For commands funders send: the institutions that may send it now. */
  institutions?: string[];
  /** French: what the command does now, or what it waits for. */
  reason?: string;
}

/** The commands one actor may send now: those of its role, and for a funder those of its institution. */
export function allowedTo(
  allowed: readonly AllowedCommand[],
  actor: { role: string; institution?: string | undefined },
): AllowedCommand[] {
  return allowed.filter(
    (a) =>
      a.roles.includes(actor.role as Role) &&
      (actor.role !== 'funder' ||
        a.institutions === undefined ||
        a.institutions.includes(actor.institution ?? '')),
  );
}

/** A condition beyond the status as a cheap test and the refusal it means. */
export interface BlockedWhen<S> {
  when: (state: S) => boolean;
  because: (state: S) => DomainError;
}

/** One command's rule, its state already narrowed to the statuses where it may run. */
export interface Rule<C, S, E> {
  /** French noun phrase, lower case: 'la décision d'éligibilité'. */
  label: string;
  roles: readonly Role[];
  statuses: readonly string[];
  /**
   * Condition beyond the status: a refusal when it does not hold (then the command is not allowed).
   * The `{ when, because }` form keeps the test apart from the French refusal, so asking only whether
   * a command is open (openFrom: queues, projections) never builds the message.
   */
  blocked?: ((state: S) => DomainError | undefined) | BlockedWhen<S>;
  /** Funder institutions that may send it now (omit when funders do not send it). */
  institutions?: (state: S) => string[];
  /** The roles that still have something to do now, when fewer than `roles` (e.g. who has not signed). */
  rolesNow?: (state: S) => Role[];
  /** The institution a command speaks for; a funder actor must belong to it. */
  institutionOf?: (command: C, state: S) => string | undefined;
  /** Shown by allowedCommands. */
  hint?: (state: S) => string | undefined;
  /**
   * False for a step open to someone but awaited from nobody (a withdrawal, a termination): a refusal
   * does not name it under « En attente de ». Default true.
   */
  awaited?: boolean;
  /**
   * For a step open now but not to this actor (its part done, or not its institution's): the refusal
   * its own command would get from handle (« n'a pas à la signer », « a déjà signé »), so that notNow
   * announces what a send answers. Without it, a generic « rien n'est attendu de vous ».
   */
  notYours?: (state: S, actor: ActingAs) => DomainError | undefined;
  handle: (command: C, state: S, meta: CommandMeta) => Result<E>;
}

/** A rule once its state type is widened back to the aggregate's union (checked at run time). */
export interface ErasedRule<C, State, E> {
  label: string;
  roles: readonly Role[];
  /** The statuses it runs in (appliesTo's list: a refusal tells a step passed from one to come). */
  statuses: readonly string[];
  appliesTo: (state: State) => boolean;
  blocked: (state: State) => DomainError | undefined;
  /** Whether blocked() refuses, without building its message. */
  isBlocked: (state: State) => boolean;
  institutions: (state: State) => string[] | undefined;
  rolesNow: (state: State) => Role[];
  institutionOf: (command: C, state: State) => string | undefined;
  hint: (state: State) => string | undefined;
  awaited: boolean;
  notYours: (state: State, actor: ActingAs) => DomainError | undefined;
  handle: (command: C, state: State, meta: CommandMeta) => Result<E>;
}

/**
 * Binds a rule written for some statuses to the whole state union. `statuses` is the single source
 * of truth: the narrowing guard is derived from it.
 */
export function ruleFor<State extends { status: string }, E>() {
  return <C, St extends State['status']>(
    rule: Omit<Rule<C, Extract<State, { status: St }>, E>, 'statuses'> & { statuses: readonly St[] },
  ): ErasedRule<C, State, E> => {
    type Narrow = Extract<State, { status: St }>;
    const isIn = (state: State): state is Narrow =>
      (rule.statuses as readonly string[]).includes(state.status);
    const narrow = (state: State): Narrow => {
      if (!isIn(state)) throw new Error(`Règle « ${rule.label} » appliquée au statut ${state.status}`);
      return state;
    };
    const condition = rule.blocked;
    const blocked = (state: Narrow): DomainError | undefined => {
      if (condition === undefined) return undefined;
      if (typeof condition === 'function') return condition(state);
      return condition.when(state) ? condition.because(state) : undefined;
    };
    const isBlocked = (state: Narrow): boolean => {
      if (condition === undefined) return false;
      if (typeof condition === 'function') return condition(state) !== undefined;
      return condition.when(state);
    };
    return {
      label: rule.label,
      roles: rule.roles,
      statuses: rule.statuses,
      appliesTo: isIn,
      blocked: (state) => (isIn(state) ? blocked(state) : undefined),
      isBlocked: (state) => isIn(state) && isBlocked(state),
      institutions: (state) => (isIn(state) && rule.institutions ? rule.institutions(state) : undefined),
      rolesNow: (state) => (isIn(state) && rule.rolesNow ? rule.rolesNow(state) : [...rule.roles]),
      institutionOf: (command, state) => (isIn(state) ? rule.institutionOf?.(command, state) : undefined),
      hint: (state) => (isIn(state) ? rule.hint?.(state) : undefined),
      awaited: rule.awaited ?? true,
      notYours: (state, actor) => (isIn(state) ? rule.notYours?.(state, actor) : undefined),
      handle: (command, state, meta) => rule.handle(command, narrow(state), meta),
    };
  };
}

export type RuleTable<Cmd extends { type: string }, State, E> = {
  [K in Cmd['type']]: ErasedRule<Extract<Cmd, { type: K }>, State, E>;
};

export interface DecisionSpec<Cmd extends { type: string }, State extends { status: string }, E> {
  /** 'La commande' — the subject of the validation message (feminine singular: it agrees with it). */
  commandName: string;
  commandSchema: z.ZodType<Cmd>;
  rules: RuleTable<Cmd, State, E>;
  /** Why this command cannot run in this status: one code per situation, a French message. */
  wrongStatus: (state: State, command: Cmd, label: string) => DomainError;
  /**
   * Whose the aggregate is: its porteur, the institutions it concerns. A porteur or a funder outside
   * them is refused before anything is said of the state, which a refusal for the status would
   * reveal (that a convention is in force, since when…). Undefined: anyone of the right role.
   */
  parties?: (state: State) => Parties | undefined;
}

export interface Parties {
  /** The porteur account it belongs to. */
  owner?: string;
  /** The institutions (funders) it concerns. */
  institutions?: readonly string[];
}

/** Who acts, as far as the rules look: its role, and the account or institution it acts for. */
export type ActingAs = Pick<CommandMeta['actor'], 'role' | 'institution' | 'porteurId'>;

/** A porteur or a funder acting on an aggregate that is not theirs, or undefined. */
function outsider(parties: Parties | undefined, actor: ActingAs): DomainError | undefined {
  if (parties === undefined) return undefined;
  if (actor.role === 'porteur' && parties.owner !== undefined && actor.porteurId !== parties.owner)
    return domainError(
      'NOT_OWNER',
      'Cette candidature appartient à un autre porteur de projet : vous ne pouvez agir que sur vos propres candidatures.',
    );
  if (
    actor.role === 'funder' &&
    parties.institutions !== undefined &&
    (actor.institution === undefined || !parties.institutions.includes(actor.institution))
  )
    return domainError(
      'WRONG_INSTITUTION',
      'Cette candidature ne sollicite pas votre institution : vous ne pouvez pas agir dessus.',
      { actorInstitution: actor.institution },
    );
  return undefined;
}

export const listRoles = (roles: readonly Role[]): string => roles.map((r) => roleLabels[r]).join(', ');

/**
 * An institution as a sentence names it (« l'État », « la commune de Maubeuge »), not its
 * identifier; a token's institution that is no funder id is quoted as it came.
 */
const institutionName = (id: string): string =>
  funderIdSchema.safeParse(id).success ? theFunder(id) : `« ${id} »`;

/** A command open now and to whom, without its French hint: what queues and projections need. */
export interface OpenCommand<T extends string = string> {
  type: T;
  roles: Role[];
  /** For commands funders send: the institutions that may send it now. */
  institutions?: string[];
}

/**
 * The commands open now, by whom. allowedFrom is this plus each rule's hint, so the two can never
 * disagree; this one builds no French text (no refusal, no hint), which makes it cheap enough to
 * run for every application a projection touches.
 */
export function openFrom<Cmd extends { type: string }, State extends { status: string }, E>(
  rules: RuleTable<Cmd, State, E>,
  state: State,
): OpenCommand<Cmd['type']>[] {
  const open: OpenCommand<Cmd['type']>[] = [];
  for (const type of Object.keys(rules) as Cmd['type'][]) {
    const rule = rules[type];
    if (!rule.appliesTo(state) || rule.isBlocked(state)) continue;
    const institutions = rule.institutions(state);
    // A funder role with no institution left to act is no one.
    const roles = rule
      .rolesNow(state)
      .filter((r) => r !== 'funder' || institutions === undefined || institutions.length > 0);
    if (roles.length === 0) continue;
    const entry: OpenCommand<Cmd['type']> = { type, roles };
    if (institutions !== undefined && roles.includes('funder')) entry.institutions = institutions;
    open.push(entry);
  }
  return open;
}

export function allowedFrom<Cmd extends { type: string }, State extends { status: string }, E>(
  rules: RuleTable<Cmd, State, E>,
  state: State,
): AllowedCommand<Cmd['type']>[] {
  return openFrom(rules, state).map((entry): AllowedCommand<Cmd['type']> => {
    const reason = rules[entry.type].hint(state);
    return reason === undefined ? entry : { ...entry, reason };
  });
}

/** 'Vous pouvez en revanche : …' or 'En attente de : …' — what is possible instead. */
export function alternatives<Cmd extends { type: string }, State extends { status: string }, E>(
  rules: RuleTable<Cmd, State, E>,
  state: State,
  actor: ActingAs,
): string {
  const allowed = allowedFrom(rules, state);
  // The actor's, institution included: a funder that does not sign this convention is not told it may.
  const mine = allowedTo(allowed, actor);
  const label = (a: AllowedCommand<Cmd['type']>): string => rules[a.type].label;
  if (mine.length > 0) return ` Possible maintenant pour vous : ${mine.map(label).join(' ; ')}.`;
  // What someone is expected to do; a step merely open to someone (a withdrawal) is no one's turn.
  const awaited = allowed.filter((a) => rules[a.type].awaited);
  if (awaited.length > 0)
    return ` En attente de : ${awaited.map((a) => `${label(a)} (${listRoles(a.roles)})`).join(' ; ')}.`;
  if (allowed.length > 0) return '';
  return " Plus aucune action n'est possible.";
}

export function decideWith<Cmd extends { type: string }, State extends { status: string }, E>(
  spec: DecisionSpec<Cmd, State, E>,
  command: unknown,
  state: State,
  meta: unknown,
): Result<E> {
  const parsedMeta = parseWith(commandMetaSchema, meta, {
    subject: 'Les métadonnées de la commande',
    plural: true,
  });
  if (!parsedMeta.ok) return refuse(parsedMeta.error);
  const parsed = parseWith(spec.commandSchema, command, { subject: spec.commandName });
  if (!parsed.ok) return refuse(parsed.error);
  const cmd = parsed.value;
  const m = parsedMeta.value;
  // The table is keyed by command type, so rules[cmd.type] handles exactly this command's variant;
  // TypeScript cannot correlate the two through the union, hence the one cast.
  const rule = spec.rules[cmd.type as Cmd['type']] as unknown as ErasedRule<Cmd, State, E>;

  if (!rule.roles.includes(m.actor.role)) {
    return refuse(
      domainError(
        'FORBIDDEN_ROLE',
        `${capitalize(rule.label)} : action réservée au rôle ${listRoles(rule.roles)} ; vous agissez en tant que ${listRoles([m.actor.role])}.`,
        { allowedRoles: [...rule.roles], actorRole: m.actor.role },
      ),
    );
  }
  // Who may act on this aggregate at all, then for whom, before anything about its state.
  const stranger = outsider(spec.parties?.(state), m.actor);
  if (stranger !== undefined) return refuse(stranger);
  if (m.actor.role === 'funder') {
    const institution = rule.institutionOf(cmd, state);
    if (institution !== undefined && m.actor.institution !== institution) {
      return refuse(
        domainError(
          'WRONG_INSTITUTION',
          `Vous représentez ${m.actor.institution === undefined ? 'aucune institution' : institutionName(m.actor.institution)} : vous ne pouvez agir que pour votre propre institution, pas pour ${institutionName(institution)}.`,
          { actorInstitution: m.actor.institution, commandInstitution: institution },
        ),
      );
    }
  }
  const refusal = stateRefusal(spec.rules, state, cmd.type, m.actor, (label) =>
    spec.wrongStatus(state, cmd, label),
  );
  if (refusal !== undefined) return refuse(refusal);
  return rule.handle(cmd, state, m);
}

/**
 * Why a command cannot run in this state whatever its body: its status (wrongStatus, followed by what
 * is possible instead), then its rule's extra condition. Shared by decideWith and notNowFrom, so the
 * refusal announced is the one sent.
 */
function stateRefusal<Cmd extends { type: string }, State extends { status: string }, E>(
  rules: RuleTable<Cmd, State, E>,
  state: State,
  type: Cmd['type'],
  actor: ActingAs,
  wrongStatus: (label: string) => DomainError,
): DomainError | undefined {
  const rule = rules[type];
  if (!rule.appliesTo(state)) {
    const error = wrongStatus(rule.label);
    return { ...error, message: error.message + alternatives(rules, state, actor) };
  }
  return rule.blocked(state);
}

/** A command of the caller's role that it may not send now, and the refusal it would get. */
export interface RefusedCommand<T extends string = string> {
  type: T;
  /** French noun phrase with its article, as the messages name the command (the rule's label). */
  label: string;
  /** The refusal's stable code. */
  code: DomainErrorCode;
  /** French: why not now, and what is possible instead. */
  message: string;
}

/**
 * What notNowFrom needs of a DecisionSpec. Its wrongStatus reads only the command's type: that is what
 * lets the refusal be said before any command is written, and the type keeps it so.
 */
export interface RefusalSpec<Cmd extends { type: string }, State extends { status: string }, E> {
  rules: RuleTable<Cmd, State, E>;
  wrongStatus: (state: State, command: Pick<Cmd, 'type'>, label: string) => DomainError;
  parties?: DecisionSpec<Cmd, State, E>['parties'];
}

/**
 * The commands of the actor's role that it may not send now (the others of allowedTo), each with the
 * refusal decide answers: the actor is not a party to the aggregate, the status (wrongStatus), the
 * rule's extra condition (blocked). A command open now to others only — the actor's part is done
 * (rolesNow), or the step is another institution's — has no refusal without a command body (decide
 * finds it in the rule's handle): it is said as a refusal of who acts, naming who is still awaited.
 */
export function notNowFrom<Cmd extends { type: string }, State extends { status: string }, E>(
  spec: RefusalSpec<Cmd, State, E>,
  state: State,
  actor: ActingAs,
): RefusedCommand<Cmd['type']>[] {
  const open = openFrom(spec.rules, state);
  const mine = new Set(allowedTo(open, actor).map((a) => a.type));
  const stranger = outsider(spec.parties?.(state), actor);
  const refused: RefusedCommand<Cmd['type']>[] = [];
  for (const type of Object.keys(spec.rules) as Cmd['type'][]) {
    const rule = spec.rules[type];
    if (!rule.roles.includes(actor.role) || mine.has(type)) continue;
    const error =
      stranger ??
      stateRefusal(spec.rules, state, type, actor, (label) => spec.wrongStatus(state, { type }, label)) ??
      rule.notYours(state, actor) ??
      othersTurn(
        rule.label,
        open.find((o) => o.type === type),
        actor,
      );
    refused.push({ type, label: rule.label, code: error.code, message: error.message });
  }
  return refused;
}

/** A command open now, but not to this actor: its role has nothing left to do, or its institution. */
function othersTurn(label: string, entry: OpenCommand | undefined, actor: ActingAs): DomainError {
  const awaited =
    entry === undefined
      ? ''
      : ` ; reste attendu : ${entry.roles
          .map((r) =>
            r === 'funder' && entry.institutions !== undefined
              ? `${roleLabels[r]} (${funderNames(entry.institutions)})`
              : roleLabels[r],
          )
          .join(', ')}`;
  if (entry === undefined || !entry.roles.includes(actor.role))
    return domainError(
      'FORBIDDEN_ROLE',
      `${capitalize(label)} : plus rien n'est attendu de vous (${roleLabels[actor.role]}) à ce stade${awaited}.`,
    );
  return domainError(
    'WRONG_INSTITUTION',
    `${capitalize(label)} : rien n'est attendu de votre institution (${actor.institution === undefined ? 'aucune' : funderName(actor.institution)}) à ce stade${awaited}.`,
  );
}

export const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
