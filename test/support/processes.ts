// Helpers for tests that start real processes: free ports, waiting for HTTP, process trees.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A port free now, for a server a test is about to start (a Temporal dev server, the engine).
 * Taken below the kernel's ephemeral range (32768 and up on Linux), where listen(0) and outgoing
 * connections never land, and from a block of its own per vitest worker, so that another test
 * file running in parallel cannot be handed the same port between this check and its use (with
 * listen(0) it happened: « Le port … est déjà utilisé »).
 */
const BLOCK = 1000;
const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '1');
// GRANTS_TEST_FIRST_PORT moves the blocks, for a machine where other servers use the 20000s.
const base = Number(process.env.GRANTS_TEST_FIRST_PORT ?? '20000');
const firstPort = base + (((Number.isInteger(worker) ? worker : 1) - 1) % 12) * BLOCK;
let nextPort = firstPort;

const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = nextPort;
    nextPort = nextPort + 1 >= firstPort + BLOCK ? firstPort : nextPort + 1;
    if (await isFree(port)) return port;
  }
  throw new Error(`Aucun port libre entre ${firstPort} et ${firstPort + BLOCK - 1}.`);
}

/** Every descendant of a process (children, grandchildren…), from /proc via ps. */
export function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of table) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
