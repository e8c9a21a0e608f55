// Queries of the `campaign-summary` slice: a campaign's summary for evaluators, the campaigns
// list, and statistics per quartier, funder or theme across campaigns.
import type { Database, Statement } from 'better-sqlite3';
import type { ApplicationStatus } from '../../../domain/application';
import type { CampaignStatus } from '../../../domain/campaign';
import { funderName } from '../../../domain/reference/funders';
import { themeLabel, type ThemeCode } from '../../../domain/reference/themes';
import { applicationStatusLabels, type Amounts } from '../applications/facts';
import { cached, decimal, perDatabase } from '../shared/db';

export interface YearAmounts extends Amounts {
  /** Calendar year (exercice). */
  year: number;
}

export interface EnvelopeUse {
  amountCents: number;
  reservedCents: number;
  remainingCents: number;
}

export interface PeopleCounts {
  applications: number;
  expectedBeneficiaries: number;
  /** From accepted yearly reports. */
  reachedBeneficiaries: number;
}

export interface FunderBreakdown {
  funder: string;
  funderName: string;
  /** Applications asking this funder (or funded by it). */
  applications: number;
  amounts: Amounts;
  byYear: YearAmounts[];
  /** This campaign's envelope of the funder; null when none was opened. */
  envelope: EnvelopeUse | null;
}

export interface QpvBreakdown extends PeopleCounts {
  qpv: string;
  amounts: Amounts;
  byYear: YearAmounts[];
}

export interface ThemeBreakdown extends PeopleCounts {
  theme: string;
  themeLabel: string;
  amounts: Amounts;
  byYear: YearAmounts[];
}

export interface MultiYearShare {
  /** Actions the committee retained (approved, in signature, in force, closed or terminated). */
  retainedActions: number;
  /** Among them, under a multi-year convention (CPO). */
  multiYearActions: number;
  annualActions: number;
  /** multiYear / retained in percent, one decimal; null before any action is retained. */
  sharePercent: number | null;
  /** The campaign's target (the contrat de ville's 50 %), when the campaign is known. */
  targetPercent: number | null;
  targetReached: boolean | null;
}

export interface CampaignSummary extends PeopleCounts {
  campaignId: string;
  /** Null for the fields of a campaign whose own stream was not projected (only its applications). */
  name: string | null;
  year: number | null;
  status: Exclude<CampaignStatus, 'not_created'> | null;
  submissionWindow: { opensAt: string; closesAt: string } | null;
  openedAt: string | null;
  closedAt: string | null;
  amounts: Amounts;
  byYear: YearAmounts[];
  byFunder: FunderBreakdown[];
  byQpv: QpvBreakdown[];
  byTheme: ThemeBreakdown[];
  byStatus: { status: ApplicationStatus; statusLabel: string; applications: number }[];
  multiYear: MultiYearShare;
}

export interface CampaignListItem extends PeopleCounts {
  campaignId: string;
  name: string | null;
  year: number | null;
  status: Exclude<CampaignStatus, 'not_created'> | null;
  submissionWindow: { opensAt: string; closesAt: string } | null;
  amounts: Amounts;
  multiYear: MultiYearShare;
  lastPosition: string | null;
}

export interface StatsFilters {
  campaignId?: string;
  /** Calendar year (exercice) of the amounts; counts of applications are not per year. */
  year?: number;
}

export interface QpvStats extends PeopleCounts {
  qpv: string;
  amounts: Amounts;
}

export interface FunderStats {
  funder: string;
  funderName: string;
  applications: number;
  amounts: Amounts;
  /** Envelopes of the matching campaigns, summed (envelopes are not per year). */
  envelope: EnvelopeUse | null;
}

export interface ThemeStats extends PeopleCounts {
  theme: string;
  themeLabel: string;
  amounts: Amounts;
}

interface CampaignRow {
  campaign_id: string;
  name: string;
  year: number;
  status: Exclude<CampaignStatus, 'not_created'>;
  multi_year_target_percent: number;
  opens_at: string;
  closes_at: string;
  opened_at: string | null;
  closed_at: string | null;
  last_position: number;
}

