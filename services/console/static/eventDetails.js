// What an application's event says, in a line of French: the timeline's « Détail » column, so that an
// auditor or a grant manager reads who was given how much, why and until when, not only the
// event's name. No imports: the unit tests load this file in Node (test/console/eventDetails.unit.spec.ts)
// over events made by the domain's own decider; the browser through pages.js, which hands it the
// console's formatters (money, dates, funders' names).
//
// A line, not the event: free texts (reasons, comments, a report's narrative) are cut at
// TEXT_EXCERPT characters, lists at a few items; the event's data itself is shown whole beside it.

export const eventLabels = {
  ApplicationSubmitted: 'Dépôt de la candidature',
  ApplicationDeclaredEligible: 'Déclarée recevable',
  ApplicationDeclaredIneligible: 'Déclarée irrecevable',
  ComplementsRequested: 'Compléments demandés',
  ComplementsProvided: 'Compléments fournis',
  ComplementsDeadlineMissed: 'Compléments non fournis à temps',
  FunderPositionRecorded: 'Position d’un financeur',
  CitizenOpinionGiven: 'Avis du conseil citoyen',
  SilentFundersLapsed: 'Financeurs silencieux',
  CommitteeApprovalRecorded: 'Approbation du comité de pilotage',
  CommitteeRejectionRecorded: 'Rejet du comité de pilotage',
  ConventionDrafted: 'Convention rédigée',
  ConventionSigned: 'Convention signée',
  ConventionEnteredIntoForce: 'Convention en vigueur',
  ConventionLapsed: 'Convention caduque',
  YearlyReportRequested: 'Compte rendu attendu',
  YearlyReportReminderSent: 'Rappel du compte rendu',
  YearlyReportMarkedOverdue: 'Compte rendu en retard',
  YearlyReportSubmitted: 'Compte rendu déposé',
  YearlyReportChangesRequested: 'Corrections du compte rendu demandées',
  YearlyReportAccepted: 'Compte rendu accepté',
  PaymentOrdered: 'Versement ordonné',
  InstallmentCancelled: 'Échéance annulée',
  RecoveryOrdered: 'Reversement ordonné',
  ApplicationClosed: 'Dossier clôturé',
  ConventionTerminated: 'Convention résiliée',
  ApplicationWithdrawn: 'Candidature retirée',
};

export const opinionLabels = { favourable: 'Favorable', reserved: 'Réservé', unfavourable: 'Défavorable' };

export const recoveryReasons = {
  unspent: 'sommes versées non dépensées',
  termination: 'résiliation de la convention',
};

export const terminationLabels = {
  breach: 'manquement du porteur',
  porteur_dissolved: 'dissolution du porteur',
  mutual_agreement: 'accord des parties',
};

/** The longest part of a free text a detail line shows. */
export const TEXT_EXCERPT = 160;
/** The most items of a list (reasons, pieces asked for) a detail line names. */
const LIST_EXCERPT = 3;

/**
 * @typedef {{
 *   money: (cents: number) => string,
 *   date: (civilDateOrInstant: string) => string,
 *   funder: (funderId: string) => string,
 *   theFunder: (funderId: string) => string,
 *   compareFunders: (a: string, b: string) => number,
 *   plural: (n: number, singular: string, plural?: string) => string,
 * }} Words
 * The console's formatters and order (lib.js): « 12 000,00 € », « 31 janvier 2027 », « État »,
 * « l’État », the État first then the Région… whatever order an event lists its funders in, and
 * « 1 pièce jointe », « 1 515 bénéficiaires ».
 */

/** A free text cut to TEXT_EXCERPT characters, on one line. */
export function excerpt(text) {
  const line = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length <= TEXT_EXCERPT ? line : `${line.slice(0, TEXT_EXCERPT - 1).trimEnd()}…`;
}

/** « a ; b ; c » and « (+ 2 autres) » beyond LIST_EXCERPT items. */
function listExcerpt(words, items) {
  const shown = items.slice(0, LIST_EXCERPT).map(excerpt).join(' ; ');
  const more = items.length - LIST_EXCERPT;
  return more > 0 ? `${shown} (+ ${words.plural(more, 'autre')})` : shown;
}

const sum = (items) => items.reduce((total, item) => total + item.amountCents, 0);
const capitalised = (text) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
/** Funder ids in the console's order. */
const funders = (words, ids) => [...ids].sort(words.compareFunders);
/** « le porteur », « l’État », in the console's order (the porteur first). */
const signatoriesOf = (words, list) =>
  [
    ...list.filter((s) => s.kind === 'porteur').map(() => 'le porteur'),
    ...funders(
      words,
      list.filter((s) => s.kind === 'funder').map((s) => s.funder),
    ).map(words.theFunder),
  ].join(', ');
