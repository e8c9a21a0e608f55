// The funding ledger as CSV, streamed: the store is read page by page and lines leave as they are
// made, so exporting a million events holds one page in memory, not the log.
import type { EventStore } from '../../infra/eventstore/port';
import { chunked, csvRecord, eurosDecimal } from './csv';
import { ledgerEntries, movementLabels, type LedgerEntry, type LedgerQuery } from './ledger';

/** Columns, in order (identifiers for machines; docs/audit.md explains each in French). */
export const ledgerCsvColumns = [
  'eventId',
  'position',
  'line',
  'stream',
  'revision',
  'type',
  'movement',
  'movementLabel',
  'funder',
  'campaign',
  'application',
  'conventionYear',
  'year',
  'amountCents',
  'amount',
  'reference',
  'occurredAt',
  'recordedAt',
  'actorId',
  'actorRole',
  'actorInstitution',
] as const;

const text = (value: string | number | bigint | null): string => (value === null ? '' : String(value));

export function ledgerCsvRecord(e: LedgerEntry): string {
  return csvRecord([
    e.eventId,
    text(e.position),
    text(e.line),
    e.stream,
    text(e.revision),
    e.type,
    e.movement,
    movementLabels[e.movement],
    text(e.funder),
    text(e.campaign),
    text(e.application),
    text(e.conventionYear),
    text(e.year),
    text(e.amountCents),
    e.amountCents === null ? '' : eurosDecimal(e.amountCents),
    text(e.reference),
    e.occurredAt,
    e.recordedAt,
    e.actorId,
    e.actorRole,
    text(e.actorInstitution),
  ]);
}

async function* lines(store: EventStore, query: LedgerQuery): AsyncGenerator<string> {
  yield csvRecord(ledgerCsvColumns);
  for await (const entry of ledgerEntries(store, query)) yield ledgerCsvRecord(entry);
}

/** The header, then one record per entry, in chunks of about 64 KiB. */
export function ledgerCsv(store: EventStore, query: LedgerQuery = {}): AsyncGenerator<string> {
  return chunked(lines(store, query));
}
