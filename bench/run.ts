// Bench dispatcher: `npm run bench -- store [other ...]` runs bench/store.ts, and so on. Any
// bench/<name>.ts exporting `run(): AsyncIterable<BenchLine>` is a bench; nothing to register.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printLine, type BenchModule } from './lib';

const here = dirname(fileURLToPath(import.meta.url));
const notBenches = new Set(['run', 'lib']);

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .filter((name) => !notBenches.has(name))
    .sort();
}

function isBenchModule(value: unknown): value is BenchModule {
  return (
    typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function'
  );
}

async function main(names: string[]): Promise<number> {
  const known = available();
  if (names.length === 0) {
    process.stderr.write(`Usage : npm run bench -- <nom> [...]\nBancs disponibles : ${known.join(', ')}\n`);
    return 2;
  }
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`Banc inconnu : ${unknown.join(', ')}. Disponibles : ${known.join(', ')}\n`);
    return 2;
  }
  for (const name of names) {
    const module: unknown = await import(pathToFileURL(join(here, `${name}.ts`)).href);
    if (!isBenchModule(module)) {
      process.stderr.write(`bench/${name}.ts n'exporte pas run(): AsyncIterable<BenchLine>\n`);
      return 2;
    }
    for await (const line of module.run()) printLine(line);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
