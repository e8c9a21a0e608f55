// The engine keeps checking its own log. The hash chains prove an alteration only when someone runs
// the verification; an engine that answers from an altered log would otherwise say nothing. So the
// engine verifies the whole log shortly after it starts and then at a fixed interval, logs an error
// when something broke, and shows its last verdict on /health and /metrics.
//
// An altered log does not make /health answer 503: availability and integrity are different signals,
// and a load balancer taking the engine out of service would stop grant managers without helping the
// audit. The verdict is in the health answer's `integrity` component and in the gauge
// grants_log_integrity_ok, for the monitoring to alert on.
import type { EventStore, IntegrityReport } from '../../infra/eventstore/port';
import { verifyIntegrity } from '../../infra/eventstore/integrity';
import type { Logger } from '../../infra/logging/logger';
import type { HealthProbe } from '../http/health';
import type { MetricsCollector } from '../http/metrics';
import { integritySummary } from './integrity';

export interface IntegrityWatchOptions {
  /** Delay before the first verification, in ms: the start-up has the cores first. */
  firstAfterMs: number;
  /** Interval between the end of one verification and the start of the next, in ms. */
  everyMs: number;
  logger: Logger;
  now?: () => Date;
}

export interface IntegrityVerdict {
  checkedAt: Date;
  durationMs: number;
  report: IntegrityReport;
}

/** What the audit routes read and tell of the watch: its last verdict, and a whole-log check done on request. */
export interface LogIntegrity {
  /** The last verification's verdict; undefined before the first has finished. */
  last(): IntegrityVerdict | undefined;
  /**
   * A verification of the whole log made elsewhere (an auditor's POST /api/audit/verify): its verdict
   * becomes the last, so /health and the gauge do not say « intact » for hours after an alteration
   * was found.
   */
  record(report: IntegrityReport, durationMs: number): void;
}

export interface IntegrityWatch extends LogIntegrity {
  /** Resolves when the verification under way (if any) has finished: tests and the stop wait on it. */
  settled(): Promise<void>;
  probe: HealthProbe;
  metrics: MetricsCollector;
  /** No new verification starts; the one under way (it reads the store) is waited for. */
  stop(): Promise<void>;
}

export function watchIntegrity(store: EventStore, options: IntegrityWatchOptions): IntegrityWatch {
  const now = options.now ?? (() => new Date());
  const { logger } = options;
  let last: IntegrityVerdict | undefined;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const record = (report: IntegrityReport, durationMs: number, which: string): void => {
    last = { checkedAt: now(), durationMs, report };
    const fields = { audit: { checked: report.checked, durationMs } };
    if (report.ok) logger.info(fields, `${which} : ${integritySummary(report)}`);
    else
      logger.error(
        {
          audit: {
            ...fields.audit,
            unchecked: report.unchecked,
            brokenStreams: report.brokenStreams,
            firstBroken: report.firstBroken?.eventId,
          },
        },
        `${which} : ${integritySummary(report)} Lancez grants audit verify.`,
      );
  };

  const verify = async (): Promise<void> => {
    const started = now();
    try {
      const report = await verifyIntegrity(store);
      record(report, now().getTime() - started.getTime(), 'vérification périodique du journal');
    } catch (error) {
      // A store closing under the check, or down: said, and tried again at the next interval.
      if (!stopped)
        logger.warn({ err: error }, 'vérification périodique du journal impossible : nouvel essai plus tard');
    }
  };

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = verify().finally(() => {
        running = undefined;
        schedule(options.everyMs);
      });
    }, ms);
    // The watch never keeps the process alive by itself.
    timer.unref();
  };
  schedule(options.firstAfterMs);

  const verdict = (): string =>
    last === undefined ? 'pas encore vérifié' : last.report.ok ? 'intact' : 'altéré';

  return {
    last: () => last,
    record: (report, durationMs) => record(report, durationMs, 'vérification du journal entier demandée'),
    settled: async () => {
      await running;
    },
    probe: {
      name: 'integrity',
      check: () =>
        Promise.resolve({
          verdict: running !== undefined && last === undefined ? 'vérification en cours' : verdict(),
          ...(last === undefined
            ? {}
            : {
                checkedAt: last.checkedAt.toISOString(),
                checked: last.report.checked,
                summary: integritySummary(last.report),
              }),
          everyHours: options.everyMs / 3_600_000,
        }),
    },
    metrics: () =>
      last === undefined
        ? []
        : [
            {
              name: 'grants_log_integrity_ok',
              help: 'Whether the last verification of the whole event log found it intact (1) or altered (0).',
              type: 'gauge',
              samples: [{ value: last.report.ok ? 1 : 0 }],
            },
            {
              name: 'grants_log_integrity_broken_streams',
              help: 'Streams the last verification of the event log found altered (0 when intact).',
              type: 'gauge',
              samples: [{ value: last.report.brokenStreams }],
            },
            {
              name: 'grants_log_integrity_checked_events',
              help: 'Events checked by the last verification of the event log.',
              type: 'gauge',
              samples: [{ value: last.report.checked }],
            },
            {
              name: 'grants_log_integrity_last_check_timestamp_seconds',
              help: 'When the last verification of the event log finished (Unix time).',
              type: 'gauge',
              samples: [{ value: Math.floor(last.checkedAt.getTime() / 1000) }],
            },
          ],
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
