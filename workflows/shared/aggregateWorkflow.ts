// The loop every aggregate workflow runs: human steps arrive as Workflow Updates, deadlines as
// timers, and both go through the domain's decide; accepted events are appended through an
// activity (exact expected revision, deterministic ids) and folded into the state with evolve.
// Steps run one at a time (SerialLock): a deadline firing and a human step arriving together
// resolve to one outcome, since the second is decided against the state the first produced.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { allowedTo, type AllowedCommand } from '../../domain/shared/decision';
import type { Deadline } from '../../domain/shared/deadlines';
import { domainError, type DomainError } from '../../domain/shared/errors';
import type { Result } from '../../domain/shared/result';
import type { AppendActivities } from '../activities';
import { ruleRevisionInForce } from './ruleRevision';
import { SerialLock } from './serialLock';
import {
  domainRefusalType,
  revisionMismatchType,
  type AggregateView,
  type RevisionMismatch,
  type StepActor,
  type StepInput,
} from './protocol';

export interface AggregateDefinition<Cmd extends { type: string }, State extends { status: string }, Event> {
  /** Event store stream of this aggregate. */
  stream: string;
  commandTypes: readonly Cmd['type'][];
  decide(command: unknown, state: State, meta: unknown): Result<Event>;
  evolve(state: State, event: Event): State;
  allowedCommands(state: State): AllowedCommand[];
  deadlines(state: State): Deadline<Cmd>[];
  /** True when nothing can happen any more: the workflow completes. */
  isFinished(state: State): boolean;
  /** Side effects on other aggregates before the events are appended; a refusal stops the step. */
  beforeAppend?(events: Event[], before: State, step: ResolvedStep): Promise<DomainError | undefined>;
  /** Side effects on other aggregates once the events are recorded. */
  afterAppend?(events: Event[], before: State, after: State, step: ResolvedStep): Promise<void>;
}

export interface ResolvedStep {
  actor: StepActor;
  commandId: string;
  correlationId: string;
  at: string;
  /**
   * The business time of what the step records when the domain dates the act (Result.occurredAt:
   * a decision keyed in after the day it was taken); `at` otherwise. The envelope steps it causes
   * carry the same.
   */
  occurredAt?: string;
  /** StepInput.expectedRevision */
  expectedRevision?: string;
  /** StepInput.requestDigest */
  requestDigest?: string;
}

/** What continue-as-new carries to the next run. */
export interface CarriedAggregate<State> {
  state: State;
  revision: string | null;
  firedDeadlines: string[];
}

export const viewQuery = defineQuery<AggregateView<unknown>>('view');
export const allowedForQuery = defineQuery<AllowedCommand[], [{ role: string; institution?: string }]>(
  'allowedFor',
);

// Temporal's own limits are 51,200 events / 50 MB; warn well before, move to a new run sooner.
const historyWarnEvents = 10_240;
const historyWarnBytes = 10 * 1024 * 1024;

/**
 * The largest view (state, revision, allowed commands) a step may leave, in bytes of JSON. The view
 * is an update's result, a query's answer, and the state continue-as-new carries: Temporal refuses
 * any payload over 2 MiB (its blob size limit), and a workflow task that would complete with one
 * fails again and again — the step's events recorded in the store but its update never answered,
 * the workflow stuck for good. Half the limit leaves room for the few steps that may be validated
 * against the same state before the first of them runs (each bounded by the HTTP body limit).
 */
export const viewByteLimit = 1024 * 1024;

