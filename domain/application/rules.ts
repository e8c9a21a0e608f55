// One rule per command: who may send it, in which statuses, under which extra conditions, and
// what it records. decide and allowedCommands both read this table, so they cannot disagree.
import {
  actedOn,
  addDays,
  addYears,
  compareInstants,
  endOfParisDay,
  formatFrenchDate,
  formatFrenchInstantDate,
  normalizeInstant,
  parisDateOf,
  parisInstant,
  type CivilDate,
} from '../calendar';
import {
  capitalised,
  funderName,
  funderNames,
  ofTheFunder,
  theFunder,
  toTheFunder,
} from '../reference/funders';
import { ruleFor, type RuleTable } from '../shared/decision';
import { atField, domainError, underField, type DomainError } from '../shared/errors';
import { frenchAnd } from '../shared/french';
import { compareFunderIds } from '../shared/funders';
import { appliesRule } from '../shared/ruleRevisions';
import type { CommandMeta } from '../shared/meta';
import { formatEuros } from '../shared/money';
import { accept, acceptWithFollowUps, datedAt, refuse, type Result } from '../shared/result';
import type { ParsedApplicationCommand } from './commands';
import {
  awardedFor,
  conventionYears,
  defaultPaymentSchedule,
  dueInstallments,
  justifiedFor,
  orderedFor,
  payableAmount,
  paymentsSuspended,
  planFunders,
  recoveredFor,
  REPORT_REMINDER_DAYS,
  scheduleProblems,
  withInstallmentIds,
} from './convention';
import { requestedFor, solicitedFunders } from './dossier';
import { evaluateEligibility, type CampaignTermsAtSubmission } from './eligibility';
import type { ApplicationEvent, ApplicationEventOf, Signatory } from './events';
import {
  evolveApplication,
  signatoryKey,
  type ApplicationState,
  type ApplicationStateOf,
  type InstallmentState,
  type ReportYearState,
} from './state';
import { dossierProblem, porteurIdentityProblem } from './submission';
import { countOf } from '../shared/french';
import { knownQuartiers } from '../reference/qpvReferences';

const rule = ruleFor<ApplicationState, ApplicationEvent>();
type Cmd<K extends ParsedApplicationCommand['type']> = Extract<ParsedApplicationCommand, { type: K }>;
type InForceState = ApplicationStateOf<'in_force'>;

const preConventionStatuses = [
  'under_review',
  'awaiting_complements',
  'co_decision',
  'approved',
  'awaiting_signatures',
] as const;

// ---- time ----

/** True once the whole Paris day `date` is over at `at`. */
const isPast = (at: string, date: CivilDate): boolean => compareInstants(at, endOfParisDay(date)) >= 0;

/**
 * A deadline the command sets (its `field`) must lie after today, and within a year (rule revision
 * deadlineWithinAYear): a century typed for a year would hold the file, and what its funders reserved,
 * until then — no timer would ever fire.
 */
function futureDateProblem(
  meta: CommandMeta,
  date: CivilDate,
  what: string,
  field: string,
): DomainError | undefined {
  const today = parisDateOf(meta.at);
  if (date <= today) {
    return atField(
      domainError(
        'DATE_IN_PAST',
        `${what} (${formatFrenchDate(date)}) doit être postérieure à aujourd'hui (${formatFrenchDate(today)}) : choisissez une date à venir.`,
      ),
      field,
    );
  }
  // A calendar year, far beyond any step's weeks or months (a year ahead to the day, 29 February or not).
  const latest = addYears(today, 1);
  if (date <= latest || !appliesRule(meta, 'deadlineWithinAYear')) return undefined;
  return atField(
    domainError(
      'DATE_TOO_FAR',
      `${what} (${formatFrenchDate(date)}) tombe plus d'un an après aujourd'hui : une faute de frappe ? Choisissez une date au plus tard le ${formatFrenchDate(latest)}.`,
    ),
    field,
  );
}

/**
 * A committee's decision is recorded after it was taken, and was taken once the file existed: its
 * date lies between the submission and today (rule revision committeeDecisionDate). A date typed
 * weeks ahead would be published as a past decision; one years back, before the file existed.
 */
function committeeDateProblem(
  meta: CommandMeta,
  decisionDate: CivilDate,
  s: { submittedAt: string },
): DomainError | undefined {
  if (!appliesRule(meta, 'committeeDecisionDate')) return undefined;
  return decisionDateProblem(meta, decisionDate, s, 'du comité');
}

/**
 * The same bounds for a funder's or the conseil citoyen's own decision date (RecordFunderPosition,
 * GiveCitizenOpinion: decisionDate). No rule revision: the field is new, so no recorded step carries one.
 */
function decisionDateProblem(
  meta: CommandMeta,
  decisionDate: CivilDate,
  s: { submittedAt: string },
  /** 'du comité', "de l'État"… */
  whose: string,
): DomainError | undefined {
  const today = parisDateOf(meta.at);
  const filed = parisDateOf(s.submittedAt);
  if (decisionDate > today)
    return atField(
      domainError(
        'DECISION_DATE_OUT_OF_RANGE',
        `La décision ${whose} est datée du ${formatFrenchDate(decisionDate)}, jour à venir : enregistrez-la une fois prise, à sa date (au plus tard aujourd'hui, ${formatFrenchDate(today)}).`,
        { decisionDate, latest: today },
      ),
      'decisionDate',
    );
  if (decisionDate < filed)
    return atField(
      domainError(
        'DECISION_DATE_OUT_OF_RANGE',
        `La décision ${whose} est datée du ${formatFrenchDate(decisionDate)}, avant le dépôt de la candidature le ${formatFrenchDate(filed)} : vérifiez la date.`,
        { decisionDate, earliest: filed },
      ),
      'decisionDate',
    );
  return undefined;
}

/**
 * An optional decisionDate (a funder's, the conseil citoyen's): refused out of its bounds, else the
 * business time it gives the act (undefined: the step's own instant).
 */
function optionalDecisionDate(
  meta: CommandMeta,
  decisionDate: CivilDate | undefined,
  s: { submittedAt: string },
  whose: string,
): { problem: DomainError } | { at: string | undefined } {
  if (decisionDate === undefined) return { at: undefined };
  const problem = decisionDateProblem(meta, decisionDate, s, whose);
  return problem ? { problem } : { at: actedOn(decisionDate, meta.at) };
}

/**
 * A system step sent before its time. `when` says the time as the hints do, from the date people
 * know (« après l'échéance du 31 janvier 2027 »), not from the instant it is due (the next day's
 * midnight, « 1er février »).
 */
function notYet(at: string, dueAt: string, what: string, when: string): DomainError | undefined {
  if (compareInstants(at, dueAt) >= 0) return undefined;
  return domainError('DEADLINE_NOT_REACHED', `${what} n'aura lieu qu'${when} : rien à faire avant.`, {
    dueAt,
  });
}

/** notYet's `when` for a step due once a deadline's last day is over. */
const afterDeadline = (date: CivilDate): string => `après l'échéance du ${formatFrenchDate(date)}`;

const stale = (what: string): DomainError =>
  domainError('STALE_DEADLINE', `${what} : cette échéance n'a plus d'objet (la situation a changé depuis).`);

// ---- events applied in sequence, so follow-up events see the state they change ----

