// Ctrl-C pressed just after a long command was typed, while Node still loads its code (a second or
// more on a slow machine): the process listened to nothing yet and died where it stood — 130 in the
// shell, and not a word. Now `grants` listens from its first moments: it says what was interrupted
// and that nothing was begun, exits with 130, and leaves nothing behind (no backup folder, half or
// whole; no export file; the data directory as it was). The command's own module is held while it
// loads (holdLoadHooks.mjs), so that the signal arrives at that moment every time.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../infra/eventstore';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { freePort } from '../support/processes';
import { fakeBackup } from './fakeBackup';
import { endGrants, startGrantsHeldWhileLoading, type RunningGrants } from './support';

let work: string;
let data: string;
let running: RunningGrants | undefined;

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'grants-interrupted-loading-'));
  data = join(work, 'donnees');
  mkdirSync(data);
  // An event log, empty: every command finds what it needs to start.
  await openSqliteEventStore({
    file: join(data, 'events.sqlite'),
    registry: createGrantsEventRegistry(),
  }).close();
  fakeBackup(join(work, 'sauvegarde-a-restaurer'), { events: 'un journal', temporal: 'une base Temporal' });
});
afterEach(() => {
  endGrants(running);
  running = undefined;
  rmSync(work, { recursive: true, force: true });
});

/** Every file and folder under `dir`, folders ending with /. */
function listing(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? [`${prefix}${e.name}/`, ...listing(join(dir, e.name), `${prefix}${e.name}/`)]
        : [`${prefix}${e.name}`],
    )
    .sort();
}

describe('grants interrupted while its code loads', () => {
  it.each([
    {
      name: 'grants backup --to <dossier>',
      command: ['backup', '--to', 'SAUVEGARDE'],
      module: '/services/cli/backup.ts',
      said:
        'Sauvegarde interrompue avant la première copie : rien n’a été copié, aucun fichier de sauvegarde ' +
        'n’a été laissé.',
    },
    {
      name: 'grants audit verify',
      command: ['audit', 'verify'],
      module: '/services/cli/audit.ts',
      said: 'Vérification interrompue avant le premier événement lu : aucun verdict.',
    },
    {
      name: 'grants audit digest',
      command: ['audit', 'digest'],
      module: '/services/cli/audit.ts',
      said: 'Calcul de l’empreinte interrompu avant le premier événement lu : aucune empreinte.',
    },
    {
      name: 'grants export ledger --output <fichier>',
      command: ['export', 'ledger', '--output', 'EXPORT'],
      module: '/services/cli/export.ts',
      said: 'Export interrompu avant de commencer : aucun fichier n’a été écrit.',
    },
    {
      name: 'grants restore <sauvegarde>',
      command: ['restore', 'RESTAURER'],
      module: '/services/cli/restore.ts',
      said: 'Restauration interrompue avant de commencer : rien n’a été copié, déplacé ni remplacé.',
    },
    {
      name: 'grants seed demo',
      command: ['seed', 'demo'],
      module: '/services/cli/seed.ts',
      said: 'Démonstration interrompue : rien n’a été créé.',
    },
    {
      name: 'grants projections rebuild',
      command: ['projections', 'rebuild'],
      module: '/services/cli/projections.ts',
      said: 'Reconstruction interrompue avant de commencer : les vues en service sont inchangées.',
    },
  ])('$name: says it, exits 130, leaves nothing', async ({ command, module, said }) => {
    const argv = command.map((a) =>
      a === 'SAUVEGARDE'
        ? join(data, 'sauvegardes', 'nuit')
        : a === 'EXPORT'
          ? join(work, 'grand-livre.csv')
          : a === 'RESTAURER'
            ? join(work, 'sauvegarde-a-restaurer')
            : a,
    );
    const before = listing(work);
    const held = startGrantsHeldWhileLoading(
      {
        GRANTS_DATA_DIR: data,
        GRANTS_HTTP_PORT: String(await freePort()),
        TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
        GRANTS_LOG_LEVEL: 'warn',
      },
      module,
      ...argv,
    );
    running = held;
    await held.reached;
    // Ctrl-C at the terminal: to the whole process group.
    process.kill(-held.child.pid!, 'SIGINT');
    // Let go only once it has answered (or after a while: a signal not heard must not hang the test).
    await Promise.race([held.done, new Promise((r) => setTimeout(r, 10_000))]);
    held.release();
    const { status, signal, out, err } = await held.done;
    expect({ status, signal }, err).toEqual({ status: 130, signal: null });
    expect(err).toContain(`\n${said}\n`);
    expect(err).not.toMatch(/Erreur/);
    expect(out).toBe('');
    // No backup folder (whole, .partiel) or lock, no export file, the data directory untouched.
    expect(listing(work)).toEqual(before);
  });

  it('says it on SIGTERM too', async () => {
    const before = listing(data);
    const held = startGrantsHeldWhileLoading(
      { GRANTS_DATA_DIR: data, GRANTS_LOG_LEVEL: 'warn' },
      '/services/cli/backup.ts',
      'backup',
    );
    running = held;
    await held.reached;
    process.kill(held.child.pid!, 'SIGTERM');
    await Promise.race([held.done, new Promise((r) => setTimeout(r, 10_000))]);
    held.release();
    const { status, signal, err } = await held.done;
    expect({ status, signal }, err).toEqual({ status: 130, signal: null });
    expect(err).toContain('Sauvegarde interrompue avant la première copie');
    expect(listing(data)).toEqual(before);
  });
});
