// The integrity check as auditors read it: the store's verifier (infra/eventstore/integrity.ts),
// its verdict said in French and shaped for JSON.
import { formatCount } from '../../infra/projections/progress';
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
