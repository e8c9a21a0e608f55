// The API describes itself: routes register their zod schemas once (the same ones validate.ts parses
// with), and the OpenAPI 3.1 document is generated from them, so the description cannot drift from
// the code. Served at /api/openapi.json, with a self-contained reader at /api/docs (no CDN: the
// machines running the engine may have no internet access).
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  extendZodWithOpenApi,
  zodToOpenAPIRegistry,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { docsPageHtml, docsPageScript, docsPageStyle } from './docsPage';
import { type ProblemKind, problemSchema, problemTypeUri, problemTypes } from './problem';

export type { ResponseConfig, RouteConfig };

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export interface ApiDocumentationOptions {
  title: string;
  version: string;
  description?: string;
}

export interface ApiDocumentation {
  /** The underlying registry, for what the helpers below do not cover. */
  readonly registry: OpenAPIRegistry;
  /** A route: method, path (OpenAPI style, `/applications/{id}`), request schemas and responses. */
  registerRoute(route: RouteConfig): void;
  /** A named schema under components/schemas, referenced wherever the returned schema is used. */
  registerSchema<T extends z.ZodType>(name: string, schema: T): T;
  /** Problem responses for the given statuses, to spread into a route's `responses`. */
  problemResponses(...statuses: number[]): Record<string, ResponseConfig>;
  /** The security requirement of routes behind `authenticate`. */
  readonly bearerSecurity: { bearerAuth: string[] }[];
  /** The current document (regenerated after each registration). */
  document(): OpenApiDocument;
  /** The methods (GET, POST… and HEAD with GET) the document serves at a concrete path; [] when none. */
  methodsOfPath(path: string): string[];
  /** GET /api/openapi.json, /api/docs and the docs page's script and style. */
  router(): Router;
}

const problemDescriptions: Record<number, string> = {
  400: 'Requête invalide (champs en erreur dans `errors`) ou JSON illisible',
  401: 'Jeton absent, invalide ou expiré',
  403: 'Rôle ou institution non autorisés',
  404: 'Ressource introuvable',
  409: 'Conflit : la ressource a changé entre-temps',
  412: 'If-Match ne correspond plus à la version actuelle',
  413: 'Corps de requête trop volumineux',
  422: 'Refus des règles de gestion (`code` du domaine, message en français)',
  428: 'If-Match requis',
  500: 'Erreur interne',
  503: 'Service momentanément indisponible',
};

export function createApiDocumentation(options: ApiDocumentationOptions): ApiDocumentation {
  // Adds `.openapi()` to zod's prototypes; idempotent (the library checks), done here rather than at
  // module load so importing this file has no side effect. Zod 4 gives each schema its methods when it
  // is built, so only schemas built after this call have `.openapi()`: module-level schemas describe
  // themselves with zod's own `.meta({ description, example })`, which the generator reads too, and
  // registerSchema below names a schema without calling `.openapi()`.
  extendZodWithOpenApi(z);
  const registry = new OpenAPIRegistry();
  const named: z.ZodType[] = [];

  const nameSchema = <T extends z.ZodType>(name: string, schema: T): T => {
    // The library's own metadata registry, where `.openapi(refId)` would put the name; merged so a
    // description set earlier survives. Naming the schema itself (not a copy) makes every use of it a $ref.
    const current = zodToOpenAPIRegistry.get(schema);
    zodToOpenAPIRegistry.add(schema, { ...current, _internal: { ...current?._internal, refId: name } });
    if (!named.includes(schema)) named.push(schema);
    cached = undefined;
    return schema;
  };

  let cached: OpenApiDocument | undefined;
  const problem = nameSchema('Problem', problemSchema);
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Jeton JWT : en mode embarqué, `grants token --role <rôle>` ; sinon le fournisseur OpenID Connect (JWKS).',
  });

  const document = (): OpenApiDocument => {
    if (cached === undefined) {
      const generated = new OpenApiGeneratorV31([...registry.definitions, ...named]).generateDocument({
        openapi: '3.1.0',
        info: {
          title: options.title,
          version: options.version,
          ...(options.description === undefined ? {} : { description: options.description }),
        },
      });
      cached = {
        ...generated,
        // Not an OpenAPI construct: the catalogue of problem types the docs page shows and `type` points to.
        'x-problem-types': (Object.keys(problemTypes) as ProblemKind[]).map((kind) => ({
          kind,
          type: problemTypeUri(kind),
          ...problemTypes[kind],
        })),
      };
    }
    return cached;
  };

  // Each documented path as a pattern ({id} matches one segment), built once per document.
  let patterns: { of: OpenApiDocument; paths: { pattern: RegExp; methods: string[] }[] } | undefined;
  const methodsOfPath = (path: string): string[] => {
    const current = document();
    if (patterns?.of !== current) {
      const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      const paths = Object.entries(current.paths ?? {}).map(([template, item]) => {
        const methods = HTTP_METHODS.filter((m) => item?.[m] !== undefined).map((m) => m.toUpperCase());
        if (methods.includes('GET')) methods.push('HEAD');
        const source = template
          .split(/(\{[^}]+\})/)
          .map((part) => (part.startsWith('{') ? '[^/]+' : escape(part)))
          .join('');
        return { pattern: new RegExp(`^${source}/?$`), methods };
      });
      patterns = { of: current, paths };
    }
    return patterns.paths.find((p) => p.pattern.test(path))?.methods ?? [];
  };

  const documentation: ApiDocumentation = {
    registry,
    methodsOfPath,
    registerRoute(route) {
      registry.registerPath(route);
      cached = undefined;
    },
    registerSchema: nameSchema,
    problemResponses(...statuses) {
      return Object.fromEntries(
        statuses.map((status) => [
          String(status),
          {
            description: problemDescriptions[status] ?? 'Problème',
            content: { 'application/problem+json': { schema: problem } },
          } satisfies ResponseConfig,
        ]),
      );
    },
    bearerSecurity: [{ bearerAuth: [] }],
    document,
    router() {
      const router = Router();
      router.get('/api/openapi.json', (_req, res) => {
        res.json(document());
      });
      router.get('/api/docs', (_req, res) => {
        res.type('html').send(docsPageHtml(options.title));
      });
      router.get('/api/docs/docs.js', (_req, res) => {
        res.type('text/javascript').send(docsPageScript);
      });
      router.get('/api/docs/docs.css', (_req, res) => {
        res.type('text/css').send(docsPageStyle);
      });
      return router;
    },
  };
  return documentation;
}