interface AmountRow {
  dimension: string;
  key: string;
  year: number;
  requested_cents: number;
  committed_cents: number;
  awarded_cents: number;
  paid_cents: number;
  recovered_cents: number;
}

interface CountRow {
  dimension: string;
  key: string;
  applications: number;
  expected_beneficiaries: number;
  reached_beneficiaries: number;
}

interface EnvelopeRow {
  funder: string;
  amount_cents: number;
  reserved_cents: number;
}

// The orders localeCompare gave (its default locale; French with numeric parts), with the
// collators made once: localeCompare with options builds one per comparison, a tenth of the
// summary's time.
const byText = new Intl.Collator().compare;
const byFrenchNumeric = new Intl.Collator('fr', { numeric: true }).compare;

const zero = (): Amounts => ({
  requestedCents: 0,
  committedCents: 0,
  awardedCents: 0,
  paidCents: 0,
  recoveredCents: 0,
});

const amountsOf = (r: AmountRow): Amounts => ({
  requestedCents: r.requested_cents,
  committedCents: r.committed_cents,
  awardedCents: r.awarded_cents,
  paidCents: r.paid_cents,
  recoveredCents: r.recovered_cents,
});

function add(into: Amounts, a: Amounts): void {
  into.requestedCents += a.requestedCents;
  into.committedCents += a.committedCents;
  into.awardedCents += a.awardedCents;
  into.paidCents += a.paidCents;
  into.recoveredCents += a.recoveredCents;
}

const peopleOf = (r: CountRow | undefined): PeopleCounts => ({
  applications: r?.applications ?? 0,
  expectedBeneficiaries: r?.expected_beneficiaries ?? 0,
  reachedBeneficiaries: r?.reached_beneficiaries ?? 0,
});

const envelopeOf = (r: { amount_cents: number; reserved_cents: number }): EnvelopeUse => ({
  amountCents: r.amount_cents,
  reservedCents: r.reserved_cents,
  remainingCents: r.amount_cents - r.reserved_cents,
});

function multiYear(counts: readonly CountRow[], targetPercent: number | null): MultiYearShare {
  const retained = (kind: string) =>
    counts.find((c) => c.dimension === 'retained' && c.key === kind)?.applications ?? 0;
  const multiYearActions = retained('CPO');
  const annualActions = retained('annual');
  const retainedActions = multiYearActions + annualActions;
  const sharePercent =
    retainedActions === 0 ? null : Math.round((multiYearActions * 1000) / retainedActions) / 10;
  return {
    retainedActions,
    multiYearActions,
    annualActions,
    sharePercent,
    targetPercent,
    // On the exact share, not the rounded one shown: 999 CPO of 2,000 (49.95 %, shown 50 %) is short.
    targetReached:
      retainedActions === 0 || targetPercent === null
        ? null
        : multiYearActions * 100 >= targetPercent * retainedActions,
  };
}

/** Amounts of one dimension grouped by key, with their years. */
function byKey(
  rows: readonly AmountRow[],
  dimension: string,
): Map<string, { amounts: Amounts; byYear: YearAmounts[] }> {
  const out = new Map<string, { amounts: Amounts; byYear: YearAmounts[] }>();
  for (const r of rows) {
    if (r.dimension !== dimension) continue;
    const entry = out.get(r.key) ?? { amounts: zero(), byYear: [] };
    const a = amountsOf(r);
    add(entry.amounts, a);
    entry.byYear.push({ year: r.year, ...a });
    out.set(r.key, entry);
  }
  for (const entry of out.values()) entry.byYear.sort((x, y) => x.year - y.year);
  return out;
}

/** A campaign's amounts: the sum of its funders' (each funding line has one funder). */
function totalOf(funders: Map<string, { amounts: Amounts; byYear: YearAmounts[] }>): {
  amounts: Amounts;
  byYear: YearAmounts[];
} {
  const amounts = zero();
  const years = new Map<number, YearAmounts>();
  for (const f of funders.values()) {
    add(amounts, f.amounts);
    for (const y of f.byYear) {
      const year = years.get(y.year) ?? { year: y.year, ...zero() };
      add(year, y);
      years.set(y.year, year);
    }
  }
  return { amounts, byYear: [...years.values()].sort((a, b) => a.year - b.year) };
}