class Recorder {
  private readonly acts: ApplicationEvent[] = [];
  private readonly followUps: ApplicationEvent[] = [];
  constructor(public state: ApplicationState) {}
  /** The actor's own act. */
  record(event: ApplicationEvent): void {
    if (this.followUps.length > 0) throw new Error('Un acte enregistré après ses suites.');
    this.acts.push(event);
    this.state = evolveApplication(this.state, event);
  }
  /** What the rules make follow from the acts (recorded as the system's: Result.followUpsFrom). */
  follow(event: ApplicationEvent): void {
    this.followUps.push(event);
    this.state = evolveApplication(this.state, event);
  }
  inForce(): InForceState {
    if (this.state.status !== 'in_force')
      throw new Error(`Attendu : convention en vigueur (${this.state.status})`);
    return this.state;
  }
  result(): Result<ApplicationEvent> {
    return acceptWithFollowUps(this.acts, this.followUps);
  }
}

/** Orders every due installment (capped by justified spending), unless payments are suspended. */
function orderDuePayments(recorder: Recorder, at: string): void {
  if (paymentsSuspended(recorder.inForce())) return;
  const due = [...dueInstallments(recorder.inForce())].sort(
    (a, b) => a.year - b.year || a.id.localeCompare(b.id),
  );
  for (const installment of due) recordPayment(recorder, installment.id, at, 'follow-up');
}

/** Orders an installment: a grant manager's act, or a follow-up of the schedule (orderDuePayments). */
function recordPayment(recorder: Recorder, installmentId: string, at: string, as: 'act' | 'follow-up'): void {
  const record = (event: ApplicationEvent) =>
    as === 'act' ? recorder.record(event) : recorder.follow(event);
  const state = recorder.inForce();
  const installment = state.installments.find((i) => i.id === installmentId);
  if (!installment) throw new Error(`Échéance inconnue : ${installmentId}`);
  const amount = payableAmount(state, installment);
  if (amount > 0) {
    record({
      type: 'PaymentOrdered',
      data: {
        installmentId,
        funder: installment.funder,
        year: installment.year,
        amountCents: amount,
        scheduledCents: installment.scheduledCents,
        orderedAt: normalizeInstant(at),
      },
    });
  } else {
    record({
      type: 'InstallmentCancelled',
      data: {
        installmentId,
        funder: installment.funder,
        year: installment.year,
        scheduledCents: installment.scheduledCents,
        reason: `Les dépenses justifiées pour l'année ${installment.year} sont déjà couvertes par les versements effectués.`,
      },
    });
  }
}

// ---- co-decision ----

function silentFunders(s: ApplicationStateOf<'co_decision'>): string[] {
  return s.coDecision.solicitedFunders.filter((f) => s.coDecision.positions[f] === undefined);
}

function committedAmount(
  s: { coDecision: ApplicationStateOf<'co_decision'>['coDecision'] },
  funder: string,
  year: number,
) {
  const position = s.coDecision.positions[funder];
  return position?.decision === 'committed'
    ? (position.amountsByYear.find((a) => a.year === year)?.amountCents ?? 0)
    : 0;
}

/** Whether the committee must still wait: for positions or the opinion, until the deadline. */
const committeeWaiting = (s: ApplicationStateOf<'co_decision'>): boolean =>
  !s.coDecision.deadlinePassed &&
  (s.coDecision.solicitedFunders.some((f) => s.coDecision.positions[f] === undefined) ||
    s.coDecision.citizenOpinion === null);

/** Why the committee must wait (only when committeeWaiting). */
function committeeNotReady(s: ApplicationStateOf<'co_decision'>): DomainError {
  const silent = silentFunders(s);
  const until = formatFrenchDate(s.coDecision.dueDate);
  if (silent.length > 0) {
    return domainError(
      'POSITIONS_PENDING',
      `En attente de la position de : ${funderNames(silent)} (jusqu'au ${until}). Le comité pourra statuer quand tous se seront prononcés, ou après cette date (les financeurs silencieux comptent alors comme ayant décliné).`,
      { silentFunders: silent, dueDate: s.coDecision.dueDate },
    );
  }
  return domainError(
    'CITIZEN_OPINION_PENDING',
    `L'avis du conseil citoyen est attendu jusqu'au ${until} : le comité pourra statuer après l'avoir reçu, ou après cette date.`,
    { dueDate: s.coDecision.dueDate },
  );
}

const anyCommitment = (s: ApplicationStateOf<'co_decision'>): boolean =>
  Object.values(s.coDecision.positions).some((p) => p.decision === 'committed');

// ---- reports ----

const reportOf = (s: InForceState, year: number): ReportYearState | undefined =>
  s.reports.find((r) => r.year === year);
const yearOf = (s: InForceState, year: number) => s.convention.years.find((y) => y.year === year);

function reportNotExpected(s: InForceState, r: ReportYearState | undefined, year: number): DomainError {
  if (r === undefined)
    return domainError(
      'YEAR_OUT_OF_RANGE',
      `La convention compte ${countOf(s.convention.years.length, 'année', 'années')} : il n'y a pas d'année ${year}.`,
    );
  switch (r.status) {
    case 'not_due': {
      const end = yearOf(s, year)?.endDate ?? s.convention.endDate;
      return domainError(
        'REPORT_NOT_EXPECTED',
        `L'année ${year} de la convention se termine le ${formatFrenchDate(end)} : son compte rendu pourra être déposé à partir du ${formatFrenchDate(addDays(end, 1))}.`,
      );
    }
    case 'submitted':
      return domainError(
        'REPORT_NOT_EXPECTED',
        `Le compte rendu de l'année ${year} a été déposé le ${formatFrenchInstantDate(r.submittedAt)} et est en cours d'examen : attendez la décision du chargé de mission.`,
      );
    case 'accepted':
      return domainError('REPORT_ALREADY_ACCEPTED', `Le compte rendu de l'année ${year} est déjà accepté.`);
    case 'expected':
    case 'changes_requested':
      throw new Error('reportNotExpected appelé pour un compte rendu attendu');
    default: {
      const never: never = r;
      return never;
    }
  }
}

const expectsReport = (r: ReportYearState): boolean =>
  r.status === 'expected' || r.status === 'changes_requested';

function nextReportHint(s: InForceState): DomainError {
  const waiting = s.reports.find((r) => r.status === 'not_due');
  if (waiting) return reportNotExpected(s, waiting, waiting.year);
  const submitted = s.reports.find((r) => r.status === 'submitted');
  if (submitted) return reportNotExpected(s, submitted, submitted.year);
  return domainError(
    'REPORT_NOT_EXPECTED',
    "Tous les comptes rendus sont acceptés : aucun compte rendu n'est attendu.",
  );
}

/** Every report accepted and no instalment left scheduled: what closing requires. */
const reconciled = (s: InForceState): boolean =>
  s.reports.every((r) => r.status === 'accepted') && !s.installments.some((i) => i.status === 'scheduled');

/** What stands in the way of reconciled(), in French. */
function reconciliationProblems(s: InForceState): string[] {
  const problems: string[] = [];
  for (const r of s.reports)
    if (r.status !== 'accepted') problems.push(`compte rendu de l'année ${r.year} non accepté`);
  // Per funder, in the order people read them, by year: never the installments' ids (« EPCI-y1-2 »).
  const unsettled = s.installments.filter((i) => i.status === 'scheduled');
  for (const funder of [...new Set(unsettled.map((i) => i.funder))].sort(compareFunderIds)) {
    const its = unsettled.filter((i) => i.funder === funder);
    const years = [...new Set(its.map((i) => i.year))].sort((a, b) => a - b);
    const total = its.reduce((sum, i) => sum + i.scheduledCents, 0);
    const plural = its.length > 1 ? 's' : '';
    problems.push(
      `versement${plural} ${ofTheFunder(funder)} non réglé${plural} : ${years.length > 1 ? 'années' : 'année'} ${frenchAnd(years.map(String))} (${formatEuros(total)})`,
    );
  }
  return problems;
}

