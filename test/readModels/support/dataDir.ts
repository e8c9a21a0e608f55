// A data directory as `grants` commands find it: its event store holding a demo campaign, and its
// read models built once then marked, so a test can tell whether a later rebuild swapped them in.
import { join } from 'node:path';
import { pino } from 'pino';
import type { Config } from '../../../infra/config/config';
import { openSqliteEventStore } from '../../../infra/eventstore';
import { CHECKPOINT_TABLE, openReadModelDatabase } from '../../../infra/projections/database';
import { runProjections } from '../../../services/cli/projections';
import { createGrantsEventRegistry } from '../../../workflows/eventCatalog';
import { appendHistory } from './readModels';
import { playCampaign } from './scenarios';
import { GrantsWorld } from './world';

/** The data directory's event store, holding a campaign of `applications` at every step. */
export async function storeWithCampaign(dir: string, applications = 30): Promise<GrantsWorld> {
  const world = new GrantsWorld().openCampaign();
  playCampaign(world, applications);
  const store = openSqliteEventStore({
    file: join(dir, 'events.sqlite'),
    registry: createGrantsEventRegistry(),
  });
  await appendHistory(store, world.events);
  await store.close();
  return world;
}

/** The status every application row gets in marked read models: only a swap wipes it out. */
export const MARKED_STATUS = 'marque-du-test';

/**
 * Builds the read models (`grants projections rebuild`, in this thread) and marks them: every
 * application's status set to MARKED_STATUS, and the checkpoint's signature replaced when given (as
 * an older version of the engine would have left it).
 */
export async function markedReadModels(config: Config, options: { signature?: string } = {}): Promise<void> {
  const quiet = { out: { write: () => true }, err: { write: () => true } };
  const code = await runProjections(config, pino({ level: 'silent' }), ['rebuild'], quiet);
  if (code !== 0) throw new Error(`grants projections rebuild : code ${code}`);
  const db = openReadModelDatabase(config.readModels.file);
  try {
    db.prepare('UPDATE applications SET status = ?').run(MARKED_STATUS);
    if (options.signature !== undefined)
      db.prepare(`UPDATE ${CHECKPOINT_TABLE} SET signature = ?`).run(options.signature);
  } finally {
    db.close();
  }
}

/** The distinct statuses of the application rows, and the checkpoint signatures, as the file holds them. */
export function readModelMarks(config: Config): { statuses: unknown[]; signatures: unknown[] } {
  const db = openReadModelDatabase(config.readModels.file, { readonly: true });
  try {
    return {
      statuses: db.prepare('SELECT DISTINCT status FROM applications').pluck().all(),
      signatures: db.prepare(`SELECT signature FROM ${CHECKPOINT_TABLE}`).pluck().all(),
    };
  } finally {
    db.close();
  }
}
