// `grants export scdl|ledger` on the store a running engine would use (GRANTS_DATA_DIR), writing
// files or stdout, with its summaries and refusals in French.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../infra/config/config';
import { resolveInstant } from '../../services/audit/asOf';
import { ledgerEntries } from '../../services/audit/ledger';
import { scdlCsv, scdlExport } from '../../services/audit/scdl';
import { runExport } from '../../services/cli/export';
import { parseCsv } from './csvParse';
import { FundingWorld, openTestStore, playFundingYear, type TestStore } from './support';

const silent = pino({ level: 'silent' });

function capture() {
  let out = '';
  let err = '';
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  return { io: { out: stdout, err: { write: (s: string) => (err += s) } }, out: () => out, err: () => err };
}

describe('grants export', () => {
  let t: TestStore;
  let config: Config;
  beforeAll(async () => {
    t = openTestStore();
    await playFundingYear(new FundingWorld(t));
    config = loadConfig({ GRANTS_DATA_DIR: t.dir });
  });
  afterAll(() => t.close());

  const run = async (argv: string[]) => {
    const c = capture();
    const code = await runExport(config, silent, argv, c.io);
    return { code, out: c.out(), err: c.err() };
  };

  it('writes no SCDL file while a funder’s SIRET is missing, naming it and how to complete it (exit 1)', async () => {
    const output = join(t.dir, 'subventions-refusees-2027.csv');
    const result = await run(['scdl', '--year', '2027', '--output', output]);
    expect(result.code).toBe(1);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.partiel`)).toBe(false);
    // The replays' progress first (a line every few seconds in a pipe, and the last one), then why.
    expect(result.err).toMatch(/^\[[#.]{10}\] \d+ % 1 \/ 2 conventions relues · /);
    expect(result.err).toMatch(/\n\[##########\] 100 % 2 \/ 2 conventions relues · .* · terminé en .*\n/);
    expect(result.err.slice(result.err.indexOf('Export SCDL'))).toMatch(
      /^Export SCDL des conventions de 2027 incomplet : idAttribuant, le SIRET du financeur que le schéma rend obligatoire, est inconnu pour « État » \(ETAT, 2 lignes\)\. Aucun fichier écrit\./,
    );
    expect(result.err).toContain('--attribuants <fichier.json>, ou GRANTS_ATTRIBUANTS_FILE');
    expect(result.err).toContain('--allow-incomplete');
    expect(result.err).toContain('Attention : idAttribuant inconnu pour « État » (ETAT)');
    expect(result.out).toBe('');
  });

  it('writes the incomplete SCDL file when asked, saying so, and how many rows must be published', async () => {
    const output = join(t.dir, 'subventions-2027.csv');
    const result = await run(['scdl', '--year', '2027', '--output', output, '--allow-incomplete']);
    expect(result.code).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(scdlCsv((await scdlExport(t.store, { year: 2027 })).rows));
    expect(existsSync(`${output}.partiel`)).toBe(false);
    expect(result.err).toContain(
      'Export SCDL « subventions » 2.1.1, conventions de 2027 : 4 lignes (dont 1 à publier obligatoirement, au-dessus de 23 000 € par an) écrites dans',
    );
    expect(result.err).toContain(
      'Attention : fichier incomplet. Export SCDL des conventions de 2027 incomplet',
    );
    expect(result.err).toContain('Attention : idAttribuant inconnu pour « État » (ETAT)');
    expect(result.out).toBe('');
  });

  it('takes the funders from GRANTS_ATTRIBUANTS_FILE, with the --attribuants file on top', async () => {
    const configured = join(t.dir, 'attribuants-moteur.json');
    writeFileSync(
      configured,
      JSON.stringify({ ETAT: { nom: 'Préfecture du Nord (exemple)', siret: '00000000000000' } }),
    );
    const withDirectory = loadConfig({ GRANTS_DATA_DIR: t.dir, GRANTS_ATTRIBUANTS_FILE: configured });
    const c = capture();
    expect(await runExport(withDirectory, silent, ['scdl', '--year', '2027'], c.io)).toBe(0);
    const [, ...rows] = parseCsv(c.out());
    expect(rows.filter((r) => r[1] === '00000000000000')).toHaveLength(2);
    expect(c.err()).not.toContain('Attention : idAttribuant');
    expect(c.err()).toContain(
      'Attention : idBeneficiaire vide pour « Les Jardins de Sous-le-Bois (fictive) »',
    );

    const override = join(t.dir, 'attribuants-export.json');
    writeFileSync(
      override,
      JSON.stringify({ ETAT: { nom: 'Préfecture de région (exemple)', siret: '11111111111110' } }),
    );
    const o = capture();
    expect(
      await runExport(withDirectory, silent, ['scdl', '--year', '2027', '--attribuants', override], o.io),
    ).toBe(0);
    const [, ...overridden] = parseCsv(o.out());
    expect(overridden.filter((r) => r[0] === 'Préfecture de région (exemple)').map((r) => r[1])).toEqual([
      '11111111111110',
      '11111111111110',
    ]);
  });

  it('writes the SCDL file as the log stood at a date (--as-of), and refuses a date it cannot read (exit 2)', async () => {
    const result = await run(['scdl', '--year', '2027', '--allow-incomplete', '--as-of', '2027-05-01']);
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      scdlCsv((await scdlExport(t.store, { year: 2027, asOf: '2027-05-01T21:59:59.999Z' })).rows),
    );
    expect(result.out).not.toBe(scdlCsv((await scdlExport(t.store, { year: 2027 })).rows));
    expect(result.err).toContain(
      'Export SCDL « subventions » 2.1.1, conventions de 2027, tel qu’enregistré au 1er mai 2027 à 23:59 : ',
    );
    const bad = await run(['scdl', '--year', '2027', '--as-of', '1er mai']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--as-of : date (2027-06-30) ou instant ISO 8601');
    // Well-formed ISO text the calendar cannot place: a usage mistake, not a crash.
    for (const [option, value] of [
      ['--as-of', '0000-01-01'],
      ['--as-of', '2027-06-30T10:00:00.1234567891Z'],
    ] as const) {
      const refused = await run(['scdl', '--year', '2027', option, value]);
      expect(refused.code, value).toBe(2);
      expect(refused.err, value).toContain(`${option} : date (2027-06-30) ou instant ISO 8601`);
    }
    const ledger = await run(['ledger', '--from', '9999-12-31T23:59:59-12:00']);
    expect(ledger.code).toBe(2);
    expect(ledger.err).toContain('--from : date (2027-06-30) ou instant ISO 8601');
  });

  it('stops on a bad GRANTS_ATTRIBUANTS_FILE before opening the store, naming the file and the field (exit 2)', async () => {
    const bad = join(t.dir, 'attribuants-faux.json');
    writeFileSync(bad, JSON.stringify({ ETAT: { nom: 'Préfecture', siret: '123' } }));
    const c = capture();
    const config = loadConfig({ GRANTS_DATA_DIR: join(t.dir, 'absent'), GRANTS_ATTRIBUANTS_FILE: bad });
    expect(await runExport(config, silent, ['scdl', '--year', '2027'], c.io)).toBe(2);
    expect(c.err()).toBe(
      `Fichier des attribuants ${bad} invalide : ETAT.siret : SIRET : 14 chiffres. ` +
        'Corrigez ce fichier ou la variable GRANTS_ATTRIBUANTS_FILE.\n',
    );
    expect(existsSync(join(t.dir, 'absent'))).toBe(false);
  });

  it('keeps only the mandatory rows, to stdout, and takes the funders’ SIRETs from a file', async () => {
    const attribuants = join(t.dir, 'attribuants.json');
    writeFileSync(
      attribuants,
      JSON.stringify({ ETAT: { nom: 'Préfecture du Nord (exemple)', siret: '00000000000000' } }),
    );
    const result = await run(['scdl', '--year', '2027', '--above-threshold', '--attribuants', attribuants]);
    expect(result.code).toBe(0);
    const [, ...rows] = parseCsv(result.out);
    expect(rows.map((r) => [r[0], r[1], r[8]])).toEqual([
      ['Préfecture du Nord (exemple)', '00000000000000', '60000.00'],
    ]);
    expect(result.err).not.toContain('Attention');

    writeFileSync(attribuants, JSON.stringify({ ETAT: { nom: 'Préfecture', siret: '123' } }));
    const refused = await run(['scdl', '--year', '2027', '--attribuants', attribuants]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('ETAT.siret : SIRET : 14 chiffres');
  });

  it('writes the ledger, filtered, streamed to a file or stdout', async () => {
    const output = join(t.dir, 'grand-livre.csv');
    const result = await run([
      'ledger',
      '--output',
      output,
      '--funder',
      'EPCI',
      '--from',
      '2027-03-01',
      '--to',
      '2027-03-31',
    ]);
    expect(result.code).toBe(0);
    const [header, ...rows] = parseCsv(readFileSync(output, 'utf8'));
    let expected = 0;
    const window = { from: resolveInstant('2027-03-01', 'start')!, to: resolveInstant('2027-03-31')! };
    for await (const _entry of ledgerEntries(t.store, { funder: 'EPCI', ...window })) expected += 1;
    expect(rows).toHaveLength(expected);
    expect(expected).toBeGreaterThan(3);
    expect(rows.every((r) => r[header!.indexOf('funder')] === 'EPCI')).toBe(true);
    expect(result.err).toContain(
      `Grand livre des financements : ${expected} écritures écrites dans ${output}.`,
    );
    // The whole log is read whatever the filters keep: its progress goes by the position reached.
    const head = await t.store.headPosition();
    expect(result.err).toContain(`[##########] 100 % ${head} / ${head} événements parcourus · `);

    // A campaign the log has never seen: said, nothing written (a typo, not an empty ledger).
    const typo = join(t.dir, 'grand-livre-2072.csv');
    const unknown = await run(['ledger', '--campaign', '2072', '--output', typo]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(
      'La campagne « 2072 » n’est pas dans le journal (aucun événement). Vérifiez --campaign ; aucun fichier écrit.\n',
    );
    expect(existsSync(typo)).toBe(false);

    const stdout = await run(['ledger', '--time', 'record']);
    expect(stdout.code).toBe(0);
    expect(stdout.out.startsWith('eventId,position,line,stream,')).toBe(true);
  });

  it('through the grants command, keeps stdout to the CSV: its log goes to stderr', () => {
    const root = resolve(import.meta.dirname, '..', '..');
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'grants.mjs'), 'export', 'ledger'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, GRANTS_DATA_DIR: t.dir, GRANTS_LOG_FORMAT: 'json', GRANTS_LOG_LEVEL: 'info' },
    });
    expect(run.status, run.stderr).toBe(0);
    const rows = parseCsv(run.stdout);
    expect(rows.length).toBeGreaterThan(1);
    // Every line of stdout is a row of the CSV's width: no log line slipped in.
    expect(rows.every((row) => row.length === rows[0]?.length)).toBe(true);
    expect(run.stdout).not.toContain('"level"');
    expect(run.stderr).toContain('"msg":"export du grand livre"');
  });

  it('prints its usage for --help, for each export, on stdout (exit 0)', async () => {
    for (const argv of [
      ['--help'],
      ['scdl', '--help'],
      ['ledger', '--help'],
      ['scdl', '--year', '2027', '-h'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(0);
      expect(result.out, argv.join(' ')).toMatch(/^Usage : grants export/);
      expect(result.err, argv.join(' ')).toBe('');
    }
  });

  it('names the mistake in French before the usage (exit 2)', async () => {
    for (const [argv, message] of [
      [[], 'Indiquez l’export : scdl ou ledger.'],
      [['budget'], 'Export inconnu : budget.'],
      [['scdl'], '--year <AAAA> est obligatoire (année de la convention, ex. --year 2027).'],
      [['scdl', '--year', '27'], '--year attend une année sur quatre chiffres (reçu : 27).'],
      [['scdl', '--year', 'abcd'], '--year attend une année sur quatre chiffres (reçu : abcd).'],
      [['scdl', '--year'], 'Valeur manquante pour --year.'],
      [['scdl', '--year', '2027', '--bogus'], 'Option inconnue : --bogus.'],
      [['scdl', '2027'], 'Argument inattendu : 2027'],
      [['ledger', '--from', '-1'], 'Valeur manquante pour --from : « -1 » ressemble à une option.'],
      [['ledger', '--campaign'], 'Valeur manquante pour --campaign.'],
      [['ledger', '--time', 'hier'], '--time : business (date métier) ou record (date d’enregistrement).'],
    ] as const) {
      const result = await run([...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err.slice(0, message.length), argv.join(' ')).toBe(message);
      expect(result.err, argv.join(' ')).toContain('\n\nUsage : grants export');
      expect(result.err, argv.join(' ')).not.toMatch(/Unknown|Option '/);
      expect(result.out).toBe('');
    }
  });

  it('refuses bad usage before opening anything (exit 2)', async () => {
    for (const argv of [
      [],
      ['budget'],
      ['scdl'],
      ['scdl', '--year', '27'],
      ['scdl', '--year', '2027', '--format', 'xlsx'],
      ['ledger', '--time', 'hier'],
      ['ledger', '--funder', 'MAIRIE'],
      ['ledger', '--from', '31/12/2027'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err, argv.join(' ')).toContain('Usage : grants export');
    }
    const c = capture();
    const nowhere = loadConfig({ GRANTS_DATA_DIR: join(t.dir, 'absent') });
    expect(await runExport(nowhere, silent, ['ledger'], c.io)).toBe(2);
    expect(c.err()).toContain('Aucun journal d’événements');
    expect(existsSync(join(t.dir, 'absent'))).toBe(false);
  });
});
