// Starts an Express app on a host and port, and closes it cleanly (in-flight requests finish).
import type { Express } from 'express';
import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';

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
  function AppRequest(this: IncomingMessage, ...args: ConstructorParameters<typeof IncomingMessage>): void {
    IncomingMessage.call(this, ...args);
  }
  AppRequest.prototype = app.request;
  // Node passes options too (highWaterMark, rejectNonStandardBodyWrites): handed on as they come.
  function AppResponse(this: ServerResponse, ...args: ConstructorParameters<typeof ServerResponse>): void {
    ServerResponse.call(this, ...args);
  }
  AppResponse.prototype = app.response;
  return createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    app,
  );
}

export function listen(app: Express, host: string, port: number): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    const server = createAppServer(app).listen(port, host);
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Le port ${port} est déjà utilisé (GRANTS_HTTP_PORT).`)
          : error,
      );
    });
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
  });
}
