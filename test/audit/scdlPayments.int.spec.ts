// conditionsVersement and datesPeriodeVersement of the SCDL export for conventions whose payments
// did not go as scheduled: they are the convention's terms as signed (data of the convention,
// published within three months of its signature), so a balance cancelled because the advance
// already covered the spending, or a termination voiding what was still to pay, leaves a row already
// published as it was ('échelonné', the signature to the balance's planned day). And the beneficiary
// identifiers a validator of the schema refuses are pointed out.
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
  let terminated: ApplicationStory;
  let badKey: ApplicationStory;
  let rnaOnly: ApplicationStory;
  /** Recorded after the termination was (the world's clock is the business one: the same here). */
  let beforeTermination: string;

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

    terminated = annual(world, 'porteur-dissous', '2027-05-31');
    terminated.on('2027-05-02').signAll();
    beforeTermination = '2027-08-31T12:00:00.000Z';
    terminated.on('2027-09-01').terminate();
    expect(terminated.as('terminated').installments.map((i) => i.status)).toEqual(['ordered', 'cancelled']);

    const withPorteur = (porteur: { siret?: string; rna?: string }) => {
      const d = dossier(1, { ETAT: 1_000_000 }, 2_000_000);
      return { ...d, porteur: { name: d.porteur.name, contactRef: d.porteur.contactRef, ...porteur } };
    };
    badKey = world.application({ porteurId: 'porteur-cle-fausse' });
    rnaOnly = world.application({ porteurId: 'porteur-rna' });
    for (const [story, porteur] of [
      [badKey, { siret: '12345678900001' }],
      [rnaOnly, { rna: 'W593001234' }],
    ] as const) {
      story.on('2027-02-10').submit(withPorteur(porteur));
      story.on('2027-02-20').declareEligible('2027-04-10');
      story.on('2027-03-01').commit('ETAT').opinion();
      story.on('2027-04-15').approve();
      story.on('2027-04-20').draft('2027-01-01', '2027-05-31');
      story.on('2027-05-02').signAll();
    }
    await appendWorldEvents(t, world.events);
  });
  afterAll(() => t.close());

  const rowOf = (rows: ScdlRow[], story: ApplicationStory) =>
    rows.find((r) => r.applicationId === story.applicationId);

  it('keeps « échelonné » to the balance’s planned day when the balance was cancelled: the terms as signed', async () => {
    const { rows } = await scdlExport(t.store, { year: 2027 });
    // Year 1's report was due on 30 June 2028, the balance with it.
    expect(payment(rowOf(rows, underspent))).toEqual(['échelonné', '2027-05-02/2028-06-30']);
    // The award is still what the convention granted.
    expect(rowOf(rows, underspent)?.record.montant).toBe('10000.00');
  });

  it('dates the balance as planned when it was paid, not by the day it was ordered', async () => {
    const { rows } = await scdlExport(t.store, { year: 2027 });
    expect(payment(rowOf(rows, spentAll))).toEqual(['échelonné', '2027-05-02/2028-06-30']);
  });

  it('never dates a payment before the signature, even one whose report was due before it', async () => {
    const { rows } = await scdlExport(t.store, { year: 2028 });
    expect(payment(rowOf(rows, signedLate))).toEqual(['échelonné', '2028-08-01/2028-08-01']);
  });

  it('leaves a terminated convention’s row as it was published before the termination', async () => {
    const before = await scdlExport(t.store, { year: 2027, asOf: beforeTermination });
    const after = await scdlExport(t.store, { year: 2027 });
    expect(payment(rowOf(after.rows, terminated))).toEqual(['échelonné', '2027-05-02/2028-06-30']);
    expect(rowOf(after.rows, terminated)?.record).toEqual(rowOf(before.rows, terminated)?.record);
  });

  it('points out a beneficiary SIRET whose check digit fails, and a cash grant without a SIRET', async () => {
    const { rows, warnings } = await scdlExport(t.store, { year: 2027 });
    // The file keeps what the dossier gave.
    expect(rowOf(rows, badKey)?.record.idBeneficiaire).toBe('12345678900001');
    expect(rowOf(rows, rnaOnly)?.record).toMatchObject({ idBeneficiaire: '', rnaBeneficiaire: 'W593001234' });
    // The warnings follow the file's rows, whose order between two applications of one beneficiary
    // filed in the same millisecond is their ULIDs' random part: compared as a set.
    expect(warnings.filter((w) => w.startsWith('idBeneficiaire')).sort()).toEqual(
      [
        `idBeneficiaire « 12345678900001 » de « Association Sambre Avenir (fictive) » (candidature ${badKey.applicationId}) : ` +
          'la clé de contrôle de ce SIRET est fausse (un chiffre mal recopié au dépôt ?) ; un validateur du schéma ' +
          'refusera la ligne : demandez au porteur son SIRET exact.',
        `idBeneficiaire vide pour « Association Sambre Avenir (fictive) » (candidature ${rnaOnly.applicationId}), ` +
          'connu par son seul numéro RNA : le schéma ne permet d’omettre le SIRET que pour une aide en nature, or ' +
          'cette subvention est en numéraire : demandez son SIRET au porteur.',
      ].sort(),
    );
    // A SIRET whose key holds is said nothing of (the warnings above are the only ones of their kind).
  });
});
