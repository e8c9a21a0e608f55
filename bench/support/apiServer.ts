// Child process of bench/api.ts: the real HTTP API (createApi: platform, authentication, query
// routes) on a read-model file, twice (with its answer cache, and without it: `cold`), and beside
// them a bare Express app answering a constant JSON, all on 127.0.0.1. Logs go to stdout at the
// engine's default level (info), which the parent writes to a file, so their cost is paid as in
// production. Sends the three URLs to the parent; answers 'cpu' with its CPU time so far (so the
// parent can count requests per server CPU-second); stops on 'stop'.
import express from 'express';
import { z } from 'zod';
import { openSqliteEventStore } from '../../infra/eventstore/sqlite';
import { createLogger } from '../../infra/logging/logger';
import { openReadModelDatabase } from '../../infra/projections/database';
import { createApi } from '../../services/http/api';
import { listen } from '../../services/http/server';
import { noWorkflowsClient } from '../../test/support/noWorkflows';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { childArgs, sendToParent } from './child';

const argsSchema = z.object({
  readModels: z.string().min(1),
  eventStore: z.string().min(1),
  secret: z.string().min(32),
});
const args = argsSchema.parse(childArgs());

/** The GET routes never reach the workflows. */
const grants = noWorkflowsClient('bench api');

const logger = createLogger({ level: 'info', format: 'json', name: 'bench-api' });
// As the engine opens it (services/engine.ts): read-write, WAL, the projector's connection shape.
const readModels = openReadModelDatabase(args.readModels);
const eventStore = openSqliteEventStore({ file: args.eventStore, registry: createGrantsEventRegistry() });
const apiDeps = {
  logger,
  auth: { mode: 'embedded', secret: args.secret } as const,
  grants,
  eventStore,
  readModels,
  probes: [],
  metrics: {},
};
// The API as the engine runs it (answers kept until the read models change), and the same API
// computing every answer (the cold figures: a first request, or one after every commit).
const api = await listen(createApi(apiDeps), '127.0.0.1', 0);
const cold = await listen(createApi({ ...apiDeps, answerCache: false }), '127.0.0.1', 0);

const constant = { status: 'ok', service: 'bench', items: [1, 2, 3] };
const bareApp = express();
bareApp.get('/constant', (_req, res) => {
  res.json(constant);
});
const bare = await listen(bareApp, '127.0.0.1', 0);

process.on('message', (message) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    void sendToParent({ kind: 'cpu', micros: user + system });
    return;
  }
  if (message !== 'stop') return;
  void (async () => {
    await Promise.all([api.close(), cold.close(), bare.close()]);
    await eventStore.close();
    readModels.close();
    process.disconnect();
  })();
});
await sendToParent({ kind: 'ready', api: api.url, cold: cold.url, bare: bare.url });
