// The `applications` projection: each event is folded into the application's state with the
// domain's evolveApplication, in memory; at the end of the batch (flush) the facts of every
// application touched are derived once and its rows, tags, counts and funding lines brought in line
// with them: an application touched by several events of a batch is written once.
import type { Database, Statement } from 'better-sqlite3';
import { evolveApplication, initialApplicationState, type SubmittedState } from '../../../domain/application';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import type { Projection, StreamReader } from '../../../infra/projections/projection';
import {
  forgetApplicationChanges,
  publishApplicationChange,
  publishFlushedApplications,
  type FlushedApplication,
} from '../shared/applicationChange';
import { perDatabase, storedInstant } from '../shared/db';
import {
  APPLICATION_STREAM_PREFIX,
  applicationEventTypes,
  applicationIdOf,
  asApplicationEvent,
} from '../shared/events';
import { applicationFacts, fundingLinesSince, type ApplicationFacts, type FundingLine } from './facts';
import { applicationsSchema } from './schema';
import { applicationFoldsOf, foldFromLog, type ApplicationFold } from './folds';

type SqlValue = string | number | null;

/** Sorts after every instant: applications without a deadline come last in deadline order. */
export const NO_DEADLINE = '9999-12-31T23:59:59.999Z';

/** The columns derived from the facts, in table order; the event columns follow (EVENT_COLUMNS). */
const DERIVED_COLUMNS: readonly (readonly [string, (f: ApplicationFacts) => SqlValue])[] = [
  ['application_id', (f) => f.applicationId],
  ['campaign_id', (f) => f.campaignId],
  ['porteur_id', (f) => f.porteurId],
  ['porteur_name', (f) => f.porteurName],
  ['siret', (f) => f.siret],
  ['rna', (f) => f.rna],
  ['title', (f) => f.title],
  ['theme', (f) => f.theme],
  ['qpv_codes', (f) => JSON.stringify(f.qpvCodes)],
  ['duration_years', (f) => f.durationYears],
  ['convention_kind', (f) => f.conventionKind],
  ['status', (f) => f.status],
  ['waiting_for', (f) => f.waitingFor],
  ['waiting_on', (f) => JSON.stringify(f.waitingOn)],
  ['awaited', (f) => JSON.stringify(f.awaited)],
  ['next_deadline_at', (f) => f.nextDeadline?.at ?? null],
  ['next_deadline_kind', (f) => f.nextDeadline?.kind ?? null],
  ['deadline_key', (f) => f.nextDeadline?.at ?? NO_DEADLINE],
  ['requested_cents', (f) => f.totals.requestedCents],
  ['committed_cents', (f) => f.totals.committedCents],
  ['awarded_cents', (f) => f.totals.awardedCents],
  ['paid_cents', (f) => f.totals.paidCents],
  ['recovered_cents', (f) => f.totals.recoveredCents],
  ['expected_beneficiaries', (f) => f.expectedBeneficiaries],
  ['reached_beneficiaries', (f) => f.reachedBeneficiaries],
  ['submitted_at', (f) => storedInstant(f.submittedAt)],
];
/** Change with every event. */
const EVENT_COLUMNS = ['updated_at', 'recorded_at', 'last_position', 'revision'] as const;

export type RowValues = SqlValue[];

export const rowValues = (facts: ApplicationFacts): RowValues =>
  DERIVED_COLUMNS.map(([, value]) => value(facts));

const eventValues = (fold: ApplicationFold): (string | bigint)[] => [
  fold.last.occurredAt,
  fold.last.recordedAt,
  fold.last.position,
  fold.revision,
];

