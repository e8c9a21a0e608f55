// Open data: the awarded subsidies of one year in the SCDL « subventions » schema, v2.1.1
// (schema.data.gouv.fr/scdl/subventions), one row per beneficiary and funder of a convention that
// entered into force that year. Publication is mandatory above 23 000 € a year (loi n° 2000-321,
// art. 10; décrets n° 2001-495 and 2017-779); rows say whether, and by which rule, and an option
// keeps only those.
//
// Choices, where the schema leaves them to the publisher (docs/audit.md says the same for people):
// - the year is the year of dateConvention, the day the last signature put the convention in force;
// - montant is the funder's whole award under the convention (every year of a CPO), as the schema
//   asks for the total;
// - the 23 000 € threshold is read inclusively, since a missing mandatory publication is the risk
//   and publishing more is not: a row is mandatory when the convention's largest annual amount for
//   that funder exceeds it, OR when what that funder awards the same beneficiary (same SIRET or RNA,
//   else same name) over all its conventions entered into force that year, each by its largest
//   annual amount, exceeds it;
// - conditionsVersement and datesPeriodeVersement are the convention's schedule as signed (data of
//   the convention, published within three months of its signature): one installment is 'unique', on
//   its planned day; several are 'échelonné', from dateConvention to the last one's planned day (its
//   report deadline, never before dateConvention). A row never changes as the convention runs: a
//   balance cancelled, a termination, a late payment leave it as published;
// - idBeneficiaire is the SIRET the dossier gave, as given: one whose check digit fails, or a cash
//   grant to a beneficiary known by its RNA only (the schema lets the SIRET out for aid in kind), is
//   exported and pointed out in the warnings, since only the porteur can give the right one;
// - idAttribuant is the funder's SIRET when the directory knows it, else left empty (never made up):
//   the export then says it is incomplete, since the schema requires it;
// - referenceDecision is the funder's own decision (its deliberation, as its position named it), else
//   the steering committee's decision, which every funder of the plan joined;
// - values are written exactly, never defused for spreadsheets (open data is read by programs, and
//   « +Emploi » is a name); the warnings point out those a spreadsheet would take for formulas;
// - notificationUE is 'non' (grants to associations under the contrat de ville are not state aid
//   notified to the European Commission); idRAE and dispositifAide stay empty (no identifiers for
//   an AMI exist in those repertories).
import {
  applicationStreamName,
  conventionEnteredIntoForceSchema,
  siretChecksumValid,
  type ApplicationState,
  type Convention,
  type Installment,
} from '../../domain/application';
import { fromEpochMs, parisDateOf, toEpochMs, type CivilDate } from '../../domain/calendar';
import { formatEuros } from '../../domain/shared/money';
import type { EventStore } from '../../infra/eventstore/port';
import { applicationReplay, eventTimeMs, ForeignEventError } from './asOf';
import { attribuantOf, camvsAttribuants, type AttribuantDirectory } from './attribuants';
import { csvExactRecord, eurosDecimal, looksLikeFormula } from './csv';

export const SCDL_SUBVENTIONS_VERSION = '2.1.1';

/** The schema's columns, in its order. */
export const scdlSubventionsColumns = [
  'nomAttribuant',
  'idAttribuant',
  'dateConvention',
  'referenceDecision',
  'nomBeneficiaire',
  'idBeneficiaire',
  'rnaBeneficiaire',
  'objet',
  'montant',
  'nature',
  'conditionsVersement',
  'datesPeriodeVersement',
  'idRAE',
  'notificationUE',
  'pourcentageSubvention',
  'dispositifAide',
] as const;
export type ScdlColumn = (typeof scdlSubventionsColumns)[number];

/** Above this annual amount, publication is mandatory (strictly above: « dépasse 23 000 € »). */
export const PUBLICATION_THRESHOLD_CENTS = 2_300_000;

/** The schema caps objet below 256 characters. */
const OBJET_MAX_LENGTH = 255;

/**
 * Why a row must be published: `convention_annual_amount`, a year of this convention above the
 * threshold; `funder_beneficiary_total`, the funder's awards of the year to the same beneficiary,
 * over several conventions, above it.
 */
