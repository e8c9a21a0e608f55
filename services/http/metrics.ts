// GET /metrics in Prometheus' text exposition format (version 0.0.4), written by hand: a handful of
// gauges does not justify a client library. Collectors are functions called at each scrape, so the
// values are read fresh and nothing is kept in module state.
import { Router } from 'express';
import { requestLogger } from './platform/correlation';

export interface MetricSample {
  labels?: Record<string, string>;
  /** bigint is written exactly (positions exceed 2^53 on EventStoreDB). */
  value: number | bigint;
}

export interface MetricFamily {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`, e.g. `grants_projection_lag_events`. */
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'untyped';
  samples: MetricSample[];
}

export type MetricsCollector = () => MetricFamily[] | Promise<MetricFamily[]>;

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (s: string): string => s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
const escapeLabel = (s: string): string =>
  s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');

function formatValue(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** The text format: one HELP and TYPE line per family, one line per sample. Throws on an invalid name. */
export function formatPrometheus(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!metricName.test(family.name)) throw new Error(`nom de métrique invalide : ${family.name}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [name] of labels) {
        if (!labelName.test(name) || name.startsWith('__'))
          throw new Error(`nom d’étiquette invalide : ${name}`);
      }
      const labelText =
        labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      lines.push(`${family.name}${labelText} ${formatValue(sample.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * GET /metrics. A collector that fails is reported as `grants_metrics_collector_up{collector="<name>"} 0`
 * rather than failing the scrape, so the other metrics still arrive.
 */
export function metricsRouter(collectors: Record<string, MetricsCollector>): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    const families: MetricFamily[] = [];
    const up: MetricSample[] = [];
    for (const [name, collect] of Object.entries(collectors)) {
      try {
        families.push(...(await collect()));
        up.push({ labels: { collector: name }, value: 1 });
      } catch (error) {
        requestLogger(req).warn({ err: error, collector: name }, 'collecte de métriques en erreur');
        up.push({ labels: { collector: name }, value: 0 });
      }
    }
    families.push({
      name: 'grants_metrics_collector_up',
      help: 'Whether each metrics collector answered at this scrape (1) or failed (0).',
      type: 'gauge',
      samples: up,
    });
    res.type('text/plain; version=0.0.4; charset=utf-8').send(formatPrometheus(families));
  });
  return router;
}

/** What the projector exposes for metrics (infra/projections' Projector satisfies it). */
export interface ProjectorMetricsSource {
  readonly name: string;
  checkpoint(): bigint | undefined;
  lag(): Promise<bigint>;
  isCaughtUp(): boolean;
}

/** Lag, checkpoint and caught-up state of each projector, labelled by projection set. */
export function projectorMetrics(...projectors: ProjectorMetricsSource[]): MetricsCollector {
  return async () => {
    const rows = await Promise.all(
      projectors.map(async (p) => ({
        name: p.name,
        lag: await p.lag(),
        checkpoint: p.checkpoint(),
        caughtUp: p.isCaughtUp(),
      })),
    );
    return [
      {
        name: 'grants_projection_lag_events',
        help: 'Global positions between the event store head and the projection checkpoint.',
        type: 'gauge',
        samples: rows.map((r) => ({ labels: { projection_set: r.name }, value: r.lag })),
      },
      {
        name: 'grants_projection_checkpoint_position',
        help: 'Last global position applied to the read models (0 before the first).',
        type: 'gauge',
        samples: rows.map((r) => ({ labels: { projection_set: r.name }, value: r.checkpoint ?? 0n })),
      },
      {
        name: 'grants_projection_caught_up',
        help: 'Whether the projector has caught up with the event store head (1) or is replaying (0).',
        type: 'gauge',
        samples: rows.map((r) => ({ labels: { projection_set: r.name }, value: r.caughtUp ? 1 : 0 })),
      },
    ];
  };
}

/** What workerMetrics reads of a Temporal worker (its getStatus()). */
export interface WorkerMetricsSource {
  getStatus(): {
    runState: string;
    numInFlightWorkflowActivations: number;
    numInFlightActivities: number;
    numCachedWorkflows: number;
  };
}

/**
 * The workflow worker of this process: running or not, and its load (activations and activities in
 * flight, workflows in its sticky cache), labelled by task queue. An operator sees a stopped worker
 * here (steps would wait) before anyone complains that nothing advances.
 */
export function workerMetrics(worker: WorkerMetricsSource, taskQueue: string): MetricsCollector {
  return () => {
    const status = worker.getStatus();
    const labels = { task_queue: taskQueue };
    const gauge = (name: string, help: string, value: number): MetricFamily => ({
      name,
      help,
      type: 'gauge',
      samples: [{ labels, value }],
    });
    return [
      gauge(
        'grants_worker_running',
        'Whether the Temporal worker of this process is running (1) or not (0: starting, draining, stopped, failed).',
        status.runState === 'RUNNING' ? 1 : 0,
      ),
      gauge(
        'grants_worker_workflow_activations_in_flight',
        'Workflow activations the worker is processing now.',
        status.numInFlightWorkflowActivations,
      ),
      gauge(
        'grants_worker_activities_in_flight',
        'Activities (event appends, envelope reservations) the worker is running now.',
        status.numInFlightActivities,
      ),
      gauge(
        'grants_worker_cached_workflows',
        'Workflows kept in the worker sticky cache (GRANTS_WORKER_STICKY_CACHE_SIZE at most).',
        status.numCachedWorkflows,
      ),
    ];
  };
}
