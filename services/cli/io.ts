// Where a command writes: its result on one side (stdout: for people or a pipe), its progress and
// explanations on the other (stderr). The process's own by default; a capture in the specs.
import type { ProgressOutput } from '../../infra/projections/progress';

export interface CliIo {
  /** The result, for people or a pipe. */
  out: { write(chunk: string): unknown };
  /** Progress and explanations. */
  err: ProgressOutput;
}

export const processIo: CliIo = { out: process.stdout, err: process.stderr };