export const publicationRules = ['convention_annual_amount', 'funder_beneficiary_total'] as const;
export type PublicationRule = (typeof publicationRules)[number];

/** A row before the threshold is applied: what one convention says on its own. */
export interface ScdlRowDraft {
  record: Record<ScdlColumn, string>;
  applicationId: string;
  funder: string;
  /** The funder's whole award under the convention. */
  totalCents: number;
  /** Its largest single-year amount: the convention's annual amount. */
  maxYearlyCents: number;
}

export interface ScdlRow extends ScdlRowDraft {
  /**
   * What the funder awards the same beneficiary in the year: the annual amounts (largest year) of
   * all its conventions entered into force that year, this one included.
   */
  beneficiaryYearCents: number;
  /** The applications whose conventions that total adds up, this one included. */
  beneficiaryApplications: string[];
  /** Publication mandatory: at least one rule holds. */
  aboveThreshold: boolean;
  /** The rules that hold (empty: publication optional). */
  publicationRules: PublicationRule[];
  /** The same in French for the person publishing; null when publication is optional. */
  publicationReason: string | null;
}

export interface ScdlExport {
  year: number;
  schemaVersion: string;
  publicationThresholdCents: number;
  rows: ScdlRow[];
  /** Every mandatory column filled: the file may be published as is. */
  complete: boolean;
  /** The funders of the rows whose SIRET is unknown (idAttribuant empty), and how many rows lack it. */
  missingIdAttribuant: { funder: string; nomAttribuant: string; rows: number }[];
  /** In French, for the person publishing: what to complete or know before publication. */
  warnings: string[];
  /** ScdlOptions.asOf, resolved: the file as the log stood then (record time). */
  asOf?: string;
}

export interface ScdlOptions {
  /** Calendar year of dateConvention. */
  year: number;
  /** Keep only the rows whose publication is mandatory. */
  aboveThresholdOnly?: boolean;
  /** Names and SIRETs of the funders: the whole directory (see attribuantDirectory), default camvsAttribuants. */
  attribuants?: AttribuantDirectory;
  /**
   * An ISO instant: the file as it could be drawn then, from the events recorded by that instant
   * (record time, not business time: what the log knew, so a file published that day can be drawn
   * again and compared). Absent: now.
   */
  asOf?: string;
  /**
   * Called after each convention replayed, with how many of how many: the replays are the long part
   * (about a millisecond each; tens of thousands in a large year).
   */
  onProgress?: (replayed: number, total: number) => void;
}

type InForceLike = Extract<ApplicationState, { status: 'in_force' | 'closed' | 'terminated' }>;

const hasConvention = (state: ApplicationState): state is InForceLike =>
  state.status === 'in_force' || state.status === 'closed' || state.status === 'terminated';

/**
 * When an installment is planned: at signature, or by the report deadline of the year it waits for —
 * never before the convention is in force, since nothing is paid before (a report deadline already
 * past at signature means a payment as soon as the report is accepted).
 */
function plannedDate(
  installment: Pick<Installment, 'trigger'>,
  convention: Convention,
  dateConvention: CivilDate,
): CivilDate {
  if (installment.trigger.kind === 'signature') return dateConvention;
  const reportYear = installment.trigger.reportYear;
  const due = convention.years.find((y) => y.year === reportYear)?.reportDueDate;
  return due !== undefined && due > dateConvention ? due : dateConvention;
}

const maxDate = (dates: readonly CivilDate[]): CivilDate | undefined =>
  dates.reduce<CivilDate | undefined>((a, b) => (a === undefined || b > a ? b : a), undefined);

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Replays an application from the events recorded by `recordedBy`. */
async function replay(
  store: EventStore,
  applicationId: string,
  recordedBy: number,
): Promise<ApplicationState> {
  let state = applicationReplay.initialState;
  for (const recorded of await store.readStream(applicationStreamName(applicationId))) {
    // A stream is recorded in revision order: the first event after the cut ends what was known.
    if (eventTimeMs(recorded, 'record') > recordedBy) break;
    if (!applicationReplay.eventTypes.has(recorded.type)) {
      throw new ForeignEventError(recorded.stream, recorded.revision, recorded.type, applicationReplay.label);
    }
    const event = { type: recorded.type, data: recorded.data } as Parameters<
      typeof applicationReplay.evolve
    >[1];
    state = applicationReplay.evolve(state, event);
  }
  return state;
}

