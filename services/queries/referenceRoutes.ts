// Reference data read by every role: the QPV references (quartier codes and names) by version.
// Public data, the same for everyone; authenticated like the rest of the API.
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { qpvReferenceSchema } from '../../domain/reference/qpv';
import type { Role } from '../http/platform/auth';
import type { ApiDocumentation } from '../http/platform/openapi';
import { NotFoundError } from '../http/platform/problem';
import { noQuery, parseRequest } from '../http/platform/validate';
import { qpvReference } from '../../domain/reference/qpvReferences';

export interface ReferenceRoutesDeps {
  authenticate: RequestHandler;
  requireRole: (...roles: Role[]) => RequestHandler;
  docs?: ApiDocumentation;
}

const everyone: Role[] = ['grant_manager', 'evaluator', 'auditor', 'porteur', 'funder', 'citizen_council'];

const versionParams = z.strictObject({
  version: z.string().min(1).max(200, 'Version de référentiel trop longue (200 caractères au plus)'),
});

export function referenceRouter(deps: ReferenceRoutesDeps): Router {
  const router = Router();

  router.get('/api/reference/qpv/:version', deps.authenticate, deps.requireRole(...everyone), (req, res) => {
    const { params } = parseRequest(req, { params: versionParams, query: noQuery });
    const reference = qpvReference(params.version);
    if (reference === undefined) {
      throw new NotFoundError(
        `Le référentiel des quartiers prioritaires « ${params.version} » est inconnu du moteur.`,
        'QPV_REFERENCE_NOT_FOUND',
      );
    }
    res.json(reference);
  });

  deps.docs?.registerRoute({
    method: 'get',
    path: '/api/reference/qpv/{version}',
    operationId: 'getQpvReference',
    summary:
      'Référentiel des quartiers prioritaires (QPV) d’une version : source, date, codes fictifs ou non, codes et noms',
    security: deps.docs.bearerSecurity,
    request: { params: versionParams },
    responses: {
      200: {
        description: 'Le référentiel : { version, source, date, placeholder, entries }',
        content: {
          'application/json': { schema: deps.docs.registerSchema('QpvReference', qpvReferenceSchema) },
        },
      },
      ...deps.docs.problemResponses(400, 401, 403, 404, 500, 503),
    },
  });
  return router;
}
