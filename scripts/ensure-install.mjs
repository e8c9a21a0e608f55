#!/usr/bin/env node
// What `npm start` and `npm test` run first on a fresh clone: npm dependencies when missing or
// installed for another lockfile, then the pinned Temporal binaries. Dependency-free on purpose.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

// Two `npm start` / `npm test` at once in one checkout (two terminals, the tests beside the engine)
// would both run `npm ci`, each emptying node_modules under the other. The second waits for the
// first here, then finds everything installed. A small copy of infra/locks/pidLock.ts: this script
// runs before the dependencies (and the TypeScript loader) are there. The pid is in the file before
// it appears (written aside, then hard-linked into place); a dead owner's lock (kill -9) is taken over.
const installLock = join(root, '.tools', 'install.lock');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};
function acquireInstallLock() {
  mkdirSync(join(root, '.tools'), { recursive: true });
  const draft = `${installLock}.${process.pid}`;
  let waitingFor;
  for (;;) {
    writeFileSync(draft, String(process.pid));
    try {
      linkSync(draft, installLock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    } finally {
      rmSync(draft, { force: true });
    }
    let owner;
    try {
      owner = Number(readFileSync(installLock, 'utf8'));
    } catch {
      continue; // released meanwhile
    }
    if (!Number.isInteger(owner) || owner <= 0 || !alive(owner)) {
      rmSync(installLock, { force: true });
      continue;
    }
    if (waitingFor !== owner) {
      process.stdout.write(`Installation en cours par le processus ${owner} : attente de sa fin …\n`);
      waitingFor = owner;
    }
    sleep(250);
  }
}
function releaseInstallLock() {
  let owner;
  try {
    owner = readFileSync(installLock, 'utf8');
  } catch {
    return; // already gone: nothing of ours to remove
  }
  // Only our own: a process that took over a lock it thought dead keeps its own.
  if (owner === String(process.pid)) rmSync(installLock, { force: true });
}

function install() {
  const lock = join(root, 'package-lock.json');
  // The lockfile's hash, noted after an install: a checkout or a clone gives package-lock.json a new
  // date without changing it, and `npm ci` empties node_modules first (even through a symlink).
  const installedFor = join(root, 'node_modules', '.grants-installed-lock.sha256');
  const npmMarker = join(root, 'node_modules', '.package-lock.json');
  const lockHash = createHash('sha256').update(readFileSync(lock)).digest('hex');
  const stale = existsSync(installedFor)
    ? readFileSync(installedFor, 'utf8').trim() !== lockHash
    : !existsSync(npmMarker) || statSync(npmMarker).mtimeMs < statSync(lock).mtimeMs;
  if (stale) {
    process.stdout.write('Installation des dépendances npm (npm ci) …\n');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  }
  writeFileSync(installedFor, `${lockHash}\n`);
  execFileSync(process.execPath, [join(root, 'scripts', 'install-temporal.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
}

acquireInstallLock();
try {
  install();
} finally {
  releaseInstallLock();
}
