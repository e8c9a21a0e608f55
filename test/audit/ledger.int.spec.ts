// The funding ledger read from a real store: what each money event becomes, the filters on both
// clocks, paging on event boundaries, and the CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEuros } from '../../domain/shared/money';
import type { EventStore } from '../../infra/eventstore/port';
import { ledgerEntries, ledgerPage, type LedgerEntry, type LedgerQuery } from '../../services/audit/ledger';
import { ledgerCsv, ledgerCsvColumns } from '../../services/audit/ledgerCsv';
import { resolveInstant } from '../../services/audit/asOf';
import { MAUBEUGE } from '../domain/support/fixtures';
import { parseCsv } from './csvParse';
import {
  APPLICATION_A,
  APPLICATION_B,
  APPLICATION_C,
  FundingWorld,
  on,
  openTestStore,
  playFundingYear,
  type TestStore,
} from './support';

async function all(store: EventStore, query: LedgerQuery = {}): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for await (const e of ledgerEntries(store, query)) entries.push(e);
  return entries;
}

/** movement funder application-or-campaign conventionYear year amountCents reference, '-' for null. */
const brief = (e: LedgerEntry) =>
  [e.movement, e.funder, e.application ?? e.campaign, e.conventionYear, e.year, e.amountCents, e.reference]
    .map((v) => (v === null ? '-' : String(v)))
    .join(' ');

