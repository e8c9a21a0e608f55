// docker-compose.yml cannot be started on these machines (no Docker engine): this keeps it
// honest against the code instead.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../../infra/config/config';

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean>;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };
const services = compose.services;
const ours = Object.entries(services).filter(([, s]) => s.build !== undefined);
const knownVariables = new Set(Object.keys(configSchema.shape));

describe('docker-compose.yml', () => {
  it('runs the engine as worker and as API + projector from this repository’s Dockerfile', () => {
    const roles = ours.map(([, s]) => ({
      worker: s.environment?.GRANTS_START_WORKER,
      projector: s.environment?.GRANTS_START_PROJECTOR,
      http: s.environment?.GRANTS_START_HTTP,
    }));
    expect(roles.some((r) => r.worker === 'true')).toBe(true);
    expect(roles.some((r) => r.projector === 'true' && r.http === 'true')).toBe(true);
  });

  it.each(ours.map(([name, s]) => [name, s] as const))(
    'sets on %s only variables that infra/config knows, with valid values',
    (_name, service) => {
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([k, v]) => [
          k,
          String(v).replace(/\$\{[^:}]+:-([^}]*)\}/, '$1'),
        ]),
      );
      const unknown = Object.keys(env).filter((k) => !knownVariables.has(k));
      expect(unknown).toEqual([]);
      const config = loadConfig(env);
      expect(config.eventStore.kind).toBe('eventstoredb');
      expect(config.temporal.address).toBeDefined();
    },
  );

  it('starts the engine once the servers it needs answer, on images of a given version', () => {
    // The engine stops (exit code 2) when EventStoreDB or Temporal does not answer at its start:
    // started beside a server still booting, it would fail every first `docker compose up`.
    for (const [name, service] of ours) {
      const needs = service.depends_on;
      expect(Array.isArray(needs), `${name}: depends_on with conditions`).toBe(false);
      for (const [server, { condition }] of Object.entries(needs ?? {})) {
        expect(condition, `${name} → ${server}`).toBe('service_healthy');
        expect(services[server]?.healthcheck?.test.length, `${server}: healthcheck`).toBeGreaterThan(0);
      }
      expect(Object.keys(needs ?? {}).sort()).toEqual(['kurrentdb', 'temporal']);
    }
    for (const service of Object.values(services).filter((s) => s.image !== undefined))
      expect(service.image, 'a pinned version, not latest').toMatch(/:\d+(\.\d+)*$/);
  });

  it('provides every server the configuration points at', () => {
    for (const [, service] of ours) {
      const env = service.environment ?? {};
      const esdbHost = new URL(String(env.EVENTSTORE_CONNECTION_STRING)).hostname;
      const temporalHost = String(env.TEMPORAL_ADDRESS).split(':')[0] ?? '';
      expect(Object.keys(services)).toContain(esdbHost);
      expect(Object.keys(services)).toContain(temporalHost);
    }
    const images = Object.values(services).map((s) => s.image ?? '');
    expect(images.some((i) => /kurrentdb|eventstore/.test(i))).toBe(true);
    expect(
      images.some((i) => i.startsWith('temporalio/auto-setup') || i.startsWith('temporalio/server')),
    ).toBe(true);
    expect(images.some((i) => i.startsWith('temporalio/ui'))).toBe(true);
    expect(images.some((i) => i.startsWith('postgres'))).toBe(true);
  });
});
