// Queries of the `applications` slice: the filtered list (grant managers' queues, a porteur's own
// applications) and one application's full picture.
import type { Database, Statement } from 'better-sqlite3';
import type { ApplicationStatus, SubmittedState } from '../../../domain/application';
import { funderName } from '../../../domain/reference/funders';
import { themeLabel, themes, type ThemeCode } from '../../../domain/reference/themes';
import { cached, clampLimit, decimal, perDatabase } from '../shared/db';
import { applicationStatusLabels, sumAmounts, type Amounts, type AwaitedAction } from './facts';
import type { StreamReader } from '../../../infra/projections/projection';
import { foldFromLog } from './folds';

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
  /**
   * In a list filtered by funder (a funder's own lists always are): that funder's share of the
   * amounts, every convention year together. `amounts` stays the application's, all funders together.
   */
  funderAmounts?: Amounts & { funder: string };
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

export interface ApplicationDetail extends Omit<ApplicationListItem, 'funderAmounts'> {
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
  deadline_key: string;
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

/** A list row: what the cursor needs, and the item as JSON text made by SQLite (itemJson). */
type ListRow = [seq: number, deadlineKey: string, item: string];

const sqlText = (value: string): string => `'${value.replaceAll("'", "''")}'`;
const labelCase = (column: string, labels: Iterable<[string, string]>, otherwise: string): string =>
  `CASE ${column} ${[...labels].map(([code, label]) => `WHEN ${sqlText(code)} THEN ${sqlText(label)}`).join(' ')} ELSE ${otherwise} END`;

/**
 * A list item's fields as SQLite writes them: exactly `JSON.stringify(toItem(row))` (same keys, same
 * order, same values; the tests compare them); a list filtered by funder adds funderAmounts. Reading
 * 30 columns of 50 rows into JS objects, parsing two JSON columns per row and serialising the page
 * again cost about twice the query itself; this way one string per row crosses into JS and the page
 * is those strings joined.
 */
const itemFields = `
    'id', a.application_id, 'campaignId', a.campaign_id, 'porteurId', a.porteur_id,
    'porteur', json_object('name', a.porteur_name, 'siret', a.siret, 'rna', a.rna),
    'title', a.title, 'theme', a.theme,
    'themeLabel', ${labelCase(
      'a.theme',
      themes.map((t) => [t.code, t.label]),
      'a.theme',
    )},
    'qpvCodes', json(a.qpv_codes), 'durationYears', a.duration_years, 'conventionKind', a.convention_kind,
    'status', a.status,
    'statusLabel', ${labelCase('a.status', Object.entries(applicationStatusLabels), 'NULL')},
    'waitingFor', a.waiting_for, 'waitingOn', json(a.waiting_on),
    'nextDeadline', CASE WHEN a.next_deadline_at IS NULL THEN NULL
      ELSE json_object('at', a.next_deadline_at, 'kind', COALESCE(a.next_deadline_kind, '')) END,
    'amounts', json_object('requestedCents', a.requested_cents, 'committedCents', a.committed_cents,
      'awardedCents', a.awarded_cents, 'paidCents', a.paid_cents, 'recoveredCents', a.recovered_cents),
    'expectedBeneficiaries', a.expected_beneficiaries, 'reachedBeneficiaries', a.reached_beneficiaries,
    'submittedAt', a.submitted_at, 'updatedAt', a.updated_at, 'recordedAt', a.recorded_at,
    'revision', CAST(a.revision AS TEXT), 'lastPosition', CAST(a.last_position AS TEXT)`;

/**
 * The filtering funder's share (ApplicationListItem.funderAmounts), read from the application's
 * funding lines by primary key: two parameters, the funder twice, before the query's own.
 */
const funderAmountsField = `'funderAmounts', json((SELECT json_object('funder', ?,
    'requestedCents', coalesce(sum(f.requested_cents), 0), 'committedCents', coalesce(sum(f.committed_cents), 0),
    'awardedCents', coalesce(sum(f.awarded_cents), 0), 'paidCents', coalesce(sum(f.paid_cents), 0),
    'recoveredCents', coalesce(sum(f.recovered_cents), 0))
  FROM application_funders f WHERE f.seq = a.seq AND f.funder = ?))`;

/** The list item's JSON, with the funder's share when the list is filtered by one. */
const itemJson = (byFunder: boolean): string =>
  `json_object(${itemFields}${byFunder ? `, ${funderAmountsField}` : ''})`;

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
  /** Raw rows (arrays): the list reads three values per row. */
  lists: new Map<string, Statement<unknown[], ListRow>>(),
  counts: new Map<string, Statement<unknown[], { total: number }>>(),
}));

interface DeadlineCursor {
  key: string;
  seq: number;
}

function encodeCursor(sort: ApplicationSort, [seq, key]: ListRow): string {
  if (sort === 'submitted') return String(seq);
  const cursor: DeadlineCursor = { key, seq };
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
    if (typeof value.seq === 'number' && typeof value.key === 'string')
      return { key: value.key, seq: value.seq };
  } catch {
    // Not base64 JSON: reported below as an invalid cursor.
  }
  throw new InvalidCursorError(cursor);
}

