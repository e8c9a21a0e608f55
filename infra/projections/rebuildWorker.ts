// One worker thread of a parallel rebuild (parallelRebuild.ts): opens the event store and the
// projections through the caller's source module, replays the stream ranges the parent hands out,
// one after the other, into a shadow file of its own, and reports its count as it goes.
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import type { EventFilter } from '../eventstore/port';
import { ShadowReplay, createShadowDatabase } from './shadow';
import type { OpenRebuildSource, ParentMessage, WorkerMessage } from './parallelRebuild';

const dataSchema = z.object({
  shadowFile: z.string(),
  name: z.string(),
  source: z.object({ module: z.string(), data: z.unknown() }),
  upTo: z.string().regex(/^\d+$/),
  eventTypes: z.array(z.string()).optional(),
  batchSize: z.number().int().positive(),
  maxPending: z.number().int().positive(),
  progressIntervalMs: z.number().nonnegative(),
});

const port = parentPort;
if (port === null) throw new Error('rebuildWorker.ts se lance dans un fil de travail (worker thread).');
const data = dataSchema.parse(workerData);
const send = (message: WorkerMessage): void => port.postMessage(message);

// Messages are handled one at a time, in order: the parent sends the next range only after this
// worker said it finished the previous one.
const inbox: ParentMessage[] = [];
let wake: (() => void) | undefined;
port.on('message', (message: ParentMessage) => {
  inbox.push(message);
  wake?.();
});
const nextMessage = async (): Promise<ParentMessage> => {
  while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  wake = undefined;
  return inbox.shift()!;
};

const { openRebuildSource } = (await import(data.source.module)) as { openRebuildSource?: OpenRebuildSource };
if (typeof openRebuildSource !== 'function')
  throw new Error(`Le module ${data.source.module} n'exporte pas de fonction openRebuildSource.`);
const { eventStore, projections } = await openRebuildSource(data.source.data);
try {
  if (eventStore.readAllByStream === undefined)
    throw new Error(`Le magasin ${eventStore.kind} ne sait pas lire flux par flux.`);
  const db = createShadowDatabase(data.shadowFile, data.name, projections);
  const replay = new ShadowReplay(db, data.name, projections, data);
  replay.streamAfterStream = true;
  const filter: EventFilter | undefined =
    data.eventTypes === undefined ? undefined : { eventTypes: data.eventTypes };
  let lastReport = performance.now();
  try {
    send({ kind: 'ready' });
    for (let message = await nextMessage(); message.kind === 'range'; message = await nextMessage()) {
      for await (const event of eventStore.readAllByStream({
        upTo: BigInt(data.upTo),
        ...(filter === undefined ? {} : { filter }),
        ...(message.fromStream === undefined ? {} : { fromStream: message.fromStream }),
        ...(message.before === undefined ? {} : { before: message.before }),
      })) {
        if (replay.feed(event, undefined) && performance.now() - lastReport >= data.progressIntervalMs) {
          lastReport = performance.now();
          send({ kind: 'progress', events: replay.events });
        }
      }
      send({ kind: 'rangeDone', events: replay.events });
    }
    replay.commit(undefined);
  } catch (error) {
    replay.discard();
    throw error;
  } finally {
    db.close();
  }
  send({ kind: 'done', events: replay.committed });
} finally {
  await eventStore.close();
}