// ---- signatures ----

const missingSignatories = (s: ApplicationStateOf<'awaiting_signatures'>): Signatory[] =>
  s.convention.signatories.filter(
    (sig) => !s.signatures.some((done) => signatoryKey(done.signatory) === signatoryKey(sig)),
  );

const describeSignatory = (s: Signatory): string =>
  s.kind === 'porteur' ? 'le porteur' : funderName(s.funder);

/** Signatories as people read them: the porteur, then the funders in their order (the État first). */
const signatoriesToRead = (signatories: readonly Signatory[]): string =>
  [...signatories]
    .sort((a, b) =>
      a.kind === 'porteur' ? -1 : b.kind === 'porteur' ? 1 : compareFunderIds(a.funder, b.funder),
    )
    .map(describeSignatory)
    .join(', ');

/** Why this signatory may not sign now: it does not sign this convention, or it has signed. */
function signatureRefusal(
  s: Extract<ApplicationState, { status: 'awaiting_signatures' }>,
  signatory: Signatory,
): DomainError | undefined {
  const key = signatoryKey(signatory);
  // The subject with its article (« La Région ne finance pas »), the lists as elsewhere.
  const who = capitalised(signatory.kind === 'porteur' ? 'le porteur' : theFunder(signatory.funder));
  if (!s.convention.signatories.some((sig) => signatoryKey(sig) === key))
    return domainError(
      'NOT_A_SIGNATORY',
      `${who} ne finance pas cette convention et n'a pas à la signer. Signataires : ${signatoriesToRead(s.convention.signatories)}.`,
    );
  const already = s.signatures.find((d) => signatoryKey(d.signatory) === key);
  if (already)
    return domainError(
      'ALREADY_SIGNED',
      `${who} a déjà signé le ${formatFrenchInstantDate(already.signedAt)}. Signatures attendues : ${signatoriesToRead(missingSignatories(s))}.`,
    );
  return undefined;
}

// ---- the table ----

