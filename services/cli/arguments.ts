// The command line of one `grants` sub-command, read the same way everywhere: strict options (an
// unknown or misspelt option is a mistake, not ignored), `--help` / `-h` prints the usage (exit 0),
// and a mistake — parseArgs's, said in French and naming the option, or one the command's own
// check throws — is said on stderr with the usage (exit 2).
import { parseArgs } from 'node:util';
import type { CliIo } from './io';

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;
type Values<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>
>['values'];

export interface CommandLine<O extends Options, T> {
  options: O;
  /** Whether the command takes positional arguments (default: refused). */
  positionals?: boolean;
  usage: string;
  /** Turns the values into what the command needs; throws an Error with a French message on a mistake. */
  check: (values: Values<O>, positionals: string[]) => T;
}

/** What the command needs, or the exit code to return at once (help given, or a mistake said). */
export function readArguments<O extends Options, T>(
  argv: string[],
  io: CliIo,
  line: CommandLine<O, T>,
): { args: T } | { exitCode: number } {
  const options: Options = { ...line.options, help: { type: 'boolean', short: 'h' } };
  const allowPositionals = line.positionals ?? false;
  try {
    const parsed = strictParse(argv, options, allowPositionals);
    if (parsed.values.help === true) {
      io.out.write(line.usage);
      return { exitCode: 0 };
    }
    return { args: line.check(parsed.values as Values<O>, parsed.positionals) };
  } catch (error) {
    io.err.write(`${error instanceof Error ? error.message : String(error)}\n\n${line.usage}`);
    return { exitCode: 2 };
  }
}

function strictParse(argv: string[], options: Options, allowPositionals: boolean) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    throw new Error(parseArgsMistake(error, argv, options, allowPositionals));
  }
}

/**
 * parseArgs's refusal, in French. Its messages are English and vary between Node versions, so the
 * offending argument is found again in parseArgs's own tokens (read leniently), not in the text.
 */
function parseArgsMistake(
  error: unknown,
  argv: string[],
  options: Options,
  allowPositionals: boolean,
): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw error;
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (!allowPositionals) return `Argument inattendu : ${token.value} (les valeurs suivent leur option).`;
      continue;
    }
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined) return `Option inconnue : ${token.rawName}.`;
    if (option.type === 'string' && token.value === undefined)
      return `Valeur manquante pour ${token.rawName}.`;
    if (option.type === 'string' && token.inlineValue !== true && isOptionLike(token.value))
      return (
        `Valeur manquante pour ${token.rawName} : « ${token.value} » ressemble à une option. ` +
        `Pour une valeur qui commence par un tiret, écrivez --${token.name}=${token.value}.`
      );
    if (option.type === 'boolean' && token.value !== undefined)
      return `L’option ${token.rawName} ne prend pas de valeur (reçu : ${token.value}).`;
  }
  return `Arguments invalides : ${error instanceof Error ? error.message : String(error)}`;
}

/** What parseArgs takes for an option rather than a value: a dash and something after it. */
const isOptionLike = (value: string | undefined): boolean =>
  value !== undefined && value.length > 1 && value.startsWith('-');
