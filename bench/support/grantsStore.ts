// The generated grants event store, kept between runs: generating 100,000 applications through the
// deciders takes minutes, reading them back seconds. The file is named after what made it — the
// sizes, the bench's "today", the generator's source and the domain's event schemas — so a change
// to any of them generates a new one; BENCH_API_FRESH=1 forces it (e.g. after a change in the
// deciders' rules that leaves the schemas as they were).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { allEventDefinitions } from '../../domain';
import { spawnChild } from './child';
import type { GeneratedHistory } from './grantsHistory';

/** Bump when the file's layout or the way it is generated changes outside grantsHistory.ts. */
const CACHE_FORMAT = 1;

const historySchema = z.object({
  events: z.number().int().nonnegative(),
  appendCalls: z.number().int().nonnegative(),
  campaigns: z.array(
    z.object({ campaignId: z.string(), year: z.number().int(), applications: z.number().int() }),
  ),
  currentCampaignId: z.string(),
  statuses: z.record(z.string(), z.number().int()),
}) satisfies z.ZodType<GeneratedHistory>;

const childMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), step: z.string(), events: z.number() }),
  z.object({ kind: z.literal('done'), history: historySchema }),
]);

export interface GrantsStoreOptions {
  cacheDir: string;
  applications: number;
  campaigns: number;
  /** Paris date: the history stops there. */
  today: string;
  fresh: boolean;
  note: (message: string) => void;
}

export interface GrantsStoreFile {
  file: string;
  history: GeneratedHistory;
  /** Undefined when the file came from the cache. */
  generatedSeconds: number | undefined;
}

function cacheKey(options: GrantsStoreOptions): string {
  const schemas = allEventDefinitions.map((d) => [
    d.type,
    d.version,
    z.toJSONSchema(d.schema, { unrepresentable: 'any', io: 'input' }),
  ]);
  return createHash('sha256')
    .update(
      JSON.stringify([
        CACHE_FORMAT,
        options.applications,
        options.campaigns,
        options.today,
        readFileSync(resolve(import.meta.dirname, 'grantsHistory.ts'), 'utf8'),
        schemas,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}

const removeDatabase = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
};

export async function grantsStoreFile(options: GrantsStoreOptions): Promise<GrantsStoreFile> {
  mkdirSync(options.cacheDir, { recursive: true });
  const prefix = `grants-${options.applications}a-${options.campaigns}c-`;
  const base = join(options.cacheDir, `${prefix}${cacheKey(options)}`);
  const file = `${base}.sqlite`;
  const sidecar = `${base}.json`;
  if (!options.fresh && existsSync(file) && existsSync(sidecar)) {
    const history = historySchema.parse(JSON.parse(readFileSync(sidecar, 'utf8')));
    options.note(`magasin d'événements en cache : ${file}`);
    return { file, history, generatedSeconds: undefined };
  }

  // Files of the same sizes made by an older generator or schema would only fill the disk.
  for (const name of readdirSync(options.cacheDir))
    if (name.startsWith(prefix)) rmSync(join(options.cacheDir, name), { force: true });
  const partial = `${base}.partial.sqlite`;
  removeDatabase(partial);
  options.note(
    `génération de ${options.applications} candidatures (${options.campaigns} campagnes) par les décideurs…`,
  );
  const started = performance.now();
  let history: GeneratedHistory | undefined;
  const child = spawnChild(
    'generateStore.ts',
    {
      file: partial,
      applications: options.applications,
      campaigns: options.campaigns,
      today: options.today,
    },
    {
      // 100,000 files in flight hold a few gigabytes of folded state at the busiest step.
      heapMb: 8192,
      onMessage: (raw) => {
        const message = childMessageSchema.parse(raw);
        if (message.kind === 'progress') options.note(`  ${message.step} : ${message.events} événements`);
        else history = message.history;
      },
    },
  );
  const code = await child.exited;
  if (code !== 0 || history === undefined) {
    removeDatabase(partial);
    throw new Error(`génération du magasin d'événements en échec (sortie ${code})`);
  }
  const generatedSeconds = (performance.now() - started) / 1000;
  removeDatabase(file);
  renameSync(partial, file);
  writeFileSync(sidecar, JSON.stringify(history, null, 2) + '\n');
  return { file, history, generatedSeconds };
}