function rowsOf(state: InForceLike, attribuants: AttribuantDirectory): ScdlRowDraft[] {
  const dateConvention = parisDateOf(state.enteredIntoForceAt);
  const { award, convention, dossier } = state;
  const funders = [...new Set(award.plan.map((line) => line.funder))];
  return funders.map((funder) => {
    const lines = award.plan.filter((line) => line.funder === funder);
    const totalCents = lines.reduce((sum, line) => sum + line.amountCents, 0);
    const maxYearlyCents = Math.max(...lines.map((line) => line.amountCents));
    // The conditions of payment are the convention's, as signed (décret n° 2017-779: data of the
    // convention, published within three months of its signature): what happened since — a balance
    // cancelled as the spending was covered, the installments voided by a termination, a payment
    // ordered late — never rewrites a row already published. Each dated as planned.
    const payments = convention.installments.filter((i) => i.funder === funder);
    const single = payments.length <= 1;
    const dated = payments.map((i) => plannedDate(i, convention, dateConvention));
    const last = maxDate(dated) ?? dateConvention;
    const dates = single ? (dated[0] ?? dateConvention) : `${dateConvention}/${last}`;
    const attribuant = attribuantOf(funder, attribuants);
    // The funder's own decision when its position named it; else the steering committee's.
    const position = state.coDecision.positions[funder];
    const ownDecision = position?.decision === 'committed' ? position.decisionReference : undefined;
    return {
      record: {
        nomAttribuant: attribuant.nom,
        idAttribuant: attribuant.siret ?? '',
        dateConvention,
        referenceDecision: ownDecision ?? award.decisionReference,
        nomBeneficiaire: dossier.porteur.name,
        idBeneficiaire: dossier.porteur.siret ?? '',
        rnaBeneficiaire: dossier.porteur.rna ?? '',
        objet: truncate(dossier.action.title, OBJET_MAX_LENGTH),
        montant: eurosDecimal(totalCents),
        nature: 'aide en numéraire',
        conditionsVersement: single ? 'unique' : 'échelonné',
        datesPeriodeVersement: dates,
        idRAE: '',
        notificationUE: 'non',
        pourcentageSubvention: '1.00',
        dispositifAide: '',
      },
      applicationId: state.applicationId,
      funder,
      totalCents,
      maxYearlyCents,
    };
  });
}

/**
 * How the cumulative rule recognises a beneficiary: by its SIRET and its RNA number, or by its name
 * (spacing and case aside) when its dossier gave neither.
 */
function beneficiaryKeys(record: Record<ScdlColumn, string>): string[] {
  const keys: string[] = [];
  if (record.idBeneficiaire !== '') keys.push(`siret:${record.idBeneficiaire}`);
  if (record.rnaBeneficiaire !== '') keys.push(`rna:${record.rnaBeneficiaire.toUpperCase()}`);
  if (keys.length > 0) return keys;
  return [
    `nom:${record.nomBeneficiaire.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('fr')}`,
  ];
}

/**
 * The rows of a year's conventions grouped by funder and beneficiary: two rows sharing a SIRET or an
 * RNA number are one beneficiary, even when one dossier gave both and the other only one of them.
 */
function beneficiaryGroups(drafts: readonly ScdlRowDraft[]): number[][] {
  const parent = drafts.map((_, i) => i);
  const root = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] ?? r;
    return r;
  };
  const firstWith = new Map<string, number>();
  drafts.forEach((draft, i) => {
    for (const key of beneficiaryKeys(draft.record)) {
      const scoped = `${draft.funder}|${key}`;
      const seen = firstWith.get(scoped);
      if (seen === undefined) firstWith.set(scoped, i);
      else parent[root(i)] = root(seen);
    }
  });
  const groups = new Map<number, number[]>();
  drafts.forEach((_, i) => {
    const r = root(i);
    groups.set(r, [...(groups.get(r) ?? []), i]);
  });
  return [...groups.values()];
}

