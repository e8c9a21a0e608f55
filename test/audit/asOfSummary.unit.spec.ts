// The as-of summary (services/audit/asOf.ts) sets two instants against each other in each sentence:
// the instant asked and the first event (nothing existed yet), the instant asked and the last event
// applied, the instant asked and now (still to come). Written to the minute, two instants of the same
// minute read alike and the sentence contradicts itself (« au 28 novembre 2026 à 04:57, n’existait pas
// encore : son premier événement est du 28 novembre 2026 à 04:57 »): then they are written to the
// second, or to the millisecond.
import { describe, expect, it } from 'vitest';
import { asOfSummary, type AsOfResult, type EventStamp } from '../../services/audit/asOf';

const intact = { ok: true };
const now = new Date('2030-01-01T00:00:00.000Z');
const stamp = (revision: bigint, occurredAt: string, recordedAt = occurredAt): EventStamp => ({
  revision,
  occurredAt,
  recordedAt,
});
const result = (fields: Partial<AsOfResult<unknown>> & Pick<AsOfResult<unknown>, 'at' | 'firstEvent'>) =>
  ({
    stream: 'application-01JQA0000000000000000000AA',
    time: 'business',
    state: {},
    eventsApplied: 0,
    lastEvent: null,
    streamLength: 3,
    outOfOrder: [],
    ...fields,
  }) satisfies AsOfResult<unknown>;
const firstSentence = (summary: string) => summary.slice(0, summary.indexOf('.') + 1);

describe('the as-of summary, two instants of the same minute', () => {
  it('says the application did not exist yet with seconds when the first event is later in the same minute', () => {
    // 03:57Z is 04:57 in Paris (UTC+1 in November).
    const summary = asOfSummary(
      result({ at: '2026-11-28T03:57:10.000Z', firstEvent: stamp(0n, '2026-11-28T03:57:42.000Z') }),
      'la candidature',
      now,
      intact,
    );
    expect(summary).toBe(
      'Au 28 novembre 2026 à 04:57:10 (date métier), la candidature n’existait pas encore : son premier ' +
        'événement est du 28 novembre 2026 à 04:57:42. Chaîne d’empreintes du flux vérifiée : intacte.',
    );
  });

  it('goes to the millisecond when the second is the same too, on either clock', () => {
    const summary = asOfSummary(
      result({
        at: '2026-11-28T03:57:10.250Z',
        time: 'record',
        firstEvent: stamp(0n, '2026-11-01T08:00:00.000Z', '2026-11-28T03:57:10.900Z'),
      }),
      'la campagne',
      now,
      intact,
    );
    expect(firstSentence(summary)).toBe(
      'Au 28 novembre 2026 à 04:57:10,250 (date d’enregistrement), la campagne n’existait pas encore : son ' +
        'premier événement est du 28 novembre 2026 à 04:57:10,900.',
    );
  });

  it('keeps the minute when the instants are minutes apart', () => {
    const summary = asOfSummary(
      result({ at: '2026-12-01T22:59:59.999Z', firstEvent: stamp(0n, '2027-01-10T09:30:15.000Z') }),
      'la candidature',
      now,
      intact,
    );
    expect(firstSentence(summary)).toBe(
      'Au 1er décembre 2026 à 23:59 (date métier), la candidature n’existait pas encore : son premier ' +
        'événement est du 10 janvier 2027 à 10:30.',
    );
  });

  it('writes the state’s instant and its last event to the second when they share the minute', () => {
    const summary = asOfSummary(
      result({
        at: '2026-11-28T03:57:42.000Z',
        firstEvent: stamp(0n, '2026-11-28T03:50:00.000Z'),
        eventsApplied: 2,
        lastEvent: stamp(1n, '2026-11-28T03:57:05.000Z'),
      }),
      'la candidature',
      now,
      intact,
    );
    expect(firstSentence(summary)).toBe(
      'État de la candidature au 28 novembre 2026 à 04:57:42 (date métier) : 2 événements appliqués sur 3, ' +
        'le dernier du 28 novembre 2026 à 04:57:05 (révision 1).',
    );
    // The last event at the very instant asked: the same instant, to the minute.
    const same = asOfSummary(
      result({
        at: '2026-11-28T03:57:42.000Z',
        firstEvent: stamp(0n, '2026-11-28T03:50:00.000Z'),
        eventsApplied: 2,
        lastEvent: stamp(1n, '2026-11-28T03:57:42.000Z'),
      }),
      'la candidature',
      now,
      intact,
    );
    expect(firstSentence(same)).toBe(
      'État de la candidature au 28 novembre 2026 à 04:57 (date métier) : 2 événements appliqués sur 3, ' +
        'le dernier du 28 novembre 2026 à 04:57 (révision 1).',
    );
  });

  it('says an instant of the current minute is still to come with its seconds', () => {
    const summary = asOfSummary(
      result({
        at: '2029-12-31T23:00:30.000Z',
        firstEvent: stamp(0n, '2029-12-31T22:00:00.000Z'),
        eventsApplied: 3,
        lastEvent: stamp(2n, '2029-12-31T23:00:10.000Z'),
      }),
      'la candidature',
      new Date('2029-12-31T23:00:20.000Z'),
      intact,
    );
    expect(firstSentence(summary)).toBe(
      'Le 1er janvier 2030 à 00:00:30 est encore à venir : l’état donné est le dernier connu, 3 événements ' +
        'appliqués sur 3, le dernier du 1er janvier 2030 à 00:00:10 (révision 2).',
    );
  });
});
