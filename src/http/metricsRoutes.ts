import { defineRoute, type ApiRoute } from "./apiRoute.ts";

/** `/metrics`: Prometheus text from the process's one OpenTelemetry meter; public, on every role. */
export function createMetricsRoutes(renderPrometheus: () => Promise<string>): ApiRoute[] {
  return [
    defineRoute(
      {
        method: "get",
        path: "/metrics",
        operationId: "metrics",
        summary: "Prometheus text exposition of every tasker metric",
        tag: "health",
        responses: { 200: { description: "Prometheus text format 0.0.4", contentType: "text/plain" } },
      },
      async ({ c }) =>
        c.text(await renderPrometheus(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
    ),
  ];
}
