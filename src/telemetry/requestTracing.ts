import { SpanKind } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { contextFromHeaders, inSpan } from "./spans.ts";
import { disabledTelemetry, type Telemetry } from "./telemetry.ts";

const UNTRACED = disabledTelemetry();

/**
 * Hono middleware for every request: the root span of the request's trace (a child of an
 * incoming W3C `traceparent`, else a new trace) active while the route runs, so a task created
 * by `POST /v1/tasks` joins it; and `tasker_http_requests_total` /
 * `tasker_http_request_duration_milliseconds` by method, route pattern and status.
 * Mount it first: `app.use("*", createRequestTracing(telemetry))`.
 */
export function createRequestTracing(telemetry: Telemetry): MiddlewareHandler {
  const { metrics } = telemetry;
  return async (c, next) => {
    const started = performance.now();
    const method = c.req.method;
    const path = new URL(c.req.url).pathname;
    // Probes and scrapes are counted but not traced: they would drown the traces of work.
    const traced = telemetry.tracer !== undefined && !path.startsWith("/health") && path !== "/metrics";
    const parent = traced
      ? contextFromHeaders({ traceparent: c.req.header("traceparent"), tracestate: c.req.header("tracestate") })
      : undefined;
    try {
      await inSpan(
        traced ? telemetry : UNTRACED,
        `${method} ${path}`,
        {
          kind: SpanKind.SERVER,
          ...(parent ? { parent } : {}),
          attributes: () => ({ "http.request.method": method, "url.path": path }),
        },
        async (span) => {
          await next();
          if (span) {
            const route = routePath(c, -1);
            span.updateName(`${method} ${route}`);
            span.setAttributes({ "http.route": route, "http.response.status_code": c.res.status });
            const correlationId = c.res.headers.get("x-correlation-id");
            if (correlationId) span.setAttribute("correlation_id", correlationId);
          }
        },
      );
    } finally {
      const labels = { method, route: routePath(c, -1), status: c.res.status };
      metrics.httpRequests.add(1, labels);
      metrics.httpRequestDuration.record(performance.now() - started, { method, route: labels.route });
    }
  };
}
