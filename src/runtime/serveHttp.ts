export interface HttpServer {
  readonly port: number;
  readonly hostname: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  fetch: (request: Request) => Response | Promise<Response>;
  /** Largest request body accepted by the server itself (bytes). */
  maxRequestBodySize?: number;
}

export function serveHttp(options: ServeOptions): HttpServer {
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    fetch: options.fetch,
    maxRequestBodySize: options.maxRequestBodySize,
    // Long polls are not served; keep idle connections from piling up.
    idleTimeout: 30,
  });
  return {
    port: server.port ?? options.port,
    hostname: server.hostname ?? options.hostname,
    async stop() {
      await server.stop();
    },
  };
}
