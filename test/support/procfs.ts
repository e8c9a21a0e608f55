// The tests that create folders under /proc (where Node's recursive mkdir never returns): Linux only.
import { existsSync } from 'node:fs';
import type { TestContext } from 'vitest';

/** True when /proc is there; otherwise says why the case is skipped and skips it. */
export function hasProcfs(test: TestContext): boolean {
  if (existsSync('/proc/self')) return true;
  console.log('Cas /proc sauté : pas de /proc sur cette machine (Linux seulement).');
  test.skip();
  return false;
}
