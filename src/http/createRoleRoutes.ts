import type { Sql } from "postgres";
import type { BackpressureGate } from "../orchestration/backpressureGate.ts";
import type { OperatorActions } from "../orchestration/operatorActions.ts";
import type { CreateTask } from "../orchestration/taskInitializer.ts";
import { createAnalyticsRoutes } from "./analyticsRoutes.ts";
import { createConfigRoutes } from "./configRoutes.ts";
import type { ApiRoute } from "./apiRoute.ts";
import { createDlqRoutes } from "./dlqRoutes.ts";
import { createHealthRoutes, type HealthRoutesDeps } from "./healthRoutes.ts";
import { createMetricsRoutes } from "./metricsRoutes.ts";
import { createStepRoutes } from "./stepRoutes.ts";
import { createTaskRoutes } from "./taskRoutes.ts";
import { createTemplateRoutes } from "./templateRoutes.ts";

export interface RoleRoutesDeps {
  role: "orchestration" | "worker" | "combined";
  sql: Sql;
  health: HealthRoutesDeps;
  /** Undefined until the orchestration has started. */
  createTask: () => CreateTask | undefined;
  /** Task creation's queue-depth limit; undefined when off or not started. */
  backpressure?: () => BackpressureGate | undefined;
  /** Undefined until the orchestration has started. */
  operator: () => OperatorActions | undefined;
  /** The worker's namespaces once loaded. */
  namespaces: () => readonly string[] | undefined;
  /** Prometheus text of the process's metrics. */
  renderPrometheus: () => Promise<string>;
  /** The masked configuration for GET /config; undefined when web.config_endpoint_enabled is off. */
  configView?: () => Record<string, unknown>;
}

/**
 * The routes a role serves: health everywhere; the whole /v1 API on orchestration
 * and combined; a worker serves its own namespaces' templates.
 */
export function createRoleRoutes(deps: RoleRoutesDeps): ApiRoute[] {
  const { sql } = deps;
  const config = deps.configView
    ? createConfigRoutes({ view: deps.configView, permission: deps.role === "worker" ? "worker:config_read" : "system:config_read" })
    : [];
  const health = [...createHealthRoutes(deps.health), ...createMetricsRoutes(deps.renderPrometheus), ...config];
  if (deps.role === "worker") {
    return [...health, ...createTemplateRoutes({ sql, namespaces: () => deps.namespaces() ?? [], permission: "worker:templates_read" })];
  }
  return [
    ...health,
    ...createTaskRoutes({ sql, createTask: deps.createTask, backpressure: deps.backpressure, operator: deps.operator }),
    ...createStepRoutes({ sql, operator: deps.operator }),
    ...createTemplateRoutes({ sql, namespaces: () => undefined, permission: "templates:read" }),
    ...createDlqRoutes({ sql }),
    ...createAnalyticsRoutes({ sql }),
  ];
}
