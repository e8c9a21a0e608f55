// For `BENCH_API_ONLY=http`: the read models rebuilt from a cached store, kept in .data/bench so
// iterating on the HTTP side does not pay a whole rebuild each run (about 1 min for 4,000
// applications, several for 100,000). The file is named after the store it came from and the
// projections' names, versions and sources, so a changed projection or schema rebuilds it. Each
// run works on a copy: the API opens its file read-write (WAL), as the engine does.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { openSqliteEventStore } from '../../infra/eventstore/sqlite';
import { READ_MODEL_PAGE_SIZE } from '../../infra/projections/database';
import { projectionSignature } from '../../infra/projections/projection';
import { rebuildProjections } from '../../infra/projections/rebuild';
import { grantsProjections } from '../../services/readModels';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';

const readModelsDir = resolve(import.meta.dirname, '..', '..', 'services', 'readModels');

/** Every source file of the slices but their queries (which do not shape the tables). */
function projectionSources(): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync(readModelsDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && e.name !== 'queries.ts')
    .map((e) => join(e.parentPath, e.name))
    .sort()) {
    // Paths relative to the slices: two clones of the repository share the cache.
    hash.update(relative(readModelsDir, entry)).update(readFileSync(entry));
  }
  return hash.digest('hex');
}

const removeDatabase = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
};

/** Copies (rebuilding first if needed) the read models of `storeFile` to `target`. */
export async function cachedReadModels(options: {
  cacheDir: string;
  storeFile: string;
  target: string;
  note: (message: string) => void;
}): Promise<void> {
  const key = createHash('sha256')
    // The page size too: a file laid out with other pages answers at other speeds.
    .update(
      JSON.stringify([
        basename(options.storeFile),
        projectionSignature(grantsProjections),
        READ_MODEL_PAGE_SIZE,
      ]),
    )
    .update(projectionSources())
    .digest('hex')
    .slice(0, 16);
  const prefix = `read-models-${basename(options.storeFile, '.sqlite')}-`;
  const file = join(options.cacheDir, `${prefix}${key}.sqlite`);
  if (existsSync(file)) {
    options.note(`vues en cache : ${file}`);
  } else {
    for (const name of readdirSync(options.cacheDir))
      if (name.startsWith(prefix)) rmSync(join(options.cacheDir, name), { force: true });
    options.note(`vues absentes du cache : reconstruction dans ${file}…`);
    const partial = `${file}.partial`;
    removeDatabase(partial);
    const store = openSqliteEventStore({ file: options.storeFile, registry: createGrantsEventRegistry() });
    try {
      await rebuildProjections({ eventStore: store, dbFile: partial, projections: grantsProjections });
    } finally {
      await store.close();
    }
    renameSync(partial, file);
    for (const suffix of ['-wal', '-shm']) rmSync(partial + suffix, { force: true });
  }
  copyFileSync(file, options.target);
}
