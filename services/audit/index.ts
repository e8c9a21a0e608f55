// The audit side's public face: replay as of a date, the funding ledger, the SCDL export, the
// integrity verdict, and the HTTP router that serves them to auditors.
export {
  applicationAsOf,
  applicationReplay,
  campaignAsOf,
  campaignReplay,
  envelopeAsOf,
  envelopeReplay,
  ForeignEventError,
  resolveInstant,
  stateAsOf,
  timeAxes,
  type AsOfOptions,
  type AsOfResult,
  type EventStamp,
  type Replayable,
  type TimeAxis,
} from './asOf';
export { csvField, csvRecord, eurosDecimal } from './csv';
export {
  integrityReasonLabels,
  integrityReportJson,
  integritySummary,
  type IntegrityReportJson,
} from './integrity';
export {
  entriesOf,
  LedgerContext,
  ledgerEntries,
  ledgerEventTypes,
  ledgerPage,
  movementLabels,
  movements,
  type LedgerEntry,
  type LedgerFilter,
  type LedgerPage,
  type LedgerPageOptions,
  type LedgerQuery,
  type Movement,
} from './ledger';
export { ledgerCsv, ledgerCsvColumns, ledgerCsvRecord } from './ledgerCsv';
export { auditView, paced, ReadOnlyStoreError } from './readOnly';
export { auditRouter, type AuditRouterDeps } from './routes';
export {
  attribuantOf,
  camvsAttribuants,
  configuredAttribuants,
  type Attribuant,
  type AttribuantDirectory,
} from './attribuants';
export {
  PUBLICATION_THRESHOLD_CENTS,
  SCDL_SUBVENTIONS_VERSION,
  scdlCsv,
  scdlExport,
  scdlSubventionsColumns,
  type ScdlExport,
  type ScdlOptions,
  type ScdlRow,
} from './scdl';
