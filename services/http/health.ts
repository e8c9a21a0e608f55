// GET /health: is each part of the engine up? 200 when all are, 503 otherwise, with details,
// so an operator (or a load balancer) sees at once what is down.
import { Connection } from '@temporalio/client';
import { Router } from 'express';

export interface HealthProbe {
  name: string;
  /**
   * `signal` is aborted when the probe has had its time: a probe that starts a call (a request to
   * another server) ends it then, so that no call outlives the answer (and the engine's stop).
   */
  check(signal: AbortSignal): Promise<Record<string, unknown>>;
}

export interface HealthOptions {
  /** How long a probe may take before it counts as down, in ms. */
  timeoutMs?: number;
}

export function healthRouter(probes: HealthProbe[], options: HealthOptions = {}): Router {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const router = Router();
  router.get('/health', async (_req, res) => {
    const components: Record<string, { status: 'up' | 'down' } & Record<string, unknown>> = {};
    await Promise.all(
      probes.map(async (probe) => {
        try {
          components[probe.name] = { status: 'up', ...(await withTimeout(probe, timeoutMs)) };
        } catch (error) {
          components[probe.name] = {
            status: 'down',
            error: error instanceof Error ? error.message : String(error),
          };
        }
      }),
    );
    const up = Object.values(components).every((c) => c.status === 'up');
    res.status(up ? 200 : 503).json({ status: up ? 'up' : 'down', components });
  });
  return router;
}

/** The probe's answer, or its timeout: then its signal is aborted (its call cancelled). */
function withTimeout(probe: HealthProbe, ms: number): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`pas de réponse en ${ms} ms`));
      controller.abort(new Error(`pas de réponse en ${ms} ms`));
    }, ms);
    probe.check(controller.signal).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Temporal's health, asked on a connection of the probe's own, opened for the check and closed
 * after it, without the SDK's retries. On the engine's connection the call would be retried for
 * about 20 s when Temporal is down, by timers that neither an abort nor a deadline clears
 * (@temporalio/client grpc-retry.js): the engine, stopped meanwhile, closed that connection and the
 * next retry threw « Channel has been shut down » out of a timer, an uncaught exception.
 */
export function temporalProbe(options: { address: string; namespace: string }): HealthProbe {
  return {
    name: 'temporal',
    check: async (signal) => {
      const connection = Connection.lazy({ address: options.address, interceptors: [] });
      try {
        await connection.withAbortSignal(signal, () => connection.healthService.check({}));
        return { address: options.address, namespace: options.namespace };
      } finally {
        await connection.close();
      }
    },
  };
}
