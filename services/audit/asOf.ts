// "What did this application (campaign, envelope) look like on that date?" — replayed from its
// stream with the domain's own evolve, never re-implemented, on one of two clocks:
//   business time (metadata.occurredAt): when it happened in the world, as the command said;
//   record time (metadata.recordedAt): when the store committed it.
// They differ when something is keyed in after the fact (a paper decision recorded a week later),
// and an auditor may need either: "what had been decided by then" vs "what the system showed then".
import {
  applicationEventDefinitions,
  applicationStreamName,
  evolveApplication,
  initialApplicationState,
  type ApplicationEvent,
  type ApplicationState,
} from '../../domain/application';
import {
  civilDateSchema,
  endOfParisDay,
  fromEpochMs,
  instantSchema,
  normalizeInstant,
  parisInstant,
  toEpochMs,
} from '../../domain/calendar';
import {
  campaignEventDefinitions,
  campaignStreamName,
  evolveCampaign,
  initialCampaignState,
  type CampaignEvent,
  type CampaignState,
} from '../../domain/campaign';
import {
  envelopeEventDefinitions,
  envelopeStreamName,
  evolveEnvelope,
  initialEnvelopeState,
  type EnvelopeEvent,
  type EnvelopeState,
} from '../../domain/envelope';
import type { FunderId } from '../../domain/shared/funders';
import type { EventStore, IntegrityFailureReason, RecordedEvent } from '../../infra/eventstore/port';
import { integrityReasonLabels } from './integrity';

/** Which clock "as of" reads: business time (occurredAt) or record time (recordedAt). */
export type TimeAxis = 'business' | 'record';
export const timeAxes = ['business', 'record'] as const;

/** How one aggregate is replayed: the domain's initial state and evolve, and the events it owns. */
export interface Replayable<S, E extends { type: string; data: unknown }> {
  /** For messages: « la candidature », « la campagne », « l'enveloppe ». */
  label: string;
  initialState: S;
  evolve: (state: S, event: E) => S;
  eventTypes: ReadonlySet<string>;
}

export const applicationReplay: Replayable<ApplicationState, ApplicationEvent> = {
  label: 'la candidature',
  initialState: initialApplicationState,
  evolve: evolveApplication,
  eventTypes: new Set(applicationEventDefinitions.map((d) => d.type)),
};

export const campaignReplay: Replayable<CampaignState, CampaignEvent> = {
  label: 'la campagne',
  initialState: initialCampaignState,
  evolve: evolveCampaign,
  eventTypes: new Set(campaignEventDefinitions.map((d) => d.type)),
};

export const envelopeReplay: Replayable<EnvelopeState, EnvelopeEvent> = {
  label: "l'enveloppe",
  initialState: initialEnvelopeState,
  evolve: evolveEnvelope,
  eventTypes: new Set(envelopeEventDefinitions.map((d) => d.type)),
};

/** Where an event sits, on both clocks. */
export interface EventStamp {
  revision: bigint;
  occurredAt: string;
  recordedAt: string;
}

export interface AsOfResult<S> {
  stream: string;
  /** The instant asked for, normalised to UTC. */
  at: string;
  time: TimeAxis;
  state: S;
  eventsApplied: number;
  /** The last event applied; null when nothing had happened yet at `at`. */
  lastEvent: EventStamp | null;
  /** Events in the stream when it was read (applied or not). */
  streamLength: number;
  /** The stream's first event: when nothing was applied, when the aggregate came to exist. */
  firstEvent: EventStamp;
  /**
   * Events after the cut in stream order that nevertheless carry a time at or before `at` (keyed in
   * late with an earlier business date). Replay stops at the first later event, because evolve only
   * accepts the stream's own order; these are listed so that the auditor sees them, not hidden.
   */
  outOfOrder: EventStamp[];
}

export class ForeignEventError extends Error {
  constructor(
    readonly stream: string,
    readonly revision: bigint,
    readonly type: string,
    label: string,
  ) {
    super(`Le flux ${stream} contient à la révision ${revision} un événement ${type} étranger à ${label}.`);
    this.name = 'ForeignEventError';
  }
}

const stampOf = (event: RecordedEvent): EventStamp => ({
  revision: event.revision,
  occurredAt: event.metadata.occurredAt,
  recordedAt: event.metadata.recordedAt,
});

/** Epoch milliseconds of an event on the chosen clock (occurredAt may carry an offset). */
export const eventTimeMs = (event: RecordedEvent, time: TimeAxis): number =>
  toEpochMs(time === 'business' ? event.metadata.occurredAt : event.metadata.recordedAt);