/** Applications by status, beneficiaries by theme: each application has exactly one of each. */
function campaignPeople(counts: readonly CountRow[]): PeopleCounts {
  const people: PeopleCounts = { applications: 0, expectedBeneficiaries: 0, reachedBeneficiaries: 0 };
  for (const c of counts) {
    if (c.dimension === 'status') people.applications += c.applications;
    if (c.dimension === 'theme') {
      people.expectedBeneficiaries += c.expected_beneficiaries;
      people.reachedBeneficiaries += c.reached_beneficiaries;
    }
  }
  return people;
}

type AmountTuple = [string, string, number, number, number, number, number, number];
type CountTuple = [string, string, number, number, number];

const statements = perDatabase((db: Database) => ({
  campaign: db.prepare<[string], CampaignRow>('SELECT * FROM campaigns WHERE campaign_id = ?'),
  campaigns: db.prepare<[], CampaignRow>('SELECT * FROM campaigns'),
  // Known as campaignsList knows it: created, or named by an application's counts.
  known: db
    .prepare<[string, string], number>(
      `SELECT EXISTS (SELECT 1 FROM campaigns WHERE campaign_id = ?)
           OR EXISTS (SELECT 1 FROM campaign_counts WHERE campaign_id = ?)`,
    )
    .pluck(),
  // A campaign's rows as one JSON text of arrays, not one object per row: better-sqlite3 builds a
  // row object property by property (about 2 µs per amounts row), three times what it costs SQLite
  // to write the rows as JSON and V8 to parse them. Half the time of a summary computed afresh.
  amounts: db
    .prepare<[string], string>(
      `SELECT json_group_array(json_array(dimension, key, year, requested_cents, committed_cents,
         awarded_cents, paid_cents, recovered_cents)) FROM campaign_amounts WHERE campaign_id = ?`,
    )
    .pluck(true),
  counts: db
    .prepare<[string], string>(
      `SELECT json_group_array(json_array(dimension, key, applications, expected_beneficiaries,
         reached_beneficiaries)) FROM campaign_counts WHERE campaign_id = ?`,
    )
    .pluck(true),
  envelopes: db.prepare<[string], EnvelopeRow>(
    'SELECT funder, amount_cents, reserved_cents FROM campaign_envelopes WHERE campaign_id = ?',
  ),
  allTotals: db.prepare<[], AmountRow & { campaign_id: string }>(
    `SELECT campaign_id, dimension, '' AS key, 0 AS year, SUM(requested_cents) AS requested_cents,
       SUM(committed_cents) AS committed_cents, SUM(awarded_cents) AS awarded_cents, SUM(paid_cents) AS paid_cents,
       SUM(recovered_cents) AS recovered_cents
     FROM campaign_amounts WHERE dimension = 'funder' GROUP BY campaign_id`,
  ),
  allCounts: db.prepare<[], CountRow & { campaign_id: string }>(
    `SELECT * FROM campaign_counts WHERE dimension IN ('status', 'theme', 'retained')`,
  ),
  stats: new Map<string, Statement<unknown[], AmountRow>>(),
  statCounts: new Map<string, Statement<unknown[], CountRow>>(),
  statEnvelopes: new Map<string, Statement<unknown[], EnvelopeRow>>(),
}));