export const applicationRules: RuleTable<ParsedApplicationCommand, ApplicationState, ApplicationEvent> = {
  SubmitApplication: rule<Cmd<'SubmitApplication'>, 'not_submitted'>({
    label: 'le dépôt de la candidature',
    roles: ['porteur'],
    statuses: ['not_submitted'],
    hint: () => 'Déposer le dossier pendant la fenêtre de dépôt de la campagne.',
    handle: (c, _s, meta) => {
      const campaign = c.campaign;
      const { opensAt, closesAt } = campaign.submissionWindow;
      if (compareInstants(meta.at, opensAt) < 0) {
        return refuse(
          domainError(
            'SUBMISSION_WINDOW_CLOSED',
            `La fenêtre de dépôt de la campagne ${campaign.year} ouvrira le ${formatFrenchInstantDate(opensAt)} : le dépôt n'est pas encore possible.`,
            { opensAt, closesAt },
          ),
        );
      }
      if (campaign.status === 'closed' && compareInstants(meta.at, closesAt) < 0) {
        // Closed by the agglomération before the end of its window: the window's end is not the date.
        return refuse(
          domainError(
            'SUBMISSION_WINDOW_CLOSED',
            `La campagne ${campaign.year} a été close par l'agglomération avant la fin prévue de sa fenêtre de dépôt : le dépôt n'est plus possible. Les actions pourront être proposées lors du prochain appel à manifestation d'intérêt.`,
            { opensAt, closesAt },
          ),
        );
      }
      if (compareInstants(meta.at, closesAt) >= 0 || campaign.status === 'closed') {
        return refuse(
          domainError(
            'SUBMISSION_WINDOW_CLOSED',
            `La fenêtre de dépôt de la campagne ${campaign.year} est fermée depuis le ${formatFrenchInstantDate(closesAt)} : le dépôt n'est plus possible. Les actions pourront être proposées lors du prochain appel à manifestation d'intérêt.`,
            { opensAt, closesAt },
          ),
        );
      }
      if (campaign.status !== 'open') {
        return refuse(
          domainError(
            'SUBMISSION_WINDOW_CLOSED',
            `La campagne ${campaign.year} n'est pas encore ouverte par l'agglomération : le dépôt sera possible dès son ouverture.`,
          ),
        );
      }
      const porteurId = meta.actor.porteurId;
      if (porteurId === undefined) {
        return refuse(
          domainError(
            'MISSING_PORTEUR_ID',
            "Votre compte n'est rattaché à aucune structure porteuse : faites rattacher votre compte avant de déposer.",
          ),
        );
      }
      if (appliesRule(meta, 'porteurIdentity')) {
        const impostor = porteurIdentityProblem(c.dossier.porteur, meta.actor);
        if (impostor) return refuse(underField(['dossier'], impostor));
      }
      const problem = dossierProblem(c.dossier, {
        knownQpvCodes:
          campaign.knownQpvCodes ?? knownQuartiers(campaign.qpvCodes, campaign.qpvReferenceVersion),
        funders: campaign.funders,
        distinctQuartiers: appliesRule(meta, 'distinctQuartiers'),
      });
      if (problem) return refuse(underField(['dossier'], problem));
      const terms: CampaignTermsAtSubmission = {
        campaignYear: campaign.year,
        maxDurationYears: campaign.maxDurationYears,
        publicShareCapPercent: campaign.publicShareCapPercent,
        territoryQpvCodes: campaign.qpvCodes,
        funders: campaign.funders,
        themes: campaign.themes,
      };
      if (campaign.qpvReferenceVersion !== undefined)
        terms.qpvReferenceVersion = campaign.qpvReferenceVersion;
      return accept<ApplicationEvent>({
        type: 'ApplicationSubmitted',
        data: {
          applicationId: c.applicationId,
          campaignId: campaign.campaignId,
          porteurId,
          submittedAt: normalizeInstant(meta.at),
          dossier: c.dossier,
          terms,
          findings: evaluateEligibility(c.dossier, terms),
        },
      });
    },
  }),

  DeclareEligible: rule<Cmd<'DeclareEligible'>, 'under_review'>({
    label: 'la déclaration de recevabilité',
    roles: ['grant_manager'],
    statuses: ['under_review'],
    hint: (s) => findingsHint(s.findings),
    handle: (c, s, meta) => {
      const past = futureDateProblem(
        meta,
        c.coDecisionDueDate,
        'La date limite de co-décision',
        'coDecisionDueDate',
      );
      if (past) return refuse(past);
      const failed = s.findings.filter((f) => f.outcome === 'fail');
      if (failed.length > 0 && c.justification === undefined) {
        return refuse(
          atField(
            domainError(
              'JUSTIFICATION_REQUIRED',
              `Des constats automatiques sont en échec (${failed.map((f) => f.label).join(' ; ')}) : justifiez la recevabilité, ou déclarez la candidature irrecevable, ou demandez des compléments.`,
              { failedFindings: failed.map((f) => f.id) },
            ),
            'justification',
          ),
        );
      }
      const data: ApplicationEventOf<'ApplicationDeclaredEligible'>['data'] = {
        solicitedFunders: solicitedFunders(s.dossier),
        coDecisionDueDate: c.coDecisionDueDate,
      };
      if (c.justification !== undefined) data.justification = c.justification;
      return accept<ApplicationEvent>({ type: 'ApplicationDeclaredEligible', data });
    },
  }),

  DeclareIneligible: rule<Cmd<'DeclareIneligible'>, 'under_review'>({
    label: "la déclaration d'irrecevabilité",
    roles: ['grant_manager'],
    statuses: ['under_review'],
    handle: (c) =>
      accept<ApplicationEvent>({ type: 'ApplicationDeclaredIneligible', data: { reasons: c.reasons } }),
  }),

  RequestComplements: rule<Cmd<'RequestComplements'>, 'under_review'>({
    label: 'la demande de compléments',
    roles: ['grant_manager'],
    statuses: ['under_review'],
    handle: (c, s, meta) => {
      const past = futureDateProblem(meta, c.dueDate, 'La date limite des compléments', 'dueDate');
      if (past) return refuse(past);
      return accept<ApplicationEvent>({
        type: 'ComplementsRequested',
        data: { requestNumber: s.complementsRequests + 1, items: c.items, dueDate: c.dueDate },
      });
    },
  }),

  ProvideComplements: rule<Cmd<'ProvideComplements'>, 'awaiting_complements'>({
    label: 'la réponse à la demande de compléments',
    roles: ['porteur'],
    statuses: ['awaiting_complements'],
    hint: (s) =>
      `Attendu au plus tard le ${formatFrenchDate(s.request.dueDate)} : ${s.request.items.join(' ; ')}.`,
    handle: (c, s, meta) => {
      if (isPast(meta.at, s.request.dueDate)) {
        return refuse(
          domainError(
            'DEADLINE_PASSED',
            `Le délai pour répondre à la demande de compléments a expiré le ${formatFrenchDate(s.request.dueDate)} : la candidature va être déclarée irrecevable. Contactez le chargé de mission.`,
          ),
        );
      }
      const dossier = c.amendedDossier ?? s.dossier;
      if (c.amendedDossier) {
        // Checked against the reference frozen at submission; an application filed before it was
        // kept may name the territory's quartiers and keep those it named then.
        if (appliesRule(meta, 'porteurIdentity')) {
          const impostor = porteurIdentityProblem(c.amendedDossier.porteur, meta.actor);
          if (impostor) return refuse(underField(['amendedDossier'], impostor));
        }
        const problem = dossierProblem(c.amendedDossier, {
          knownQpvCodes: [
            ...new Set([
              ...knownQuartiers(s.terms.territoryQpvCodes, s.terms.qpvReferenceVersion),
              ...s.dossier.action.qpvCodes,
            ]),
          ],
          funders: s.terms.funders,
          distinctQuartiers: appliesRule(meta, 'distinctQuartiers'),
        });
        if (problem) return refuse(underField(['amendedDossier'], problem));
      }
      const data: ApplicationEventOf<'ComplementsProvided'>['data'] = {
        requestNumber: s.request.number,
        response: c.response,
        documentRefs: c.documentRefs,
        findings: evaluateEligibility(dossier, s.terms),
      };
      if (c.amendedDossier) data.amendedDossier = c.amendedDossier;
      return accept<ApplicationEvent>({ type: 'ComplementsProvided', data });
    },
  }),

  MarkComplementsMissed: rule<Cmd<'MarkComplementsMissed'>, 'awaiting_complements'>({
    label: "le constat de l'absence de compléments",
    roles: ['system'],
    statuses: ['awaiting_complements'],
    hint: (s) => `Automatique à l'échéance du ${formatFrenchDate(s.request.dueDate)}.`,
    handle: (c, s, meta) => {
      if (c.requestNumber !== s.request.number)
        return refuse(stale(`Demande de compléments n° ${c.requestNumber}`));
      const early = notYet(
        meta.at,
        endOfParisDay(s.request.dueDate),
        "Le constat d'absence de compléments",
        afterDeadline(s.request.dueDate),
      );
      if (early) return refuse(early);
      return accept<ApplicationEvent>({
        type: 'ComplementsDeadlineMissed',
        data: { requestNumber: s.request.number, dueDate: s.request.dueDate },
      });
    },
  }),

  RecordFunderPosition: rule<Cmd<'RecordFunderPosition'>, 'co_decision'>({
    label: "l'enregistrement de la position d'un financeur",
    roles: ['funder'],
    statuses: ['co_decision'],
    institutions: (s) => s.coDecision.solicitedFunders,
    institutionOf: (c) => c.funder,
    blocked: { when: (s) => s.coDecision.deadlinePassed, because: coDecisionOver },
    hint: (s) => `Positions attendues jusqu'au ${formatFrenchDate(s.coDecision.dueDate)} inclus.`,
    handle: (c, s, meta) => {
      if (isPast(meta.at, s.coDecision.dueDate)) return refuse(coDecisionOver(s));
      if (!s.coDecision.solicitedFunders.includes(c.funder)) {
        return refuse(
          domainError(
            'FUNDER_NOT_SOLICITED',
            `Le porteur n'a rien demandé ${toTheFunder(c.funder)} : seuls ${funderNames(s.coDecision.solicitedFunders)} se prononcent sur cette candidature.`,
          ),
        );
      }
      // The funder decided on its date, not when its position is keyed in: so says the business time.
      const dated = optionalDecisionDate(meta, c.decisionDate, s, ofTheFunder(c.funder));
      if ('problem' in dated) return refuse(dated.problem);
      const decidedAt = dated.at;
      if (c.position.decision === 'declined') {
        return datedAt(
          accept<ApplicationEvent>({
            type: 'FunderPositionRecorded',
            data: { funder: c.funder, position: c.position },
          }),
          decidedAt,
        );
      }
      const years = c.position.amountsByYear.map((a) => a.year);
      const repeatedAt = years.findIndex((y, i) => years.indexOf(y) !== i);
      if (repeatedAt >= 0)
        return refuse(
          atField(
            domainError('DUPLICATE_YEAR', "Chaque année ne peut figurer qu'une fois dans la position."),
            'position',
            'amountsByYear',
            repeatedAt,
            'year',
          ),
        );
      for (const [i, a] of c.position.amountsByYear.entries()) {
        if (a.year > s.dossier.durationYears) {
          return refuse(
            atField(
              domainError(
                'YEAR_OUT_OF_RANGE',
                `L'action dure ${countOf(s.dossier.durationYears, 'an', 'ans')} : pas d'engagement possible pour l'année ${a.year}.`,
              ),
              'position',
              'amountsByYear',
              i,
              'year',
            ),
          );
        }
        const requested = requestedFor(s.dossier, c.funder, a.year);
        if (a.amountCents > requested) {
          return refuse(
            atField(
              domainError(
                'COMMITMENT_EXCEEDS_REQUEST',
                `Année ${a.year} : ${theFunder(c.funder)} ne peut pas s'engager sur ${formatEuros(a.amountCents)}, le porteur a demandé ${formatEuros(requested)}. Engagez-vous au plus sur le montant demandé.`,
                { year: a.year, requestedCents: requested, committedCents: a.amountCents },
              ),
              'position',
              'amountsByYear',
              i,
              'amountCents',
            ),
          );
        }
      }
      const amountsByYear = c.position.amountsByYear
        .filter((a) => a.amountCents > 0)
        .sort((a, b) => a.year - b.year);
      if (amountsByYear.length === 0) {
        return refuse(
          atField(
            domainError(
              'EMPTY_COMMITMENT',
              'Un engagement de 0 € équivaut à un refus : enregistrez plutôt un refus motivé (décision « Refus »).',
            ),
            'position',
            'amountsByYear',
          ),
        );
      }
      const position: ApplicationEventOf<'FunderPositionRecorded'>['data']['position'] = {
        decision: 'committed',
        amountsByYear,
      };
      if (c.position.conditions !== undefined) position.conditions = c.position.conditions;
      if (c.position.decisionReference !== undefined)
        position.decisionReference = c.position.decisionReference;
      return datedAt(
        accept<ApplicationEvent>({
          type: 'FunderPositionRecorded',
          data: { funder: c.funder, position },
        }),
        decidedAt,
      );
    },
  }),

  GiveCitizenOpinion: rule<Cmd<'GiveCitizenOpinion'>, 'co_decision'>({
    label: "l'avis du conseil citoyen",
    roles: ['citizen_council'],
    statuses: ['co_decision'],
    blocked: { when: (s) => s.coDecision.deadlinePassed, because: coDecisionOver },
    hint: (s) => `Avis attendu jusqu'au ${formatFrenchDate(s.coDecision.dueDate)} inclus.`,
    handle: (c, s, meta) => {
      if (isPast(meta.at, s.coDecision.dueDate)) return refuse(coDecisionOver(s));
      const dated = optionalDecisionDate(meta, c.decisionDate, s, 'du conseil citoyen');
      if ('problem' in dated) return refuse(dated.problem);
      return datedAt(
        accept<ApplicationEvent>({
          type: 'CitizenOpinionGiven',
          data: { opinion: c.opinion, comment: c.comment },
        }),
        dated.at,
      );
    },
  }),

  LapseSilentFunders: rule<Cmd<'LapseSilentFunders'>, 'co_decision'>({
    label: 'le constat des financeurs silencieux',
    roles: ['system'],
    statuses: ['co_decision'],
    blocked: {
      when: (s) => s.coDecision.deadlinePassed,
      because: () => stale('Le délai de co-décision est déjà constaté'),
    },
    hint: (s) => `Automatique à l'échéance du ${formatFrenchDate(s.coDecision.dueDate)}.`,
    handle: (_c, s, meta) => {
      const early = notYet(
        meta.at,
        endOfParisDay(s.coDecision.dueDate),
        'Le constat des financeurs silencieux',
        afterDeadline(s.coDecision.dueDate),
      );
      if (early) return refuse(early);
      return accept<ApplicationEvent>({
        type: 'SilentFundersLapsed',
        data: {
          dueDate: s.coDecision.dueDate,
          funders: silentFunders(s),
          citizenOpinionMissing: s.coDecision.citizenOpinion === null,
        },
      });
    },
  }),

  RecordCommitteeApproval: rule<Cmd<'RecordCommitteeApproval'>, 'co_decision'>({
    label: "l'approbation du comité de pilotage",
    roles: ['grant_manager'],
    statuses: ['co_decision'],
    blocked: {
      when: (s) => committeeWaiting(s) || !anyCommitment(s),
      because: (s) =>
        committeeWaiting(s)
          ? committeeNotReady(s)
          : domainError(
              'NO_COMMITMENT',
              "Aucun financeur ne s'est engagé : le comité ne peut pas approuver de plan de financement, seul un rejet peut être enregistré.",
            ),
    },
    handle: (c, s, meta) => {
      const wrongDate = committeeDateProblem(meta, c.decisionDate, s);
      if (wrongDate) return refuse(wrongDate);
      const keys = c.plan.map((p) => `${p.funder}/${p.year}`);
      const repeatedAt = keys.findIndex((k, i) => keys.indexOf(k) !== i);
      if (repeatedAt >= 0)
        return refuse(
          atField(
            domainError(
              'DUPLICATE_PLAN_LINE',
              'Le plan de financement contient deux lignes pour le même financeur et la même année.',
            ),
            'plan',
            repeatedAt,
          ),
        );
      for (const [i, line] of c.plan.entries()) {
        const position = s.coDecision.positions[line.funder];
        if (position?.decision !== 'committed') {
          return refuse(
            atField(
              domainError(
                'FUNDER_NOT_COMMITTED',
                `${capitalised(theFunder(line.funder))} n'a pris aucun engagement sur cette candidature : ce financeur ne peut pas figurer au plan de financement.`,
              ),
              'plan',
              i,
              'funder',
            ),
          );
        }
        const committed = committedAmount(s, line.funder, line.year);
        if (line.amountCents > committed) {
          return refuse(
            atField(
              domainError(
                'AWARD_EXCEEDS_COMMITMENT',
                `Année ${line.year} : ${formatEuros(line.amountCents)} attribués par ${theFunder(line.funder)}, dont l'engagement n'est que de ${formatEuros(committed)}. Le plan ne peut pas dépasser l'engagement du financeur.`,
                {
                  funder: line.funder,
                  year: line.year,
                  committedCents: committed,
                  awardedCents: line.amountCents,
                },
              ),
              'plan',
              i,
              'amountCents',
            ),
          );
        }
      }
      const plan = [...c.plan].sort((a, b) => a.funder.localeCompare(b.funder) || a.year - b.year);
      // The committee decided on its date, not when the decision is keyed in: so says the business time.
      return datedAt(
        accept<ApplicationEvent>({
          type: 'CommitteeApprovalRecorded',
          data: { decisionReference: c.decisionReference, decisionDate: c.decisionDate, plan },
        }),
        actedOn(c.decisionDate, meta.at),
      );
    },
  }),

  RecordCommitteeRejection: rule<Cmd<'RecordCommitteeRejection'>, 'co_decision'>({
    label: 'le rejet par le comité de pilotage',
    roles: ['grant_manager'],
    statuses: ['co_decision'],
    blocked: { when: committeeWaiting, because: committeeNotReady },
    handle: (c, s, meta) => {
      const wrongDate = committeeDateProblem(meta, c.decisionDate, s);
      if (wrongDate) return refuse(wrongDate);
      return datedAt(
        accept<ApplicationEvent>({
          type: 'CommitteeRejectionRecorded',
          data: { decisionReference: c.decisionReference, decisionDate: c.decisionDate, reasons: c.reasons },
        }),
        actedOn(c.decisionDate, meta.at),
      );
    },
  }),

  DraftConvention: rule<Cmd<'DraftConvention'>, 'approved'>({
    label: 'la rédaction de la convention',
    roles: ['grant_manager'],
    statuses: ['approved'],
    handle: (c, s, meta) => {
      const past = futureDateProblem(
        meta,
        c.signatureDueDate,
        'La date limite de signature',
        'signatureDueDate',
      );
      if (past) return refuse(past);
      // The AMI of year N funds the actions of year N: a convention may start a little before
      // (an action under way at the end of N − 1) or be delayed into N + 1, not further.
      const bounded = appliesRule(meta, 'conventionStartBounds');
      const campaignYear = s.terms.campaignYear;
      const startYear = Number(c.startDate.slice(0, 4));
      if (bounded && Math.abs(startYear - campaignYear) > 1)
        return refuse(
          atField(
            domainError(
              'CONVENTION_START_OUTSIDE_CAMPAIGN_YEAR',
              `Une convention de l'AMI ${campaignYear} commence au plus tôt en ${campaignYear - 1} et au plus tard en ${campaignYear + 1} : le ${formatFrenchDate(c.startDate)} n'est pas possible.`,
              { campaignYear, startDate: c.startDate },
            ),
            'startDate',
          ),
        );
      const plan = s.award.plan;
      const duration = s.dossier.durationYears;
      const lines = c.paymentSchedule ?? defaultPaymentSchedule(plan);
      const problems = scheduleProblems(plan, lines, duration);
      if (problems.length > 0) {
        const refusal = domainError(
          'INVALID_PAYMENT_SCHEDULE',
          `Échéancier de paiement incohérent : ${problems.join(' ')}`,
          { problems },
        );
        // The default schedule is not a field of the command: the award itself is then at fault.
        return refuse(c.paymentSchedule === undefined ? refusal : atField(refusal, 'paymentSchedule'));
      }
      const years = conventionYears(c.startDate, duration, meta);
      const funders = planFunders(plan);
      return accept<ApplicationEvent>({
        type: 'ConventionDrafted',
        data: {
          kind: duration >= 2 ? 'CPO' : 'annual',
          startDate: c.startDate,
          endDate: years[years.length - 1]?.endDate ?? c.startDate,
          years,
          signatureDueDate: c.signatureDueDate,
          signatories: [
            { kind: 'porteur' },
            ...funders.map((funder) => ({ kind: 'funder' as const, funder })),
          ],
          installments: withInstallmentIds(lines),
          conditions: funders.flatMap((funder) => {
            const p = s.coDecision.positions[funder];
            return p?.decision === 'committed' && p.conditions !== undefined
              ? [{ funder, conditions: p.conditions }]
              : [];
          }),
        },
      });
    },
  }),

  SignConvention: rule<Cmd<'SignConvention'>, 'awaiting_signatures'>({
    label: 'la signature de la convention',
    roles: ['porteur', 'funder'],
    statuses: ['awaiting_signatures'],
    institutions: (s) => missingSignatories(s).flatMap((m) => (m.kind === 'funder' ? [m.funder] : [])),
    rolesNow: (s) => {
      const missing = missingSignatories(s);
      return [
        ...(missing.some((m) => m.kind === 'porteur') ? (['porteur'] as const) : []),
        ...(missing.some((m) => m.kind === 'funder') ? (['funder'] as const) : []),
      ];
    },
    institutionOf: (c) => (c.signatory.kind === 'funder' ? c.signatory.funder : undefined),
    // A funder of the campaign whose institution does not sign, a porteur or funder that has signed.
    notYours: (s, actor) =>
      actor.role === 'porteur'
        ? signatureRefusal(s, { kind: 'porteur' })
        : actor.role === 'funder' && actor.institution !== undefined
          ? signatureRefusal(s, { kind: 'funder', funder: actor.institution })
          : undefined,
    hint: (s) =>
      `Signatures attendues jusqu'au ${formatFrenchDate(s.convention.signatureDueDate)} inclus : ${signatoriesToRead(missingSignatories(s))}.`,
    handle: (c, s, meta) => {
      const expectedRole = c.signatory.kind === 'porteur' ? 'porteur' : 'funder';
      if (meta.actor.role !== expectedRole) {
        return refuse(
          domainError(
            'FORBIDDEN_ROLE',
            c.signatory.kind === 'porteur'
              ? 'Seul le porteur de projet signe en son nom.'
              : 'Seul un financeur signe pour son institution.',
          ),
        );
      }
      if (isPast(meta.at, s.convention.signatureDueDate)) {
        return refuse(
          domainError(
            'DEADLINE_PASSED',
            `Le délai de signature a expiré le ${formatFrenchDate(s.convention.signatureDueDate)} : la convention devient caduque.`,
          ),
        );
      }
      const notTheirs = signatureRefusal(s, c.signatory);
      if (notTheirs) return refuse(notTheirs);
      const recorder = new Recorder(s);
      const at = normalizeInstant(meta.at);
      recorder.record({ type: 'ConventionSigned', data: { signatory: c.signatory, signedAt: at } });
      const after = recorder.state;
      if (after.status === 'awaiting_signatures' && missingSignatories(after).length === 0) {
        recorder.follow({ type: 'ConventionEnteredIntoForce', data: { at } });
        orderDuePayments(recorder, at);
      }
      return recorder.result();
    },
  }),

  LapseConvention: rule<Cmd<'LapseConvention'>, 'awaiting_signatures'>({
    label: 'la caducité de la convention',
    roles: ['system'],
    statuses: ['awaiting_signatures'],
    hint: (s) => `Automatique à l'échéance du ${formatFrenchDate(s.convention.signatureDueDate)}.`,
    handle: (_c, s, meta) => {
      const early = notYet(
        meta.at,
        endOfParisDay(s.convention.signatureDueDate),
        'La caducité de la convention',
        afterDeadline(s.convention.signatureDueDate),
      );
      if (early) return refuse(early);
      return accept<ApplicationEvent>({
        type: 'ConventionLapsed',
        data: { signatureDueDate: s.convention.signatureDueDate, missingSignatories: missingSignatories(s) },
      });
    },
  }),

  RequestYearlyReport: rule<Cmd<'RequestYearlyReport'>, 'in_force'>({
    label: "l'ouverture du compte rendu annuel",
    roles: ['system'],
    statuses: ['in_force'],
    blocked: {
      when: (s) => !s.reports.some((r) => r.status === 'not_due'),
      because: () => stale('Tous les comptes rendus sont ouverts'),
    },
    handle: (c, s, meta) => {
      const year = yearOf(s, c.year);
      if (!year || reportOf(s, c.year)?.status !== 'not_due')
        return refuse(stale(`Compte rendu de l'année ${c.year}`));
      const early = notYet(
        meta.at,
        parisInstant(addDays(year.endDate, 1)),
        `L'ouverture du compte rendu de l'année ${c.year}`,
        `après la fin de cette année, le ${formatFrenchDate(year.endDate)}`,
      );
      if (early) return refuse(early);
      return accept<ApplicationEvent>({
        type: 'YearlyReportRequested',
        data: { year: c.year, dueDate: year.reportDueDate },
      });
    },
  }),

  SendReportReminder: rule<Cmd<'SendReportReminder'>, 'in_force'>({
    label: 'le rappel du compte rendu',
    roles: ['system'],
    statuses: ['in_force'],
    blocked: {
      when: (s) => !s.reports.some(reminderPending),
      because: () => stale('Aucun rappel à envoyer'),
    },
    handle: (c, s, meta) => {
      const r = reportOf(s, c.year);
      if (!r || !reminderPending(r) || r.status !== 'expected')
        return refuse(stale(`Rappel du compte rendu de l'année ${c.year}`));
      const early = notYet(
        meta.at,
        reminderAt(r.dueDate),
        `Le rappel du compte rendu de l'année ${c.year}`,
        `à partir du ${formatFrenchInstantDate(reminderAt(r.dueDate))}, ${REPORT_REMINDER_DAYS} jours avant l'échéance du ${formatFrenchDate(r.dueDate)}`,
      );
      if (early) return refuse(early);
      return accept<ApplicationEvent>({
        type: 'YearlyReportReminderSent',
        data: { year: c.year, dueDate: r.dueDate },
      });
    },
  }),

  MarkReportOverdue: rule<Cmd<'MarkReportOverdue'>, 'in_force'>({
    label: 'le constat du retard du compte rendu',
    roles: ['system'],
    statuses: ['in_force'],
    blocked: {
      when: (s) => !s.reports.some(overduePending),
      because: () => stale('Aucun compte rendu attendu'),
    },
    handle: (c, s, meta) => {
      const r = reportOf(s, c.year);
      if (!r || !overduePending(r) || (r.status !== 'expected' && r.status !== 'changes_requested'))
        return refuse(stale(`Retard du compte rendu de l'année ${c.year}`));
      const early = notYet(
        meta.at,
        endOfParisDay(r.dueDate),
        `Le constat du retard du compte rendu de l'année ${c.year}`,
        afterDeadline(r.dueDate),
      );
      if (early) return refuse(early);
      return accept<ApplicationEvent>({
        type: 'YearlyReportMarkedOverdue',
        data: { year: c.year, dueDate: r.dueDate },
      });
    },
  }),

  SubmitYearlyReport: rule<Cmd<'SubmitYearlyReport'>, 'in_force'>({
    label: 'le dépôt du compte rendu annuel',
    roles: ['porteur'],
    statuses: ['in_force'],
    blocked: { when: (s) => !s.reports.some(expectsReport), because: nextReportHint },
    hint: (s) =>
      s.reports
        .flatMap((r) =>
          r.status === 'expected' || r.status === 'changes_requested'
            ? [
                `année ${r.year} attendue au plus tard le ${formatFrenchDate(r.dueDate)}${r.overdue ? ', en retard : versements suspendus' : ''}`,
              ]
            : [],
        )
        .join(' ; '),
    handle: (c, s, meta) => {
      const r = reportOf(s, c.year);
      if (!r || !expectsReport(r)) return refuse(reportNotExpected(s, r, c.year));
      const funders = c.spentByFunder.map((x) => x.funder);
      const duplicateAt = funders.findIndex((f, i) => funders.indexOf(f) !== i);
      const duplicate = funders[duplicateAt];
      if (duplicate !== undefined)
        return refuse(
          atField(
            domainError('DUPLICATE_FUNDER', `${funderName(duplicate)} apparaît deux fois dans les dépenses.`),
            'spentByFunder',
            duplicateAt,
            'funder',
          ),
        );
      const inPlan = planFunders(s.award.plan);
      const foreign = funders.filter((f) => !inPlan.includes(f));
      const firstForeign = foreign[0];
      if (firstForeign !== undefined) {
        return refuse(
          atField(
            domainError(
              'SPENT_FOR_UNFUNDED_FUNDER',
              `${funderNames(foreign)} ${foreign.length > 1 ? 'ne financent' : 'ne finance'} pas cette convention ; indiquez les dépenses pour : ${funderNames(inPlan)}.`,
            ),
            'spentByFunder',
            funders.indexOf(firstForeign),
            'funder',
          ),
        );
      }
      const missing = inPlan.filter((f) => awardedFor(s.award.plan, f, c.year) > 0 && !funders.includes(f));
      if (missing.length > 0) {
        return refuse(
          atField(
            domainError(
              'SPENT_NOT_REPORTED',
              `Indiquez les dépenses de l'année ${c.year} pour chaque financeur, même nulles : il manque ${funderNames(missing)}.`,
            ),
            'spentByFunder',
          ),
        );
      }
      return accept<ApplicationEvent>({
        type: 'YearlyReportSubmitted',
        data: {
          report: {
            year: c.year,
            spentByFunder: c.spentByFunder,
            beneficiariesReached: c.beneficiariesReached,
            indicators: c.indicators,
            narrative: c.narrative,
            documentRefs: c.documentRefs,
          },
          submittedAt: normalizeInstant(meta.at),
        },
      });
    },
  }),

  AcceptYearlyReport: rule<Cmd<'AcceptYearlyReport'>, 'in_force'>({
    label: "l'acceptation du compte rendu annuel",
    roles: ['grant_manager'],
    statuses: ['in_force'],
    blocked: { when: (s) => !reviewPending(s), because: noReviewPending },
    handle: (c, s, meta) => {
      const r = reportOf(s, c.year);
      if (r?.status !== 'submitted') return refuse(reportNotSubmitted(s, r, c.year));
      const recorder = new Recorder(s);
      const data: ApplicationEventOf<'YearlyReportAccepted'>['data'] = { year: c.year };
      if (c.comment !== undefined) data.comment = c.comment;
      recorder.record({ type: 'YearlyReportAccepted', data });
      for (const funder of planFunders(s.award.plan)) {
        const state = recorder.inForce();
        const justified = justifiedFor(state, funder, c.year) ?? 0;
        const paid = orderedFor(state.installments, funder, c.year) - recoveredFor(state, funder, c.year);
        if (paid > justified) {
          recorder.follow({
            type: 'RecoveryOrdered',
            data: {
              funder,
              year: c.year,
              amountCents: paid - justified,
              reason: 'unspent',
              detail: `Année ${c.year} : ${formatEuros(paid)} versés par ${theFunder(funder)}, ${formatEuros(justified)} de dépenses justifiées ; reversement de ${formatEuros(paid - justified)}.`,
            },
          });
        }
      }
      orderDuePayments(recorder, meta.at);
      return recorder.result();
    },
  }),

  RequestReportChanges: rule<Cmd<'RequestReportChanges'>, 'in_force'>({
    label: 'la demande de corrections du compte rendu',
    roles: ['grant_manager'],
    statuses: ['in_force'],
    blocked: { when: (s) => !reviewPending(s), because: noReviewPending },
    handle: (c, s, meta) => {
      const r = reportOf(s, c.year);
      if (r?.status !== 'submitted') return refuse(reportNotSubmitted(s, r, c.year));
      const past = futureDateProblem(meta, c.dueDate, 'La date limite des corrections', 'dueDate');
      if (past) return refuse(past);
      return accept<ApplicationEvent>({
        type: 'YearlyReportChangesRequested',
        data: { year: c.year, comments: c.comments, dueDate: c.dueDate },
      });
    },
  }),

  OrderPayment: rule<Cmd<'OrderPayment'>, 'in_force'>({
    label: "l'ordre de paiement",
    roles: ['grant_manager'],
    statuses: ['in_force'],
    blocked: { when: (s) => !paymentPossible(s), because: paymentRefusal },
    hint: (s) => `Échéances exigibles : ${dueInstallments(s).map(describeInstallment).join(' ; ')}.`,
    handle: (c, s, meta) => {
      const installment = s.installments.find((i) => i.id === c.installmentId);
      if (!installment) {
        return refuse(
          atField(
            domainError(
              'UNKNOWN_INSTALLMENT',
              `Aucune échéance « ${c.installmentId} » dans cette convention. Échéances : ${s.installments.map((i) => i.id).join(', ')}.`,
            ),
            'installmentId',
          ),
        );
      }
      if (!dueInstallments(s).some((i) => i.id === installment.id)) {
        return refuse(
          domainError(
            'PAYMENT_NOT_DUE',
            installment.status === 'scheduled'
              ? `L'échéance ${installment.id} n'est pas encore exigible : elle attend l'acceptation du compte rendu de l'année ${installment.trigger.kind === 'report_accepted' ? installment.trigger.reportYear : 1}.`
              : `L'échéance ${installment.id} est déjà ${installment.status === 'ordered' ? 'ordonnée' : 'annulée'}.`,
          ),
        );
      }
      const recorder = new Recorder(s);
      recordPayment(recorder, installment.id, meta.at, 'act');
      return recorder.result();
    },
  }),

  CloseApplication: rule<Cmd<'CloseApplication'>, 'in_force'>({
    label: 'la clôture du dossier',
    roles: ['grant_manager'],
    statuses: ['in_force'],
    blocked: {
      when: (s) => !reconciled(s),
      because: (s) => {
        const problems = reconciliationProblems(s);
        return domainError(
          'NOT_RECONCILED',
          `La clôture suppose tous les comptes rendus acceptés et les versements soldés ; reste : ${problems.join(' ; ')}.`,
          { problems },
        );
      },
    },
    handle: (c, _s, meta) => {
      const data: ApplicationEventOf<'ApplicationClosed'>['data'] = { closedAt: normalizeInstant(meta.at) };
      if (c.comment !== undefined) data.comment = c.comment;
      return accept<ApplicationEvent>({ type: 'ApplicationClosed', data });
    },
  }),

  TerminateConvention: rule<Cmd<'TerminateConvention'>, 'in_force'>({
    label: 'la résiliation de la convention',
    awaited: false,
    roles: ['grant_manager'],
    statuses: ['in_force'],
    handle: (c, s, meta) => {
      for (const [i, j] of c.justified.entries()) {
        const awarded = awardedFor(s.award.plan, j.funder, j.year);
        if (awarded === 0) {
          return refuse(
            atField(
              domainError(
                'NOTHING_AWARDED_TO_JUSTIFY',
                `${capitalised(theFunder(j.funder))} n'a rien attribué pour l'année ${j.year} : aucune dépense à justifier pour ce financeur.`,
              ),
              'justified',
              i,
            ),
          );
        }
        if (j.amountCents > awarded && appliesRule(meta, 'justifiedWithinAward')) {
          return refuse(
            atField(
              domainError(
                'JUSTIFIED_BEYOND_AWARD',
                `${capitalised(theFunder(j.funder))} a attribué ${formatEuros(awarded)} pour l'année ${j.year} : ` +
                  `${formatEuros(j.amountCents)} justifiés dépassent la subvention. Vérifiez le montant.`,
              ),
              'justified',
              i,
              'amountCents',
            ),
          );
        }
      }
      const recorder = new Recorder(s);
      recorder.record({
        type: 'ConventionTerminated',
        data: { reason: c.reason, comment: c.comment, terminatedAt: normalizeInstant(meta.at) },
      });
      for (const line of s.award.plan) {
        if (reportOf(s, line.year)?.status === 'accepted') continue; // already reconciled
        const paid =
          orderedFor(s.installments, line.funder, line.year) - recoveredFor(s, line.funder, line.year);
        const given =
          c.justified.find((j) => j.funder === line.funder && j.year === line.year)?.amountCents ?? 0;
        const unjustified = paid - Math.min(given, paid);
        if (unjustified > 0) {
          recorder.record({
            type: 'RecoveryOrdered',
            data: {
              funder: line.funder,
              year: line.year,
              amountCents: unjustified,
              reason: 'termination',
              detail: `Résiliation : ${formatEuros(paid)} versés par ${theFunder(line.funder)} pour l'année ${line.year}, ${formatEuros(Math.min(given, paid))} justifiés ; reversement de ${formatEuros(unjustified)}.`,
            },
          });
        }
      }
      return recorder.result();
    },
  }),

  WithdrawApplication: rule<Cmd<'WithdrawApplication'>, (typeof preConventionStatuses)[number]>({
    label: 'le retrait de la candidature',
    awaited: false,
    roles: ['porteur'],
    statuses: preConventionStatuses,
    hint: () => "Possible jusqu'à l'entrée en vigueur de la convention.",
    handle: (c, _s, meta) => {
      const data: ApplicationEventOf<'ApplicationWithdrawn'>['data'] = {
        withdrawnAt: normalizeInstant(meta.at),
      };
      if (c.reason !== undefined) data.reason = c.reason;
      return accept<ApplicationEvent>({ type: 'ApplicationWithdrawn', data });
    },
  }),
};