/** Narrows a stored event to the aggregate's union; its data was validated by the store's registry. */
function asAggregateEvent<S, E extends { type: string; data: unknown }>(
  replay: Replayable<S, E>,
  event: RecordedEvent,
): E {
  if (!replay.eventTypes.has(event.type)) {
    throw new ForeignEventError(event.stream, event.revision, event.type, replay.label);
  }
  return { type: event.type, data: event.data } as E;
}

export interface AsOfOptions {
  /** An ISO instant (see resolveInstant for dates). */
  at: string;
  time?: TimeAxis;
  /** Events read per page (default 500): streams are short, but an envelope's may not be. */
  pageSize?: number;
}

/**
 * The state of one stream as of `at`: its events in revision order, applied while their time on the
 * chosen clock is at or before `at`. Undefined when the stream has no event at all.
 */
export async function stateAsOf<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  replay: Replayable<S, E>,
  stream: string,
  options: AsOfOptions,
): Promise<AsOfResult<S> | undefined> {
  const time = options.time ?? 'business';
  const atMs = toEpochMs(options.at);
  const pageSize = options.pageSize ?? 500;
  let state = replay.initialState;
  let eventsApplied = 0;
  let lastEvent: EventStamp | null = null;
  let firstEvent: EventStamp | undefined;
  let streamLength = 0;
  let cut = false;
  const outOfOrder: EventStamp[] = [];
  let from = 0n;
  for (;;) {
    const page = await store.readStream(stream, { from, maxCount: pageSize });
    for (const event of page) {
      streamLength += 1;
      firstEvent ??= stampOf(event);
      const typed = asAggregateEvent(replay, event);
      const due = eventTimeMs(event, time) <= atMs;
      if (!cut && due) {
        state = replay.evolve(state, typed);
        eventsApplied += 1;
        lastEvent = stampOf(event);
      } else {
        cut = true;
        if (due) outOfOrder.push(stampOf(event));
      }
    }
    const last = page[page.length - 1];
    if (last === undefined || page.length < pageSize) break;
    from = last.revision + 1n;
  }
  if (firstEvent === undefined) return undefined;
  return {
    stream,
    at: fromEpochMs(atMs),
    time,
    state,
    eventsApplied,
    lastEvent,
    streamLength,
    firstEvent,
    outOfOrder,
  };
}

/** How finely an instant is written: to the minute as people read it, finer to tell two apart. */
type InstantPrecision = 'minute' | 'second' | 'millisecond';
const parisDateTimes: Record<InstantPrecision, Intl.DateTimeFormat> = {
  minute: new Intl.DateTimeFormat('fr-FR', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'Europe/Paris',
  }),
  second: new Intl.DateTimeFormat('fr-FR', {
    dateStyle: 'long',
    timeStyle: 'medium',
    timeZone: 'Europe/Paris',
  }),
  millisecond: new Intl.DateTimeFormat('fr-FR', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    timeZone: 'Europe/Paris',
  }),
};
/**
 * « 1er décembre 2027 à 10:00 » (« à 10:00:07 », « à 10:00:07,250 » when finer), in Paris, as French
 * writes the first of the month (formatFrenchDate does the same).
 */
export const frenchInstant = (instant: string, precision: InstantPrecision = 'minute'): string =>
  parisDateTimes[precision].format(new Date(toEpochMs(instant))).replace(/^1 /, '1er ');

/**
 * Two instants a sentence sets against each other, each written to the minute unless that makes them
 * read alike: then to the second, or to the millisecond. « Au 28 novembre à 04:57, n’existait pas
 * encore : son premier événement est du 28 novembre à 04:57 » reads as a contradiction; with seconds
 * it is true (04:57:10 before 04:57:42). The same instant twice stays to the minute.
 */
function frenchInstantsApart(a: string, b: string): [string, string] {
  if (toEpochMs(a) !== toEpochMs(b)) {
    for (const precision of ['minute', 'second', 'millisecond'] as const) {
      const pair: [string, string] = [frenchInstant(a, precision), frenchInstant(b, precision)];
      if (pair[0] !== pair[1]) return pair;
    }
  }
  return [frenchInstant(a), frenchInstant(b)];
}
const plural = (n: number, one: string, many: string): string => `${n} ${n > 1 ? many : one}`;

/**
 * What the replay gives, in French, for people: the state at that instant (how many events, the
 * last one), or that the aggregate did not exist yet (and since when it does), or that the instant
 * is still to come (the state is then the latest known); the events keyed in late with an earlier
 * business date, which the replay leaves out; and whether the stream's hash chain holds, since a
 * state replayed from an altered stream is not evidence.
 */
