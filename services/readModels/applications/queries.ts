// Queries of the `applications` slice: the filtered list (grant managers' queues, a porteur's own
// applications) and one application's full picture.
import type { Database, Statement } from 'better-sqlite3';
import type { ApplicationStatus, SubmittedState } from '../../../domain/application';
import { funderName } from '../../../domain/reference/funders';
import { themeLabel, type ThemeCode } from '../../../domain/reference/themes';
import { clampLimit, decimal, perDatabase } from '../shared/db';
import { applicationStatusLabels, sumAmounts, type Amounts, type AwaitedAction } from './facts';
import { readState } from './stateStore';

export type ApplicationSort = 'submitted' | 'deadline';

export interface ApplicationListFilters {
  campaignId?: string;
  status?: ApplicationStatus | readonly ApplicationStatus[];
  /** A targeted QPV code. */
  qpv?: string;
  /** A funder solicited or in the plan (ETAT, COMMUNE-59392…). */
  funder?: string;
  /** A role (grant_manager, porteur, funder, citizen_council) or a funder institution that must act now. */
  waitingOn?: string;
  /** A porteur's own view: only its applications. */
  porteurId?: string;
  /** 'submitted' (default): most recent submissions first; 'deadline': soonest deadline first. */
  sort?: ApplicationSort;
  /** Default 50, at most 500. */
  limit?: number;
  /** `nextCursor` of the previous page (preferred to offset: stable while rows change). */
  cursor?: string;
  offset?: number;
}

export interface ApplicationListItem {
  id: string;
  campaignId: string;
  porteurId: string;
  porteur: { name: string; siret: string | null; rna: string | null };
  title: string;
  theme: string;
  themeLabel: string;
  qpvCodes: string[];
  durationYears: number;
  conventionKind: 'CPO' | 'annual' | null;
  status: ApplicationStatus;
  statusLabel: string;
  /** What it waits on, in French; null once the file is over. */
  waitingFor: string | null;
  /** Roles and funder institutions that must act now. */
  waitingOn: string[];
  /** Earliest pending deadline (timer) of the application. */
  nextDeadline: { at: string; kind: string } | null;
  amounts: Amounts;
  expectedBeneficiaries: number;
  reachedBeneficiaries: number;
  submittedAt: string;
  updatedAt: string;
  recordedAt: string;
  /** Stream revision of the last event: the ETag of the application. */
  revision: string;
  lastPosition: string;
}

