// Starts an Express app on a host and port, and closes it cleanly (in-flight requests finish).
import type { Express } from 'express';
import type { Server } from 'node:http';

export interface RunningHttpServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function listen(app: Express, host: string, port: number): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
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