/** A campaign's summary; undefined when nothing of it was projected. */
export function campaignSummary(db: Database, campaignId: string): CampaignSummary | undefined {
  const s = statements(db);
  const campaign = s.campaign.get(campaignId);
  const amounts = (JSON.parse(s.amounts.get(campaignId) ?? '[]') as AmountTuple[]).map(
    ([dimension, key, year, requested, committed, awarded, paid, recovered]): AmountRow => ({
      dimension,
      key,
      year,
      requested_cents: requested,
      committed_cents: committed,
      awarded_cents: awarded,
      paid_cents: paid,
      recovered_cents: recovered,
    }),
  );
  const counts = (JSON.parse(s.counts.get(campaignId) ?? '[]') as CountTuple[]).map(
    ([dimension, key, applications, expected, reached]): CountRow => ({
      dimension,
      key,
      applications,
      expected_beneficiaries: expected,
      reached_beneficiaries: reached,
    }),
  );
  if (campaign === undefined && counts.length === 0) return undefined;
  const envelopes = new Map(s.envelopes.all(campaignId).map((e) => [e.funder, envelopeOf(e)]));
  const count = (dimension: string, key: string) =>
    counts.find((c) => c.dimension === dimension && c.key === key);

  const funders = byKey(amounts, 'funder');
  const all = totalOf(funders);
  for (const funder of envelopes.keys())
    if (!funders.has(funder)) funders.set(funder, { amounts: zero(), byYear: [] });
  const qpvs = byKey(amounts, 'qpv');
  const themes = byKey(amounts, 'theme');
  for (const c of counts) {
    if (c.dimension === 'qpv' && !qpvs.has(c.key)) qpvs.set(c.key, { amounts: zero(), byYear: [] });
    if (c.dimension === 'theme' && !themes.has(c.key)) themes.set(c.key, { amounts: zero(), byYear: [] });
  }
  return {
    campaignId,
    name: campaign?.name ?? null,
    year: campaign?.year ?? null,
    status: campaign?.status ?? null,
    submissionWindow:
      campaign === undefined ? null : { opensAt: campaign.opens_at, closesAt: campaign.closes_at },
    openedAt: campaign?.opened_at ?? null,
    closedAt: campaign?.closed_at ?? null,
    ...campaignPeople(counts),
    amounts: all.amounts,
    byYear: all.byYear,
    byFunder: [...funders]
      .map(([funder, v]) => ({
        funder,
        funderName: funderName(funder),
        applications: count('funder', funder)?.applications ?? 0,
        ...v,
        envelope: envelopes.get(funder) ?? null,
      }))
      .sort((a, b) => byText(a.funder, b.funder)),
    byQpv: [...qpvs]
      .map(([qpv, v]) => ({ qpv, ...peopleOf(count('qpv', qpv)), ...v }))
      .sort((a, b) => byText(a.qpv, b.qpv)),
    byTheme: [...themes]
      .map(([theme, v]) => ({
        theme,
        themeLabel: themeLabel(theme as ThemeCode),
        ...peopleOf(count('theme', theme)),
        ...v,
      }))
      .sort((a, b) => byFrenchNumeric(a.theme, b.theme)),
    byStatus: counts
      .filter((c) => c.dimension === 'status' && c.applications > 0)
      .map((c) => ({
        status: c.key as ApplicationStatus,
        statusLabel: applicationStatusLabels[c.key as ApplicationStatus],
        applications: c.applications,
      }))
      .sort((a, b) => byText(a.status, b.status)),
    multiYear: multiYear(counts, campaign?.multi_year_target_percent ?? null),
  };
}

/** Every campaign with its headline numbers, most recent year first. */
/** Whether the read models know the campaign (the same campaigns campaignsList lists). */
export function campaignKnown(db: Database, campaignId: string): boolean {
  return statements(db).known.get(campaignId, campaignId) === 1;
}

export function campaignsList(db: Database): CampaignListItem[] {
  const s = statements(db);
  const campaigns = new Map(s.campaigns.all().map((c) => [c.campaign_id, c]));
  const totals = new Map(s.allTotals.all().map((t) => [t.campaign_id, amountsOf(t)]));
  const counts = new Map<string, CountRow[]>();
  for (const c of s.allCounts.all()) counts.set(c.campaign_id, [...(counts.get(c.campaign_id) ?? []), c]);
  const ids = new Set([...campaigns.keys(), ...counts.keys()]);
  return [...ids]
    .map((campaignId) => {
      const c = campaigns.get(campaignId);
      const own = counts.get(campaignId) ?? [];
      return {
        campaignId,
        name: c?.name ?? null,
        year: c?.year ?? null,
        status: c?.status ?? null,
        submissionWindow: c === undefined ? null : { opensAt: c.opens_at, closesAt: c.closes_at },
        ...campaignPeople(own),
        amounts: totals.get(campaignId) ?? zero(),
        multiYear: multiYear(own, c?.multi_year_target_percent ?? null),
        lastPosition: c === undefined ? null : decimal(c.last_position),
      };
    })
    .sort((a, b) => (b.year ?? 0) - (a.year ?? 0) || byText(a.campaignId, b.campaignId));
}

