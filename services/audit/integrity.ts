// The integrity check as auditors read it: the store's verifier (infra/eventstore/integrity.ts),
// its verdict said in French and shaped for JSON.
import { formatCount } from '../../infra/projections/progress';
import type { LogDigest } from '../../infra/eventstore/anchor';
import type { IntegrityFailureReason, IntegrityReport } from '../../infra/eventstore/integrity';

export const integrityReasonLabels: Record<IntegrityFailureReason, string> = {
  hash_mismatch: 'contenu modifié (l’empreinte recalculée ne correspond plus)',
  chain_broken: 'chaînage rompu (un événement a été supprimé, inséré ou remplacé)',
  revision_gap: 'révisions non consécutives (un événement a été supprimé ou renuméroté)',
  malformed: 'métadonnées illisibles',
};

/** One sentence for people: what was checked and, when something broke, the first broken event. */
export function integritySummary(report: IntegrityReport, stream?: string): string {
  const scope = stream === undefined ? 'le journal entier' : `le flux ${stream}`;
  const checked = `${formatCount(report.checked)} événement${report.checked > 1 ? 's' : ''}`;
  const broken = report.firstBroken;
  if (report.ok || broken === undefined) {
    return `Intégrité vérifiée sur ${scope} : ${checked}, aucune altération.`;
  }
  return (
    `Altération détectée dans ${scope} après ${checked} : flux ${broken.stream}, révision ${broken.revision} ` +
    `(position ${broken.position}, événement ${broken.eventId}) — ${integrityReasonLabels[broken.reason]} ; ${broken.detail}.`
  );
}

export interface IntegrityReportJson {
  ok: boolean;
  checked: number;
  firstBroken?: {
    stream: string;
    revision: string;
    position: string;
    eventId: string;
    reason: IntegrityFailureReason;
    detail: string;
  };
  summary: string;
}

export function integrityReportJson(report: IntegrityReport, stream?: string): IntegrityReportJson {
  const broken = report.firstBroken;
  return {
    ok: report.ok,
    checked: report.checked,
    ...(broken === undefined
      ? {}
      : {
          firstBroken: {
            stream: broken.stream,
            revision: String(broken.revision),
            position: String(broken.position),
            eventId: broken.eventId,
            reason: broken.reason,
            detail: broken.detail,
          },
        }),
    summary: integritySummary(report, stream),
  };
}

/**
 * The digest said for people; when some events no longer hash to their stored hash, it says that
 * this is the digest of an altered log, where the first such event is, and what to run next.
 */
export function digestSummary(result: LogDigest): string {
  const line = `Empreinte du journal jusqu’à la position ${result.upTo} (${formatCount(result.events)} événements) : ${result.digest}`;
  const first = result.firstMismatch;
  if (first === undefined) return line;
  return (
    `${line}\nAttention : c’est l’empreinte d’un journal altéré — ${formatCount(result.mismatches)} ` +
    `événement${result.mismatches > 1 ? 's n’ont' : ' n’a'} plus l’empreinte de leur contenu, le premier ` +
    `à la position ${first.position} (flux ${first.stream}, révision ${first.revision}, événement ${first.id}). ` +
    'Lancez grants audit verify pour le détail, et ne notez pas cette empreinte comme référence.'
  );
}
