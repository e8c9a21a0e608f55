// The event store's public face: the port, its errors, the typed-event registry, the integrity
// verifier, and one factory choosing the backend from the configuration.
import { ConfigError, type Config } from '../config/config';
import type { EventStore } from './port';
import type { EventRegistry } from './registry';
import { openSqliteEventStore, type SqliteSynchronous } from './sqlite';

export type * from './port';
export * from './errors';
export {
  createEventRegistry,
  defineEvent,
  upcastWith,
  type EventDataOf,
  type EventRegistry,
  type EventRegistryOptions,
} from './registry';
export {
  verifyIntegrity,
  type IntegrityFailure,
  type IntegrityFailureReason,
  type IntegrityReport,
  type VerifyOptions,
} from './integrity';
export { canonicalJson, computeEventHash, HASH_SCHEME_VERSION } from './hash';
export {
  openSqliteEventStore,
  type SqliteEventStore,
  type SqliteEventStoreOptions,
  type SqliteSynchronous,
} from './sqlite';
// EventStoreDB's client (with gRPC, ~160 modules) is loaded only when a connection string asks for it: the
// embedded default, the CLI and every rebuild worker thread would otherwise each pay its import.
export type { EsdbEventStoreOptions } from './esdb';

/** config.eventStore, as loadConfig() builds it; OFF is accepted for benchmark set-up only. */
export type EventStoreConfig =
  | (Omit<Extract<Config['eventStore'], { kind: 'sqlite' }>, 'synchronous'> & {
      synchronous: SqliteSynchronous;
    })
  | Extract<Config['eventStore'], { kind: 'eventstoredb' }>;

export interface CreateEventStoreOptions {
  /** The domain's event definitions; see createEventRegistry. */
  registry: EventRegistry;
  /** Record time (recordedAt); injectable for tests. */
  clock?: () => Date;
  /** SQLite: how long a writer waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** SQLite: how often a live subscription polls for other processes' appends (default 25 ms). */
  pollIntervalMs?: number;
  /** Page size of readAll and subscription catch-up (default 1000). */
  pageSize?: number;
  /** SQLite: only read (see SqliteEventStoreOptions.readOnly); EventStoreDB is read through the same client. */
  readOnly?: boolean;
}

/** Opens the configured backend: SQLite by default, EventStoreDB when a connection string is set. */
export async function createEventStore(
  config: EventStoreConfig,
  options: CreateEventStoreOptions,
): Promise<EventStore> {
  const common = {
    registry: options.registry,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  };
  switch (config.kind) {
    case 'sqlite':
      return openSqliteEventStore({
        ...common,
        file: config.file,
        synchronous: config.synchronous,
        ...(options.busyTimeoutMs ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
        ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.readOnly ? { readOnly: true } : {}),
      });
    case 'eventstoredb': {
      const { openEsdbEventStore } = await import('./esdb');
      try {
        return await openEsdbEventStore({ ...common, connectionString: config.connectionString });
      } catch (error) {
        // Opening only parses the string and asks the server for its head: whatever fails there is
        // the setting to check (or the server it names to start), said by name, exit code 2.
        const detail = error instanceof Error ? error.message : String(error);
        throw new ConfigError(
          [{ variable: 'EVENTSTORE_CONNECTION_STRING', expected: detail, received: undefined }],
          `${detail}\nVérifiez EVENTSTORE_CONNECTION_STRING et que le serveur EventStoreDB qu’elle nomme est démarré.`,
        );
      }
    }
  }
}