/** UTF-8 length of a string, as the JSON payload converter writes it (no TextEncoder needed). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

function tooLarge(bytes: number): DomainError {
  const kio = (n: number) => String(Math.ceil(n / 1024));
  return domainError(
    'AGGREGATE_TOO_LARGE',
    `Cette étape porterait le dossier à ${kio(bytes)} Kio, au-delà des ${kio(viewByteLimit)} Kio qu’il peut ` +
      'conserver : raccourcissez les textes saisis (une pièce jointe, donnée par sa référence, peut porter le détail).',
    { bytes, limit: viewByteLimit },
  );
}

const { appendEvents } = proxyActivities<AppendActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    maximumInterval: '10 seconds',
    nonRetryableErrorTypes: ['InvalidEvent'],
  },
});

export function refusal(error: DomainError): ApplicationFailure {
  return ApplicationFailure.create({
    type: domainRefusalType,
    message: error.message,
    details: [error],
    nonRetryable: true,
  });
}

/** The step was sent against a revision the stream has left (If-Match): refused, nothing written. */
function staleRevision(step: ResolvedStep, revision: string | null): ApplicationFailure | undefined {
  if (step.expectedRevision === undefined || step.expectedRevision === revision) return undefined;
  const details: RevisionMismatch = { expected: step.expectedRevision, current: revision };
  return ApplicationFailure.create({
    type: revisionMismatchType,
    message: `révision attendue ${step.expectedRevision}, actuelle ${revision ?? 'aucune'}`,
    details: [details],
    nonRetryable: true,
  });
}

/** The actor as decide sees it: the step's fields, none of them set to undefined. */
export const commandActor = (actor: StepActor) => ({
  id: actor.id,
  role: actor.role,
  ...(actor.institution === undefined ? {} : { institution: actor.institution }),
  ...(actor.porteurId === undefined ? {} : { porteurId: actor.porteurId }),
  ...(actor.siret === undefined ? {} : { siret: actor.siret }),
  ...(actor.rna === undefined ? {} : { rna: actor.rna }),
});

export interface AggregateRun<State> {
  /** Resolves when the aggregate is finished; or continues as new (throws ContinueAsNew). */
  finished: Promise<State>;
}

export async function runAggregate<
  Cmd extends { type: string },
  State extends { status: string },
  Event extends { type: string; data: unknown },
