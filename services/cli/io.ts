// Where a command writes: its result on one side (stdout: for people or a pipe), its progress and
// explanations on the other (stderr). The process's own by default; a capture in the specs.
import {
  formatBar,
  formatCount,
  formatDuration,
  writeProgressLine,
  type ProgressOutput,
} from '../../infra/projections/progress';

export interface CliIo {
  /** The result, for people or a pipe. */
  out: { write(chunk: string): unknown };
  /** Progress and explanations. */
  err: ProgressOutput;
}

export const processIo: CliIo = { out: process.stdout, err: process.stderr };

/**
 * A count's progress line, `[#####.....] 45 % 123 456 / 270 000 événements lus · 98 000 év./s ·
 * reste 2 s` (without the bar when the total is unknown): redrawn in place on a terminal, one line
 * every few seconds in a file or a pipe. Returns what to call as the count grows, and once at the end.
 */
export function countProgress(
  output: ProgressOutput,
  total: number | undefined,
  words: { counted: string; rate: string },
  now: () => number = () => Date.now(),
): (count: number, done: boolean) => void {
  const tty = output.isTTY === true;
  const interval = tty ? 100 : 5000;
  const started = now();
  let last = Number.NEGATIVE_INFINITY;
  return (count, done) => {
    const t = now();
    if (!done && t - last < interval) return;
    last = t;
    const elapsedMs = Math.max(1, t - started);
    const rate = (count * 1000) / elapsedMs;
    const parts: string[] = [];
    if (total === undefined) {
      parts.push(`${formatCount(count)} ${words.counted}`);
    } else {
      const ratio = total === 0 ? 1 : Math.min(1, count / total);
      parts.push(
        `${formatBar(ratio)} ${Math.floor(ratio * 100)} % ${formatCount(count)} / ${formatCount(Math.max(total, count))} ${words.counted}`,
      );
    }
    parts.push(`${formatCount(Math.round(rate))} ${words.rate}`);
    if (done) parts.push(`terminé en ${formatDuration(elapsedMs / 1000)}`);
    else if (total !== undefined && rate > 0) parts.push(`reste ${formatDuration((total - count) / rate)}`);
    writeProgressLine(output, parts.join(' · '), done);
  };
}