export function asOfSummary(
  result: AsOfResult<unknown>,
  label: string,
  now: Date,
  integrity: { ok: boolean; firstBroken?: { revision: string; reason: IntegrityFailureReason } },
): string {
  const clock = result.time === 'business' ? 'date métier' : 'date d’enregistrement';
  const stampTime = (e: EventStamp) => (result.time === 'business' ? e.occurredAt : e.recordedAt);
  const parts: string[] = [];
  // Each sentence sets two instants against each other: written finely enough to read apart.
  if (result.lastEvent === null) {
    const [at, first] = frenchInstantsApart(result.at, stampTime(result.firstEvent));
    parts.push(
      `Au ${at} (${clock}), ${label} n’existait pas encore : son premier événement est du ${first}.`,
    );
  } else {
    // Still to come, with nothing left to apply: the state is the latest (a later instant with events
    // after it is a world whose clock is ahead, as in tests: then it is the state at that instant).
    const future = toEpochMs(result.at) > now.getTime() && result.eventsApplied === result.streamLength;
    const lastTime = stampTime(result.lastEvent);
    const [at, last] = future
      ? [frenchInstantsApart(result.at, now.toISOString())[0], frenchInstantsApart(result.at, lastTime)[1]]
      : frenchInstantsApart(result.at, lastTime);
    parts.push(
      (future
        ? `Le ${at} est encore à venir : l’état donné est le dernier connu, `
        : `État de ${label} au ${at} (${clock}) : `) +
        `${plural(result.eventsApplied, 'événement appliqué', 'événements appliqués')} sur ${result.streamLength}, ` +
        `le dernier du ${last} (révision ${result.lastEvent.revision}).`,
    );
  }
  const late = result.outOfOrder.length;
  if (late > 0)
    parts.push(
      `${plural(late, 'événement enregistré', 'événements enregistrés')} plus loin dans le flux ` +
        `${late > 1 ? 'portent' : 'porte'} une date antérieure : ${late > 1 ? 'ils ne sont' : 'il n’est'} ` +
        'pas appliqué' +
        (late > 1 ? 's' : '') +
        ' (le rejeu suit l’ordre du flux), voir outOfOrder.',
    );
  const broken = integrity.firstBroken;
  parts.push(
    integrity.ok || broken === undefined
      ? 'Chaîne d’empreintes du flux vérifiée : intacte.'
      : `Attention, flux altéré à la révision ${broken.revision} — ${integrityReasonLabels[broken.reason]} : ` +
          'cet état est rejoué d’événements dont l’un au moins a été modifié ; le détail est dans integrity.',
  );
  return parts.join(' ');
}

export const applicationAsOf = (store: EventStore, applicationId: string, options: AsOfOptions) =>
  stateAsOf(store, applicationReplay, applicationStreamName(applicationId), options);

export const campaignAsOf = (store: EventStore, campaignId: string, options: AsOfOptions) =>
  stateAsOf(store, campaignReplay, campaignStreamName(campaignId), options);

export const envelopeAsOf = (store: EventStore, campaignId: string, funder: FunderId, options: AsOfOptions) =>
  stateAsOf(store, envelopeReplay, envelopeStreamName(campaignId, funder), options);

/**
 * An instant from what a person types: an ISO instant as is, or a civil date read in Paris — as the
 * END of that day for an upper bound (« au 31 décembre » includes the 31st), its start for a lower
 * bound. Undefined when it is neither, or when the calendar cannot place it.
 */
export function resolveInstant(input: string, bound: 'end' | 'start' = 'end'): string | undefined {
  let resolved: string;
  try {
    if (instantSchema.safeParse(input).success) resolved = fromEpochMs(toEpochMs(input));
    else if (!civilDateSchema.safeParse(input).success) return undefined;
    else
      resolved =
        bound === 'end'
          ? fromEpochMs(toEpochMs(endOfParisDay(input)) - 1)
          : normalizeInstant(parisInstant(input));
  } catch {
    // The schemas pass text the calendar cannot read (ten decimals of a second, a day before year 1
    // in Paris): a value refused like any other, not an error of the server.
    return undefined;
  }
  // The same once in UTC must still be an ISO instant with a four-digit year, or every later reading
  // of it fails (9999-12-31T23:59:59-12:00 is in year 10000 in UTC).
  return instantSchema.safeParse(resolved).success ? resolved : undefined;
}
