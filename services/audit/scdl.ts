// Open data: the awarded subsidies of one year in the SCDL « subventions » schema, v2.1.1
// (schema.data.gouv.fr/scdl/subventions), one row per beneficiary and funder of a convention that
// entered into force that year. Publication is mandatory when the annual amount exceeds 23 000 €
// (loi n° 2000-321, art. 10; décret n° 2017-779); rows say whether they do, and an option keeps
// only those.
//
// Choices, where the schema leaves them to the publisher (docs/audit.md says the same for people):
// - the year is the year of dateConvention, the day the last signature put the convention in force;
// - montant is the funder's whole award under the convention (every year of a CPO), as the schema
//   asks for the total; the 23 000 € test is on the largest single year;
// - conditionsVersement and datesPeriodeVersement count the payments made or still to come: an
//   installment cancelled because its year's spending was already covered is none. One payment is
//   'unique', on its day; several are 'échelonné', from dateConvention to the last one (the day it
//   was ordered, or for one still to come its report deadline, never before dateConvention);
// - idAttribuant is the funder's SIRET when the directory knows it, else left empty (never made up)
//   with a warning, since the schema requires it;
// - notificationUE is 'non' (grants to associations under the contrat de ville are not state aid
//   notified to the European Commission); idRAE and dispositifAide stay empty (no identifiers for
//   an AMI exist in those repertories).
import {
  applicationStreamName,
  conventionEnteredIntoForceSchema,
  type ApplicationState,
  type Convention,
  type Installment,
} from '../../domain/application';
import { parisDateOf, type CivilDate } from '../../domain/calendar';
import { funderName } from '../../domain/reference/funders';
import { funderIdSchema } from '../../domain/shared/funders';
import type { EventStore } from '../../infra/eventstore/port';
import { applicationReplay, ForeignEventError } from './asOf';
import { csvRecord, eurosDecimal } from './csv';

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

/** A funder as the open data names it. */
export interface Attribuant {
  /** Official name of the authority. */
  nom: string;
  /** 14 digits; only a SIRET known from a reliable source. */
  siret?: string;
}

/** By funder id (ETAT, REGION, …, COMMUNE-<INSEE>). */
export type AttribuantDirectory = Readonly<Partial<Record<string, Attribuant>>>;

/**
 * The reference case's funders whose SIRET is public and attested in the project's domain notes:
 * the agglomeration (CAMVS) and two communes. A commune's SIRET cannot be derived from its INSEE code
 * (its check digit and NIC are not), so other communes stay unknown until someone supplies them.
 */
export const camvsAttribuants: AttribuantDirectory = {
  EPCI: { nom: "Communauté d'Agglomération Maubeuge Val-de-Sambre", siret: '20004339600015' },
  'COMMUNE-59392': { nom: 'Commune de Maubeuge', siret: '21590392300013' },
  'COMMUNE-59365': { nom: 'Commune de Louvroil', siret: '21590365900013' },
};

export function attribuantOf(funder: string, directory: AttribuantDirectory = camvsAttribuants): Attribuant {
  const known = directory[funder];
  if (known) return known;
  const parsed = funderIdSchema.safeParse(funder);
  return { nom: parsed.success ? funderName(parsed.data) : funder };
}

export interface ScdlRow {
  record: Record<ScdlColumn, string>;
  applicationId: string;
  funder: string;
  /** The funder's whole award under the convention. */
  totalCents: number;
  /** Its largest single-year amount: what the publication threshold is tested on. */
  maxYearlyCents: number;
  /** Publication mandatory (an annual amount above 23 000 €). */
  aboveThreshold: boolean;
}

export interface ScdlExport {
  year: number;
  schemaVersion: string;
  rows: ScdlRow[];
  /** In French, for the person publishing: what must be completed before publication. */
  warnings: string[];
}

