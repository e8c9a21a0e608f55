// The funders a waiting label names (« Position attendue : … », « Signatures attendues : … ») come in
// the one order every list shows them in — the institutions as the domain lists them
// (institutionalFunders: État, Région, Département, CAF, EPCI), then the communes by INSEE code —
// whatever order the dossier asked them in. Events from the real deciders, projected through the
// runtime's dispatch, the row read back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { institutionalFunders, type FunderId } from '../../domain';
import { getApplication } from '../../services/readModels';
import { dossier, MAUBEUGE } from '../domain/support/fixtures';
import { historyLog, openReadModels, type ReadModels } from './support/readModels';
import { GrantsWorld, type ApplicationStory } from './support/world';

const LOUVROIL: FunderId = 'COMMUNE-59365';
let world: GrantsWorld;
let rm: ReadModels;

beforeEach(() => {
  world = new GrantsWorld().openCampaign({
    envelopes: Object.fromEntries(
      [...institutionalFunders, MAUBEUGE, LOUVROIL].map((f) => [f, 5_000_000_000]),
    ),
  });
  rm = openReadModels();
});
afterEach(() => rm.close());

async function waitingFor(story: ApplicationStory): Promise<string | null> {
  await rm.catchUp(world.events);
  const detail = await getApplication(rm.db, historyLog(world.events), story.applicationId);
  if (detail === undefined) throw new Error(`candidature ${story.applicationId} absente des vues`);
  return detail.waitingFor;
}

describe('the funders a waiting label names', () => {
  it('come État, Région, Département, CAF, EPCI, then the communes by INSEE code, not in the dossier’s order', async () => {
    const story = world.application();
    // Asked in an order of no rule: communes first (Maubeuge 59392 before Louvroil 59365), the EPCI
    // before the CAF, the État after them.
    story.submit(
      dossier(1, {
        [MAUBEUGE]: 200_000,
        [LOUVROIL]: 100_000,
        EPCI: 300_000,
        CAF: 200_000,
        ETAT: 500_000,
        DEPARTEMENT: 200_000,
      }),
    );
    story.on('2027-02-20').declareEligible('2027-04-10');
    expect(await waitingFor(story)).toBe(
      "Position attendue : État, Département, Caisse d'allocations familiales, Intercommunalité (EPCI), " +
        'Commune de Louvroil, Commune de Maubeuge ; Avis du conseil citoyen attendu',
    );

    // Those who spoke leave the list; the others keep their order.
    story.on('2027-03-01').commit('ETAT').commit(MAUBEUGE);
    expect(await waitingFor(story)).toBe(
      "Position attendue : Département, Caisse d'allocations familiales, Intercommunalité (EPCI), " +
        'Commune de Louvroil ; Avis du conseil citoyen attendu',
    );

    story.commit('EPCI').commit('CAF').commit('DEPARTEMENT').commit(LOUVROIL).opinion('favourable');
    story.on('2027-03-20').approve();
    story.draft('2027-01-01', '2027-04-30');
    expect(await waitingFor(story)).toBe(
      "Signatures attendues : le porteur, État, Département, Caisse d'allocations familiales, " +
        'Intercommunalité (EPCI), Commune de Louvroil, Commune de Maubeuge',
    );

    story.on('2027-04-02').signByPorteur().signByFunder('EPCI').signByFunder(LOUVROIL);
    expect(await waitingFor(story)).toBe(
      "Signatures attendues : État, Département, Caisse d'allocations familiales, Commune de Maubeuge",
    );
  });
});
