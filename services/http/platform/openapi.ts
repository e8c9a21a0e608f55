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

// In the order an Allow header lists them (HEAD follows GET).
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
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
  /**
   * Problem responses for the given statuses, to spread into a route's `responses`. Throws for a
   * status the API never answers with a problem (409 and 428 among them), so no route can claim one.
   */
  problemResponses(...statuses: number[]): Record<string, ResponseConfig>;
  /** Request headers of the conventions in docs/http.md, to put in a route's `parameters`. */
  readonly headerParameters: Readonly<Record<'ifMatch' | 'idempotencyKey' | 'ifNoneMatch', OpenApiReference>>;
  /**
   * Response headers: `streamETag` (a stream's revision, for If-Match), `answerETag` (a hash of a
   * query's answer, for If-None-Match), `location` (a 201's new resource).
   */
  readonly responseHeaders: Readonly<Record<'streamETag' | 'answerETag' | 'location', OpenApiReference>>;
  /** The 304 of a GET that honours If-None-Match, with its ETag header, to spread into its `responses`. */
  notModifiedResponse(etag: OpenApiReference): Record<string, ResponseConfig>;
  /** The security requirement of routes behind `authenticate`. */
  readonly bearerSecurity: { bearerAuth: string[] }[];
  /** The current document (regenerated after each registration). */
  document(): OpenApiDocument;
  /**
   * The methods the document serves at a concrete path, in Allow's order (GET, HEAD, POST, PUT, PATCH,
   * DELETE; HEAD with GET); [] when none.
   */
  methodsOfPath(path: string): string[];
  /** GET /api/openapi.json, /api/docs and the docs page's script and style. */
  router(): Router;
}

export interface OpenApiReference {
  $ref: string;
}

// The statuses an operation may claim as a problem. 405 is not among them: it answers the methods a
// path does not document, so no documented operation answers it (docs/http.md, with OPTIONS and Allow).
// Nor 409 and 428: the API answers neither (concurrency is If-Match's 412, and If-Match is optional).
const problemDescriptions: Record<number, string> = {
  400: 'Requête invalide (champs en erreur dans `errors`), JSON illisible ou en-tête illisible',
  401: 'Jeton absent, invalide ou expiré',
  403: 'Rôle ou institution non autorisés',
  404: 'Ressource introuvable',
  412: 'If-Match ne correspond plus à la version actuelle (ou étiquette faible)',
  413: 'Corps de requête trop volumineux (256 ko au plus)',
  415: 'Corps autre que du JSON en UTF-8, ou Content-Encoding autre que identity, gzip, deflate, br',
  422: 'Refus des règles de gestion (`code` du domaine, message en français ; le champ en cause dans `errors` quand il y en a un) ; aussi une Idempotency-Key déjà servie pour une autre demande (IDEMPOTENCY_KEY_REUSED) et un export SCDL incomplet (SCDL_INCOMPLETE)',
  500: 'Erreur interne (ni message ni pile dans la réponse ; journalisée sous l’identifiant de corrélation)',
  503: 'Service momentanément indisponible : magasin d’événements, fournisseur d’identité ou modèles de lecture',
};

