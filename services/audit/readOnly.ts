// What the audit side reads the store through: no append (auditors change nothing, and a bug in
// this code cannot either), and long scans that let the event loop breathe.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventStore } from '../../infra/eventstore/port';

export class ReadOnlyStoreError extends Error {
  constructor() {
    super("L'audit lit le journal sans jamais y écrire : ajout refusé.");
    this.name = 'ReadOnlyStoreError';
  }
}

/**
 * Passes the items through, giving the event loop a turn every `every` items. The SQLite adapter
 * reads synchronously and an async generator resumes in microtasks, so without this a scan of a
 * million events would keep an HTTP server from answering anyone else until it ended.
 */
export async function* paced<T>(items: AsyncIterable<T>, every = 500): AsyncGenerator<T> {
  let count = 0;
  for await (const item of items) {
    yield item;
    count += 1;
    if (count % every === 0) await nextTurn();
  }
}

/** The store as the audit side sees it: every read paced, append refused, integrity check passed through. */
export function auditView(store: EventStore, every = 500): EventStore {
  return {
    kind: store.kind,
    append: () => Promise.reject(new ReadOnlyStoreError()),
    readStream: (stream, options) => store.readStream(stream, options),
    readAll: (options) => paced(store.readAll(options), every),
    subscribeToAll: (options) => store.subscribeToAll(options),
    headPosition: () => store.headPosition(),
    // The adapter's own integrity check reads nothing through the view (it paces itself: worker
    // threads, or a turn of the event loop between pages); without one, the generic check reads
    // through readAll above, paced.
    ...(store.verifyIntegrity ? { verifyIntegrity: store.verifyIntegrity.bind(store) } : {}),
    // The view does not own the store: whoever opened it closes it.
    close: () => Promise.resolve(),
  };
}
