// The EventStoreDB adapter held to the same contract, on a real server: the one named by
// EVENTSTORE_CONNECTION_STRING, else a throwaway container when a Docker engine answers. Without
// either it is skipped, saying why — never run against a mock.
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { openEsdbEventStore } from '../../infra/eventstore/esdb';
import { eventStoreContract } from './contract';
import { step, testRegistry } from './fixtures/events';

/** KurrentDB as well: EVENTSTORE_TEST_IMAGE=docker.eventstore.com/kurrent-latest/kurrentdb:25.0.0-x64-8.0-bookworm-slim */
const image =
  process.env.EVENTSTORE_TEST_IMAGE ??
  'docker.eventstore.com/eventstore/eventstoredb-ee:24.10.0-x64-8.0-bookworm-slim';
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING?.trim() || undefined;

async function skipReason(): Promise<string | undefined> {
  if (connectionString) return undefined;
  try {
    await getContainerRuntimeClient();
    return undefined;
  } catch (error) {
    return (
      'ni EVENTSTORE_CONNECTION_STRING ni moteur Docker joignable par testcontainers ' +
      `(${error instanceof Error ? error.message : String(error)})`
    );
  }
}

const reason = await skipReason();
if (reason !== undefined) console.warn(`[event store] contrat EventStoreDB ignoré : ${reason}`);

eventStoreContract(
  connectionString ? 'EventStoreDB (EVENTSTORE_CONNECTION_STRING)' : `EventStoreDB (conteneur ${image})`,
  async () => {
    let container: StartedTestContainer | undefined;
    let url = connectionString;
    if (url === undefined) {
      container = await new GenericContainer(image)
        .withEnvironment({
          // EVENTSTORE_* for EventStoreDB, KURRENTDB_* for KurrentDB.
          EVENTSTORE_INSECURE: 'true',
          EVENTSTORE_MEM_DB: 'true',
          EVENTSTORE_RUN_PROJECTIONS: 'None',
          KURRENTDB_INSECURE: 'true',
          KURRENTDB_MEM_DB: 'true',
          KURRENTDB_RUN_PROJECTIONS: 'None',
        })
        .withExposedPorts(2113)
        .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
        .withStartupTimeout(120_000)
        .start();
      url = `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
    }
    const config = { kind: 'eventstoredb' as const, connectionString: url };
    // Its own client: forged events go to the server as written, never through the adapter.
    const forger = EventStoreDBClient.connectionString(url);
    return {
      open: (options = {}) =>
        openEsdbEventStore({
          connectionString: url,
          registry: options.registry ?? testRegistry(),
          ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        }),
      childConfig: config,
      connectionPerAppender: false,
      writeForged: async (stream, events) => {
        await forger.appendToStream(
          stream,
          events.map((e) =>
            jsonEvent({
              id: e.id,
              type: e.type,
              data: e.data,
              // As the adapter writes them (esdb.ts), EventStoreDB's own correlation fields included.
              metadata: {
                ...e.metadata,
                $correlationId: e.metadata.correlationId,
                $causationId: e.metadata.causationId,
              },
            }),
          ),
        );
      },
      dispose: async () => {
        await forger.dispose();
        await container?.stop();
      },
    };
  },
  reason,
);

// What only EventStoreDB has: the server's own records in $all, on the server named by
// EVENTSTORE_CONNECTION_STRING (the contract above starts the only throwaway container).
const serverReason =
  connectionString === undefined
    ? 'EVENTSTORE_CONNECTION_STRING non défini (ce cas écrit dans $all du serveur nommé)'
    : undefined;
if (serverReason !== undefined) console.warn(`[event store] cas EventStoreDB ignoré : ${serverReason}`);

describe.skipIf(serverReason !== undefined)('EventStoreDB adapter — the server’s own records', () => {
  it('gives as head the last event of ours, not a system record written after it', async () => {
    const url = connectionString ?? '';
    const store = await openEsdbEventStore({ connectionString: url, registry: testRegistry() });
    const server = EventStoreDBClient.connectionString(url);
    try {
      const stream = `head-${randomUUID()}`;
      const { position } = await store.append(stream, [step(0)], { expectedRevision: 'no_stream' });
      // Stream metadata is a record of the system stream $$<stream>, appended after our event.
      await server.setStreamMetadata(stream, { maxAge: 86_400 });
      expect(await store.headPosition()).toBe(position);
    } finally {
      await server.dispose();
      await store.close();
    }
  });
});
