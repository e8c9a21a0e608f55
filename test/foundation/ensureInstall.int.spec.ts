// scripts/ensure-install.mjs, what `npm start` and `npm test` run first: `npm ci` only when the
// dependencies were installed for another lockfile — a clone or a checkout that only gives
// package-lock.json a new date must not empty node_modules. Run for real in a copy of the layout,
// with an `npm` on PATH that notes its calls instead of installing.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'grants-ensure-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'scripts'));
mkdirSync(join(root, 'bin'));
mkdirSync(join(root, 'node_modules'));
copyFileSync(
  new URL('../../scripts/ensure-install.mjs', import.meta.url),
  join(root, 'scripts', 'ensure-install.mjs'),
);
writeFileSync(join(root, 'scripts', 'install-temporal.mjs'), '');
const calls = join(root, 'npm-calls.txt');
writeFileSync(join(root, 'bin', 'npm'), `#!/bin/sh\necho "$@" >> ${calls}\n`);
chmodSync(join(root, 'bin', 'npm'), 0o755);

function ensureInstall(): string[] {
  rmSync(calls, { force: true });
  execFileSync(process.execPath, [join(root, 'scripts', 'ensure-install.mjs')], {
    cwd: root,
    env: { ...process.env, PATH: `${join(root, 'bin')}:${process.env.PATH ?? ''}` },
    stdio: 'pipe',
  });
  try {
    return readFileSync(calls, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

describe('ensure-install', () => {
  it('installs when nothing is, then only when the lockfile changes, not when its date does', () => {
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3, "v": 1}');
    expect(ensureInstall()).toEqual(['ci --no-audit --no-fund']);
    // A checkout: same content, newer date.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'package-lock.json'), later, later);
    expect(ensureInstall()).toEqual([]);
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3, "v": 2}');
    expect(ensureInstall()).toEqual(['ci --no-audit --no-fund']);
    expect(ensureInstall()).toEqual([]);
  });

  it('trusts an install made before the hash was noted when npm’s own marker is newer than the lockfile', () => {
    rmSync(join(root, 'node_modules', '.grants-installed-lock.sha256'));
    writeFileSync(join(root, 'node_modules', '.package-lock.json'), '{}');
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'package-lock.json'), earlier, earlier);
    expect(ensureInstall()).toEqual([]);
    // …and notes the hash from then on.
    utimesSync(join(root, 'package-lock.json'), new Date(), new Date(Date.now() + 120_000));
    expect(ensureInstall()).toEqual([]);
  });

  it('lets a second run started meanwhile wait for the first install instead of installing beside it', async () => {
    // An npm ci that takes a while, as the real one does: two runs at once must not both start it.
    const slowNpm = `#!/bin/sh\necho "start $@" >> ${calls}\nsleep 1\necho "end" >> ${calls}\n`;
    writeFileSync(join(root, 'bin', 'npm'), slowNpm);
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3, "v": 3}');
    rmSync(calls, { force: true });
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [join(root, 'scripts', 'ensure-install.mjs')], {
          cwd: root,
          env: { ...process.env, PATH: `${join(root, 'bin')}:${process.env.PATH ?? ''}` },
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
      });
    const outputs = await Promise.all([run(), run()]);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['start ci --no-audit --no-fund', 'end']);
    expect(outputs.join('')).toMatch(/Installation en cours par le processus \d+ : attente de sa fin/);
    expect(existsSync(join(root, '.tools', 'install.lock'))).toBe(false);
  });

  it('takes over the install lock of a process that died holding it', () => {
    writeFileSync(join(root, 'bin', 'npm'), `#!/bin/sh\necho "$@" >> ${calls}\n`);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(root, '.tools', 'install.lock'), String(dead));
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3, "v": 4}');
    expect(ensureInstall()).toEqual(['ci --no-audit --no-fund']);
    expect(existsSync(join(root, '.tools', 'install.lock'))).toBe(false);
  });
});
