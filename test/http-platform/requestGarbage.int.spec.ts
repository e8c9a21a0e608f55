// Once answered, a request must be garbage the young-generation collector can free. Two things
// defeated that, each promoting 10 KB or more per request to the old generation (collected only by
// full collections, whose pauses were the API's p99 under load): Express giving every request a new
// prototype (services/http/server.ts builds them with it instead) and a WeakMap value reaching back
// to the request (services/http/platform/correlation.ts). Measured in a process of its own, where
// young collections can be forced and nothing else allocates.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const fixture = resolve(import.meta.dirname, 'fixtures', 'requestGarbage.ts');

describe('requests and the young-generation collector', () => {
  it('promotes (nearly) nothing of a request once it is answered', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fixture, '1000'],
      { cwd: resolve(import.meta.dirname, '..', '..'), timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as { requests: number; scavenges: number; promotedPerRequest: number };
    expect(result.scavenges).toBeGreaterThanOrEqual(10);
    // About 130 bytes when right (the correlation record and its id); 10 KB with either mistake.
    expect(result.promotedPerRequest).toBeLessThan(1_000);
  });
});
