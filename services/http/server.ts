// Starts an Express app on a host and port, and closes it cleanly (in-flight requests finish).
import type { Express } from 'express';
import {
  createServer,
  IncomingMessage,
  ServerResponse,
  STATUS_CODES,
  type RequestListener,
  type Server,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { ConfigError } from '../../infra/config/config';
import { correlationHeader, resolveCorrelationId } from './platform/correlation';
import { problemOfKind, type ProblemKind } from './platform/problem';

export interface RunningHttpServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * An HTTP server whose requests and responses are born with the app's prototypes (`app.request`,
 * `app.response`) rather than Node's, so the `Object.setPrototypeOf` Express 5 applies to each of
 * them on arrival (application.js, app.handle) finds them already right and changes nothing.
 * Changing the prototype of a live object made V8's young-generation collector keep about 10 KB of
 * every request past it and promote them to the old generation, which only a full collection frees:
 * under load, 4 MB promoted per young collection, 5 to 15 ms pauses, and half the requests per
 * second of the same Express app served this way (test/http-platform/requestGarbage.int.spec.ts).
 * The app sees the same objects, with the same prototype chain, built by Node's own constructors.
 */
export function createAppServer(app: Express): Server {
  const late = createLateAppServer(() => undefined);
  late.serve(app);
  return late.server;
}

interface LateAppServer {
  server: Server;
  /** Hands every request from now on to `app`, born with its prototypes (see createAppServer). */
  serve(app: Express): void;
}

/**
 * A server that answers with `meanwhile` until it is given its app: the engine listens on its port
 * before it starts anything else, and gets its app only once every part the app uses runs. The
 * constructors' prototypes are read at each `new`, so the requests parsed after `serve` are the app's.
 */
function createLateAppServer(meanwhile: RequestListener): LateAppServer {
  function AppRequest(this: IncomingMessage, ...args: ConstructorParameters<typeof IncomingMessage>): void {
    IncomingMessage.call(this, ...args);
  }
  AppRequest.prototype = IncomingMessage.prototype;
  // Node passes options too (highWaterMark, rejectNonStandardBodyWrites): handed on as they come.
  function AppResponse(this: ServerResponse, ...args: ConstructorParameters<typeof ServerResponse>): void {
    ServerResponse.call(this, ...args);
  }
  AppResponse.prototype = ServerResponse.prototype;
  const server = createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    meanwhile,
  );
  server.on('clientError', answerClientError);
  return {
    server,
    serve(app) {
      AppRequest.prototype = app.request;
      AppResponse.prototype = app.response;
      // One listener swapped for the other in the same tick: a request goes to the one or the other.
      server.removeListener('request', meanwhile);
      server.on('request', app);
    },
  };
}

/** What Node's parser refused, as the problem the API's other errors are. */
const clientErrors: Record<string, { kind: ProblemKind; code?: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    kind: 'headersTooLarge',
    detail: 'Les en-têtes de la requête dépassent la taille admise (16 Ko) : allégez-les (cookies, jeton).',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    kind: 'requestTimeout',
    detail: 'La requête n’est pas arrivée entière à temps : renvoyez-la.',
  },
};

/**
 * A request Node's HTTP parser refuses (headers too large, not HTTP, Content-Length beside a
 * Transfer-Encoding…) never reaches the app: Node would answer a bare 400 or 431 without a body.
 * Answered here as problem+json with a stable code, then the connection closed (what follows on it
 * cannot be read).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = clientErrors[error.code ?? ''] ?? {
    kind: 'badRequest' as const,
    code: 'UNREADABLE_REQUEST',
    detail: 'La requête n’est pas une requête HTTP lisible (en-têtes mal formés ou contradictoires).',
  };
  const problem = problemOfKind(known.kind, known.detail, known.code);
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
      'Content-Type: application/problem+json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export function listen(app: Express, host: string, port: number): Promise<RunningHttpServer> {
  return listenOn(createAppServer(app), host, port);
}

export interface StartingHttpServer extends RunningHttpServer {
  /** The app answers from now on; until then, every request had 503 ENGINE_STARTING. */
  serve(app: Express): void;
}

