// Checks on entry of a dossier (submission, or a dossier amended while answering complements).
import { funderName, funderNames } from '../reference/funders';
import { atField, domainError, type DomainError } from '../shared/errors';
import { formatEuros, sumCents } from '../shared/money';
import type { Dossier } from './dossier';

export interface DossierContext {
  /** Codes accepted at all; others are refused as unknown. */
  knownQpvCodes: readonly string[];
  /** Funders taking part in the campaign. */
  funders: readonly string[];
  /** Refuse a quartier named twice (rule revision distinctQuartiers; dossiers filed before may repeat one). */
  distinctQuartiers: boolean;
}

/** The dossier's first problem, its field named within the dossier (`['budget', 0, 'requested']`). */
export function dossierProblem(dossier: Dossier, context: DossierContext): DomainError | undefined {
  const years = dossier.budget.map((b) => b.year).sort((a, b) => a - b);
  const expected = Array.from({ length: dossier.durationYears }, (_, i) => i + 1);
  if (years.length !== expected.length || years.some((y, i) => y !== expected[i])) {
    return atField(
      domainError(
        'BUDGET_YEARS_MISMATCH',
        `Le budget doit compter une ligne par année de l'action, de 1 à ${dossier.durationYears} ; il couvre les années ${years.join(', ')}. Ajoutez ou retirez des années, ou corrigez la durée.`,
        { budgetYears: years, durationYears: dossier.durationYears },
      ),
      'budget',
    );
  }
  const codes = dossier.action.qpvCodes;
  const repeatedAt = codes.findIndex((c, i) => codes.indexOf(c) !== i);
  const repeated = codes[repeatedAt];
  if (context.distinctQuartiers && repeated !== undefined) {
    return atField(
      domainError(
        'DUPLICATE_QPV',
        `Le quartier ${repeated} est indiqué deux fois : nommez chaque quartier visé une seule fois.`,
        { qpvCode: repeated },
      ),
      'action',
      'qpvCodes',
      repeatedAt,
    );
  }
  const unknown = codes.filter((c) => !context.knownQpvCodes.includes(c));
  const firstUnknown = unknown[0];
  if (firstUnknown !== undefined) {
    return atField(
      domainError(
        'UNKNOWN_QPV',
        `${unknown.length === 1 ? 'Quartier prioritaire inconnu' : 'Quartiers prioritaires inconnus'} : ${unknown.join(', ')}. Choisissez parmi les QPV de la liste de référence (${context.knownQpvCodes.slice(0, 12).join(', ')}${context.knownQpvCodes.length > 12 ? '…' : ''}).`,
        { unknownQpvCodes: unknown },
      ),
      'action',
      'qpvCodes',
      codes.indexOf(firstUnknown),
    );
  }
  for (const [index, line] of dossier.budget.entries()) {
    const funders = line.requested.map((r) => r.funder);
    const foreign = funders.filter((f) => !context.funders.includes(f));
    const firstForeign = foreign[0];
    if (firstForeign !== undefined) {
      return atField(
        domainError(
          'UNKNOWN_FUNDER',
          `Année ${line.year} : ${funderNames(foreign)} ${foreign.length > 1 ? 'ne participent' : 'ne participe'} pas à cette campagne. Financeurs possibles : ${funderNames(context.funders)}.`,
          { unknownFunders: foreign },
        ),
        'budget',
        index,
        'requested',
        funders.indexOf(firstForeign),
        'funder',
      );
    }
    const duplicateAt = funders.findIndex((f, i) => funders.indexOf(f) !== i);
    const duplicate = funders[duplicateAt];
    if (duplicate !== undefined) {
      return atField(
        domainError(
          'DUPLICATE_FUNDER',
          `Année ${line.year} : ${funderName(duplicate)} apparaît deux fois ; regroupez la demande sur une seule ligne.`,
        ),
        'budget',
        index,
        'requested',
        duplicateAt,
        'funder',
      );
    }
    const requested = sumCents(line.requested.map((r) => r.amountCents));
    if (requested > line.totalCostCents) {
      return atField(
        domainError(
          'REQUESTED_EXCEEDS_COST',
          `Année ${line.year} : ${formatEuros(requested)} demandés pour un coût total de ${formatEuros(line.totalCostCents)}. La demande ne peut pas dépasser le coût de l'action.`,
          { year: line.year, requestedCents: requested, totalCostCents: line.totalCostCents },
        ),
        'budget',
        index,
        'requested',
      );
    }
    const resources = requested + line.otherResourcesCents;
    if (resources !== line.totalCostCents) {
      return atField(
        domainError(
          'UNBALANCED_BUDGET',
          `Année ${line.year} : budget non équilibré — coût total ${formatEuros(line.totalCostCents)}, ressources ${formatEuros(resources)} (demandes ${formatEuros(requested)} + autres ressources ${formatEuros(line.otherResourcesCents)}). Ajustez les autres ressources ou le coût pour qu'ils soient égaux.`,
          { year: line.year, totalCostCents: line.totalCostCents, resourcesCents: resources },
        ),
        'budget',
        index,
        'otherResourcesCents',
      );
    }
  }
  const total = sumCents(dossier.budget.flatMap((b) => b.requested.map((r) => r.amountCents)));
  if (total === 0) {
    return atField(
      domainError(
        'NOTHING_REQUESTED',
        "Aucun montant n'est demandé aux financeurs : indiquez au moins une demande pour une année.",
      ),
      'budget',
    );
  }
  return undefined;
}

/**
 * A porteur whose account carries its organisation's SIRET or RNA files in that name only: the
 * dossier must carry the same identifier (a porteur could otherwise apply, and be paid, as another
 * association). Accounts without them (development tokens) are not checked.
 */
export function porteurIdentityProblem(
  porteur: Dossier['porteur'],
  actor: { siret?: string | undefined; rna?: string | undefined },
): DomainError | undefined {
  const mismatch = (label: 'SIRET' | 'RNA', account: string, filed: string | undefined) =>
    atField(
      domainError(
        'PORTEUR_IDENTITY_MISMATCH',
        `Le dossier est au nom d'une autre structure : ${label} ${filed ?? 'absent'} au lieu de ${account}, celui de la structure de votre compte. Déposez au nom de votre structure, ou connectez-vous avec le compte de l'autre.`,
        { field: label, account, filed: filed ?? null },
      ),
      'porteur',
      label === 'SIRET' ? 'siret' : 'rna',
    );
  if (actor.siret !== undefined && porteur.siret !== actor.siret)
    return mismatch('SIRET', actor.siret, porteur.siret);
  if (actor.rna !== undefined && porteur.rna !== actor.rna) return mismatch('RNA', actor.rna, porteur.rna);
  return undefined;
}
