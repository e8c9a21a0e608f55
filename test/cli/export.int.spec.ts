// `grants export` and what it must not leave or hide: interrupted (Ctrl-C, SIGTERM), it removes its
// half file, says so and exits with 130; an --output whose folder is missing is refused at once
// (exit 2), before the log is read; a period that ends before it starts is refused as the API
// refuses it (exit 2); a reader that closes the pipe early (`| head -1`) ends it quietly (exit 0).
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../infra/config/config';
import { runExport, type ExportIo } from '../../services/cli/export';
import { FundingWorld, openTestStore, playFundingYear, type TestStore } from '../audit/support';

const root = resolve(import.meta.dirname, '..', '..');
const silent = pino({ level: 'silent' });

/**
 * The export's io. `signalOn`: a signal sent once, when stderr first says this (a second one would
 * end the process at once).
 */
function capture(signalOn?: { text: string; signal: 'SIGINT' | 'SIGTERM' }) {
  let out = '';
  let err = '';
  const signals = new EventEmitter();
  let sent = false;
  const onErr = (line: string): void => {
    if (signalOn === undefined || sent || !line.includes(signalOn.text)) return;
    sent = true;
    signals.emit(signalOn.signal, signalOn.signal);
  };
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  const io: ExportIo = {
    out: stdout,
    err: {
      write: (s: string) => {
        err += s;
        onErr(s);
      },
    },
    signals,
  };
  return { io, out: () => out, err: () => err };
}

let t: TestStore;
let config: Config;
beforeAll(async () => {
  t = openTestStore();
  await playFundingYear(new FundingWorld(t));
  config = loadConfig({ GRANTS_DATA_DIR: t.dir });
});
afterAll(() => t.close());

const csvFilesIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes('.csv'));

describe('grants export interrupted', () => {
  it('removes the half ledger file, says so and exits with 130 (SIGINT while it writes)', async () => {
    const output = join(t.dir, 'grand-livre.csv');
    // The first progress line comes with the first entry, the file being written.
    const c = capture({ text: 'événements parcourus', signal: 'SIGINT' });
    expect(await runExport(config, silent, ['ledger', '--output', output], c.io)).toBe(130);
    expect(c.err()).toContain(`Export interrompu : ${output} n’a pas été écrit.\n`);
    expect(csvFilesIn(t.dir)).toEqual([]);
  });

  it('writes no SCDL file when stopped during the replay (SIGTERM)', async () => {
    const output = join(t.dir, 'subventions.csv');
    const c = capture({ text: 'conventions relues', signal: 'SIGTERM' });
    expect(
      await runExport(
        config,
        silent,
        ['scdl', '--year', '2027', '--allow-incomplete', '--output', output],
        c.io,
      ),
    ).toBe(130);
    expect(c.err()).toContain(`Export interrompu : ${output} n’a pas été écrit.\n`);
    expect(c.err()).not.toContain('Export SCDL « subventions »');
    expect(csvFilesIn(t.dir)).toEqual([]);
  });

  it('says that the standard output is incomplete when that is where it wrote', async () => {
    const c = capture({ text: 'événements parcourus', signal: 'SIGINT' });
    expect(await runExport(config, silent, ['ledger'], c.io)).toBe(130);
    expect(c.err()).toContain('Export interrompu : la sortie standard est incomplète.\n');
    expect(c.err()).not.toContain('Grand livre des financements :');
  });
});

describe('grants export refuses at once, before reading the log (exit 2)', () => {
  // No log there: the refusal must come before the log is even looked for.
  const nowhere = () => loadConfig({ GRANTS_DATA_DIR: join(t.dir, 'pas-de-journal') });

  it.each([
    ['scdl', ['scdl', '--year', '2024', '--allow-incomplete']],
    ['ledger', ['ledger']],
  ])('an --output into a folder that does not exist (%s)', async (_kind, argv) => {
    const folder = join(t.dir, 'pas-de-dossier');
    const c = capture();
    expect(await runExport(nowhere(), silent, [...argv, '--output', join(folder, 's.csv')], c.io)).toBe(2);
    expect(c.err()).toBe(
      `--output : le dossier ${folder} n’existe pas. Créez-le, ou écrivez le fichier ailleurs ; rien n’a été lu ni écrit.\n`,
    );
    expect(existsSync(folder)).toBe(false);
  });

  it('an --output under a plain file, or naming a folder', async () => {
    const file = join(t.dir, 'un-fichier');
    writeFileSync(file, 'pas un dossier');
    const under = capture();
    expect(await runExport(nowhere(), silent, ['ledger', '--output', join(file, 's.csv')], under.io)).toBe(2);
    expect(under.err()).toBe(
      `--output : ${file} n’est pas un dossier. Écrivez le fichier ailleurs ; rien n’a été lu ni écrit.\n`,
    );
    // Deeper under it, the same file named.
    const deeper = capture();
    expect(
      await runExport(nowhere(), silent, ['ledger', '--output', join(file, 'a', 's.csv')], deeper.io),
    ).toBe(2);
    expect(deeper.err()).toBe(under.err());
    const folder = capture();
    expect(await runExport(nowhere(), silent, ['ledger', '--output', t.dir], folder.io)).toBe(2);
    expect(folder.err()).toBe(
      `--output : ${t.dir} est un dossier ; donnez le chemin du fichier à écrire, ex. ${join(t.dir, 'export.csv')}.\n`,
    );
  });

  it('a period that ends before it starts, with the API’s words', async () => {
    const c = capture();
    expect(
      await runExport(config, silent, ['ledger', '--from', '2027-12-31', '--to', '2027-01-01'], c.io),
    ).toBe(2);
    expect(c.err()).toMatch(
      /^Période vide : le début \(from=2027-12-31\) est après la fin \(to=2027-01-01\)\. Inversez-les \?\n\nUsage : grants export/,
    );
    expect(c.out()).toBe('');
    // A single day, both bounds on it, is a period.
    const day = capture();
    expect(
      await runExport(config, silent, ['ledger', '--from', '2027-03-01', '--to', '2027-03-01'], day.io),
    ).toBe(0);
  });
});

describe('grants export into a pipe closed early (| head -1)', () => {
  it('stops quietly, exit 0', async () => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'grants.mjs'), 'export', 'ledger'], {
      cwd: root,
      env: { ...process.env, GRANTS_DATA_DIR: t.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader goes away before the CSV comes.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    expect(status, err).toBe(0);
    expect(err).not.toMatch(/Erreur|EPIPE/);
  });

  it('stops reading the log once the reader is gone (in process)', async () => {
    let writes = 0;
    const closed = new Writable({
      write(_chunk, _encoding, done) {
        writes += 1;
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    let err = '';
    const io: ExportIo = {
      out: closed,
      err: { write: (s: string) => (err += s) },
      signals: new EventEmitter(),
    };
    expect(await runExport(config, silent, ['ledger'], io)).toBe(0);
    expect(writes).toBe(1);
    expect(err).not.toMatch(/Erreur|EPIPE|Grand livre des financements/);
  });
});
