import { describe, expect, it } from 'vitest';
import {
  createProgressReporter,
  logRebuildProgress,
  formatCount,
  formatDuration,
  formatProgressLine,
} from '../../infra/projections/progress';
import type { RebuildProgress } from '../../infra/projections/rebuild';

const progress = (overrides: Partial<RebuildProgress> = {}): RebuildProgress => ({
  phase: 'replay',
  events: 123_456,
  position: 121_500n,
  head: 270_000n,
  estimatedTotal: 270_000,
  ratio: 0.45,
  eventsPerSecond: 98_000,
  etaSeconds: 1.6,
  elapsedMs: 1260,
  ...overrides,
});

describe('progress display', () => {
  it('writes the line the CLI shows', () => {
    expect(formatProgressLine(progress())).toBe(
      '[#####.....] 45 % 123 456 / 270 000 événements · 98 000 év./s · reste 2 s',
    );
    expect(
      formatProgressLine(progress({ phase: 'done', ratio: 1, events: 270_000, elapsedMs: 75_000 })),
    ).toBe('[##########] 100 % 270 000 / 270 000 événements · 98 000 év./s · terminé en 1 min 15 s');
    expect(
      formatProgressLine(
        progress({ events: 0, ratio: 0, estimatedTotal: 0, eventsPerSecond: 0, etaSeconds: undefined }),
      ),
    ).toBe('[..........] 0 % 0 / 0 événements · 0 év./s');
    expect(
      formatProgressLine(
        progress({
          phase: 'swap',
          ratio: 1,
          events: 270_000,
          swap: { done: 12, total: 33, current: 'index application_tags_by_campaign' },
        }),
      ),
    ).toBe(
      '[##########] 100 % 270 000 / 270 000 événements · 98 000 év./s · bascule 12/33 : index application_tags_by_campaign…',
    );
  });

  it('formats counts and durations the French way', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1 000');
    expect(formatCount(12_345_678n)).toBe('12 345 678');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(3599)).toBe('59 min 59 s');
    expect(formatDuration(7384)).toBe('2 h 03 min');
  });

  it('redraws in place on a terminal and ends the line when done', () => {
    const chunks: string[] = [];
    let clock = 0;
    const report = createProgressReporter({
      output: { write: (c: string) => chunks.push(c), isTTY: true },
      now: () => clock,
    });
    report(progress());
    clock += 10;
    report(progress()); // too soon: skipped
    clock += 200;
    report(progress({ events: 200_000, ratio: 0.74 }));
    report(progress({ phase: 'done', ratio: 1 }));
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => c.startsWith('\r') && c.includes('\x1b[K'))).toBe(true);
    expect(chunks[2]?.endsWith('\n')).toBe(true);
    expect(chunks[0]?.endsWith('\n')).toBe(false);
  });

  it('prints plain periodic lines when the output is not a terminal', () => {
    const chunks: string[] = [];
    let clock = 0;
    const report = createProgressReporter({
      output: { write: (c: string) => chunks.push(c) },
      now: () => clock,
      lineEveryMs: 1000,
    });
    for (let i = 0; i < 30; i++) {
      report(progress({ events: i * 1000 }));
      clock += 100;
    }
    report(progress({ phase: 'done' }));
    expect(chunks.length).toBe(4);
    expect(chunks.every((c) => c.endsWith('\n') && !c.includes('\r') && !c.includes('\x1b'))).toBe(true);
  });

  it('logs the line of a rebuild the engine runs at start, at each phase and every few seconds', () => {
    const logged: { fields: Record<string, unknown>; message: string }[] = [];
    let clock = 0;
    const report = logRebuildProgress(
      { info: (fields: Record<string, unknown>, message: string) => logged.push({ fields, message }) },
      { now: () => clock, lineEveryMs: 5000 },
    );
    for (let second = 0; second < 12; second++) {
      report(progress({ events: second * 10_000 }));
      clock += 1000;
    }
    report(progress({ phase: 'swap', ratio: 1, events: 270_000 }));
    report(progress({ phase: 'done', ratio: 1, events: 270_000, elapsedMs: 13_000 }));
    expect(logged.map((l) => l.fields.phase)).toEqual(['replay', 'replay', 'replay', 'swap', 'done']);
    expect(logged[0]?.message).toBe(
      'reconstruction des vues : [#####.....] 45 % 0 / 270 000 événements · 98 000 év./s · reste 2 s',
    );
    expect(logged[1]?.fields).toEqual({ phase: 'replay', events: 50_000, etaSeconds: 1.6 });
    expect(logged.at(-1)?.message).toContain('terminé en 13 s');
  });
});
