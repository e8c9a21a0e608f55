// The command line of one `grants` sub-command, read the same way everywhere: strict options (an
// unknown or misspelt option is a mistake, not ignored), `--help` / `-h` prints the usage (exit 0),
// and a mistake — parseArgs's, or one the command's own check throws — is said on stderr with the
// usage (exit 2).
import { parseArgs } from 'node:util';
import type { CliIo } from './audit';

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
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...line.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: line.positionals ?? false,
    });
    if ((values as { help?: boolean }).help === true) {
      io.out.write(line.usage);
      return { exitCode: 0 };
    }
    return { args: line.check(values as Values<O>, positionals) };
  } catch (error) {
    io.err.write(`${error instanceof Error ? error.message : String(error)}\n\n${line.usage}`);
    return { exitCode: 2 };
  }
}
