// "As of" on a real SQLite store whose clock the story drives: Maubeuge's council decided on
// 10 April, but its position was keyed in on 20 April, so on 15 April the two clocks disagree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationStreamName, type ApplicationState } from '../../domain/application';
import {
  applicationAsOf,
  campaignAsOf,
  envelopeAsOf,
  resolveInstant,
  stateAsOf,
  applicationReplay,
} from '../../services/audit/asOf';
import { MAUBEUGE, dossier } from '../domain/support/fixtures';
import {
  APPLICATION_A,
  CAMPAIGN_ID,
  FundingWorld,
  on,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';

const positionsOf = (state: ApplicationState): string[] =>
  state.status === 'co_decision' ? Object.keys(state.coDecision.positions).sort() : [];

describe('state as of a past instant', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
  });
  afterAll(() => t.close());

  it('by business time, counts what had happened in the world by then, even if keyed in later', async () => {
    const result = await applicationAsOf(t.store, APPLICATION_A, {
      at: resolveInstant('2027-04-15')!,
      time: 'business',
    });
    expect(result?.state.status).toBe('co_decision');
    expect(positionsOf(result!.state)).toEqual(['COMMUNE-59392', 'EPCI', 'ETAT']);
    // submit, eligible, ETAT, EPCI, opinion, Maubeuge
    expect(result?.eventsApplied).toBe(6);
    expect(result?.lastEvent).toEqual({
      revision: 5n,
      occurredAt: on('2027-04-10'),
      recordedAt: new Date(on('2027-04-20')).toISOString(),
    });
    expect(result?.outOfOrder).toEqual([]);
    expect(result?.at).toBe('2027-04-15T21:59:59.999Z');
    expect(result?.streamLength).toBeGreaterThan(10);
  });

  it('by record time, shows what the system knew then: Maubeuge not yet', async () => {
    const before = await applicationAsOf(t.store, APPLICATION_A, {
      at: resolveInstant('2027-04-15')!,
      time: 'record',
    });
    expect(positionsOf(before!.state)).toEqual(['EPCI', 'ETAT']);
    expect(before?.eventsApplied).toBe(5);
    expect(before?.lastEvent?.revision).toBe(4n);

    const after = await applicationAsOf(t.store, APPLICATION_A, {
      at: '2027-04-20T12:00:00+02:00',
      time: 'record',
    });
    expect(positionsOf(after!.state)).toEqual(['COMMUNE-59392', 'EPCI', 'ETAT']);
  });

  it('follows the application to its convention, with the domain’s own evolve', async () => {
    const signed = await applicationAsOf(t.store, APPLICATION_A, { at: resolveInstant('2027-06-02')! });
    expect(signed?.state.status).toBe('in_force');
    const awaiting = await applicationAsOf(t.store, APPLICATION_A, { at: resolveInstant('2027-06-01')! });
    expect(awaiting?.state.status).toBe('awaiting_signatures');
    if (awaiting?.state.status !== 'awaiting_signatures') throw new Error('statut inattendu');
    expect(
      awaiting.state.signatures.map((s) => (s.signatory.kind === 'porteur' ? 'porteur' : s.signatory.funder)),
    ).toEqual(['porteur', 'ETAT', 'EPCI']);
  });

  it('before the first event: the initial state, nothing applied', async () => {
    const result = await applicationAsOf(t.store, APPLICATION_A, { at: '2027-01-01T00:00:00Z' });
    expect(result).toMatchObject({ state: { status: 'not_submitted' }, eventsApplied: 0, lastEvent: null });
  });

  it('a stream without events is not a state', async () => {
    expect(
      await applicationAsOf(t.store, '01JQA0000000000000000000ZZ', { at: '2030-01-01T00:00:00Z' }),
    ).toBeUndefined();
  });

  it('replays a campaign and an envelope too', async () => {
    expect(
      (await campaignAsOf(t.store, CAMPAIGN_ID, { at: resolveInstant('2027-01-10')! }))?.state.status,
    ).toBe('draft');
    expect(
      (await campaignAsOf(t.store, CAMPAIGN_ID, { at: resolveInstant('2027-01-20')! }))?.state.status,
    ).toBe('open');

    const march = await envelopeAsOf(t.store, CAMPAIGN_ID, 'ETAT', { at: resolveInstant('2027-03-05')! });
    if (march?.state.status !== 'open') throw new Error('enveloppe non ouverte');
    expect(march.state.reservedCents).toBe(1_000_000);

    // The agglomeration reserved for A and C in March; C's reservation was released on 22 April.
    const epciApril = await envelopeAsOf(t.store, CAMPAIGN_ID, 'EPCI', { at: resolveInstant('2027-04-21')! });
    const epciMay = await envelopeAsOf(t.store, CAMPAIGN_ID, 'EPCI', { at: resolveInstant('2027-05-01')! });
    if (epciApril?.state.status !== 'open' || epciMay?.state.status !== 'open')
      throw new Error('enveloppe non ouverte');
    expect(epciApril.state.reservedCents).toBe(2 * 1_500_000 + 1_000_000);
    expect(epciMay.state.reservedCents).toBe(2 * 1_500_000);
  });

  it('reads a stream page by page, with the same result whatever the page size', async () => {
    const at = resolveInstant('2027-12-31')!;
    const small = await stateAsOf(t.store, applicationReplay, applicationStreamName(APPLICATION_A), {
      at,
      pageSize: 2,
    });
    const large = await stateAsOf(t.store, applicationReplay, applicationStreamName(APPLICATION_A), { at });
    expect(small).toEqual(large);
  });
});

