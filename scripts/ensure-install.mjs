#!/usr/bin/env node
// What `npm start` and `npm test` run first on a fresh clone: npm dependencies when missing or
// installed for another lockfile, then the pinned Temporal binaries. Dependency-free on purpose.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
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
