// The integrity check as auditors read it: the store's verifier (infra/eventstore/integrity.ts),
// its verdict said in French and shaped for JSON.
import { formatCount } from '../../infra/projections/progress';
import type { LogDigest } from '../../infra/eventstore/anchor';
import type {
  IntegrityFailure,
  IntegrityFailureReason,
  IntegrityReport,
} from '../../infra/eventstore/integrity';

export const integrityReasonLabels: Record<IntegrityFailureReason, string> = {
  hash_mismatch: 'contenu modifié (l’empreinte recalculée ne correspond plus)',
  chain_broken: 'chaînage rompu (un événement a été supprimé, inséré ou remplacé)',
  revision_gap: 'révisions non consécutives (un événement a été supprimé ou renuméroté)',
  malformed: 'métadonnées illisibles',
};

/** The same, in a word or two, for the other broken streams of a summary. */
const integrityReasonShort: Record<IntegrityFailureReason, string> = {
  hash_mismatch: 'contenu modifié',
  chain_broken: 'chaînage rompu',
  revision_gap: 'révisions non consécutives',
  malformed: 'métadonnées illisibles',
};

/** Broken streams named in a summary besides the first; the JSON report lists more. */
const OTHERS_SAID = 10;

const plural = (n: number, word: string): string => `${formatCount(n)} ${word}${n > 1 ? 's' : ''}`;

/**
 * For people: what was checked and, when something broke, how many streams broke, the first broken
 * event in full, the next few streams briefly, and how many events were left unchecked after their
 * stream's break.
 */
export function integritySummary(report: IntegrityReport, stream?: string): string {
  const scope = stream === undefined ? 'le journal entier' : `le flux ${stream}`;
  const first = report.firstBroken;
  if (report.ok || first === undefined) {
    return `Intégrité vérifiée sur ${scope} : ${plural(report.checked, 'événement')}, aucune altération.`;
  }
  const streams = report.brokenStreams;
  const sentences = [
    `Altération détectée dans ${scope} : ` +
      (streams > 1 ? `${formatCount(streams)} flux altérés. Le premier : ` : '') +
      `flux ${first.stream}, révision ${first.revision} (position ${first.position}, événement ${first.eventId}) — ` +
      `${integrityReasonLabels[first.reason]} ; ${first.detail}.`,
  ];
  const others = report.broken.slice(1, 1 + OTHERS_SAID);
  if (others.length > 0) {
    const rest = streams - 1 - others.length;
    sentences.push(
      `Autres flux altérés : ${others
        .map((b) => `${b.stream} (révision ${b.revision}, ${integrityReasonShort[b.reason]})`)
        .join(' ; ')}${rest > 0 ? ` ; et ${plural(rest, 'autre')}` : ''}.`,
    );
  }
  sentences.push(
    `${plural(report.checked, 'événement')} vérifié${report.checked > 1 ? 's' : ''}` +
      (report.unchecked === 0
        ? ''
        : report.unchecked === 1
          ? ' ; 1 non vérifié : il suit la première altération de son flux, dont le chaînage n’est plus une référence sûre'
          : ` ; ${formatCount(report.unchecked)} non vérifiés : ils suivent la première altération de leur flux, ` +
            'dont le chaînage n’est plus une référence sûre') +
      '.',
  );
  return sentences.join(' ');
}

/**
 * What to do once the log is found altered, for whoever reads the verdict (an auditor, the
 * operator on call): keep the evidence, find what was rewritten, read the history, report it.
 */
export function integrityNextSteps(report: IntegrityReport): string[] {
  const first = report.firstBroken;
  if (report.ok || first === undefined) return [];
  return [
    'Ne rien corriger dans le fichier du journal : une correction se fait par un nouvel événement, et le fichier altéré est la pièce à examiner.',
    'En garder une copie en l’état, datée : grants backup (la copie d’un journal altéré est gardée et signalée comme telle).',
    'Voir ce qui a été réécrit en comparant à la dernière sauvegarde saine : grants audit verify --against <dossier de la sauvegarde>.',
    `Lire l’historique du flux ${first.stream} autour de la révision ${first.revision} : GET /api/audit/streams/${first.stream}/events (ou la page Audit de la console).`,
    'Signaler l’incident au responsable de la sécurité des systèmes d’information et à l’autorité de gestion, avec ce rapport.',
  ];
}

export interface IntegrityFailureJson {
  stream: string;
  revision: string;
  position: string;
  eventId: string;
  reason: IntegrityFailureReason;
  detail: string;
}

export interface IntegrityReportJson {
  ok: boolean;
  checked: number;
  unchecked: number;
  firstBroken?: IntegrityFailureJson;
  broken: IntegrityFailureJson[];
  brokenStreams: number;
  summary: string;
  /** When something broke: what to do, in order (integrityNextSteps). */
  nextSteps?: string[];
}

const failureJson = (failure: IntegrityFailure): IntegrityFailureJson => ({
  stream: failure.stream,
  revision: String(failure.revision),
  position: String(failure.position),
  eventId: failure.eventId,
  reason: failure.reason,
  detail: failure.detail,
});

export function integrityReportJson(report: IntegrityReport, stream?: string): IntegrityReportJson {
  return {
    ok: report.ok,
    checked: report.checked,
    unchecked: report.unchecked,
    ...(report.firstBroken === undefined ? {} : { firstBroken: failureJson(report.firstBroken) }),
    broken: report.broken.map(failureJson),
    brokenStreams: report.brokenStreams,
    summary: integritySummary(report, stream),
    ...(report.ok ? {} : { nextSteps: integrityNextSteps(report) }),
  };
}

/**
 * The digest said for people; when some events no longer hash to their stored hash, it says that
 * this is the digest of an altered log, where the first such event is, and what to run next.
 */
export function digestSummary(result: LogDigest): string {
  const line = `Empreinte du journal jusqu’à la position ${result.upTo} (${formatCount(result.events)} événement${result.events > 1 ? 's' : ''}) : ${result.digest}`;
  const first = result.firstMismatch;
  if (first === undefined) return line;
  return (
    `${line}\nAttention : c’est l’empreinte d’un journal altéré — ${formatCount(result.mismatches)} ` +
    (result.mismatches > 1
      ? 'événements n’ont plus l’empreinte de leur contenu, le premier '
      : 'événement n’a plus l’empreinte de son contenu, ') +
    `à la position ${first.position} (flux ${first.stream}, révision ${first.revision}, événement ${first.id}). ` +
    'Lancez grants audit verify pour le détail, et ne notez pas cette empreinte comme référence.'
  );
}