export interface ApplicationPage {
  items: ApplicationListItem[];
  /** How many applications match the filters (all pages). */
  total: number;
  limit: number;
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface FunderYearDetail extends Amounts {
  year: number;
  calendarYear: number;
}

export interface ApplicationFunderDetail {
  funder: string;
  funderName: string;
  totals: Amounts;
  years: FunderYearDetail[];
}

export interface ApplicationDetail extends ApplicationListItem {
  awaited: AwaitedAction[];
  funders: ApplicationFunderDetail[];
  /** The folded domain state (evolveApplication over the whole stream). */
  state: SubmittedState;
}

interface ApplicationRow {
  seq: number;
  application_id: string;
  campaign_id: string;
  porteur_id: string;
  porteur_name: string;
  siret: string | null;
  rna: string | null;
  title: string;
  theme: string;
  qpv_codes: string;
  duration_years: number;
  convention_kind: 'CPO' | 'annual' | null;
  status: ApplicationStatus;
  waiting_for: string | null;
  waiting_on: string;
  awaited: string;
  next_deadline_at: string | null;
  next_deadline_kind: string | null;
  requested_cents: number;
  committed_cents: number;
  awarded_cents: number;
  paid_cents: number;
  recovered_cents: number;
  expected_beneficiaries: number;
  reached_beneficiaries: number;
  submitted_at: string;
  updated_at: string;
  recorded_at: string;
  last_position: number;
  revision: number;
}

interface FunderRow {
  funder: string;
  year: number;
  calendar_year: number;
  requested_cents: number;
  committed_cents: number;
  awarded_cents: number;
  paid_cents: number;
  recovered_cents: number;
}

const toItem = (r: ApplicationRow): ApplicationListItem => ({
  id: r.application_id,
  campaignId: r.campaign_id,
  porteurId: r.porteur_id,
  porteur: { name: r.porteur_name, siret: r.siret, rna: r.rna },
  title: r.title,
  theme: r.theme,
  themeLabel: themeLabel(r.theme as ThemeCode),
  qpvCodes: JSON.parse(r.qpv_codes) as string[],
  durationYears: r.duration_years,
  conventionKind: r.convention_kind,
  status: r.status,
  statusLabel: applicationStatusLabels[r.status],
  waitingFor: r.waiting_for,
  waitingOn: JSON.parse(r.waiting_on) as string[],
  nextDeadline:
    r.next_deadline_at === null ? null : { at: r.next_deadline_at, kind: r.next_deadline_kind ?? '' },
  amounts: {
    requestedCents: r.requested_cents,
    committedCents: r.committed_cents,
    awardedCents: r.awarded_cents,
    paidCents: r.paid_cents,
    recoveredCents: r.recovered_cents,
  },
  expectedBeneficiaries: r.expected_beneficiaries,
  reachedBeneficiaries: r.reached_beneficiaries,
  submittedAt: r.submitted_at,
  updatedAt: r.updated_at,
  recordedAt: r.recorded_at,
  revision: decimal(r.revision),
  lastPosition: decimal(r.last_position),
});

const statements = perDatabase((db: Database) => ({
  byId: db.prepare<[string], ApplicationRow>('SELECT * FROM applications WHERE application_id = ?'),
  funders: db.prepare<[number], FunderRow>(
    'SELECT * FROM application_funders WHERE seq = ? ORDER BY funder, year',
  ),
  /** List statements by shape of the query (which filters are present), compiled on first use. */
  lists: new Map<string, Statement<unknown[], ApplicationRow>>(),
  counts: new Map<string, Statement<unknown[], { total: number }>>(),
}));

interface DeadlineCursor {
  at: string | null;
  seq: number;
}

function encodeCursor(sort: ApplicationSort, row: ApplicationRow): string {
  if (sort === 'submitted') return String(row.seq);
  const cursor: DeadlineCursor = { at: row.next_deadline_at, seq: row.seq };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`Curseur de pagination invalide : « ${cursor} ». Reprenez la liste depuis la première page.`);
    this.name = 'InvalidCursorError';
  }
}

function decodeDeadlineCursor(cursor: string): DeadlineCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<DeadlineCursor>;
    if (typeof value.seq === 'number' && (value.at === null || typeof value.at === 'string'))
      return { at: value.at, seq: value.seq };
  } catch {
    // Not base64 JSON: reported below as an invalid cursor.
  }
  throw new InvalidCursorError(cursor);
}

interface Built {
  from: string;
  where: string[];
  params: unknown[];
  order: string;
  /** The column the cursor of 'submitted' pages compares. */
  seqColumn: string;
}

function build(filters: ApplicationListFilters): Built {
  const tags: string[] = [];
  if (filters.waitingOn !== undefined) tags.push(`waiting:${filters.waitingOn}`);
  if (filters.funder !== undefined) tags.push(`funder:${filters.funder}`);
  if (filters.qpv !== undefined) tags.push(`qpv:${filters.qpv}`);
  const where: string[] = [];
  const params: unknown[] = [];
  let from = 'applications a';
  let seqColumn = 'a.seq';
  const [driver, ...others] = tags;
  if (driver !== undefined) {
    // The first tag drives the scan in seq order; the campaign is in its index.
    from = 'application_tags t JOIN applications a ON a.seq = t.seq';
    seqColumn = 't.seq';
    where.push('t.tag = ?');
    params.push(driver);
    if (filters.campaignId !== undefined) {
      where.push('t.campaign_id = ?');
      params.push(filters.campaignId);
    }
  } else if (filters.campaignId !== undefined) {
    where.push('a.campaign_id = ?');
    params.push(filters.campaignId);
  }
  for (const tag of others) {
    where.push('EXISTS (SELECT 1 FROM application_tags o WHERE o.tag = ? AND o.seq = a.seq)');
    params.push(tag);
  }
  if (filters.status !== undefined) {
    const statuses: readonly string[] =
      typeof filters.status === 'string' ? [filters.status] : filters.status;
    if (statuses.length === 1) where.push('a.status = ?');
    else where.push(`a.status IN (${statuses.map(() => '?').join(', ')})`);
    params.push(...statuses);
  }
  if (filters.porteurId !== undefined) {
    where.push('a.porteur_id = ?');
    params.push(filters.porteurId);
  }
  const order =
    filters.sort === 'deadline'
      ? `a.next_deadline_at IS NULL, a.next_deadline_at, ${seqColumn}`
      : `${seqColumn} DESC`;
  return { from, where, params, order, seqColumn };
}

