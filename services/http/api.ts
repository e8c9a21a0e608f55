// The HTTP services of the engine, assembled on the platform: public health and metrics, then
// the authenticated command, query and audit APIs, documented in one OpenAPI document.
import { Router, type Express } from 'express';
import type { Logger } from '../../infra/logging/logger';
import type { WorkerPresence } from '../../infra/temporal/workerPresence';
import type { GrantsClient } from '../../workflows/client';
import type { Database } from 'better-sqlite3';
import type { EventStore } from '../../infra/eventstore/port';
import type { AttribuantDirectory } from '../audit/attribuants';
import type { LogIntegrity } from '../audit/integrityWatch';
import { auditRouter } from '../audit/routes';
import { commandRouter } from '../commands/routes';
import { consoleRouter } from '../console/router';
import type { AnswerCacheOptions } from '../queries/answerCache';
import { referenceRouter } from '../queries/referenceRoutes';
import { queryRouter } from '../queries/routes';
import { healthRouter, type HealthProbe } from './health';
import { metricsRouter, type MetricsCollector } from './metrics';
import { mintDevelopmentToken, type AuthSettings } from './platform/auth';
import { createHttpPlatform } from './platform/app';

export interface ApiDeps {
  logger: Logger;
  auth: AuthSettings;
  grants: GrantsClient;
  eventStore: EventStore;
  readModels: Database;
  probes: HealthProbe[];
  metrics: Record<string, MetricsCollector>;
  /** The query API's answers kept until the read models change (services/queries/answerCache.ts); `false` keeps none. */
  answerCache?: AnswerCacheOptions | false;
  /** Whether a worker polls the workflows' task queue, asked before each step: when the workers run elsewhere. */
  workers?: WorkerPresence;
  /** The funders' official names and SIRETs for the SCDL export (configuredAttribuants); default the built-in ones. */
  attribuants?: AttribuantDirectory;
  /** The engine's watch over its log: its verdict goes with the audit ledger and exports (services/audit/routes.ts). */
  integrity?: LogIntegrity;
}

export function createApi(deps: ApiDeps): Express {
  const platform = createHttpPlatform({
    logger: deps.logger,
    auth: deps.auth,
    api: {
      title: 'Moteur de subventions — politique de la ville',
      version: '0.1.0',
      description:
        'Candidatures aux appels à manifestation d’intérêt (AMI) du contrat de ville : dépôt, recevabilité, ' +
        'co-décision des financeurs, conventions (CPO), comptes rendus annuels ; statistiques et audit.',
    },
  });
  platform.mount(healthRouter(deps.probes));
  platform.mount(metricsRouter(deps.metrics));
  // The reads first: most requests are GETs, and every router mounted before theirs is one more list
  // of routes their path is tested against (the commands' seventeen POST routes: some 5 % of a cached
  // summary's time, bench/RESULTS.md 2026-11-27). Methods differ, so the order changes no answer.
  platform.mount(
    queryRouter({
      db: deps.readModels,
      log: deps.eventStore,
      grants: deps.grants,
      authenticate: platform.authenticate,
      requireRole: (...roles) => platform.requireRole(...roles),
      docs: platform.openapi,
      ...(deps.answerCache === undefined ? {} : { answerCache: deps.answerCache }),
      ...(deps.workers === undefined ? {} : { workers: deps.workers }),
    }),
  );
  platform.mount(
    commandRouter({
      grants: deps.grants,
      authenticate: platform.authenticate,
      requireRole: (...roles) => platform.requireRole(...roles),
      docs: platform.openapi,
      ...(deps.workers === undefined ? {} : { workers: deps.workers }),
    }),
  );
  platform.mount(
    referenceRouter({
      authenticate: platform.authenticate,
      requireRole: (...roles) => platform.requireRole(...roles),
      docs: platform.openapi,
    }),
  );
  platform.mount(
    auditRouter({
      eventStore: deps.eventStore,
      authenticate: platform.authenticate,
      docs: platform.openapi,
      ...(deps.attribuants === undefined ? {} : { attribuants: deps.attribuants }),
      ...(deps.integrity === undefined ? {} : { integrity: deps.integrity }),
    }),
  );
  // The console in French, at /console/; in the embedded mode it can sign in demo users.
  const devSecret = deps.auth.mode === 'embedded' ? deps.auth.secret : undefined;
  platform.mount(
    consoleRouter({
      devTokens:
        devSecret === undefined
          ? undefined
          : {
              mint: (role, institution, porteurId) =>
                mintDevelopmentToken({
                  secret: devSecret,
                  role,
                  ...(institution ? { institution } : {}),
                  ...(porteurId ? { porteurId } : {}),
                }),
            },
    }),
  );
  // A person opening the engine's address in a browser (http://127.0.0.1:3000/) lands on the console.
  const home = Router();
  home.get('/', (_req, res) => res.redirect(302, '/console/'));
  platform.mount(home);
  return platform.finish();
}
