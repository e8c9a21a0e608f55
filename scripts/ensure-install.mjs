#!/usr/bin/env node
// What `npm start` and `npm test` run first on a fresh clone: npm dependencies when missing or
// older than the lockfile, then the pinned Temporal binaries. Dependency-free on purpose.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  process.stdout.write('Installation des dépendances npm (npm ci) …\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
execFileSync(process.execPath, [join(root, 'scripts', 'install-temporal.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
