// Child process (see grantsStore.ts): plays the grants history into a new SQLite event store file.
// synchronous=OFF: set-up only, and a crash leaves a `.partial` file that the next run throws away.
import { z } from 'zod';
import { openSqliteEventStore } from '../../infra/eventstore/sqlite';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { childArgs, sendToParent } from './child';
import { generateGrantsHistory } from './grantsHistory';

const argsSchema = z.object({
  file: z.string().min(1),
  applications: z.number().int().positive(),
  campaigns: z.number().int().positive(),
  today: z.iso.date(),
});

const args = argsSchema.parse(childArgs());
const recordClock = { now: new Date(`${args.today}T00:00:00Z`) };
const store = openSqliteEventStore({
  file: args.file,
  registry: createGrantsEventRegistry(),
  synchronous: 'OFF',
  clock: () => recordClock.now,
});
let lastProgress = 0;
const history = await generateGrantsHistory({
  store,
  applications: args.applications,
  campaigns: args.campaigns,
  today: args.today,
  recordClock,
  onProgress: ({ step, events }) => {
    if (performance.now() - lastProgress < 2000) return;
    lastProgress = performance.now();
    void sendToParent({ kind: 'progress', step, events });
  },
});
await store.close();
await sendToParent({ kind: 'done', history });
process.disconnect();