// ---- helpers used by several rules ----

function findingsHint(findings: readonly { outcome: string }[]): string {
  const failed = findings.filter((f) => f.outcome === 'fail').length;
  const warned = findings.filter((f) => f.outcome === 'warn').length;
  return `Constats automatiques : ${failed} en échec, ${warned} en alerte.`;
}

function coDecisionOver(s: ApplicationStateOf<'co_decision'>): DomainError {
  return domainError(
    'DEADLINE_PASSED',
    `Le délai de co-décision a expiré le ${formatFrenchDate(s.coDecision.dueDate)} : les positions et l'avis ne peuvent plus être enregistrés ; le comité de pilotage va statuer.`,
  );
}

const reminderAt = (dueDate: CivilDate): string =>
  parisInstant(addDays(dueDate, -REPORT_REMINDER_DAYS), '09:00');

function reminderPending(r: ReportYearState): boolean {
  return r.status === 'expected' && !r.reminderSent && !r.overdue;
}

function overduePending(r: ReportYearState): boolean {
  return (r.status === 'expected' || r.status === 'changes_requested') && !r.overdue;
}

function reportNotSubmitted(s: InForceState, r: ReportYearState | undefined, year: number): DomainError {
  if (r?.status === 'accepted')
    return domainError('REPORT_ALREADY_ACCEPTED', `Le compte rendu de l'année ${year} est déjà accepté.`);
  if (r === undefined)
    return domainError(
      'YEAR_OUT_OF_RANGE',
      `La convention compte ${countOf(s.convention.years.length, 'année', 'années')} : il n'y a pas d'année ${year}.`,
    );
  return domainError(
    'REPORT_NOT_SUBMITTED',
    `Le compte rendu de l'année ${year} n'a pas été déposé (ou est en cours de correction par le porteur) : il n'y a rien à examiner.`,
  );
}

