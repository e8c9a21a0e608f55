// The `grants` command itself: without a command it is a usage mistake like any other — said on
// stderr with the usage, exit 2, stdout left empty (it printed the usage on stdout) — while
// `grants --help` answers on stdout (exit 0).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const grants = (...argv: string[]) =>
  spawnSync(process.execPath, [join(root, 'scripts', 'grants.mjs'), ...argv], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('grants', () => {
  it('says on stderr that a command is missing, with the usage (exit 2)', () => {
    const none = grants();
    expect(none.status).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^Indiquez une commande\.\n\nUsage : grants <commande> \[options\]\n/);

    const unknown = grants('sauvegarde');
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^Commande inconnue : sauvegarde\n\nUsage : grants <commande>/);
  });

  it('prints the usage on stdout when asked (exit 0)', () => {
    for (const ask of ['--help', '-h', 'help']) {
      const help = grants(ask);
      expect(help.status, ask).toBe(0);
      expect(help.stdout).toMatch(/^Usage : grants <commande> \[options\]\n/);
      expect(help.stderr).toBe('');
    }
  });
});