const headerDescriptions = {
  ifMatch:
    'Concurrence optimiste : l’ETag de la version lue, renvoyé tel quel (ex. "12"). Si la ressource a changé ' +
    'depuis, la réponse est 412 et rien n’est écrit : rechargez-la puis recommencez. La vérification est faite ' +
    'dans le workflow, qui traite les étapes une à une : de deux envois sur la même étiquette au même instant, ' +
    'l’un reçoit 200, l’autre 412. `*` demande seulement que la ressource existe. Une étiquette faible (W/"12") ' +
    'ne correspond jamais (412 IF_MATCH_WEAK). Sans If-Match, l’étape est décidée sur l’état laissé par la ' +
    'précédente, sans être liée à la version lue.',
  idempotencyKey:
    'Pour renvoyer une commande sans risque (délai dépassé, connexion perdue) : de 8 à 128 caractères parmi ' +
    'A-Z a-z 0-9 _ . : - (un UUID ou un ULID généré pour cette requête). Un renvoi reçoit la première réponse ' +
    '(même statut, même corps, même ETag) et la commande n’est enregistrée qu’une fois ; un dépôt renvoyé ' +
    'retrouve la candidature créée par le premier. La clé est propre à l’identité du jeton et à la route. La ' +
    'même clé pour une autre requête (autre corps ou autre cible) est refusée (422 IDEMPOTENCY_KEY_REUSED) ' +
    'sans rien écrire ; une clé illisible aussi (400 IDEMPOTENCY_KEY_INVALID).',
  ifNoneMatch:
    'L’ETag d’une réponse déjà reçue : tant que la réponse n’a pas changé, 304 sans corps. Comparaison faible ' +
    '(RFC 9110) : W/"…" correspond aussi.',
  streamETag:
    'Révision du flux de la ressource, étiquette forte (ex. "12") : à renvoyer dans If-Match pour ne modifier ' +
    'que la version lue.',
  answerETag:
    'Empreinte de la réponse, étiquette forte : à renvoyer dans If-None-Match (304 tant qu’elle n’a pas ' +
    'changé). La réponse compressée en gzip a la sienne (la même avec -gzip avant le guillemet fermant).',
  location: 'Où lire la ressource créée (/api/applications/{id} ou /api/campaigns/{id}).',
} as const;

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

  const parameter = (
    name: string,
    header: string,
    description: string,
    schema: { type: 'string'; pattern?: string; examples?: string[] },
  ): OpenApiReference =>
    registry.registerComponent('parameters', name, {
      name: header,
      in: 'header',
      required: false,
      description,
      schema,
    }).ref;
  const headerParameters = {
    ifMatch: parameter('IfMatch', 'If-Match', headerDescriptions.ifMatch, {
      type: 'string',
      examples: ['"12"', '*'],
    }),
    idempotencyKey: parameter('IdempotencyKey', 'Idempotency-Key', headerDescriptions.idempotencyKey, {
      type: 'string',
      pattern: '^[A-Za-z0-9_.:-]{8,128}$',
      examples: ['01JA8Q3X3N6M0W9Y6Z1C2B3D4E'],
    }),
    ifNoneMatch: parameter('IfNoneMatch', 'If-None-Match', headerDescriptions.ifNoneMatch, {
      type: 'string',
    }),
  };
  const header = (name: string, description: string, example: string): OpenApiReference =>
    registry.registerComponent('headers', name, {
      description,
      schema: { type: 'string', examples: [example] },
    }).ref;
  const responseHeaders = {
    streamETag: header('StreamETag', headerDescriptions.streamETag, '"12"'),
    answerETag: header('AnswerETag', headerDescriptions.answerETag, '"k3Jx0Tq1bWcV8yZ2pLmN4rS6uA"'),
    location: header('Location', headerDescriptions.location, '/api/applications/01JA8Q3X3N6M0W9Y6Z1C2B3D4E'),
  };
  // operationId → the route that took it: two routes with one id would make generated clients clash.
  const operationIds = new Map<string, string>();
  const operations = new Set<string>();

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
        const methods = HTTP_METHODS.filter((m) => item?.[m] !== undefined).flatMap((m) =>
          m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()],
        );
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
      const operation = `${route.method.toUpperCase()} ${route.path}`;
      if (operations.has(operation))
        throw new Error(`Route déjà documentée : ${operation}. Une seule description par opération.`);
      const { operationId } = route;
      if (operationId !== undefined) {
        const taken = operationIds.get(operationId);
        if (taken !== undefined)
          throw new Error(
            `operationId « ${operationId} » déjà pris par ${taken} : ${operation} en demande un autre.`,
          );
        operationIds.set(operationId, operation);
      }
      operations.add(operation);
      registry.registerPath(route);
      cached = undefined;
    },
    registerSchema: nameSchema,
    headerParameters,
    responseHeaders,
    notModifiedResponse(etag) {
      return {
        304: {
          description: 'Non modifiée depuis l’ETag envoyé dans If-None-Match : pas de corps',
          headers: { ETag: etag },
        },
      };
    },
    problemResponses(...statuses) {
      return Object.fromEntries(
        statuses.map((status) => {
          const description = problemDescriptions[status];
          if (description === undefined)
            throw new Error(
              `Statut ${status} : l’API ne répond pas de problème ${status} (voir docs/http.md) ; ` +
                `statuts possibles : ${Object.keys(problemDescriptions).join(', ')}.`,
            );
          const response: ResponseConfig = {
            description,
            content: { 'application/problem+json': { schema: problem } },
          };
          return [String(status), response];
        }),
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
