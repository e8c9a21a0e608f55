// Histories of the read models' GrantsWorld (the real deciders, envelopes kept in step with each
// application as the workflows do, deadlines fired by the Story's clock) written to a real audit test
// store, in the world's order, each event recorded at its business time. The audit ledger is then
// read from the store exactly as in production.
import type { RecordedEvent } from '../../infra/eventstore/port';
import { asAppended } from '../readModels/support/readModels';
import type { TestStore } from './support';

/** Appends `events` (a GrantsWorld's, from `from` on), consecutive events of one stream together. */
export async function appendWorldEvents(
  test: TestStore,
  events: readonly RecordedEvent[],
  from = 0,
): Promise<number> {
  let i = from;
  while (i < events.length) {
    const first = events[i]!;
    let j = i + 1;
    while (j < events.length && events[j]!.stream === first.stream) j++;
    test.clock.set(first.metadata.recordedAt);
    await test.store.append(first.stream, events.slice(i, j).map(asAppended), {
      expectedRevision: first.revision === 0n ? 'no_stream' : first.revision - 1n,
    });
    i = j;
  }
  return i;
}
