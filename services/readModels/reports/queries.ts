// Queries of the `reports` slice: overdue yearly reports (payments of those applications are
// suspended) and those due soon.
import type { Database, Statement } from 'better-sqlite3';
import { addDays } from '../../../domain/calendar';
import { cached, civilDate, clampLimit, perDatabase } from '../shared/db';
import type { ReportStatus } from './projection';

export const reportStatusLabels: Record<ReportStatus, string> = {
  not_due: 'Année en cours',
  expected: 'Attendu',
  reminder_sent: 'Attendu (rappel envoyé)',
  overdue: 'En retard',
  submitted: 'Déposé, en examen',
  changes_requested: 'Corrections demandées',
  accepted: 'Accepté',
};

export interface ReportItem {
  applicationId: string;
  campaignId: string;
  porteurId: string;
  porteurName: string;
  title: string;
  /** Convention year (1 … 4) and its dates. */
  year: number;
  yearStart: string;
  yearEnd: string;
  /** Civil date (Paris) by which the report is due. */
  dueDate: string;
  status: ReportStatus;
  statusLabel: string;
  overdue: boolean;
  reminderSent: boolean;
  submittedAt: string | null;
  beneficiariesReached: number | null;
  /** Funders of the convention. */
  funders: string[];
}

/** A list of reports, the first `limit` of them, and how many match in all (more than listed: cut). */
export interface ReportList {
  items: ReportItem[];
  total: number;
}

export interface OverdueFilters {
  campaignId?: string;
  funder?: string;
  /** A porteur's own reports only. */
  porteurId?: string;
  /** Default 500, at most 5000 (the oldest due first). */
  limit?: number;
}

export interface UpcomingFilters {
  /** Reports due between asOf and asOf + withinDays (inclusive). */
  withinDays: number;
  /** A civil date or an instant (read as its Paris date). */
  asOf: string;
  campaignId?: string;
  funder?: string;
  /** A porteur's own reports only. */
  porteurId?: string;
  /** Default 500, at most 5000 (the soonest due first). */
  limit?: number;
}

interface ReportRow {
  application_id: string;
  campaign_id: string;
  porteur_id: string;
  porteur_name: string;
  title: string;
  year: number;
  year_start: string;
  year_end: string;
  due_date: string;
  status: ReportStatus;
  overdue: number;
  reminder_sent: number;
  submitted_at: string | null;
  beneficiaries_reached: number | null;
  funders: string;
}

const toItem = (r: ReportRow): ReportItem => ({
  applicationId: r.application_id,
  campaignId: r.campaign_id,
  porteurId: r.porteur_id,
  porteurName: r.porteur_name,
  title: r.title,
  year: r.year,
  yearStart: r.year_start,
  yearEnd: r.year_end,
  dueDate: r.due_date,
  status: r.status,
  statusLabel: reportStatusLabels[r.status],
  overdue: r.overdue === 1,
  reminderSent: r.reminder_sent === 1,
  submittedAt: r.submitted_at,
  beneficiariesReached: r.beneficiaries_reached,
  funders: r.funders.split(',').filter((f) => f !== ''),
});

const statements = perDatabase((db: Database) => ({
  byApplication: db.prepare<[string], ReportRow>(
    'SELECT * FROM application_reports WHERE application_id = ? ORDER BY year',
  ),
  queries: new Map<string, Statement<unknown[], ReportRow>>(),
  counts: new Map<string, Statement<unknown[], { total: number }>>(),
}));

function run(db: Database, where: string[], params: unknown[], limit: number | undefined): ReportList {
  const s = statements(db);
  const matching = `FROM application_reports WHERE application_status = 'in_force' AND ${where.join(' AND ')}`;
  const items = cached(
    s.queries,
    db,
    `SELECT * ${matching} ORDER BY due_date, campaign_id, porteur_name, year LIMIT ?`,
  )
    .all(...params, clampLimit(limit, 500, 5000))
    .map(toItem);
  // Counted only when the page is full: a list cut at its limit says so rather than passing for all.
  const total =
    items.length < clampLimit(limit, 500, 5000)
      ? items.length
      : (cached(s.counts, db, `SELECT count(*) AS total ${matching}`).get(...params)?.total ?? items.length);
  return { items, total };
}

function common(
  filters: { campaignId?: string; funder?: string; porteurId?: string },
  where: string[],
  params: unknown[],
): void {
  if (filters.porteurId !== undefined) {
    where.push('porteur_id = ?');
    params.push(filters.porteurId);
  }
  if (filters.campaignId !== undefined) {
    where.push('campaign_id = ?');
    params.push(filters.campaignId);
  }
  if (filters.funder !== undefined) {
    where.push('instr(funders, ?) > 0');
    params.push(`,${filters.funder},`);
  }
}

/** Reports marked overdue (the domain's timer), of conventions still in force, oldest due first. */
export function overdueReports(db: Database, filters: OverdueFilters = {}): ReportList {
  const where = ["status = 'overdue'"];
  const params: unknown[] = [];
  common(filters, where, params);
  return run(db, where, params, filters.limit);
}

/** Reports still to file or to correct whose due date falls within the next `withinDays` days. */
export function upcomingReports(db: Database, filters: UpcomingFilters): ReportList {
  const from = civilDate(filters.asOf);
  const to = addDays(from, Math.max(0, Math.trunc(filters.withinDays)));
  const where = [
    "status IN ('not_due', 'expected', 'reminder_sent', 'changes_requested')",
    'due_date >= ?',
    'due_date <= ?',
  ];
  const params: unknown[] = [from, to];
  common(filters, where, params);
  return run(db, where, params, filters.limit);
}

/** Every yearly report of one application, year by year. */
export function applicationReports(db: Database, applicationId: string): ReportItem[] {
  return statements(db).byApplication.all(applicationId).map(toItem);
}