function reviewPending(s: InForceState): boolean {
  return s.reports.some((r) => r.status === 'submitted');
}

function noReviewPending(): DomainError {
  return domainError('REPORT_NOT_SUBMITTED', "Aucun compte rendu déposé n'attend d'examen.");
}

function paymentPossible(s: InForceState): boolean {
  return !paymentsSuspended(s) && dueInstallments(s).length > 0;
}

/** Why no payment can be ordered now (only when paymentPossible does not hold). */
function paymentRefusal(s: InForceState): DomainError {
  if (paymentsSuspended(s)) {
    const late = s.reports.filter(
      (r) => (r.status === 'expected' || r.status === 'changes_requested') && r.overdue,
    );
    return domainError(
      'PAYMENTS_SUSPENDED',
      late.length === 1
        ? `Les versements sont suspendus : compte rendu en retard pour l'année ${late[0]?.year}. Ils reprendront dès son dépôt.`
        : `Les versements sont suspendus : comptes rendus en retard pour les années ${frenchAnd(late.map((r) => String(r.year)))}. Ils reprendront dès leur dépôt.`,
    );
  }
  return domainError(
    'PAYMENT_NOT_DUE',
    "Aucune échéance n'est exigible : les prochaines dépendent des comptes rendus.",
  );
}

const describeInstallment = (i: InstallmentState): string =>
  `${i.id} (${funderName(i.funder)}, année ${i.year}, ${formatEuros(i.scheduledCents)})`;

export { reminderAt };
