// given(events).when(command, actor, at).then(events) | .thenRefused(code) — for any decider.
import { expect } from 'vitest';
import type { Actor, CommandMeta, DomainError, DomainErrorCode, Result } from '../../../domain';
import { meta } from './fixtures';

interface Decider<C, S, E> {
  decide: (command: C, state: S, meta: CommandMeta) => Result<E>;
  evolve: (state: S, event: E) => S;
  initialState: S;
}

export function specFor<C, S, E>(decider: Decider<C, S, E>) {
  return function given(events: E[] = []) {
    const state = events.reduce(decider.evolve, decider.initialState);
    return {
      state,
      /** `extra`: more of the command's metadata (a ruleRevision). */
      when(command: C, actor: Actor, at: string, extra: Partial<CommandMeta> = {}) {
        const result = decider.decide(command, state, { ...meta(actor, at), ...extra });
        return {
          result,
          /** The events recorded, acts and follow-ups alike (Result.followUpsFrom is checked apart). */
          then(expected: E[]): S {
            expect(result.ok ? result.events : result.error).toEqual(expected);
            return expected.reduce(decider.evolve, state);
          },
          thenTypes(types: string[]): E[] {
            if (!result.ok) throw new Error(`Refusée : ${result.error.code} — ${result.error.message}`);
            expect(result.events.map((e) => (e as { type: string }).type)).toEqual(types);
            return result.events;
          },
          thenRefused(code: DomainErrorCode): DomainError {
            if (result.ok) throw new Error(`Acceptée alors qu'un refus ${code} était attendu`);
            expect(result.error.code).toBe(code);
            expect(result.error.message.length).toBeGreaterThan(20);
            return result.error;
          },
        };
      },
    };
  };
}

/** French typography uses no-break spaces in amounts; compare with ordinary spaces. */
export const plain = (text: string): string => text.replace(/[\u202F\u00A0]/g, ' ');
