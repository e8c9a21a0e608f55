// A dependency-free progress display for long replays (`grants projections rebuild`):
//   [#####.....] 45 % 123 456 / 270 000 événements · 98 000 év./s · reste 2 s
// redrawn in place on a terminal, or one line every few seconds when the output is a file or a pipe
// (logs stay readable, no carriage returns in them).
import type { RebuildProgress } from './rebuild';

/** Thousands separated by spaces, as French writes them (a plain space: terminals and logs render it). */
export function formatCount(value: number | bigint): string {
  const digits = (typeof value === 'bigint' ? value : BigInt(Math.round(value))).toString();
  const negative = digits.startsWith('-');
  const body = negative ? digits.slice(1) : digits;
  return (negative ? '-' : '') + body.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** `[#####.....]` of `width` cells. */
export function formatBar(ratio: number, width = 10): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(ratio) ? ratio : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The progress line, without control characters. */
export function formatProgressLine(p: RebuildProgress, barWidth = 10): string {
  const total = Math.max(p.estimatedTotal, p.events);
  const percent = Math.floor(Math.min(1, Math.max(0, p.ratio)) * 100);
  const parts = [
    `${formatBar(p.ratio, barWidth)} ${percent} % ${formatCount(p.events)} / ${formatCount(total)} événements`,
    `${formatCount(Math.round(p.eventsPerSecond))} év./s`,
  ];
  if (p.phase === 'swap')
    parts.push(
      p.swap === undefined
        ? 'bascule des tables…'
        : `bascule ${p.swap.done}/${p.swap.total} : ${p.swap.current}…`,
    );
  else if (p.phase === 'done') parts.push(`terminé en ${formatDuration(p.elapsedMs / 1000)}`);
  else if (p.etaSeconds !== undefined) parts.push(`reste ${formatDuration(p.etaSeconds)}`);
  return parts.join(' · ');
}

export interface ProgressOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Writes one progress line: redrawn in place on a terminal (\r back to the start, \x1b[K clears
 * what a longer previous line left, a newline only after the last), a whole line otherwise.
 */
export function writeProgressLine(output: ProgressOutput, line: string, last: boolean): void {
  if (output.isTTY !== true) {
    output.write(`${line}\n`);
    return;
  }
  const width = output.columns ?? 0;
  const shown = width > 0 && line.length >= width ? line.slice(0, width - 1) : line;
  output.write(`\r${shown}\x1b[K${last ? '\n' : ''}`);
}

export interface ProgressReporterOptions {
  /** Default process.stderr: the progress is not the command's result. */
  output?: ProgressOutput;
  /** Terminal redraws at most this often (default 100 ms). */
  redrawMs?: number;
  /** Without a terminal, one line this often (default 5000 ms). */
  lineEveryMs?: number;
  /** Injectable clock for tests. */
  now?: () => number;
}

/** Returns the onProgress callback for rebuildProjections. Phase changes and the end are always shown. */
export function createProgressReporter(
  options: ProgressReporterOptions = {},
): (progress: RebuildProgress) => void {
  const output = options.output ?? process.stderr;
  const tty = output.isTTY === true;
  const interval = tty ? (options.redrawMs ?? 100) : (options.lineEveryMs ?? 5000);
  const now = options.now ?? (() => Date.now());
  let last = Number.NEGATIVE_INFINITY;
  let lastPhase: RebuildProgress['phase'] | undefined;
  return (progress) => {
    const t = now();
    const phaseChanged = progress.phase !== lastPhase;
    // Each step of the swap is shown on a terminal (there are a few dozen, some of them long).
    const swapStep = tty && progress.phase === 'swap' && progress.swap !== undefined;
    if (!phaseChanged && !swapStep && t - last < interval) return;
    last = t;
    lastPhase = progress.phase;
    writeProgressLine(output, formatProgressLine(progress), progress.phase === 'done');
  };
}

/**
 * The onProgress callback for a rebuild the engine runs at start (projection versions changed):
 * the same line, as an info log every `lineEveryMs` (default 5 s) and at each phase, so whoever
 * watches the engine's output sees how far it is and how long remains before it serves.
 */
export function logRebuildProgress(
  logger: { info(fields: Record<string, unknown>, message: string): void },
  options: Pick<ProgressReporterOptions, 'lineEveryMs' | 'now'> = {},
): (progress: RebuildProgress) => void {
  let current: RebuildProgress | undefined;
  const report = createProgressReporter({
    ...options,
    output: {
      write: (line: string) => {
        if (current === undefined) return;
        logger.info(
          { phase: current.phase, events: current.events, etaSeconds: current.etaSeconds },
          `reconstruction des vues : ${line.trimEnd()}`,
        );
      },
    },
  });
  return (progress) => {
    current = progress;
    report(progress);
  };
}