const tagsOfFilters = (filters: ApplicationListFilters): string[] => [
  ...(filters.waitingOn === undefined ? [] : [`waiting:${filters.waitingOn}`]),
  ...(filters.funder === undefined ? [] : [`funder:${filters.funder}`]),
  ...(filters.qpv === undefined ? [] : [`qpv:${filters.qpv}`]),
];

const statusesOf = (filters: ApplicationListFilters): readonly string[] | undefined =>
  filters.status === undefined
    ? undefined
    : typeof filters.status === 'string'
      ? [filters.status]
      : filters.status;

/** Applications per tag ('' for all), within the campaign and statuses, from the running counts. */
function countedFor(db: Database, tag: string, filters: ApplicationListFilters): number {
  const where = ['tag = ?'];
  const params: unknown[] = [tag];
  if (filters.campaignId !== undefined) {
    where.push('campaign_id = ?');
    params.push(filters.campaignId);
  }
  const statuses = statusesOf(filters);
  if (statuses !== undefined) {
    where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
    params.push(...statuses);
  }
  const sql = `SELECT COALESCE(SUM(applications), 0) AS total FROM application_counts WHERE ${where.join(' AND ')}`;
  return cached(statements(db).counts, db, sql).get(...params)?.total ?? 0;
}

interface Query {
  from: string;
  where: string[];
  params: unknown[];
  order: string;
}

function condition(query: Query, sql: string, ...params: unknown[]): void {
  query.where.push(sql);
  query.params.push(...params);
}

/** Filters on the applications row and the tags other than the one driving the scan. */
function rowFilters(
  query: Query,
  filters: ApplicationListFilters,
  tags: readonly string[],
  seq = 'a.seq',
): void {
  const statuses = statusesOf(filters);
  if (statuses !== undefined)
    condition(
      query,
      statuses.length === 1 ? 'a.status = ?' : `a.status IN (${statuses.map(() => '?').join(', ')})`,
      ...statuses,
    );
  if (filters.porteurId !== undefined) condition(query, 'a.porteur_id = ?', filters.porteurId);
  for (const tag of tags)
    condition(query, `EXISTS (SELECT 1 FROM application_tags o WHERE o.tag = ? AND o.seq = ${seq})`, tag);
}

const whereClause = (where: readonly string[]): string =>
  where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;

/**
 * With one status filtered, the (campaign,) status index walks only rows of that status, each tag
 * checked on its primary key; a tag drives a walk over its rows of every status, each row read to
 * check the status. Both walks stop after the same number of matches, so the shorter walk wins:
 * compare the rows of the status with those of the rarest tag (running counts, a few µs).
 */
function statusDrivesBetter(db: Database, filters: ApplicationListFilters, tags: readonly string[]): boolean {
  const statuses = statusesOf(filters);
  if (statuses?.length !== 1) return false;
  const campaign = filters.campaignId === undefined ? {} : { campaignId: filters.campaignId };
  const byStatus = countedFor(db, '', { ...campaign, status: filters.status });
  return tags.every((tag) => byStatus < countedFor(db, tag, campaign));
}

/**
 * In submission order (newest first). A porteur's applications are few: they drive the scan. Else
 * the rarest tag does (its count is known), and the applications row is read only when its status
 * is filtered or the rows are wanted (`forCount` false).
 */
function submittedOrder(
  db: Database,
  filters: ApplicationListFilters,
  tags: string[],
  options: { cursor?: number; forCount?: boolean } = {},
): Query {
  const query: Query = { from: 'applications a', where: [], params: [], order: '' };
  let seq = 'a.seq';
  if (tags.length > 0 && filters.porteurId === undefined && !statusDrivesBetter(db, filters, tags)) {
    const counts = tags.map((tag) => [tag, tags.length > 1 ? countedFor(db, tag, filters) : 0] as const);
    const [driver = ''] = [...counts].sort((x, y) => x[1] - y[1]).map(([tag]) => tag);
    seq = 't.seq';
    query.from =
      options.forCount === true && filters.status === undefined
        ? 'application_tags t'
        : 'application_tags t JOIN applications a ON a.seq = t.seq';
    condition(query, 't.tag = ?', driver);
    if (filters.campaignId !== undefined) condition(query, 't.campaign_id = ?', filters.campaignId);
    rowFilters(
      query,
      filters,
      tags.filter((t) => t !== driver),
      seq,
    );
  } else {
    if (filters.campaignId !== undefined) condition(query, 'a.campaign_id = ?', filters.campaignId);
    rowFilters(query, filters, tags);
  }
  if (options.cursor !== undefined) condition(query, `${seq} < ?`, options.cursor);
  query.order = `${seq} DESC`;
  return query;
}

