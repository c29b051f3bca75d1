import type { Sql } from "postgres";
import { createAuthenticator } from "../../../src/http/auth/createAuthenticator.ts";
import type { ApiRoute } from "../../../src/http/apiRoute.ts";
import { createHttpApp } from "../../../src/http/createHttpApp.ts";
import { createRoleRoutes, type RoleRoutesDeps } from "../../../src/http/createRoleRoutes.ts";
import { CONFIG_DEFAULTS, type TaskerConfig } from "../../../src/config/index.ts";
import type { QueueHealthDetail } from "../../../src/queue/queueHealth.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import { disabledTelemetry } from "../../../src/telemetry/telemetry.ts";

export interface ServedApp {
  url: string;
  stop(): Promise<void>;
}

export interface ServeAppOptions {
  sql: Sql;
  role?: RoleRoutesDeps["role"];
  createTask?: RoleRoutesDeps["createTask"];
  backpressure?: RoleRoutesDeps["backpressure"];
  operator?: RoleRoutesDeps["operator"];
  lifecycleState?: () => string;
  web?: Partial<TaskerConfig["web"]>;
  auth?: Partial<TaskerConfig["web"]["auth"]>;
  extraRoutes?: ApiRoute[];
  /** Mount the dashboard (as runRole does when web.dashboard.enabled), with these deps replaced. */
  dashboard?: boolean | { queueHealth?: () => Promise<QueueHealthDetail | undefined>; backpressureMaxDepth?: number; traceUrl?: string };
}

/** The real Hono app of a role, served over HTTP on a free port. */
export function serveApp(options: ServeAppOptions): ServedApp {
  const web = { ...CONFIG_DEFAULTS.web, ...options.web };
  const auth = { ...CONFIG_DEFAULTS.web.auth, ...options.auth };
  const routes = createRoleRoutes({
    role: options.role ?? "combined",
    sql: options.sql,
    createTask: options.createTask ?? (() => undefined),
    backpressure: options.backpressure,
    operator: options.operator ?? (() => undefined),
    namespaces: () => ["linear_workflow"],
    renderPrometheus: () => disabledTelemetry().renderPrometheus(),
    health: {
      lifecycleState: options.lifecycleState ?? (() => "running"),
      checks: [],
      info: () => ({ role: options.role ?? "combined" }),
    },
  });
  const stopping = new AbortController();
  const app = createHttpApp({
    logger: silentLogger,
    telemetry: disabledTelemetry(),
    web,
    authenticator: createAuthenticator(auth),
    routes: [...routes, ...(options.extraRoutes ?? [])],
    openApi: { title: "tasker test", version: "0.0.0", description: "test", apiKeyHeader: auth.api_key_header },
    ...(options.dashboard
      ? {
          dashboard: {
            sql: options.sql,
            apiKeyHeader: auth.api_key_header,
            queueHealth: () => Promise.resolve(undefined),
            health: () => Promise.resolve({}),
            shutdown: stopping.signal,
            ...(typeof options.dashboard === "object" ? options.dashboard : {}),
          },
        }
      : {}),
  });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => app.fetch(request) });
  return {
    url: `http://127.0.0.1:${server.port}`,
    stop: () => {
      stopping.abort();
      return server.stop(true);
    },
  };
}