const threshold = formatEuros(PUBLICATION_THRESHOLD_CENTS);

/**
 * Applies the 23 000 € threshold to a year's rows (all of them: the cumulative rule looks at every
 * convention of the year, whatever is kept afterwards).
 */
export function withPublicationObligation(drafts: readonly ScdlRowDraft[], year: number): ScdlRow[] {
  const groupOf = new Map<number, { cents: number; applications: string[] }>();
  for (const group of beneficiaryGroups(drafts)) {
    const members = group.flatMap((i) => drafts[i] ?? []);
    const total = {
      cents: members.reduce((sum, d) => sum + d.maxYearlyCents, 0),
      applications: members.map((d) => d.applicationId).sort(),
    };
    for (const i of group) groupOf.set(i, total);
  }
  return drafts.map((draft, i) => {
    const { cents, applications } = groupOf.get(i) ?? {
      cents: draft.maxYearlyCents,
      applications: [draft.applicationId],
    };
    const rules: PublicationRule[] = [];
    const reasons: string[] = [];
    if (draft.maxYearlyCents > PUBLICATION_THRESHOLD_CENTS) {
      rules.push('convention_annual_amount');
      reasons.push(
        `le montant annuel de la convention (${formatEuros(draft.maxYearlyCents)}) dépasse ${threshold}`,
      );
    }
    // With one convention, the total is that convention's annual amount: the first rule already.
    if (applications.length > 1 && cents > PUBLICATION_THRESHOLD_CENTS) {
      rules.push('funder_beneficiary_total');
      reasons.push(
        `ce financeur attribue à ce bénéficiaire ${formatEuros(cents)} par an sur ` +
          `${applications.length} conventions entrées en vigueur en ${year}, plus de ${threshold} (cumul)`,
      );
    }
    return {
      ...draft,
      beneficiaryYearCents: cents,
      beneficiaryApplications: applications,
      aboveThreshold: rules.length > 0,
      publicationRules: rules,
      publicationReason: reasons.length > 0 ? `Publication obligatoire : ${reasons.join(' ; et ')}.` : null,
    };
  });
}

// One French collator for the whole sort, rather than a locale argument on every comparison.
const inFrench = new Intl.Collator('fr').compare;
const compareRows = (a: ScdlRow, b: ScdlRow): number =>
  a.record.dateConvention.localeCompare(b.record.dateConvention) ||
  inFrench(a.record.nomBeneficiaire, b.record.nomBeneficiaire) ||
  a.applicationId.localeCompare(b.applicationId) ||
  inFrench(a.record.nomAttribuant, b.record.nomAttribuant);

/** The funders whose SIRET the rows lack, in the order they first appear. */
function missingIdAttribuant(rows: readonly ScdlRow[]): ScdlExport['missingIdAttribuant'] {
  const missing = new Map<string, { funder: string; nomAttribuant: string; rows: number }>();
  for (const row of rows) {
    if (row.record.idAttribuant !== '') continue;
    const entry = missing.get(row.funder) ?? {
      funder: row.funder,
      nomAttribuant: row.record.nomAttribuant,
      rows: 0,
    };
    entry.rows += 1;
    missing.set(row.funder, entry);
  }
  return [...missing.values()];
}

const directoryFile =
  'dans le fichier des attribuants (GRANTS_ATTRIBUANTS_FILE, ou --attribuants pour grants export) ; ' +
  'aucun identifiant n’est inventé';

/**
 * One warning per funder the directory must complete: its SIRET (a mandatory column), and its
 * official name when the export only has a generic label for it (« État »).
 */