export interface ScdlOptions {
  /** Calendar year of dateConvention. */
  year: number;
  /** Keep only the rows whose publication is mandatory. */
  aboveThresholdOnly?: boolean;
  /** Names and SIRETs of the funders: the whole directory (extend camvsAttribuants), default camvsAttribuants. */
  attribuants?: AttribuantDirectory;
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

/** Replays an application and notes when each installment was actually ordered. */
async function replay(
  store: EventStore,
  applicationId: string,
): Promise<{ state: ApplicationState; orderedOn: Map<string, CivilDate> }> {
  let state = applicationReplay.initialState;
  const orderedOn = new Map<string, CivilDate>();
  for (const recorded of await store.readStream(applicationStreamName(applicationId))) {
    if (!applicationReplay.eventTypes.has(recorded.type)) {
      throw new ForeignEventError(recorded.stream, recorded.revision, recorded.type, applicationReplay.label);
    }
    const event = { type: recorded.type, data: recorded.data } as Parameters<
      typeof applicationReplay.evolve
    >[1];
    state = applicationReplay.evolve(state, event);
    if (event.type === 'PaymentOrdered')
      orderedOn.set(event.data.installmentId, parisDateOf(event.data.orderedAt));
  }
  return { state, orderedOn };
}

function rowsOf(
  state: InForceLike,
  orderedOn: Map<string, CivilDate>,
  attribuants: AttribuantDirectory,
): ScdlRow[] {
  const dateConvention = parisDateOf(state.enteredIntoForceAt);
  const { award, convention, dossier } = state;
  const funders = [...new Set(award.plan.map((line) => line.funder))];
  return funders.map((funder) => {
    const lines = award.plan.filter((line) => line.funder === funder);
    const totalCents = lines.reduce((sum, line) => sum + line.amountCents, 0);
    const maxYearlyCents = Math.max(...lines.map((line) => line.amountCents));
    // The payments: those ordered, and those still to come. A cancelled installment is never paid
    // (the spending it was for was already covered): it neither makes the payment « échelonné »
    // nor dates the period.
    const payments = state.installments.filter((i) => i.funder === funder && i.status !== 'cancelled');
    const single = payments.length <= 1;
    const dated = payments.map((i) => orderedOn.get(i.id) ?? plannedDate(i, convention, dateConvention));
    const last = maxDate(dated) ?? dateConvention;
    const dates = single ? (dated[0] ?? dateConvention) : `${dateConvention}/${last}`;
    const attribuant = attribuantOf(funder, attribuants);
    return {
      record: {
        nomAttribuant: attribuant.nom,
        idAttribuant: attribuant.siret ?? '',
        dateConvention,
        referenceDecision: award.decisionReference,
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
      aboveThreshold: maxYearlyCents > PUBLICATION_THRESHOLD_CENTS,
    };
  });
}

const compareRows = (a: ScdlRow, b: ScdlRow): number =>
  a.record.dateConvention.localeCompare(b.record.dateConvention) ||
  a.record.nomBeneficiaire.localeCompare(b.record.nomBeneficiaire, 'fr') ||
  a.applicationId.localeCompare(b.applicationId) ||
  a.record.nomAttribuant.localeCompare(b.record.nomAttribuant, 'fr');

/**
 * The year's rows. Conventions are found through their ConventionEnteredIntoForce events (the store
 * filters on the type, so only those are read from the log), then each application is replayed.
 */
export async function scdlExport(store: EventStore, options: ScdlOptions): Promise<ScdlExport> {
  const attribuants = options.attribuants ?? camvsAttribuants;
  const prefix = String(options.year).padStart(4, '0') + '-';
  const rows: ScdlRow[] = [];
  const applications: string[] = [];
  for await (const event of store.readAll({
    filter: { eventTypes: ['ConventionEnteredIntoForce'], streamPrefixes: ['application-'] },
  })) {
    const data = conventionEnteredIntoForceSchema.parse(event.data);
    if (parisDateOf(data.at).startsWith(prefix)) applications.push(event.stream.slice('application-'.length));
  }
  for (const applicationId of applications) {
    const { state, orderedOn } = await replay(store, applicationId);
    if (hasConvention(state)) rows.push(...rowsOf(state, orderedOn, attribuants));
  }
  const kept = options.aboveThresholdOnly ? rows.filter((r) => r.aboveThreshold) : rows;
  kept.sort(compareRows);

  const warnings: string[] = [];
  const unknown = new Map<string, string>();
  for (const row of kept)
    if (row.record.idAttribuant === '') unknown.set(row.funder, row.record.nomAttribuant);
  for (const [funder, nom] of unknown) {
    warnings.push(
      `idAttribuant inconnu pour « ${nom} » (${funder}) : le schéma l'exige ; renseignez le SIRET de ce financeur ` +
        'avant publication (aucun identifiant n’est inventé).',
    );
  }
  return { year: options.year, schemaVersion: SCDL_SUBVENTIONS_VERSION, rows: kept, warnings };
}

/** The CSV file: the schema's header, then one record per row (RFC 4180, UTF-8). */
export function scdlCsv(rows: readonly ScdlRow[]): string {
  return (
    csvRecord(scdlSubventionsColumns) +
    rows.map((row) => csvRecord(scdlSubventionsColumns.map((column) => row.record[column]))).join('')
  );
}
