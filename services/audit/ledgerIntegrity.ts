// What a ledger answer (JSON, CSV, SCDL) says of the log it was read from: the engine's last
// verification of the whole log (integrityWatch.ts), since one per page would read the whole log.
import type { IntegrityReport } from '../../infra/eventstore/integrity';
import { frenchInstant } from './asOf';
import { integritySummary } from './integrity';

/** The last verdict, as answers carry it; an alteration found is said beside the figures, which may carry it. */
export interface LedgerIntegrityJson {
  verdict: 'intact' | 'altéré' | 'pas encore vérifié' | 'non suivi';
  /** When the last verification of the whole log ended; null before the first (or without a watch). */
  checkedAt: string | null;
  /** Only when altered: what was found, and what to do. */
  warning?: string;
}

export function ledgerIntegrityJson(
  last: { checkedAt: Date; report: IntegrityReport } | undefined,
  watched: boolean,
): LedgerIntegrityJson {
  if (!watched) return { verdict: 'non suivi', checkedAt: null };
  if (last === undefined) return { verdict: 'pas encore vérifié', checkedAt: null };
  const checkedAt = last.checkedAt.toISOString();
  if (last.report.ok) return { verdict: 'intact', checkedAt };
  return {
    verdict: 'altéré',
    checkedAt,
    warning:
      `La dernière vérification du journal entier (${frenchInstant(checkedAt)}) l’a trouvé altéré : ` +
      `${integritySummary(last.report)} Les montants lus dans ce journal peuvent avoir été modifiés : ` +
      'n’en publiez rien avant d’avoir vérifié le journal (POST /api/audit/verify) et établi ce qui a changé.',
  };
}

const headerVerdicts: Record<LedgerIntegrityJson['verdict'], string> = {
  intact: 'intact',
  altéré: 'altered',
  'pas encore vérifié': 'unchecked',
  'non suivi': 'unwatched',
};

/** Its header (Grants-Log-Integrity) on the CSV files, whose body stays plain CSV: `altered; 2026-11-28T…Z`. */
export const LEDGER_INTEGRITY_HEADER = 'Grants-Log-Integrity';
export const ledgerIntegrityHeader = (integrity: LedgerIntegrityJson): string =>
  integrity.checkedAt === null
    ? headerVerdicts[integrity.verdict]
    : `${headerVerdicts[integrity.verdict]}; checked-at=${integrity.checkedAt}`;