function attribuantWarnings(rows: readonly ScdlRow[], attribuants: AttribuantDirectory): string[] {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const row of rows) {
    if (seen.has(row.funder)) continue;
    seen.add(row.funder);
    const { nomAttribuant: nom, idAttribuant: siret } = row.record;
    const generic = attribuants[row.funder] === undefined;
    const label = `« ${nom} » n’est qu’un libellé générique, pas le nom officiel de l’autorité`;
    if (siret === '' && generic)
      warnings.push(
        `idAttribuant inconnu pour « ${nom} » (${row.funder}) : le schéma exige son SIRET, et ${label} ; ` +
          `renseignez son nom officiel et son SIRET ${directoryFile}.`,
      );
    else if (siret === '')
      warnings.push(
        `idAttribuant inconnu pour « ${nom} » (${row.funder}) : le schéma exige son SIRET ; ` +
          `renseignez-le ${directoryFile}.`,
      );
    else if (generic)
      warnings.push(
        `nomAttribuant générique pour ${row.funder} : ${label} ; renseignez son nom officiel ${directoryFile}.`,
      );
  }
  return warnings;
}

/**
 * Beneficiaries whose identifier a validator of the schema would refuse, once per application: a
 * SIRET whose check digit fails (Validata's french-siret-value), or none at all for a cash grant (the
 * schema lets the SIRET out for aid in kind only). The file keeps what the dossier gave: only the
 * porteur can give the right number.
 */
function beneficiaryWarnings(rows: readonly ScdlRow[]): string[] {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const row of rows) {
    if (seen.has(row.applicationId)) continue;
    seen.add(row.applicationId);
    const { idBeneficiaire: siret, nomBeneficiaire: nom } = row.record;
    const who = `« ${nom} » (candidature ${row.applicationId})`;
    if (siret !== '' && !siretChecksumValid(siret))
      warnings.push(
        `idBeneficiaire « ${siret} » de ${who} : la clé de contrôle de ce SIRET est fausse (un chiffre mal ` +
          'recopié au dépôt ?) ; un validateur du schéma refusera la ligne : demandez au porteur son SIRET exact.',
      );
    else if (siret === '')
      warnings.push(
        `idBeneficiaire vide pour ${who}, connu par son seul numéro RNA : le schéma ne permet d’omettre le ` +
          'SIRET que pour une aide en nature, or cette subvention est en numéraire : demandez son SIRET au porteur.',
      );
  }
  return warnings;
}

/** Beneficiaries whose rows are mandatory only through the cumulative rule: worth saying why. */
function cumulativeWarnings(rows: readonly ScdlRow[], year: number): string[] {
  const said = new Set<string>();
  const warnings: string[] = [];
  for (const row of rows) {
    if (!row.publicationRules.includes('funder_beneficiary_total')) continue;
    if (row.publicationRules.includes('convention_annual_amount')) continue;
    // A funder's beneficiary groups part its rows, so the group's first application names it: joining
    // every id per row made this quadratic (23 s of a 30 s export with 36,000 rows in large groups).
    const group = `${row.funder}|${row.beneficiaryApplications[0] ?? row.applicationId}`;
    if (said.has(group)) continue;
    said.add(group);
    warnings.push(
      `Publication obligatoire par cumul : « ${row.record.nomAttribuant} » (${row.funder}) attribue à ` +
        `« ${row.record.nomBeneficiaire} » ${formatEuros(row.beneficiaryYearCents)} par an sur ` +
        `${row.beneficiaryApplications.length} conventions entrées en vigueur en ${year} ` +
        `(candidatures ${row.beneficiaryApplications.join(', ')}), plus de ${threshold} : ` +
        'chacune est à publier, même sous ce seuil à elle seule.',
    );
  }
  return warnings;
}

const FORMULA_PREVIEW_LENGTH = 60;

/** The values a spreadsheet would read as formulas: the file keeps them exact, the person is told. */
function formulaWarnings(rows: readonly ScdlRow[]): string[] {
  const found = new Map<string, { column: ScdlColumn; value: string; line: number; count: number }>();
  rows.forEach((row, index) => {
    for (const column of scdlSubventionsColumns) {
      const value = row.record[column];
      if (!looksLikeFormula(value)) continue;
      const key = `${column}\u0000${value}`;
      const entry = found.get(key);
      // Line 1 is the header.
      if (entry === undefined) found.set(key, { column, value, line: index + 2, count: 1 });
      else entry.count += 1;
    }
  });
  return [...found.values()].map(({ column, value, line, count }) => {
    const shown = truncate(value.replace(/[\t\r\n]/g, ' '), FORMULA_PREVIEW_LENGTH);
    const where = count > 1 ? `lignes ${line} et suivantes (${count})` : `ligne ${line}`;
    return (
      `${column} « ${shown} » (${where} du CSV) commence comme une formule de tableur : le fichier garde ` +
      'la valeur exacte (données ouvertes) ; pour l’ouvrir dans un tableur, importez les colonnes comme du texte.'
    );
  });
}

