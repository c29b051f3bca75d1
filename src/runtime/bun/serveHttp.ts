import type { HttpServer, ServeOptions } from "../runtime.ts";

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
