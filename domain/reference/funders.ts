import { compareFunderIds, type FunderId, type InseeCode } from '../shared/funders';

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

/** Several funders named in a sentence, in the order people read them (the État first). */
export const funderNames = (ids: readonly FunderId[]): string =>
  [...ids].sort(compareFunderIds).map(funderName).join(', ');

/**
 * The funder with its article, as a sentence names it: « l'État », « la Région », « le
 * Département », « la Caisse d'allocations familiales », « l'intercommunalité (EPCI) », « la
 * commune de Maubeuge ». Lower case: capitalise at the start of a sentence.
 */
export function theFunder(id: FunderId): string {
  switch (id) {
    case 'ETAT':
      return "l'État";
    case 'REGION':
      return 'la Région';
    case 'DEPARTEMENT':
      return 'le Département';
    case 'CAF':
      return "la Caisse d'allocations familiales";
    case 'EPCI':
      return "l'intercommunalité (EPCI)";
    default:
      return `la ${funderName(id).replace(/^Commune/, 'commune')}`;
  }
}

/** « de l'État », « du Département », « de la Région »…: the funder after « de ». */
export function ofTheFunder(id: FunderId): string {
  const the = theFunder(id);
  return the.startsWith('le ') ? `du ${the.slice(3)}` : `de ${the}`;
}

/** « à l'État », « au Département », « à la Région »…: the funder after « à ». */
export function toTheFunder(id: FunderId): string {
  const the = theFunder(id);
  return the.startsWith('le ') ? `au ${the.slice(3)}` : `à ${the}`;
}

/** A sentence's first word in upper case. */
export const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