>(
  definition: AggregateDefinition<Cmd, State, Event>,
  carried: CarriedAggregate<State>,
  continueAsNew: (carried: CarriedAggregate<State>) => Promise<never>,
): Promise<State> {
  let { state, revision } = carried;
  const fired = new Set(carried.firedDeadlines);
  let changes = 0;
  const lock = new SerialLock();
  const now = (): string => new Date(Date.now()).toISOString();

  const view = (): AggregateView<State> => ({ state, revision, allowed: definition.allowedCommands(state) });

  const meta = (step: ResolvedStep) => ({
    actor: commandActor(step.actor),
    at: step.at,
    commandId: step.commandId,
  });

  /** The view, with the digest of the request it answers (a resend compares it with its own). */
  const answer = (step: ResolvedStep): AggregateView<State> =>
    step.requestDigest === undefined ? view() : { ...view(), requestDigest: step.requestDigest };

  const execute = (command: unknown, step: ResolvedStep): Promise<AggregateView<State>> =>
    lock.run(async () => {
      // Again here, not only in the validator: two steps sent against the same revision may both
      // pass validation before the first runs.
      const stale = staleRevision(step, revision);
      if (stale) throw stale;
      // The validator below decides under the latest rules (validators are not replayed); the
      // step itself under the rules in force at this point of the history.
      const decision = definition.decide(command, state, {
        ...meta(step),
        ruleRevision: ruleRevisionInForce(),
      });
      if (!decision.ok) throw refusal(decision.error);
      if (decision.events.length === 0) return answer(step);
      const before = state;
      // Not a rule revision: the business time changes what the events say about when, not which
      // steps the workflow takes; a replay does not compare an activity's input with the history's.
      const acted: ResolvedStep =
        decision.occurredAt === undefined ? step : { ...step, occurredAt: decision.occurredAt };
      const blocked = await definition.beforeAppend?.(decision.events, before, acted);
      if (blocked) throw refusal(blocked);
      const appended = await appendEvents({
        stream: definition.stream,
        expectedRevision: revision ?? 'no_stream',
        events: decision.events.map((e) => ({ type: e.type, data: e.data })),
        ...(decision.followUpsFrom === undefined ? {} : { followUpsFrom: decision.followUpsFrom }),
        metadata: {
          correlationId: step.correlationId,
          causationId: step.commandId,
          actor: { id: step.actor.id, role: step.actor.role, institution: step.actor.institution },
          occurredAt: acted.occurredAt ?? acted.at,
        },
      });
      state = decision.events.reduce((s, e) => definition.evolve(s, e), state);
      revision = appended.nextExpectedRevision;
      changes += 1;
      await definition.afterAppend?.(decision.events, before, state, acted);
      return answer(step);
    });

  const resolve = (input: StepInput): ResolvedStep => ({
    actor: input.actor,
    commandId: input.commandId,
    correlationId: input.correlationId ?? input.commandId,
    at: now(),
    ...(input.expectedRevision === undefined ? {} : { expectedRevision: input.expectedRevision }),
    ...(input.requestDigest === undefined ? {} : { requestDigest: input.requestDigest }),
  });

  for (const type of definition.commandTypes) {
    const update = defineUpdate<AggregateView<State>, [StepInput]>(type);
    setHandler(update, (input) => execute({ ...(input.command as object), type }, resolve(input)), {
      // Runs before the update is written to history: an impossible or unauthorised step is
      // refused without touching it.
      validator: (input: StepInput) => {
        const step = resolve(input);
        const stale = staleRevision(step, revision);
        if (stale) throw stale;
        const decision = definition.decide({ ...(input.command as object), type }, state, meta(step));
        if (!decision.ok) throw refusal(decision.error);
        // Here only: validators are not replayed, so a history recorded before this bound replays as
        // it ran; a step that would make the view too large for Temporal is refused, nothing written.
        if (decision.events.length === 0) return;
        const after = decision.events.reduce((folded, e) => definition.evolve(folded, e), state);
        const bytes = utf8Length(
          JSON.stringify({ state: after, revision, allowed: definition.allowedCommands(after) }),
        );
        if (bytes > viewByteLimit) throw refusal(tooLarge(bytes));
      },
    });
  }
  setHandler(viewQuery, view);
  setHandler(allowedForQuery, (actor) => allowedTo(definition.allowedCommands(state), actor));

  for (;;) {
    if (definition.isFinished(state)) {
      await condition(allHandlersFinished);
      return state;
    }
    const info = workflowInfo();
    if (info.historyLength > historyWarnEvents || info.historySize > historyWarnBytes) {
      log.warn('historique long : passage à une nouvelle exécution', {
        historyLength: info.historyLength,
        historySize: info.historySize,
      });
    }
    if (
      info.continueAsNewSuggested ||
      info.historyLength > historyWarnEvents ||
      info.historySize > historyWarnBytes
    ) {
      await condition(allHandlersFinished);
      return await continueAsNew({ state, revision, firedDeadlines: [...fired] });
    }

    const pending = definition
      .deadlines(state)
      .filter((d) => !fired.has(d.id))
      .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
    const next = pending[0];
    const seen = changes;
    if (next === undefined) {
      await condition(() => changes !== seen);
      continue;
    }
    const waitMs = Date.parse(next.dueAt) - Date.now();
    if (waitMs > 0 && (await condition(() => changes !== seen, waitMs))) continue;
    fired.add(next.id);
    try {
      await execute(next.command, {
        actor: { id: 'system', role: 'system' },
        commandId: `${workflowInfo().workflowId}/${next.id}`,
        correlationId: `${workflowInfo().workflowId}/${next.id}`,
        at: now(),
      });
    } catch (error) {
      if (error instanceof ApplicationFailure && error.type === domainRefusalType) {
        // A deadline overtaken by a human step (report submitted just in time…) is refused by
        // decide: that is the expected outcome, recorded nowhere.
        log.info('échéance sans effet', { deadline: next.id, reason: error.message });
      } else {
        // Anything else (an activity that gave up) must not lose the deadline: try again later.
        log.error('échéance non traitée, nouvel essai dans une heure', {
          deadline: next.id,
          error: error instanceof Error ? error.message : String(error),
        });
        fired.delete(next.id);
        await sleep('1 hour');
      }
    }
  }
}