describe('an event keyed in late with an earlier business date', () => {
  let t: TestStore;
  afterAll(() => t.close());

  it('stops at the first later event and lists the earlier-dated one after it, unapplied', async () => {
    t = openTestStore();
    const world = new FundingWorld(t);
    await world.createAndOpenCampaign();
    const e = world.application('01JQA00000000000000000000E', 'porteur-e');
    await e.submit('2027-02-10', dossier(1, { ETAT: 1_000_000, [MAUBEUGE]: 500_000 }));
    await e.eligible('2027-02-20', '2027-04-30');
    await e.opinion('2027-03-15');
    // The État's position, decided on 12 March, entered on the 16th — after the opinion.
    await e.commit('ETAT', '2027-03-12', '2027-03-16');

    const result = await applicationAsOf(t.store, e.applicationId, {
      at: resolveInstant('2027-03-13')!,
      time: 'business',
    });
    expect(result?.eventsApplied).toBe(2);
    expect(result?.state.status).toBe('co_decision');
    expect(positionsOf(result!.state)).toEqual([]);
    expect(result?.outOfOrder).toEqual([
      { revision: 3n, occurredAt: on('2027-03-12'), recordedAt: new Date(on('2027-03-16')).toISOString() },
    ]);
  });
});

describe('instants people type', () => {
  it('reads a date as the end (or start) of that day in Paris, across the clock changes', () => {
    expect(resolveInstant('2027-04-15')).toBe('2027-04-15T21:59:59.999Z');
    expect(resolveInstant('2027-04-15', 'start')).toBe('2027-04-14T22:00:00.000Z');
    expect(resolveInstant('2027-12-31')).toBe('2027-12-31T22:59:59.999Z');
    expect(resolveInstant('2027-12-31', 'start')).toBe('2027-12-30T23:00:00.000Z');
    expect(resolveInstant('2027-03-28', 'start')).toBe('2027-03-27T23:00:00.000Z');
    expect(resolveInstant('2027-03-28')).toBe('2027-03-28T21:59:59.999Z');
  });

  it('keeps an instant, normalised to UTC, and refuses the rest', () => {
    expect(resolveInstant('2027-06-30T12:00:00+02:00')).toBe('2027-06-30T10:00:00.000Z');
    expect(resolveInstant('30/06/2027')).toBeUndefined();
    expect(resolveInstant('2027-02-30')).toBeUndefined();
  });
});