/** « État 20 000,00 € ; CAF 5 000,00 € »: amounts added up per funder, in the console's order. */
function perFunder(words, lines) {
  const totals = new Map();
  for (const l of lines) totals.set(l.funder, (totals.get(l.funder) ?? 0) + l.amountCents);
  return funders(words, totals.keys())
    .map((f) => `${words.funder(f)} ${words.money(totals.get(f))}`)
    .join(' ; ');
}
/** « n° 2 », the number never alone at the start of a line. */
const numbered = (n) => `n\u00b0\u00a0${n}`;
/** « année 1 : 10 000,00 € ; année 2 : 5 000,00 € » */
const perYear = (words, amounts) =>
  amounts.map((a) => `année ${a.year} : ${words.money(a.amountCents)}`).join(' ; ');
/** A yearly report's year and its due date (asked for, then reminded). */
const reportDue = (d, w) => sentences(`Année ${d.year}, à déposer au plus tard le ${w.date(d.dueDate)}`);
/** Sentences joined, each ended once. */
const sentences = (...parts) =>
  parts
    .filter((p) => p !== undefined && p !== null && p !== '')
    .map((p) => (/[.!?…]$/.test(p) ? p : `${p}.`))
    .join(' ');

/** @type {Record<string, (data: any, words: Words) => string>} */
const details = {
  ApplicationSubmitted: (d, w) => {
    const requested = d.dossier.budget.flatMap((b) => b.requested);
    return sentences(
      `«\u00a0${excerpt(d.dossier.action.title)}\u00a0» : ${w.money(sum(requested))} demandés sur ${w.plural(d.dossier.durationYears, 'an')} (${perFunder(w, requested)})`,
      `Quartiers : ${d.dossier.action.qpvCodes.join(', ')}`,
    );
  },
  ApplicationDeclaredEligible: (d, w) =>
    sentences(
      `Financeurs sollicités : ${funders(w, d.solicitedFunders).map(w.funder).join(', ')}`,
      `Positions et avis attendus au plus tard le ${w.date(d.coDecisionDueDate)}`,
      d.justification ? `Justification : ${excerpt(d.justification)}` : undefined,
    ),
  ApplicationDeclaredIneligible: (d, w) => sentences(`Motifs : ${listExcerpt(w, d.reasons)}`),
  ComplementsRequested: (d, w) =>
    sentences(
      `Demande ${numbered(d.requestNumber)} : ${listExcerpt(w, d.items)}`,
      `Réponse attendue au plus tard le ${w.date(d.dueDate)}`,
    ),
  ComplementsProvided: (d, w) =>
    sentences(
      `Réponse à la demande ${numbered(d.requestNumber)} : ${excerpt(d.response)}`,
      d.documentRefs.length > 0
        ? w.plural(d.documentRefs.length, 'pièce jointe', 'pièces jointes')
        : undefined,
      d.amendedDossier ? 'Dossier modifié' : undefined,
    ),
  ComplementsDeadlineMissed: (d, w) =>
    sentences(
      `Demande ${numbered(d.requestNumber)} restée sans réponse au ${w.date(d.dueDate)} : candidature irrecevable`,
    ),
  FunderPositionRecorded: (d, w) => {
    const p = d.position;
    const reference = p.decisionReference ? `Décision : ${excerpt(p.decisionReference)}` : undefined;
    return p.decision === 'committed'
      ? sentences(
          `${capitalised(w.theFunder(d.funder))} s’engage pour ${w.money(sum(p.amountsByYear))} (${perYear(w, p.amountsByYear)})`,
          p.conditions ? `Conditions : ${excerpt(p.conditions)}` : undefined,
          reference,
        )
      : sentences(`${capitalised(w.theFunder(d.funder))} décline : ${excerpt(p.reason)}`, reference);
  },
  CitizenOpinionGiven: (d) => sentences(`${opinionLabels[d.opinion] ?? d.opinion} : ${excerpt(d.comment)}`),
  SilentFundersLapsed: (d, w) =>
    sentences(
      d.funders.length > 0
        ? `Sans position au ${w.date(d.dueDate)}, comptés comme déclinant : ${funders(w, d.funders).map(w.funder).join(', ')}`
        : `Date limite du ${w.date(d.dueDate)} passée`,
      d.citizenOpinionMissing ? 'Avis du conseil citoyen non donné' : undefined,
    ),
  CommitteeApprovalRecorded: (d, w) =>
    sentences(
      `Décision ${excerpt(d.decisionReference)} du ${w.date(d.decisionDate)} : ${w.money(sum(d.plan))} (${perFunder(w, d.plan)})`,
    ),
  CommitteeRejectionRecorded: (d, w) =>
    sentences(
      `Décision ${excerpt(d.decisionReference)} du ${w.date(d.decisionDate)}`,
      `Motifs : ${listExcerpt(w, d.reasons)}`,
    ),
  ConventionDrafted: (d, w) =>
    sentences(
      `${d.kind === 'CPO' ? 'CPO' : 'Convention annuelle'} du ${w.date(d.startDate)} au ${w.date(d.endDate)}, ${w.plural(d.installments.length, 'échéance')} pour ${w.money(sum(d.installments))}`,
      `Signatures attendues au plus tard le ${w.date(d.signatureDueDate)} : ${signatoriesOf(w, d.signatories)}`,
    ),
  ConventionSigned: (d, w) => sentences(`Signée par ${signatoriesOf(w, [d.signatory])}`),
  ConventionEnteredIntoForce: () => sentences('Toutes les signatures sont recueillies'),
  ConventionLapsed: (d, w) =>
    sentences(
      `Signatures manquantes au ${w.date(d.signatureDueDate)} : ${signatoriesOf(w, d.missingSignatories)}`,
    ),
  YearlyReportRequested: reportDue,
  YearlyReportReminderSent: reportDue,
  YearlyReportMarkedOverdue: (d, w) =>
    sentences(`Année ${d.year}, attendu au plus tard le ${w.date(d.dueDate)} : versements suspendus`),
  YearlyReportSubmitted: (d, w) =>
    sentences(
      `Année ${d.report.year} : ${w.money(sum(d.report.spentByFunder))} dépensés (${perFunder(w, d.report.spentByFunder)}), ${w.plural(d.report.beneficiariesReached, 'bénéficiaire touché', 'bénéficiaires touchés')}`,
    ),
  YearlyReportChangesRequested: (d, w) =>
    sentences(
      `Année ${d.year} : ${listExcerpt(w, d.comments)}`,
      `Nouveau dépôt attendu au plus tard le ${w.date(d.dueDate)}`,
    ),
  YearlyReportAccepted: (d) => sentences(`Année ${d.year}`, d.comment ? excerpt(d.comment) : undefined),
  PaymentOrdered: (d, w) =>
    sentences(
      `${w.funder(d.funder)}, année ${d.year} : ${w.money(d.amountCents)}${d.amountCents === d.scheduledCents ? '' : ` (prévu ${w.money(d.scheduledCents)}, limité à ce que le compte rendu justifie)`}`,
    ),
  InstallmentCancelled: (d, w) =>
    sentences(
      `${w.funder(d.funder)}, année ${d.year} : ${w.money(d.scheduledCents)} prévus, non versés`,
      excerpt(d.reason),
    ),
  RecoveryOrdered: (d, w) =>
    sentences(
      `${w.funder(d.funder)}, année ${d.year} : ${w.money(d.amountCents)} à reverser (${recoveryReasons[d.reason] ?? d.reason})`,
      excerpt(d.detail),
    ),
  ApplicationClosed: (d) => sentences(d.comment ? excerpt(d.comment) : undefined),
  ConventionTerminated: (d) =>
    sentences(`${capitalised(terminationLabels[d.reason] ?? d.reason)} : ${excerpt(d.comment)}`),
  ApplicationWithdrawn: (d) => sentences(d.reason ? `Motif : ${excerpt(d.reason)}` : undefined),
};

/**
 * The line the timeline shows for an event: '' for a type it does not know (an event of a newer
 * engine) or data not of its type's shape (the stored data beside it still shows what is there).
 * The shapes are the domain's (domain/application/events.ts), checked when the event was recorded:
 * a field missing here means an event this console does not know, which it says nothing of rather
 * than « année undefined : NaN € ».
 * @param {{ type: string, data: unknown }} event @param {Words} words
 */
export function eventDetail(event, words) {
  const detail = details[event.type];
  if (detail === undefined) return '';
  try {
    const line = detail(event.data, words);
    return /\bundefined\b|\bNaN\b|\[object /.test(line) ? '' : line;
  } catch {
    return '';
  }
}
