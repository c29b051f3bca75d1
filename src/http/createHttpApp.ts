import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { TaskerError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { createRequestTracing } from "../telemetry/requestTracing.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import type { ApiRoute } from "./apiRoute.ts";
import type { Authenticator } from "./auth/createAuthenticator.ts";
import { mountDashboard, type DashboardDeps } from "./dashboard/mountDashboard.tsx";
import { errorResponse, type ErrorBody } from "./errorEnvelope.ts";
import { mountApiRoutes } from "./mountApiRoutes.ts";
import type { OpenApiInfo } from "./openapi/buildOpenApiDocument.ts";
import { createOpenApiRoutes } from "./openapi/openApiRoutes.ts";
import { requestTimeout } from "./requestTimeout.ts";

export interface HttpAppDeps {
  logger: Logger;
  /** Traces each request (the root span of a task's trace) and counts it. */
  telemetry: Telemetry;
  web: { request_timeout_ms: number; body_limit_bytes: number; cors_origins: readonly string[] };
  authenticator: Authenticator;
  /** Every route of the role (health, API); `/openapi.json` and `/docs` are added here. */
  routes: readonly ApiRoute[];
  openApi: Omit<OpenApiInfo, "apiKeyHeader"> & { apiKeyHeader?: string };
  /** The operations dashboard at /dashboard (orchestration and combined roles, web.dashboard.enabled). */
  dashboard?: Omit<DashboardDeps, "authenticator">;
}

/** The composition root of the HTTP surface for every role. */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const app = new Hono();
  app.use(createRequestTracing(deps.telemetry));
  app.use(requestId({ headerName: "x-request-id" }));
  if (deps.web.cors_origins.length > 0) {
    app.use(cors({ origin: [...deps.web.cors_origins], exposeHeaders: ["x-request-id"] }));
  }
  app.use(requestTimeout(deps.web.request_timeout_ms));
  app.use(
    bodyLimit({
      maxSize: deps.web.body_limit_bytes,
      onError: () => {
        throw new TaskerError("PAYLOAD_TOO_LARGE", `the body is larger than ${deps.web.body_limit_bytes} bytes`);
      },
    }),
  );
  const docs = createOpenApiRoutes(deps.routes, { apiKeyHeader: "X-API-Key", ...deps.openApi });
  mountApiRoutes(app, [...deps.routes, ...docs], deps.authenticator);
  if (deps.dashboard) mountDashboard(app, { ...deps.dashboard, authenticator: deps.authenticator });
  app.notFound((c) => c.json<ErrorBody>({ error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => errorResponse(c, error, deps.logger));
  return app;
}
