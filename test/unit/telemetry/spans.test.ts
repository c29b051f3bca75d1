import { describe, expect, test } from "bun:test";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { Hono } from "hono";
import { CONFIG_DEFAULTS } from "../../../src/config/index.ts";
import { createTelemetry } from "../../../src/telemetry/createTelemetry.ts";
import { createRequestTracing } from "../../../src/telemetry/requestTracing.ts";
import { contextFromHeaders, inSpan, traceHeaders } from "../../../src/telemetry/spans.ts";
import { disabledTelemetry } from "../../../src/telemetry/telemetry.ts";
import { parsePrometheus, sumOf } from "../../support/prometheus.ts";

const settings = { ...CONFIG_DEFAULTS.telemetry, enabled: true };

describe("spans", () => {
  test("with_tracing_off_no_span_and_no_attribute_is_built", async () => {
    let built = false;
    const value = await inSpan(disabledTelemetry(), "x", { attributes: () => ((built = true), {}) }, (span) => Promise.resolve(span));
    expect(value).toBeUndefined();
    expect(built).toBe(false);
    expect(traceHeaders(disabledTelemetry())).toBeNull();
  });

  test("headers_carry_the_active_span_to_a_child_in_another_process", async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = createTelemetry(settings, { spanExporter: exporter });
    const headers = await inSpan(telemetry, "parent", {}, () => Promise.resolve(traceHeaders(telemetry)));
    expect(headers?.["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await inSpan(telemetry, "child", { parent: contextFromHeaders(headers) }, () => Promise.resolve());
    await telemetry.forceFlush();
    const [parent, child] = ["parent", "child"].map((n) => exporter.getFinishedSpans().find((s) => s.name === n)!);
    expect(child!.spanContext().traceId).toBe(parent!.spanContext().traceId);
    expect(child!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    expect(contextFromHeaders({ traceparent: "garbage" })).toBeUndefined();
    await telemetry.shutdown();
  });

  test("a_thrown_error_marks_the_span_and_is_rethrown", async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = createTelemetry(settings, { spanExporter: exporter });
    expect(await inSpan(telemetry, "boom", {}, () => Promise.reject(new Error("nope"))).catch((e: unknown) => e)).toBeInstanceOf(Error);
    await telemetry.forceFlush();
    expect(exporter.getFinishedSpans()[0]?.status.code).toBe(2);
    await telemetry.shutdown();
  });
});

describe("request tracing middleware", () => {
  test("continues_the_callers_trace_names_the_span_by_route_and_counts_the_request", async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = createTelemetry(settings, { spanExporter: exporter });
    const app = new Hono();
    app.use("*", createRequestTracing(telemetry));
    app.post("/v1/tasks/:id", (c) => c.json({ headers: traceHeaders(telemetry) }, 201));
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const response = await app.request("/v1/tasks/42", { method: "POST", headers: { traceparent } });
    const body = (await response.json()) as { headers: Record<string, string> };
    expect(body.headers["traceparent"]).toContain("0af7651916cd43dd8448eb211c80319c");
    await telemetry.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe("POST /v1/tasks/:id");
    expect(span?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(span?.attributes["http.response.status_code"]).toBe(201);
    const metrics = parsePrometheus(await telemetry.renderPrometheus());
    expect(sumOf(metrics, "tasker_http_requests_total", { route: "/v1/tasks/:id", status: "201" })).toBe(1);
    await telemetry.shutdown();
  });
});