const statements = perDatabase((db: Database) => ({
  head: db.prepare<[string], { seq: number; revision: number }>(
    'SELECT seq, revision FROM applications WHERE application_id = ?',
  ),
  insert: db.prepare(
    `INSERT INTO applications (seq, ${[...DERIVED_COLUMNS.map(([c]) => c), ...EVENT_COLUMNS].join(', ')})
     VALUES (${Array.from({ length: 1 + DERIVED_COLUMNS.length + EVENT_COLUMNS.length }, () => '?').join(', ')})`,
  ),
  /** UPDATE statements by set of changed columns: an event changes a few, and unchanged indexed columns then cost nothing. */
  updates: new Map<string, Statement>(),
  insertTag: db.prepare('INSERT INTO application_tags (tag, seq, campaign_id) VALUES (?, ?, ?)'),
  deleteTag: db.prepare('DELETE FROM application_tags WHERE tag = ? AND seq = ?'),
  count: db.prepare(
    `INSERT INTO application_counts (tag, campaign_id, status, applications) VALUES (?, ?, ?, ?)
     ON CONFLICT (tag, campaign_id, status) DO UPDATE SET applications = applications + excluded.applications`,
  ),
  // A count back to zero goes: the table then depends on the applications as they are, not on how
  // their events were batched (queries only sum it).
  dropEmptyCount: db.prepare(
    'DELETE FROM application_counts WHERE tag = ? AND campaign_id = ? AND status = ? AND applications = 0',
  ),
  upsertFunder: db.prepare(
    `INSERT INTO application_funders (seq, funder, year, calendar_year, requested_cents, committed_cents,
       awarded_cents, paid_cents, recovered_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (seq, funder, year) DO UPDATE SET calendar_year = excluded.calendar_year,
       requested_cents = excluded.requested_cents, committed_cents = excluded.committed_cents,
       awarded_cents = excluded.awarded_cents, paid_cents = excluded.paid_cents,
       recovered_cents = excluded.recovered_cents`,
  ),
  deleteFunder: db.prepare('DELETE FROM application_funders WHERE seq = ? AND funder = ? AND year = ?'),
}));

function writeRow(
  db: Database,
  seq: number,
  before: RowValues | undefined,
  after: RowValues,
  fold: ApplicationFold,
): void {
  const s = statements(db);
  if (before === undefined) {
    s.insert.run(seq, ...after, ...eventValues(fold));
    return;
  }
  const changed: number[] = [];
  for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) changed.push(i);
  const key = changed.join(',');
  let update = s.updates.get(key);
  if (update === undefined) {
    const columns = [...changed.map((i) => DERIVED_COLUMNS[i]?.[0] ?? ''), ...EVENT_COLUMNS];
    update = db.prepare(`UPDATE applications SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`);
    s.updates.set(key, update);
  }
  update.run(...changed.map((i) => after[i] ?? null), ...eventValues(fold), seq);
}

/** The filter tags of an application (see schema.ts). */
export function tagsOf(facts: ApplicationFacts): string[] {
  const tags = new Set<string>();
  for (const code of facts.qpvCodes) tags.add(`qpv:${code}`);
  for (const line of facts.funding) tags.add(`funder:${line.funder}`);
  for (const party of facts.waitingOn) tags.add(`waiting:${party}`);
  return [...tags];
}

/** Brings the filter tags in line; returns whether they may have changed. */
function writeTags(
  db: Database,
  seq: number,
  before: ApplicationFacts | undefined,
  after: ApplicationFacts,
): boolean {
  const s = statements(db);
  const next = tagsOf(after);
  if (before === undefined) {
    for (const tag of next) s.insertTag.run(tag, seq, after.campaignId);
    return true;
  }
  if (
    before.qpvCodes === after.qpvCodes &&
    before.funding === after.funding &&
    sameList(before.waitingOn, after.waitingOn)
  )
    return false;
  const previous = tagsOf(before);
  const kept = new Set(next);
  for (const tag of previous) if (!kept.has(tag)) s.deleteTag.run(tag, seq);
  const had = new Set(previous);
  for (const tag of next) if (!had.has(tag)) s.insertTag.run(tag, seq, after.campaignId);
  return true;
}

/** Count moves of a flush, by tag, campaign and status: each row is written once per batch. */
type CountMoves = Map<string, number>;

const countKey = (tag: string, campaignId: string, status: string): string =>
  `${tag}\0${campaignId}\0${status}`;

function move(moves: CountMoves, tag: string, campaignId: string, status: string, by: number): void {
  const key = countKey(tag, campaignId, status);
  moves.set(key, (moves.get(key) ?? 0) + by);
}

