// The `reports` projection: one row per application and convention year once the convention is in
// force, read from the folded state's yearly reports (the applications projection's fold), written
// at the end of each batch for the applications it touched.
import type { Database } from 'better-sqlite3';
import type { ReportYearState, SubmittedState } from '../../../domain/application';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import type { Projection } from '../../../infra/projections/projection';
import {
  applicationChangeFor,
  readsFlushedApplications,
  takeFlushedApplications,
} from '../shared/applicationChange';
import { perDatabase, storedInstant } from '../shared/db';
import { applicationEventTypes, asApplicationEvent } from '../shared/events';

const PROJECTION = 'reports';
readsFlushedApplications(PROJECTION);

export const reportStatuses = [
  'not_due',
  'expected',
  'reminder_sent',
  'overdue',
  'submitted',
  'changes_requested',
  'accepted',
] as const;
export type ReportStatus = (typeof reportStatuses)[number];

export const reportsSchema: readonly string[] = [
  `CREATE TABLE application_reports (
    seq                  INTEGER NOT NULL, -- the application's row in applications
    year                 INTEGER NOT NULL, -- convention year
    application_id       TEXT NOT NULL,
    campaign_id          TEXT NOT NULL,
    porteur_id           TEXT NOT NULL,
    porteur_name         TEXT NOT NULL,
    title                TEXT NOT NULL,
    application_status   TEXT NOT NULL,
    funders              TEXT NOT NULL, -- ',ETAT,REGION,': the funders of the convention
    year_start           TEXT NOT NULL,
    year_end             TEXT NOT NULL,
    due_date             TEXT NOT NULL, -- civil date (Paris)
    status               TEXT NOT NULL, -- see reportStatuses
    overdue              INTEGER NOT NULL,
    reminder_sent        INTEGER NOT NULL,
    submitted_at         TEXT,
    beneficiaries_reached INTEGER,
    PRIMARY KEY (seq, year)
  ) STRICT, WITHOUT ROWID`,
  // Reports of conventions in force by status and due date: the overdue ones, those to come.
  `CREATE INDEX application_reports_in_force ON application_reports (status, due_date)
     WHERE application_status = 'in_force'`,
  'CREATE INDEX application_reports_by_campaign ON application_reports (campaign_id, status, due_date)',
  'CREATE INDEX application_reports_by_application ON application_reports (application_id, year)',
];

/** The report's status as people say it: overdue wins over reminder sent, which wins over expected. */
export function reportStatusOf(r: ReportYearState): ReportStatus {
  switch (r.status) {
    case 'not_due':
      return 'not_due';
    case 'expected':
      return r.overdue ? 'overdue' : r.reminderSent ? 'reminder_sent' : 'expected';
    case 'changes_requested':
      return r.overdue ? 'overdue' : 'changes_requested';
    case 'submitted':
      return 'submitted';
    case 'accepted':
      return 'accepted';
    default: {
      const never: never = r;
      return never;
    }
  }
}

const statements = perDatabase((db: Database) => ({
  insert: db.prepare(
    `INSERT OR REPLACE INTO application_reports (seq, year, application_id, campaign_id, porteur_id, porteur_name, title,
       application_status, funders, year_start, year_end, due_date, status, overdue, reminder_sent, submitted_at,
       beneficiaries_reached)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
}));

type WithReports = Extract<SubmittedState, { reports: ReportYearState[] }>;

const hasReports = (state: SubmittedState | undefined): state is WithReports =>
  state !== undefined && 'reports' in state;

/** Writes the rows of the reports not in `unchanged` (the years of a convention never change). */
function writeReports(
  db: Database,
  seq: number,
  state: WithReports,
  unchanged: ReadonlySet<ReportYearState>,
): void {
  const s = statements(db);
  const funders = `,${[...new Set(state.award.plan.map((p) => p.funder))].join(',')},`;
  for (const r of state.reports) {
    if (unchanged.has(r)) continue;
    const year = state.convention.years.find((y) => y.year === r.year);
    if (year === undefined)
      throw new Error(
        `Candidature ${state.applicationId} : compte rendu de l'année ${r.year} hors convention.`,
      );
    const dueDate =
      r.status === 'expected' || r.status === 'changes_requested' || r.status === 'submitted'
        ? r.dueDate
        : year.reportDueDate;
    s.insert.run(
      seq,
      r.year,
      state.applicationId,
      state.campaignId,
      state.porteurId,
      state.dossier.porteur.name,
      state.dossier.action.title,
      state.status,
      funders,
      year.startDate,
      year.endDate,
      dueDate,
      reportStatusOf(r),
      (r.status === 'expected' || r.status === 'changes_requested') && r.overdue ? 1 : 0,
      r.status === 'expected' && r.reminderSent ? 1 : 0,
      r.status === 'submitted' ? storedInstant(r.submittedAt) : null,
      r.status === 'submitted' || r.status === 'changes_requested' || r.status === 'accepted'
        ? r.report.beneficiariesReached
        : null,
    );
  }
}

function applyReports(db: Database, event: RecordedEvent): void {
  // Nothing to write per event; this only checks that the applications projection runs before.
  if (asApplicationEvent(event) !== undefined) applicationChangeFor(db, event, PROJECTION);
}

/** The applications written at this batch's flush: their reports as the state has them now. */
function flushReports(db: Database): void {
  for (const { seq, before: previous, after: next } of takeFlushedApplications(db, PROJECTION)) {
    if (!hasReports(next)) continue;
    // evolve keeps the report objects an event does not touch; the status and the dossier are
    // copied into every row.
    const sameApplication =
      hasReports(previous) && previous.status === next.status && previous.dossier === next.dossier;
    if (sameApplication && previous.reports === next.reports) continue;
    writeReports(db, seq, next, new Set(sameApplication ? previous.reports : []));
  }
}

export const reportsProjection: Projection = {
  name: PROJECTION,
  version: 1,
  ordering: 'per-stream',
  schema: reportsSchema,
  handles: applicationEventTypes,
  apply: applyReports,
  flush: flushReports,
};
