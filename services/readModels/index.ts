// The grants read models, one slice per folder (its tables, its event handler, its queries). The
// slices after `applications` read its fold of each application event: keep this order.
import type { Projection } from '../../infra/projections/projection';
import { applicationsProjection } from './applications/projection';
import { campaignSummaryProjection } from './campaignSummary/projection';
import { ledgerProjection } from './ledger/projection';
import { reportsProjection } from './reports/projection';

export const grantsProjections: Projection[] = [
  applicationsProjection,
  campaignSummaryProjection,
  reportsProjection,
  ledgerProjection,
];

export {
  applicationStatusLabels,
  type Amounts,
  type AwaitedAction,
  type WaitingRole,
} from './applications/facts';
export {
  getApplication,
  InvalidCursorError,
  listApplications,
  type ApplicationDetail,
  type ApplicationFunderDetail,
  type ApplicationListFilters,
  type ApplicationListItem,
  type ApplicationPage,
  type ApplicationSort,
  type FunderYearDetail,
} from './applications/queries';
export {
  campaignsList,
  campaignSummary,
  statsByFunder,
  statsByQpv,
  statsByTheme,
  type CampaignListItem,
  type CampaignSummary,
  type EnvelopeUse,
  type FunderBreakdown,
  type FunderStats,
  type MultiYearShare,
  type PeopleCounts,
  type QpvBreakdown,
  type QpvStats,
  type StatsFilters,
  type ThemeBreakdown,
  type ThemeStats,
  type YearAmounts,
} from './campaignSummary/queries';
export { reportStatuses, type ReportStatus } from './reports/projection';
export {
  applicationReports,
  overdueReports,
  reportStatusLabels,
  upcomingReports,
  type OverdueFilters,
  type ReportItem,
  type UpcomingFilters,
} from './reports/queries';
export { ledgerTotals, type LedgerTotal, type LedgerTotalsFilters } from './ledger/queries';
