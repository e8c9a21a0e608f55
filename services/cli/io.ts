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
  /** Where Ctrl-C (SIGINT) and SIGTERM come from: the process when not given. */
  signals?: SignalSource;
}

export const processIo: CliIo = { out: process.stdout, err: process.stderr };

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** What a command hears Ctrl-C and SIGTERM from: the process; an EventEmitter in the specs. */
export interface SignalSource {
  on(event: InterruptSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: InterruptSignal, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Exit code of a command stopped by Ctrl-C or SIGTERM, as a shell gives it (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/** A command's work stopped by Ctrl-C (SIGINT) or SIGTERM. */
export class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`Interrompu (${signal}).`);
    this.name = 'InterruptedError';
  }
}

export interface Interruption {
  /** Aborted at the first signal, its reason an InterruptedError: hand it to what can stop (a child process). */
  readonly signal: AbortSignal;
  /** Throws the InterruptedError once a signal came: called between two steps. */
  check(): void;
  /**
   * The promise, or the InterruptedError as soon as a signal comes: a step that cannot stop on its own
   * (a scan of the whole log) is not waited for. What it was doing goes on unheeded, its outcome
   * dropped, until the process exits (main exits at once on 130).
   */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Stops listening; a later signal has its default effect. */
  dispose(): void;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM while a command has something half done that it must not leave behind
 * (a copy under `.partiel`, a half file, a campaign half seeded): the first signal aborts
 * `interruption.signal` — the command stops at its next step or at once (race), removes what it began,
 * says so in French and exits with 130 — and `onFirst` may say that it is stopping; a second one ends
 * the process at once with 130, after `onSecond` (a last cleanup, what to tell). Without listening, a
 * signal kills the process where it stands, leaving its half work and saying nothing.
 */
export function listenForInterruption(
  source: SignalSource = process,
  handlers: { onFirst?: (signal: NodeJS.Signals) => void; onSecond?: (signal: NodeJS.Signals) => void } = {},
): Interruption {
  const controller = new AbortController();
  const listener = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      handlers.onSecond?.(signal);
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    controller.abort(new InterruptedError(signal));
    handlers.onFirst?.(signal);
  };
  source.on('SIGINT', listener);
  source.on('SIGTERM', listener);
  const { signal } = controller;
  const interrupted = (): InterruptedError => signal.reason as InterruptedError;
  return {
    signal,
    check: () => {
      if (signal.aborted) throw interrupted();
    },
    race: <T>(promise: Promise<T>): Promise<T> => {
      // Once interrupted, nobody waits for it: its failure must not surface as an unhandled rejection.
      promise.catch(() => undefined);
      if (signal.aborted) return Promise.reject(interrupted());
      let onAbort = (): void => undefined;
      const aborted = new Promise<never>((_resolve, reject) => {
        onAbort = () => reject(interrupted());
        signal.addEventListener('abort', onAbort, { once: true });
      });
      return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
    },
    dispose: () => {
      source.off('SIGINT', listener);
      source.off('SIGTERM', listener);
    },
  };
}

export interface ListeningUntilTheCommand {
  /** Stops listening: called just before the command runs, which listens itself from its first step. */
  dispose(): void;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM before the command listens for them itself: while Node loads its code, a
 * second or more on a slow machine. Without a listener, the process died where it stood (130 in the
 * shell) and said nothing. Nothing has begun then: `interrupted` is said (what was interrupted, and
 * that nothing was done) and the process exits with 130 at once.
 */
export function listenUntilTheCommandRuns(
  interrupted: string,
  err: { write(chunk: string): unknown } = process.stderr,
  source: SignalSource = process,
): ListeningUntilTheCommand {
  const listener = (): void => {
    err.write(`\n${interrupted}\n`);
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  source.on('SIGINT', listener);
  source.on('SIGTERM', listener);
  return {
    dispose: () => {
      source.off('SIGINT', listener);
      source.off('SIGTERM', listener);
    },
  };
}

/** `\n` when a progress line may be left open on a terminal, so that what follows starts a line. */
export const closeProgressLine = (err: ProgressOutput): string => (err.isTTY === true ? '\n' : '');

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
