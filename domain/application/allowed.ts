import {
  allowedFrom,
  notNowFrom,
  openFrom,
  type ActingAs,
  type AllowedCommand,
  type OpenCommand,
  type RefusedCommand,
} from '../shared/decision';
import type { Role } from '../shared/roles';
import type { ApplicationCommandType } from './commands';
import { applicationDecision } from './decide';
import { applicationRules } from './rules';
import type { ApplicationState } from './state';

/**
 * The commands possible now, by whom (roles; for funders, which institutions), with a French hint.
 * A command listed here is accepted by decide for a well-formed command from one of these actors
 * (time-bound checks aside: a deadline command before its time, a signature after its deadline).
 */
export const allowedApplicationCommands = (
  state: ApplicationState,
): AllowedCommand<ApplicationCommandType>[] => allowedFrom(applicationRules, state);

/**
 * Why the actor's other steps are not possible now: each command of its role that
 * allowedApplicationCommands does not open to it, with the code and French message decide refuses it
 * with (the status, the rule's condition; for a step open to others only, who is still awaited). For an
 * actor who may read the application (for a stranger, each gets the refusal of who acts).
 */
export const notNowApplicationCommands = (
  state: ApplicationState,
  actor: ActingAs,
): RefusedCommand<ApplicationCommandType>[] => notNowFrom(applicationDecision, state, actor);

/**
 * The same commands as allowedApplicationCommands (it is this list plus each rule's hint), without
 * any French text: who may act now and on what, cheap enough for every application a projection
 * touches.
 */
export const openApplicationCommands = (state: ApplicationState): OpenCommand<ApplicationCommandType>[] =>
  openFrom(applicationRules, state);

/** The French hint allowedApplicationCommands gives for one open command, alone. */
export const applicationCommandHint = (
  type: ApplicationCommandType,
  state: ApplicationState,
): string | undefined => applicationRules[type].hint(state);

/** French label of each command ('la déclaration de recevabilité'), for menus and messages. */
export const applicationCommandLabels = Object.fromEntries(
  Object.entries(applicationRules).map(([type, rule]) => [type, rule.label]),
) as Record<ApplicationCommandType, string>;

/** Who may ever send each command (allowedCommands says who may send it now). */
export const applicationCommandRoles = Object.fromEntries(
  Object.entries(applicationRules).map(([type, rule]) => [type, [...rule.roles]]),
) as Record<ApplicationCommandType, Role[]>;

/**
 * Commands open to someone for as long as the file lives, awaited from nobody (the rules' `awaited:
 * false`: a withdrawal, a termination): an open one never means the file waits on its senders.
 */
export const unawaitedApplicationCommands: ReadonlySet<ApplicationCommandType> = new Set(
  (Object.keys(applicationRules) as ApplicationCommandType[]).filter(
    (type) => !applicationRules[type].awaited,
  ),
);