/**
 * The year's rows. Conventions are found through their ConventionEnteredIntoForce events (the store
 * filters on the type, so only those are read from the log), then each application is replayed.
 */
export async function scdlExport(store: EventStore, options: ScdlOptions): Promise<ScdlExport> {
  const attribuants = options.attribuants ?? camvsAttribuants;
  const prefix = String(options.year).padStart(4, '0') + '-';
  const recordedBy = options.asOf === undefined ? Number.POSITIVE_INFINITY : toEpochMs(options.asOf);
  const drafts: ScdlRowDraft[] = [];
  const applications: string[] = [];
  for await (const event of store.readAll({
    filter: { eventTypes: ['ConventionEnteredIntoForce'], streamPrefixes: ['application-'] },
  })) {
    if (eventTimeMs(event, 'record') > recordedBy) continue;
    const data = conventionEnteredIntoForceSchema.parse(event.data);
    if (parisDateOf(data.at).startsWith(prefix)) applications.push(event.stream.slice('application-'.length));
  }
  for (const [i, applicationId] of applications.entries()) {
    const state = await replay(store, applicationId, recordedBy);
    if (hasConvention(state)) drafts.push(...rowsOf(state, attribuants));
    options.onProgress?.(i + 1, applications.length);
  }
  const rows = withPublicationObligation(drafts, options.year);
  const kept = options.aboveThresholdOnly ? rows.filter((r) => r.aboveThreshold) : rows;
  kept.sort(compareRows);
  const missing = missingIdAttribuant(kept);
  return {
    year: options.year,
    schemaVersion: SCDL_SUBVENTIONS_VERSION,
    publicationThresholdCents: PUBLICATION_THRESHOLD_CENTS,
    rows: kept,
    complete: missing.length === 0,
    missingIdAttribuant: missing,
    warnings: [
      ...attribuantWarnings(kept, attribuants),
      ...beneficiaryWarnings(kept),
      ...cumulativeWarnings(kept, options.year),
      ...formulaWarnings(kept),
    ],
    ...(options.asOf === undefined ? {} : { asOf: fromEpochMs(recordedBy) }),
  };
}

/** `subventions-2027.csv`; drawn as of a past instant, `subventions-2027-au-2028-06-30.csv` (Paris day). */
export const scdlFileName = (result: Pick<ScdlExport, 'year' | 'asOf'>): string =>
  `subventions-${result.year}${result.asOf === undefined ? '' : `-au-${parisDateOf(result.asOf)}`}.csv`;

/**
 * Why the file cannot be published as is, in French; each caller adds how to complete it where it
 * is (a setting for the API, an option for the command line).
 */
export function scdlIncompleteSummary(result: Pick<ScdlExport, 'year' | 'missingIdAttribuant'>): string {
  const funders = result.missingIdAttribuant
    .map((m) => `« ${m.nomAttribuant} » (${m.funder}, ${m.rows} ligne${m.rows > 1 ? 's' : ''})`)
    .join(', ');
  return (
    `Export SCDL des conventions de ${result.year} incomplet : idAttribuant, le SIRET du financeur que le ` +
    `schéma rend obligatoire, est inconnu pour ${funders}.`
  );
}

/** The CSV file: the schema's header, then one record per row (RFC 4180, UTF-8), values exact. */
export function scdlCsv(rows: readonly ScdlRow[]): string {
  return (
    csvExactRecord(scdlSubventionsColumns) +
    rows.map((row) => csvExactRecord(scdlSubventionsColumns.map((column) => row.record[column]))).join('')
  );
}
