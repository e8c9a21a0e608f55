// Shared helpers of the benchmarks: one JSON object per line on stdout, so a CI job or a person can
// compare runs with `jq`. A bench module is bench/<name>.ts exporting `run(): AsyncIterable<BenchLine>`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchLine {
  name: string;
  unit: string;
  value: number;
  /** What the value is compared with (a raw baseline measured in the same run), or null. */
  baseline: string | null;
  baselineValue: number | null;
  /** value / baselineValue, for throughputs (higher is better). */
  ratio: number | null;
}

export interface BenchModule {
  /** Yields lines as they are measured, so a long bench shows progress. */
  run(): AsyncIterable<BenchLine>;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** A throughput line compared with its baseline. */
export function throughput(
  name: string,
  unit: string,
  value: number,
  baseline?: { name: string; value: number },
): BenchLine {
  return {
    name,
    unit,
    value: round(value, 0),
    baseline: baseline?.name ?? null,
    baselineValue: baseline ? round(baseline.value, 0) : null,
    ratio: baseline ? round(value / baseline.value, 3) : null,
  };
}

export function printLine(line: BenchLine): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

/** Progress and notes go to stderr, keeping stdout to the JSON lines. */
export function note(message: string): void {
  process.stderr.write(`# ${message}\n`);
}

/** A positive integer from the environment (sizes are overridable for quick runs), else the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} doit être un entier positif (reçu « ${raw} »)`);
  return value;
}

/** Runs fn with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds taken by fn. */
export async function seconds(fn: () => Promise<void> | void): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall-clock and CPU seconds (this process, all threads) taken by fn. On a shared machine the CPU
 * figure of a CPU-bound task is the steadier one: time spent waiting for another tenant's work is
 * not counted. */
export async function timed(fn: () => Promise<void> | void): Promise<{ wall: number; cpu: number }> {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
}
