// Shared set-up for the projection runtime's tests: temporary files, a child process running
// fixtures/child.ts, and the invariant every test checks.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import type { EventStore } from '../../infra/eventstore/port';
import { readCheckpoint } from '../../infra/projections/database';
import { readCounts } from './fixtures/toy';

export const childScript = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'grants-projections-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const silentLogger = () => pino({ level: 'silent' });

export interface ChildRun {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runChild(env: Record<string, string>): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, lines, stderr: () => stderr, exited };
}

/** Checkpoint and counts read in one snapshot (a read transaction: WAL gives it a consistent view). */
export function snapshot(readFile: string): {
  checkpoint: bigint | undefined;
  counts: Record<string, number>;
} {
  const db = new Database(readFile, { timeout: 5000 });
  try {
    return db.transaction(() => {
      const has = (table: string) =>
        db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(table) !== undefined;
      const row = has('projection_checkpoints') ? readCheckpoint(db, 'read-models') : undefined;
      return { checkpoint: row?.position, counts: has('toy_stream_types') ? readCounts(db) : {} };
    })();
  } finally {
    db.close();
  }
}

/** Per stream type count of the events at or below a position: what the read models must hold at that checkpoint. */
export async function expectedCountsUpTo(
  store: EventStore,
  position: bigint | undefined,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (position === undefined) return counts;
  for await (const event of store.readAll()) {
    if (event.position > position) break;
    const type = event.stream.split('-')[0] ?? '';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`délai dépassé : ${what}`);
    await sleep(10);
  }
}