/** Per key of a dimension, across the matching campaigns (and year, for amounts). */
function statsOf(
  db: Database,
  dimension: 'qpv' | 'funder' | 'theme',
  filters: StatsFilters,
): { amounts: Map<string, Amounts>; counts: Map<string, CountRow> } {
  const s = statements(db);
  const where = ['dimension = ?'];
  const params: unknown[] = [dimension];
  if (filters.campaignId !== undefined) {
    where.push('campaign_id = ?');
    params.push(filters.campaignId);
  }
  const countSql = `SELECT dimension, key, SUM(applications) AS applications,
      SUM(expected_beneficiaries) AS expected_beneficiaries, SUM(reached_beneficiaries) AS reached_beneficiaries
    FROM campaign_counts WHERE ${where.join(' AND ')} GROUP BY key`;
  const countParams = [...params];
  if (filters.year !== undefined) {
    where.push('year = ?');
    params.push(filters.year);
  }
  const amountSql = `SELECT dimension, key, 0 AS year, SUM(requested_cents) AS requested_cents,
      SUM(committed_cents) AS committed_cents, SUM(awarded_cents) AS awarded_cents, SUM(paid_cents) AS paid_cents,
      SUM(recovered_cents) AS recovered_cents
    FROM campaign_amounts WHERE ${where.join(' AND ')} GROUP BY key`;
  const amounts = new Map(
    cached(s.stats, db, amountSql)
      .all(...params)
      .map((r) => [r.key, amountsOf(r)]),
  );
  const counts = new Map(
    cached(s.statCounts, db, countSql)
      .all(...countParams)
      .map((r) => [r.key, r]),
  );
  return { amounts, counts };
}

const keysOf = (x: { amounts: Map<string, Amounts>; counts: Map<string, CountRow> }): string[] =>
  [...new Set([...x.amounts.keys(), ...x.counts.keys()])].sort((a, b) => byFrenchNumeric(a, b));

/** Requested / committed / awarded / paid per quartier; an action counts for each quartier it targets. */
export function statsByQpv(db: Database, filters: StatsFilters = {}): QpvStats[] {
  const stats = statsOf(db, 'qpv', filters);
  return keysOf(stats).map((qpv) => ({
    qpv,
    ...peopleOf(stats.counts.get(qpv)),
    amounts: stats.amounts.get(qpv) ?? zero(),
  }));
}

/** Per funder, with its envelopes (amount, reserved, remaining) over the matching campaigns. */
export function statsByFunder(db: Database, filters: StatsFilters = {}): FunderStats[] {
  const stats = statsOf(db, 'funder', filters);
  const s = statements(db);
  const envelopeSql = `SELECT funder, SUM(amount_cents) AS amount_cents, SUM(reserved_cents) AS reserved_cents
    FROM campaign_envelopes ${filters.campaignId === undefined ? '' : 'WHERE campaign_id = ?'} GROUP BY funder`;
  const envelopes = new Map(
    cached(s.statEnvelopes, db, envelopeSql)
      .all(...(filters.campaignId === undefined ? [] : [filters.campaignId]))
      .map((e) => [e.funder, envelopeOf(e)]),
  );
  const funders = [...new Set([...keysOf(stats), ...envelopes.keys()])].sort();
  return funders.map((funder) => ({
    funder,
    funderName: funderName(funder),
    applications: stats.counts.get(funder)?.applications ?? 0,
    amounts: stats.amounts.get(funder) ?? zero(),
    envelope: envelopes.get(funder) ?? null,
  }));
}

/** Per theme of the national nomenclature. */
export function statsByTheme(db: Database, filters: StatsFilters = {}): ThemeStats[] {
  const stats = statsOf(db, 'theme', filters);
  return keysOf(stats).map((theme) => ({
    theme,
    themeLabel: themeLabel(theme as ThemeCode),
    ...peopleOf(stats.counts.get(theme)),
    amounts: stats.amounts.get(theme) ?? zero(),
  }));
}