/**
 * Listens at once, before the app exists: a port that cannot be had is said before anything else
 * starts (the Temporal server, the log, the views), and a monitor or a person calling
 * meanwhile is told the engine is starting (503 ENGINE_STARTING, with Retry-After) rather than
 * finding nothing there. Refused like {@link listen}: a ConfigError naming the variable to change.
 */
export async function listenWhileStarting(host: string, port: number): Promise<StartingHttpServer> {
  const late = createLateAppServer(answerStarting);
  const running = await listenOn(late.server, host, port);
  return { ...running, serve: (app) => late.serve(app) };
}

const STARTING_RETRY_AFTER_SECONDS = 5;

function answerStarting(req: IncomingMessage, res: ServerResponse): void {
  const correlationId = resolveCorrelationId(req.headers['x-correlation-id']);
  const body = JSON.stringify({
    ...problemOfKind(
      'unavailable',
      'Le moteur démarre : l’API répond dès que le serveur Temporal, le worker et les projections sont ' +
        'prêts (la reconstruction des vues, quand il y en a une, peut prendre quelques minutes). Réessayez ' +
        `dans ${STARTING_RETRY_AFTER_SECONDS} secondes.`,
      'ENGINE_STARTING',
    ),
    instance: req.url ?? '/',
    correlationId,
  });
  res.writeHead(503, {
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Retry-After': String(STARTING_RETRY_AFTER_SECONDS),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    [correlationHeader]: correlationId,
  });
  res.end(body);
}

function listenOn(server: Server, host: string, port: number): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, host, port)));
    server.once('listening', () => {
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://${host}:${actualPort}`,
        server,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeIdleConnections();
          }),
      });
    });
    server.listen(port, host);
  });
}

/**
 * A listen failure the operator fixes with GRANTS_HTTP_HOST or GRANTS_HTTP_PORT, as a
 * {@link ConfigError} naming it (exit code 2); any other error as it came.
 */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const problem = (variable: 'GRANTS_HTTP_HOST' | 'GRANTS_HTTP_PORT', expected: string, message: string) =>
    new ConfigError(
      [{ variable, expected, received: variable === 'GRANTS_HTTP_HOST' ? host : String(port) }],
      message,
    );
  switch (error.code ?? '') {
    case 'EADDRINUSE':
      return problem(
        'GRANTS_HTTP_PORT',
        'un port libre',
        `Le port ${port} est déjà utilisé sur ${host} par un autre processus : arrêtez-le ou choisissez ` +
          `un autre port avec GRANTS_HTTP_PORT.`,
      );
    case 'EADDRNOTAVAIL':
      return problem(
        'GRANTS_HTTP_HOST',
        'une adresse de cette machine',
        `L’adresse ${host} n’est pas celle d’une interface de cette machine : l’API HTTP ne peut pas y ` +
          `écouter. Choisissez-en une avec GRANTS_HTTP_HOST (127.0.0.1 pour cette machine seule, ` +
          `0.0.0.0 pour toutes ses interfaces).`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return problem(
        'GRANTS_HTTP_HOST',
        'une adresse ou un nom de cette machine',
        `Le nom ${host} ne correspond à aucune adresse connue : l’API HTTP ne peut pas y écouter. ` +
          `Donnez une adresse de cette machine avec GRANTS_HTTP_HOST (127.0.0.1 par défaut).`,
      );
    case 'EACCES':
      return problem(
        'GRANTS_HTTP_PORT',
        'un port que ce compte a le droit d’ouvrir',
        `Ce compte n’a pas le droit d’écouter sur ${host}:${port} (les ports en dessous de 1024 sont ` +
          `réservés à l’administrateur) : choisissez un port à partir de 1024 avec GRANTS_HTTP_PORT.`,
      );
    default:
      return error;
  }
}
