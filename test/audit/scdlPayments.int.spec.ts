// conditionsVersement and datesPeriodeVersement of the SCDL export for conventions whose payments
// did not go as scheduled: a balance cancelled because the advance already covered the spending is
// not a payment, so the subsidy was paid once ('unique', on that day), even when the cancelled
// balance's report deadline fell before the convention was signed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scdlExport, type ScdlRow } from '../../services/audit/scdl';
import { dossier } from '../domain/support/fixtures';
import { GrantsWorld, type ApplicationStory } from '../readModels/support/world';
import { openTestStore, type TestStore } from './support';
import { appendWorldEvents } from './worldStore';

/** A one-year convention with the État: 10 000 €, half at signature, the balance after the report. */
function annual(
  world: GrantsWorld,
  porteurId: string,
  signatureDueDate: string,
  draftedOn = '2027-04-20',
): ApplicationStory {
  const story = world.application({ porteurId });
  story.on('2027-02-10').submit(dossier(1, { ETAT: 1_000_000 }, 2_000_000));
  story.on('2027-02-20').declareEligible('2027-04-10');
  story.on('2027-03-01').commit('ETAT').opinion();
  story.on('2027-04-15').approve();
  story.on(draftedOn).draft('2027-01-01', signatureDueDate);
  return story;
}

/** Files and accepts the year's report, having spent `spent` of the État's money, then closes. */
function reportAndClose(story: ApplicationStory, on: string, spent: number): void {
  story.on(on).submitReport(1, { ETAT: spent });
  story.acceptReport(1).close();
}

const payment = (row: ScdlRow | undefined) =>
  row === undefined ? undefined : [row.record.conditionsVersement, row.record.datesPeriodeVersement];

describe('SCDL payment terms of closed conventions', () => {
  let t: TestStore;
  let underspent: ApplicationStory;
  let spentAll: ApplicationStory;
  let signedLate: ApplicationStory;

  beforeAll(async () => {
    t = openTestStore();
    const world = new GrantsWorld().openCampaign();
    underspent = annual(world, 'porteur-sobre', '2027-05-31');
    underspent.on('2027-05-02').signAll();
    spentAll = annual(world, 'porteur-complet', '2027-05-31');
    spentAll.on('2027-05-02').signAll();
    // Signed long after year 1 ended: its report was due on 30 June 2028, before the signature
    // (drafted in the autumn: a signature deadline lies within a year of the drafting).
    signedLate = annual(world, 'porteur-tardif', '2028-09-30', '2027-10-01');
    signedLate.on('2028-08-01').signAll();

    // Spent 4 000 € of a 5 000 € advance: the balance is cancelled and 1 000 € recovered.
    reportAndClose(underspent, '2028-02-01', 400_000);
    reportAndClose(spentAll, '2028-02-01', 1_000_000);
    reportAndClose(signedLate, '2028-08-20', 500_000);
    for (const story of [underspent, signedLate])
      expect(story.as('closed').installments.map((i) => i.status)).toEqual(['ordered', 'cancelled']);
    expect(spentAll.as('closed').installments.map((i) => i.status)).toEqual(['ordered', 'ordered']);
    await appendWorldEvents(t, world.events);
  });
  afterAll(() => t.close());

  const rowOf = (rows: ScdlRow[], story: ApplicationStory) =>
    rows.find((r) => r.applicationId === story.applicationId);

  it('pays once when the balance was cancelled: « unique », on the day of the advance', async () => {
    const { rows } = await scdlExport(t.store, { year: 2027 });
    expect(payment(rowOf(rows, underspent))).toEqual(['unique', '2027-05-02']);
    // The award is still what the convention granted.
    expect(rowOf(rows, underspent)?.record.montant).toBe('10000.00');
  });

  it('keeps « échelonné » from the signature to the balance actually ordered when both were paid', async () => {
    const { rows } = await scdlExport(t.store, { year: 2027 });
    expect(payment(rowOf(rows, spentAll))).toEqual(['échelonné', '2027-05-02/2028-02-01']);
  });

  it('never dates a payment from a cancelled installment, even one due before the signature', async () => {
    const { rows } = await scdlExport(t.store, { year: 2028 });
    expect(payment(rowOf(rows, signedLate))).toEqual(['unique', '2028-08-01']);
  });
});
