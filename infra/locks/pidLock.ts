// A lock file naming the process that holds it: one rebuild per read-model file, one engine per data
// directory. It appears with its owner's pid already in it (written aside, then hard-linked into
// place, which fails if it exists), so another process never reads an empty lock and takes it for a
// dead one's. A lock whose owner is dead (a crash, kill -9) is taken over; what it said is handed to
// the new owner, who may have leftovers of the dead one to clean up.
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

/** What a lock file holds: its owner's pid, and what the owner chose to add (a child's pid…). */
export interface LockContent {
  pid: number;
  [key: string]: unknown;
}

export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly owner: LockContent,
  ) {
    super(`Verrou ${file} tenu par le processus ${owner.pid}.`);
    this.name = 'LockHeldError';
  }
}

export interface PidLock {
  /** What the lock said when it was taken over from a dead owner; undefined when it was free. */
  previous: LockContent | undefined;
  /** Rewrites the lock with more about this owner (its pid stays). */
  note(extra: Record<string, unknown>): void;
  release(): void;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's content; a bare number is an older lock's pid. Undefined: no lock, or unreadable. */
export function readLock(file: string): LockContent | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text.trim())) return { pid: Number(text.trim()) };
  try {
    const content = JSON.parse(text) as Partial<LockContent>;
    return Number.isInteger(content.pid) ? (content as LockContent) : undefined;
  } catch {
    return undefined;
  }
}

/** The lock's owner when it is alive (and not this very process); undefined otherwise. */
export function liveOwner(file: string): LockContent | undefined {
  const owner = readLock(file);
  return owner !== undefined && owner.pid !== process.pid && processAlive(owner.pid) ? owner : undefined;
}

/**
 * Takes the lock, or throws LockHeldError naming its live owner. `about`: what the lock says of its
 * owner from the first instant (what it is doing, e.g. a restore rather than an engine), so that
 * whoever finds it held can say what holds it.
 */
export function acquirePidLock(file: string, about: Record<string, unknown> = {}): PidLock {
  const draft = `${file}.${process.pid}.${threadId}`;
  const content: LockContent = { ...about, pid: process.pid };
  let previous: LockContent | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(draft, JSON.stringify(content));
      try {
        linkSync(draft, file);
      } finally {
        rmSync(draft, { force: true });
      }
      return {
        previous,
        // Written aside, then renamed over: a reader never sees the lock empty or half written (one that
        // did would take it for free), now that the engine notes a restarted Temporal server while it runs.
        note: (extra) => {
          writeFileSync(draft, JSON.stringify({ ...content, ...extra, pid: process.pid }));
          renameSync(draft, file);
        },
        release: () => {
          // Only our own lock: a successor that took it over after we were given up keeps its own.
          if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readLock(file);
      // Released between the two calls: try again.
      if (owner === undefined && attempt < 2) {
        rmSync(file, { force: true });
        continue;
      }
      if (owner !== undefined && owner.pid !== process.pid && processAlive(owner.pid))
        throw new LockHeldError(file, owner);
      previous = owner;
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Verrou ${file} impossible à prendre.`);
}
