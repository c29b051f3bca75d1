import type { HttpServer, ServeOptions } from "../runtime.ts";
import { deno } from "./denoApi.ts";

/**
 * Deno.serve. It has no request body limit of its own: a Content-Length over
 * `maxRequestBodySize` is answered 413 before the app sees it, and a body without one is
 * counted by the app's own limit (hono's bodyLimit in createHttpApp).
 */
export function serveHttp(options: ServeOptions): HttpServer {
  const limit = options.maxRequestBodySize;
  const server = deno().serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {}, // Deno would print "Listening on ..." to stdout otherwise
    handler: (request) => {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (limit !== undefined && length > limit) return new Response("Payload Too Large", { status: 413 });
      return options.fetch(request);
    },
  });
  return {
    port: server.addr.port,
    hostname: server.addr.hostname,
    stop: () => server.shutdown(),
  };
}
