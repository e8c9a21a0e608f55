import type { FunderId, InseeCode } from '../shared/funders';

export interface FunderReference {
  id: FunderId;
  name: string;
  /** What funds it usually brings to the contrat de ville. */
  description: string;
}

export const institutionalFunderReferences: readonly FunderReference[] = [
  { id: 'ETAT', name: 'État', description: 'Crédits du programme 147 « Politique de la ville »' },
  { id: 'REGION', name: 'Région', description: 'Conseil régional' },
  { id: 'DEPARTEMENT', name: 'Département', description: 'Conseil départemental' },
  { id: 'CAF', name: "Caisse d'allocations familiales", description: 'CAF du département' },
  {
    id: 'EPCI',
    name: 'Intercommunalité (EPCI)',
    description: "L'agglomération porteuse du contrat de ville",
  },
];

/** Communes whose INSEE codes are attested in the project's domain notes (DOMAIN.md). */
export const knownCommunes: Readonly<Record<InseeCode, string>> = {
  '59392': 'Maubeuge',
  '59365': 'Louvroil',
};

/** The French name shown to people, for any funder id. */
export function funderName(id: FunderId): string {
  const institutional = institutionalFunderReferences.find((f) => f.id === id);
  if (institutional) return institutional.name;
  const insee = id.slice('COMMUNE-'.length);
  const commune = knownCommunes[insee];
  return commune ? `Commune de ${commune}` : `Commune (INSEE ${insee})`;
}
