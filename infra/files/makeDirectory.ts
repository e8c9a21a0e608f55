// `mkdir -p`, for every folder the engine and its commands create (data directory, event store,
// read models, backups). Not Node's `mkdirSync(path, { recursive: true })`: on Linux its walk never
// ends under /proc or /sys, where creating a folder answers ENOENT although the parent exists (it
// takes ENOENT for « parent missing », creates the parent, gets EEXIST, tries again, forever, at
// 100 % CPU and with the event loop blocked). An operator who mistypes GRANTS_DATA_DIR or
// `grants backup --to` got a frozen command instead of an error.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const exists = (path: string): boolean => statSync(path, { throwIfNoEntry: false }) !== undefined;

/**
 * Creates `path` and the folders missing above it, one by one from the nearest existing one. Throws
 * the system's error (with its code and path) for the first that cannot be created, and EEXIST
 * when `path` exists but is not a folder, as `mkdir -p` does.
 */
export function makeDirectory(path: string): void {
  const missing: string[] = [];
  let folder = resolve(path);
  while (!exists(folder)) {
    missing.push(folder);
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  // Nothing missing: mkdir answers EEXIST unless it is a folder, as `mkdir -p` does for a file.
  if (missing.length === 0 && !statSync(folder).isDirectory()) mkdirSync(folder);
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // Created meanwhile by someone else (another process starting): as good as made here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw error;
    }
  }
}