/** The counts by tag, campaign and status that the application moves between two flushes. */
function countMoves(
  moves: CountMoves,
  before: ApplicationFacts | undefined,
  after: ApplicationFacts,
  tagsChanged: boolean,
): void {
  if (before !== undefined && before.status === after.status && !tagsChanged) return;
  const next = ['', ...tagsOf(after)];
  if (before === undefined) {
    for (const tag of next) move(moves, tag, after.campaignId, after.status, 1);
    return;
  }
  const previous = ['', ...tagsOf(before)];
  if (before.status !== after.status) {
    for (const tag of previous) move(moves, tag, before.campaignId, before.status, -1);
    for (const tag of next) move(moves, tag, after.campaignId, after.status, 1);
    return;
  }
  const kept = new Set(next);
  const had = new Set(previous);
  for (const tag of previous) if (!kept.has(tag)) move(moves, tag, before.campaignId, before.status, -1);
  for (const tag of next) if (!had.has(tag)) move(moves, tag, after.campaignId, after.status, 1);
}

function writeCounts(db: Database, moves: CountMoves): void {
  const s = statements(db);
  for (const [key, by] of moves) {
    if (by === 0) continue;
    const [tag = '', campaignId = '', status = ''] = key.split('\0');
    s.count.run(tag, campaignId, status, by);
    if (by < 0) s.dropEmptyCount.run(tag, campaignId, status);
  }
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const lineKey = (l: FundingLine): string => `${l.funder}|${l.year}`;

const sameLine = (a: FundingLine, b: FundingLine): boolean =>
  a.calendarYear === b.calendarYear &&
  a.requestedCents === b.requestedCents &&
  a.committedCents === b.committedCents &&
  a.awardedCents === b.awardedCents &&
  a.paidCents === b.paidCents &&
  a.recoveredCents === b.recoveredCents;

function writeFunding(
  db: Database,
  seq: number,
  before: ApplicationFacts | undefined,
  after: ApplicationFacts,
): void {
  if (before !== undefined && before.funding === after.funding) return;
  const s = statements(db);
  const previous = new Map((before?.funding ?? []).map((l) => [lineKey(l), l]));
  for (const line of after.funding) {
    const old = previous.get(lineKey(line));
    previous.delete(lineKey(line));
    if (old !== undefined && sameLine(old, line)) continue;
    s.upsertFunder.run(
      seq,
      line.funder,
      line.year,
      line.calendarYear,
      line.requestedCents,
      line.committedCents,
      line.awardedCents,
      line.paidCents,
      line.recoveredCents,
    );
  }
  for (const gone of previous.values()) s.deleteFunder.run(seq, gone.funder, gone.year);
}

function corrupt(event: RecordedEvent, detail: string): Error {
  return new Error(
    `Flux ${event.stream} : l'événement ${event.type} (${event.id}, révision ${event.revision}) ${detail}.`,
  );
}

/**
 * Before a batch: the fold of every application whose first event in the batch follows one the
 * tables hold but memory does not (a restart, an eviction, another process's writes), folded again
 * from its stream up to the revision its row shows.
 */
async function prepareApplications(
  db: Database,
  events: readonly RecordedEvent[],
  log: StreamReader,
): Promise<void> {
  const folds = applicationFoldsOf(db);
  const first = new Map<string, RecordedEvent>();
  for (const event of events) {
    if (event.revision === 0n || asApplicationEvent(event) === undefined) continue;
    const applicationId = applicationIdOf(event);
    if (!first.has(applicationId)) first.set(applicationId, event);
  }
  for (const [applicationId, event] of first) {
    const held = folds.get(applicationId);
    // In memory and in step, or dirty (a gap apply() reports): nothing to fetch.
    if (held !== undefined && (held.revision + 1n === event.revision || folds.dirty.has(applicationId)))
      continue;
    const head = statements(db).head.get(applicationId);
    // No row: apply() says the event comes before the submission.
    if (head === undefined) continue;
    if (BigInt(head.revision) + 1n !== event.revision)
      throw corrupt(
        event,
        `suit la révision ${head.revision} : un événement manque ou est appliqué deux fois`,
      );
    const state = await foldFromLog(log, applicationId, BigInt(head.revision));
    const facts = applicationFacts(state);
    folds.loaded({
      applicationId,
      seq: head.seq,
      revision: BigInt(head.revision),
      state,
      funding: facts.funding,
      // Rewritten by the event about to be folded.
      last: { occurredAt: '', recordedAt: '', position: 0n },
      flushed: { state, facts, row: rowValues(facts) },
    });
  }
}

export function applyApplicationEvent(db: Database, event: RecordedEvent): void {
  const domainEvent = asApplicationEvent(event);
  if (domainEvent === undefined) return;
  const applicationId = applicationIdOf(event);
  const folds = applicationFoldsOf(db);
  // Events come in stream order exactly once (the runtime's guarantee): a fold one revision behind
  // the event is therefore what the tables hold, or will hold at the flush. A clean fold anything
  // else (a batch rolled back after it moved on, another process rebuilt the tables) is read back
  // from the tables; a dirty one cannot be, so the event is out of order.
  let fold = folds.get(applicationId);
  if (fold !== undefined && fold.revision + 1n !== event.revision) {
    if (folds.dirty.has(applicationId))
      throw corrupt(
        event,
        `suit la révision ${fold.revision} : un événement manque ou est appliqué deux fois`,
      );
    fold = undefined;
  }
  if (fold === undefined && (domainEvent.type !== 'ApplicationSubmitted' || event.revision !== 0n))
    throw corrupt(
      event,
      statements(db).head.get(applicationId) === undefined
        ? 'arrive avant le dépôt de la candidature'
        : "arrive sans l'état replié de la candidature (le lot n'a pas été préparé : Projection.prepare)",
    );

  const previous: SubmittedState | undefined = fold?.state;
  const next = evolveApplication(previous ?? initialApplicationState, domainEvent);
  if (next.status === 'not_submitted') throw corrupt(event, 'laisse la candidature non déposée');
  const funding = fundingLinesSince(next, previous, fold?.funding);
  const before = fold === undefined ? undefined : { state: fold.state, funding: fold.funding };
  const last = {
    occurredAt: storedInstant(event.metadata.occurredAt),
    recordedAt: storedInstant(event.metadata.recordedAt),
    position: event.position,
  };
  if (fold === undefined) {
    fold = {
      applicationId,
      seq: Number(event.position),
      revision: event.revision,
      state: next,
      funding,
      last,
      flushed: undefined,
    };
  } else {
    fold.revision = event.revision;
    fold.state = next;
    fold.funding = funding;
    fold.last = last;
  }
  folds.touch(fold);
  publishApplicationChange(db, { event, seq: fold.seq, before, after: { state: next, funding } });
}

/** Writes every application touched since the last flush, once, from its facts derived now. */
export function flushApplications(db: Database): void {
  const folds = applicationFoldsOf(db);
  const written: FlushedApplication[] = [];
  const moves: CountMoves = new Map();
  for (const fold of [...folds.dirty.values()]) {
    const flushed = fold.flushed;
    const facts = applicationFacts(fold.state, flushed, fold.funding);
    const row = rowValues(facts);
    writeRow(db, fold.seq, flushed?.row, row, fold);
    const tagsChanged = writeTags(db, fold.seq, flushed?.facts, facts);
    countMoves(moves, flushed?.facts, facts, tagsChanged);
    writeFunding(db, fold.seq, flushed?.facts, facts);
    written.push({
      seq: fold.seq,
      before: flushed?.state,
      beforeFacts: flushed?.facts,
      after: fold.state,
      facts,
    });
    fold.flushed = { state: fold.state, facts, row };
    folds.settle(fold);
  }
  writeCounts(db, moves);
  publishFlushedApplications(db, written);
}

export const applicationsProjection: Projection = {
  name: 'applications',
  // 2: the folded state keeps the complements exchanges (stored states of version 1 lack them).
  // 3: a rejected or lapsed application's commitments and award are void (fundsVoided).
  // 4: the folded state is no longer stored (folded again from the log when needed).
  // 5: a report's reminder timer is no longer the next deadline (the report's due date is).
  // 6: a report marked overdue keeps its (passed) due date as the next deadline.
  // 7: the funders of a waiting label (« Position attendue : … ») in the funders' order, État first.
  // 8: the beneficiaries reached are the latest accepted report's (a year's), not every year's added.
  version: 8,
  ordering: 'per-stream',
  sums: { application_counts: ['applications'] },
  schema: applicationsSchema,
  handles: applicationEventTypes,
  prepare: prepareApplications,
  apply: applyApplicationEvent,
  flush: flushApplications,
  discard(db) {
    applicationFoldsOf(db).clear();
    forgetApplicationChanges(db);
  },
  pending: (db) => applicationFoldsOf(db).dirty.size,
  streamEnded(db, stream) {
    if (stream.startsWith(APPLICATION_STREAM_PREFIX))
      applicationFoldsOf(db).forget(stream.slice(APPLICATION_STREAM_PREFIX.length));
  },
};
