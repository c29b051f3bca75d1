import type { Sql } from "postgres";
import { bottlenecks, performanceMetrics } from "../orchestration/analyticsQueries.ts";
import { defineRoute, type ApiRoute } from "./apiRoute.ts";
import {
  BottleneckQuerySchema,
  BottlenecksSchema,
  PerformanceMetricsSchema,
  PerformanceQuerySchema,
} from "./schemas/analyticsSchemas.ts";

/** /v1/analytics: throughput, outcomes and the slowest steps and templates. */
export function createAnalyticsRoutes(deps: { sql: Sql }): ApiRoute[] {
  return [
    defineRoute(
      {
        method: "get",
        path: "/v1/analytics/performance",
        operationId: "getPerformanceMetrics",
        summary: "Task and step throughput, outcomes and durations over the last hours",
        tag: "analytics",
        permission: "system:analytics_read",
        query: PerformanceQuerySchema,
        responses: { 200: { description: "Metrics", schema: PerformanceMetricsSchema } },
      },
      async ({ query, c }) => c.json(await performanceMetrics(deps.sql, query.hours)),
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/analytics/bottlenecks",
        operationId: "getBottlenecks",
        summary: "The slowest steps and templates, task counts by state, and recommendations",
        tag: "analytics",
        permission: "system:analytics_read",
        query: BottleneckQuerySchema,
        responses: { 200: { description: "Bottlenecks", schema: BottlenecksSchema } },
      },
      async ({ query, c }) => c.json(await bottlenecks(deps.sql, query.limit, query.min_executions)),
    ),
  ];
}