describe('funding ledger', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
  });
  afterAll(() => t.close());

  it('turns every money event into entries, in global order, with who did it and when', async () => {
    const entries = await all(t.store);
    const positions = entries.map((e) => e.position);
    expect([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(positions);

    const maubeuge = entries.filter((e) => e.funder === MAUBEUGE).map(brief);
    expect(maubeuge).toEqual([
      // The campaign's vote, for information (no amount); the envelope's opening carries the amount.
      `envelope_voted COMMUNE-59392 2027 - 2027 - montant voté : ${formatEuros(10_000_000)}`,
      'envelope_opened COMMUNE-59392 2027 - 2027 10000000 -',
      // Convention year k falls in budget year 2027 + k − 1 (the campaign's year, fixed at
      // submission), already before A's convention was drafted (10 May) and never re-dated after.
      `funds_reserved COMMUNE-59392 ${APPLICATION_A} 1 2027 500000 -`,
      `funds_reserved COMMUNE-59392 ${APPLICATION_A} 2 2028 500000 -`,
      // The commune's own deliberation identifies its commitment.
      `position_committed COMMUNE-59392 ${APPLICATION_A} 1 2027 500000 DCM-2027-041`,
      `position_committed COMMUNE-59392 ${APPLICATION_A} 2 2028 500000 DCM-2027-041`,
      `award COMMUNE-59392 ${APPLICATION_A} 1 2027 500000 COPIL-2027-05`,
      `award COMMUNE-59392 ${APPLICATION_A} 2 2028 500000 COPIL-2027-05`,
      // The year-1 advance, half, ordered when the last signature put the convention in force: the
      // same budget year as year 1's commitment and award.
      `payment_ordered COMMUNE-59392 ${APPLICATION_A} 1 2027 250000 COMMUNE-59392-y1-1`,
    ]);

    const committed = entries.find((e) => e.movement === 'position_committed' && e.funder === MAUBEUGE);
    expect(committed).toMatchObject({
      campaign: '2027',
      application: APPLICATION_A,
      stream: `application-${APPLICATION_A}`,
      type: 'FunderPositionRecorded',
      line: 0,
      occurredAt: on('2027-04-10'),
      recordedAt: new Date(on('2027-04-20')).toISOString(),
      actorId: 'rep-commune-59392',
      actorRole: 'funder',
      actorInstitution: MAUBEUGE,
    });
  });

  it('keeps refusals, cancels a rejected application’s commitments, releases what was held', async () => {
    const entries = await all(t.store);
    expect(entries.filter((e) => e.application === APPLICATION_C).map(brief)).toEqual([
      `position_declined ETAT ${APPLICATION_C} - - - Enveloppe épuisée`,
      `funds_reserved EPCI ${APPLICATION_C} 1 2027 1000000 -`,
      `position_committed EPCI ${APPLICATION_C} 1 2027 1000000 -`,
      // The committee's rejection voids the commitment (fundingSummary), then the envelope gives
      // back what it held for C, year by year: each in the budget year of what it cancels.
      `position_committed EPCI ${APPLICATION_C} 1 2027 -1000000 COPIL-2027-04`,
      `funds_released EPCI ${APPLICATION_C} 1 2027 -1000000 candidature rejetée`,
    ]);
    const b = entries.filter((e) => e.application === APPLICATION_B && e.movement === 'payment_ordered');
    expect(b.map(brief)).toEqual([`payment_ordered ETAT ${APPLICATION_B} 1 2027 1000000 ETAT-y1-1`]);
  });

  it('filters by funder and campaign', async () => {
    const etat = await all(t.store, { funder: 'ETAT' });
    expect(etat.length).toBeGreaterThan(5);
    expect(etat.every((e) => e.funder === 'ETAT')).toBe(true);
    expect(await all(t.store, { campaign: 'autre-campagne' })).toEqual([]);
    expect((await all(t.store, { campaign: '2027' })).length).toBe((await all(t.store)).length);
  });

  it('filters a date range on business time or on record time', async () => {
    const window = { from: resolveInstant('2027-04-01', 'start')!, to: resolveInstant('2027-04-15')! };
    const business = await all(t.store, { ...window, time: 'business', funder: MAUBEUGE });
    const record = await all(t.store, { ...window, time: 'record', funder: MAUBEUGE });
    // Decided on 10 April, keyed in on 20 April.
    expect(business.map((e) => e.movement)).toEqual([
      'funds_reserved',
      'funds_reserved',
      'position_committed',
      'position_committed',
    ]);
    expect(record).toEqual([]);
    const late = await all(t.store, {
      from: resolveInstant('2027-04-20', 'start')!,
      time: 'record',
      funder: MAUBEUGE,
    });
    expect(late.slice(0, 4).map((e) => e.movement)).toEqual(business.map((e) => e.movement));
  });

  it('pages by global position, each page ending on an event boundary', async () => {
    const everything = await all(t.store);
    const pages: LedgerEntry[][] = [];
    let after: bigint | undefined;
    for (;;) {
      const page = await ledgerPage(t.store, after === undefined ? {} : { after }, { limit: 5 });
      pages.push(page.entries);
      if (page.next === null) {
        expect(page.lastPosition).toBe(everything[everything.length - 1]?.position);
        break;
      }
      // The last event of a page is complete: no entry of it is left for the next page.
      expect(page.entries[page.entries.length - 1]?.position).toBe(page.next);
      after = page.next;
    }
    expect(pages.length).toBeGreaterThan(3);
    expect(pages.flat()).toEqual(everything);
  });

  it('bounds the events one page may read, for narrow filters', async () => {
    const page = await ledgerPage(t.store, { funder: 'REGION' }, { limit: 10, maxScan: 7 });
    expect(page).toMatchObject({ entries: [], scanned: 7 });
    expect(page.next).not.toBeNull();
  });

  it('reads the log as it goes, not all at once', async () => {
    let pulled = 0;
    const counting: EventStore = {
      ...t.store,
      readAll: (options) => {
        const inner = t.store.readAll(options);
        return (async function* () {
          for await (const event of inner) {
            pulled += 1;
            yield event;
          }
        })();
      },
    };
    const entries = ledgerEntries(counting);
    const first = await entries.next();
    expect(first.value).toMatchObject({ movement: 'envelope_voted' });
    expect(pulled).toBe(1);
    await entries.return(undefined);
  });

  it('writes the CSV: header, one record per entry, amounts in cents and in euros', async () => {
    const everything = await all(t.store);
    let csv = '';
    for await (const chunk of ledgerCsv(t.store)) csv += chunk;
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual([...ledgerCsvColumns]);
    expect(rows).toHaveLength(everything.length);
    for (const row of rows) expect(row).toHaveLength(ledgerCsvColumns.length);
    const col = (name: (typeof ledgerCsvColumns)[number]) => ledgerCsvColumns.indexOf(name);
    const late = rows.find(
      (r) => r[col('movement')] === 'position_committed' && r[col('funder')] === MAUBEUGE,
    );
    expect(late?.[col('amountCents')]).toBe('500000');
    expect(late?.[col('amount')]).toBe('5000.00');
    expect(late?.[col('movementLabel')]).toBe('engagement du financeur');
    expect(late?.[col('occurredAt')]).toBe(on('2027-04-10'));
    expect(late?.[col('actorInstitution')]).toBe(MAUBEUGE);
    const refusal = rows.find((r) => r[col('movement')] === 'position_declined');
    expect(refusal?.[col('amount')]).toBe('');

    let filtered = '';
    for await (const chunk of ledgerCsv(t.store, { funder: 'EPCI', campaign: '2027' })) filtered += chunk;
    const [, ...epci] = parseCsv(filtered);
    expect(epci.length).toBe(everything.filter((e) => e.funder === 'EPCI').length);
  });
});