/**
 * Soonest deadline first (none last), walking a deadline index that matches the campaign and single
 * status filters; a porteur's few applications, or several statuses, are sorted instead.
 */
function deadlineOrder(filters: ApplicationListFilters, tags: string[], cursor?: DeadlineCursor): Query {
  const statuses = statusesOf(filters);
  const campaign = filters.campaignId !== undefined ? 'campaign_' : '';
  const index =
    filters.porteurId !== undefined || (statuses !== undefined && statuses.length > 1)
      ? ''
      : ` INDEXED BY applications_by_${campaign}${statuses === undefined ? '' : 'status_'}deadline`;
  const query: Query = {
    from: `applications a${index}`,
    where: [],
    params: [],
    order: 'a.deadline_key, a.seq',
  };
  if (filters.campaignId !== undefined) condition(query, 'a.campaign_id = ?', filters.campaignId);
  rowFilters(query, filters, tags);
  if (cursor !== undefined) condition(query, '(a.deadline_key, a.seq) > (?, ?)', cursor.key, cursor.seq);
  return query;
}

/** The applications matching the filters, a page at a time, with the total count. */
export function listApplications(db: Database, filters: ApplicationListFilters = {}): ApplicationPage {
  return JSON.parse(listApplicationsJson(db, filters)) as ApplicationPage;
}

const emptyPage = (total: number, limit: number): string =>
  `{"items":[],"total":${total},"limit":${limit},"nextCursor":null}`;

/** `listApplications` as the JSON text of the page, as the HTTP API sends it. */
export function listApplicationsJson(db: Database, filters: ApplicationListFilters = {}): string {
  const s = statements(db);
  const sort: ApplicationSort = filters.sort ?? 'submitted';
  const limit = clampLimit(filters.limit);
  const statuses = statusesOf(filters);
  if (statuses !== undefined && statuses.length === 0) return emptyPage(0, limit);
  const tags = tagsOfFilters(filters);

  let total: number;
  if (filters.porteurId === undefined && tags.length <= 1) total = countedFor(db, tags[0] ?? '', filters);
  else {
    const query = submittedOrder(db, filters, tags, { forCount: true });
    const sql = `SELECT COUNT(*) AS total FROM ${query.from} ${whereClause(query.where)}`;
    total = cached(s.counts, db, sql).get(...query.params)?.total ?? 0;
  }
  if (total === 0) return emptyPage(total, limit);

  let query: Query;
  if (sort === 'submitted') {
    let cursor: number | undefined;
    if (filters.cursor !== undefined) {
      // The cursor this order hands out is a row's position in the log: a positive decimal.
      if (!/^[1-9]\d{0,15}$/.test(filters.cursor)) throw new InvalidCursorError(filters.cursor);
      cursor = Number(filters.cursor);
    }
    query = submittedOrder(db, filters, tags, { cursor });
  } else {
    query = deadlineOrder(
      filters,
      tags,
      filters.cursor === undefined ? undefined : decodeDeadlineCursor(filters.cursor),
    );
  }
  const byFunder = filters.funder !== undefined;
  const sql = `SELECT a.seq, a.deadline_key, ${itemJson(byFunder)} FROM ${query.from} ${whereClause(query.where)} ORDER BY ${query.order} LIMIT ? OFFSET ?`;
  // One more than asked tells whether a next page exists.
  let statement = s.lists.get(sql);
  if (statement === undefined) {
    statement = db.prepare<unknown[], ListRow>(sql).raw(true);
    s.lists.set(sql, statement);
  }
  const funderParams = byFunder ? [filters.funder, filters.funder] : [];
  const rows = statement.all(
    ...funderParams,
    ...query.params,
    limit + 1,
    Math.max(0, Math.trunc(filters.offset ?? 0)),
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(sort, last) : null;
  return `{"items":[${page.map((row) => row[2]).join(',')}],"total":${total},"limit":${limit},"nextCursor":${JSON.stringify(nextCursor)}}`;
}

/**
 * One application: its row, what is awaited, the money per funder and year, and its state folded
 * from its stream up to the revision of the row (so that state and row agree). `authorise` sees the
 * rest first and may throw: a caller refused never costs a read of the stream.
 */
export async function getApplication(
  db: Database,
  log: StreamReader,
  applicationId: string,
  authorise?: (found: Omit<ApplicationDetail, 'state'>) => void,
): Promise<ApplicationDetail | undefined> {
  const s = statements(db);
  const row = s.byId.get(applicationId);
  if (row === undefined) return undefined;
  // Read before the await: the row and the funding lines of one snapshot of the read models.
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
  const found = {
    ...toItem(row),
    awaited: JSON.parse(row.awaited) as AwaitedAction[],
    funders: [...byFunder].map(([funder, years]) => ({
      funder,
      funderName: funderName(funder),
      totals: sumAmounts(years),
      years,
    })),
  };
  authorise?.(found);
  return { ...found, state: await foldFromLog(log, applicationId, BigInt(row.revision)) };
}
