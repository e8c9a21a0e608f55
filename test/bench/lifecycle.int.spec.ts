// The lifecycle bench, at its smallest, as a test: it drives whole lifecycles through the real
// deciders, so a rule change can stop it (a domain refusal midway) — it once stayed broken for two
// days (rule revision 2) unnoticed. Only that it runs to its line is checked here, never a speed:
// figures belong to bench/RESULTS.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchLine } from '../../bench/lib';
import { run } from '../../bench/lifecycle';

const smallest = {
  BENCH_LIFECYCLE_PARTS: 'throughput',
  BENCH_LIFECYCLE_COUNT: '2',
  BENCH_LIFECYCLE_ROUNDS: '1',
  BENCH_LIFECYCLE_CONCURRENCY: '2',
};
const saved = Object.fromEntries(Object.keys(smallest).map((k) => [k, process.env[k]]));
beforeAll(() => Object.assign(process.env, smallest));
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('lifecycle bench', () => {
  it('closes one-year lifecycles through the grants and the bare workflows, to its throughput line', async () => {
    const lines: BenchLine[] = [];
    for await (const line of run()) lines.push(line);
    expect(lines.map((l) => l.name)).toEqual(['lifecycle.closed_one_year']);
    const [line] = lines;
    expect(line?.value).toBeGreaterThan(0);
    expect(line?.baselineValue).toBeGreaterThan(0);
  }, 180_000);
});