const whereClause = (where: readonly string[]): string =>
  where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;

/** The applications matching the filters, a page at a time, with the total count. */
export function listApplications(db: Database, filters: ApplicationListFilters = {}): ApplicationPage {
  const s = statements(db);
  const sort: ApplicationSort = filters.sort ?? 'submitted';
  const limit = clampLimit(filters.limit);
  const built = build(filters);
  if (filters.status !== undefined && typeof filters.status !== 'string' && filters.status.length === 0)
    return { items: [], total: 0, limit, nextCursor: null };

  const countSql = `SELECT COUNT(*) AS total FROM ${built.from} ${whereClause(built.where)}`;
  let count = s.counts.get(countSql);
  if (count === undefined) {
    count = db.prepare<unknown[], { total: number }>(countSql);
    s.counts.set(countSql, count);
  }
  const total = count.get(...built.params)?.total ?? 0;

  const where = [...built.where];
  const params = [...built.params];
  if (filters.cursor !== undefined) {
    if (sort === 'submitted') {
      const seq = Number(filters.cursor);
      if (!Number.isSafeInteger(seq)) throw new InvalidCursorError(filters.cursor);
      where.push(`${built.seqColumn} < ?`);
      params.push(seq);
    } else {
      const c = decodeDeadlineCursor(filters.cursor);
      if (c.at === null) {
        where.push(`(a.next_deadline_at IS NULL AND ${built.seqColumn} > ?)`);
        params.push(c.seq);
      } else {
        where.push(
          `(a.next_deadline_at IS NULL OR a.next_deadline_at > ? OR (a.next_deadline_at = ? AND ${built.seqColumn} > ?))`,
        );
        params.push(c.at, c.at, c.seq);
      }
    }
  }
  const listSql = `SELECT a.* FROM ${built.from} ${whereClause(where)} ORDER BY ${built.order} LIMIT ? OFFSET ?`;
  let list = s.lists.get(listSql);
  if (list === undefined) {
    list = db.prepare<unknown[], ApplicationRow>(listSql);
    s.lists.set(listSql, list);
  }
  // One more than asked tells whether a next page exists.
  const rows = list.all(...params, limit + 1, Math.max(0, Math.trunc(filters.offset ?? 0)));
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    total,
    limit,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(sort, last) : null,
  };
}

/** One application: its row, what is awaited, the money per funder and year, and its folded state. */
export function getApplication(db: Database, applicationId: string): ApplicationDetail | undefined {
  const s = statements(db);
  const row = s.byId.get(applicationId);
  if (row === undefined) return undefined;
  const state = readState(db, row.seq)?.state;
  if (state === undefined)
    throw new Error(`Candidature ${applicationId} : la ligne existe mais pas son état replié.`);
  const byFunder = new Map<string, FunderYearDetail[]>();
  for (const f of s.funders.all(row.seq)) {
    const years = byFunder.get(f.funder) ?? [];
    years.push({
      year: f.year,
      calendarYear: f.calendar_year,
      requestedCents: f.requested_cents,
      committedCents: f.committed_cents,
      awardedCents: f.awarded_cents,
      paidCents: f.paid_cents,
      recoveredCents: f.recovered_cents,
    });
    byFunder.set(f.funder, years);
  }
  return {
    ...toItem(row),
    awaited: JSON.parse(row.awaited) as AwaitedAction[],
    funders: [...byFunder].map(([funder, years]) => ({
      funder,
      funderName: funderName(funder),
      totals: sumAmounts(years),
      years,
    })),
    state,
  };
}
