// readArguments, which every `grants` sub-command reads its command line with: --help prints the
// usage (exit 0); a mistake is said in French, naming the option, before the usage (exit 2) —
// never Node's English parseArgs message.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { readArguments } from '../../services/cli/arguments';
import { runAudit } from '../../services/cli/audit';
import { captureCliOutput } from '../support/cliOutput';

const usage = 'Usage : grants essai [--upto <position>] [--output <fichier>] [--quiet]\n';

function read(argv: string[], positionals = false) {
  const c = captureCliOutput();
  const result = readArguments(argv, c.io, {
    options: {
      upto: { type: 'string' },
      output: { type: 'string', short: 'o' },
      quiet: { type: 'boolean' },
    },
    positionals,
    usage,
    check: (values, rest) => {
      if (values.upto !== undefined && !/^\d+$/.test(values.upto))
        throw new Error(`--upto attend une position (un entier), pas « ${values.upto} ».`);
      return { ...values, rest };
    },
  });
  return { result, out: c.out(), err: c.err() };
}

describe('readArguments', () => {
  it('gives the values, and the positionals when the command takes some', () => {
    expect(read(['--upto', '12', '-o', 'f.csv', '--quiet']).result).toEqual({
      args: { upto: '12', output: 'f.csv', quiet: true, rest: [] },
    });
    expect(read(['--upto=-5']).err).toContain('--upto attend une position');
    expect(read(['dossier'], true).result).toEqual({ args: { rest: ['dossier'] } });
  });

  it('prints the usage on stdout for --help and -h (exit 0)', () => {
    for (const argv of [['--help'], ['-h'], ['--upto', '3', '--help']]) {
      const { result, out, err } = read(argv);
      expect(result, argv.join(' ')).toEqual({ exitCode: 0 });
      expect(out).toBe(usage);
      expect(err).toBe('');
    }
  });

  it.each([
    [['--bogus'], 'Option inconnue : --bogus.'],
    [['-x'], 'Option inconnue : -x.'],
    [['--upto'], 'Valeur manquante pour --upto.'],
    [['--quiet', '-o'], 'Valeur manquante pour -o.'],
    [
      ['--upto', '-5'],
      'Valeur manquante pour --upto : « -5 » ressemble à une option. ' +
        'Pour une valeur qui commence par un tiret, écrivez --upto=-5.',
    ],
    [
      ['-o', '--quiet'],
      'Valeur manquante pour -o : « --quiet » ressemble à une option. ' +
        'Pour une valeur qui commence par un tiret, écrivez --output=--quiet.',
    ],
    [['--quiet=oui'], 'L’option --quiet ne prend pas de valeur (reçu : oui).'],
    [['--help=1'], 'L’option --help ne prend pas de valeur (reçu : 1).'],
    [['2027'], 'Argument inattendu : 2027 (les valeurs suivent leur option).'],
    [['--upto', 'dix'], '--upto attend une position (un entier), pas « dix ».'],
  ])('says %j in French before the usage (exit 2)', (argv, message) => {
    const { result, out, err } = read(argv);
    expect(result).toEqual({ exitCode: 2 });
    expect(err).toBe(`${message}\n\n${usage}`);
    expect(out).toBe('');
  });

  it('says it for the commands that read their line with it: grants audit digest --upto -5', async () => {
    const c = captureCliOutput();
    const nowhere = loadConfig({ GRANTS_DATA_DIR: '/nonexistent/grants-arguments' });
    expect(await runAudit(nowhere, pino({ level: 'silent' }), ['digest', '--upto', '-5'], c.io)).toBe(2);
    expect(c.err()).toMatch(
      /^Valeur manquante pour --upto : « -5 » ressemble à une option\. Pour une valeur qui commence par un tiret, écrivez --upto=-5\.\n\nUsage : grants audit/,
    );
  });
});
