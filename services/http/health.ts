// GET /health: is each part of the engine up? 200 when all are, 503 otherwise, with details,
// so an operator (or a load balancer) sees at once what is down.
import { Router } from 'express';

export interface HealthProbe {
  name: string;
  check(): Promise<Record<string, unknown>>;
}

export function healthRouter(probes: HealthProbe[]): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const components: Record<string, { status: 'up' | 'down' } & Record<string, unknown>> = {};
    await Promise.all(
      probes.map(async (probe) => {
        try {
          components[probe.name] = { status: 'up', ...(await withTimeout(probe.check(), 3_000)) };
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pas de réponse en ${ms} ms`)), ms);
    promise.then(
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
