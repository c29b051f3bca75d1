import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { Logger } from "../telemetry/logger.ts";
import { errorResponse, type ErrorBody } from "./errorEnvelope.ts";

export interface HttpAppDeps {
  logger: Logger;
  /** Sub-apps mounted at `/` in order (health routes, the API, ...). */
  routes: readonly Hono[];
}

/** The composition root of the HTTP surface for every role. */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const app = new Hono();
  app.use(requestId({ headerName: "x-request-id" }));
  for (const routes of deps.routes) app.route("/", routes);
  app.notFound((c) => c.json<ErrorBody>({ error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => errorResponse(c, error, deps.logger));
  return app;
}
