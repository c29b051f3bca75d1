import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter as OTLPJsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import type { Resource } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import type { TelemetrySettings } from "./telemetrySettings.ts";

let contextManagerInstalled = false;

/**
 * Async context for spans: one AsyncLocalStorage context manager per process, installed
 * the first time tracing is enabled (several engines in one test process share it).
 */
export function installContextManager(): void {
  if (contextManagerInstalled) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerInstalled = true;
}

function createExporter(settings: TelemetrySettings): SpanExporter {
  const options = {
    url: `${settings.otlp.endpoint.replace(/\/+$/, "")}/v1/traces`,
    timeoutMillis: settings.otlp.timeout_seconds * 1000,
  };
  return settings.otlp.protocol === "http/json" ? new OTLPJsonTraceExporter(options) : new OTLPProtoTraceExporter(options);
}

/**
 * The SDK tracer provider: batch export by OTLP/HTTP, the configured sampler (both strategies
 * follow a sampled caller, so one trace stays whole across processes) and span limits.
 * `exporter` replaces OTLP (tests).
 */
export function createTracerProvider(settings: TelemetrySettings, resource: Resource, exporter?: SpanExporter): TracerProvider {
  installContextManager();
  const root = settings.sampling.strategy === "trace_id_ratio" ? new TraceIdRatioBasedSampler(settings.sampling.ratio) : new AlwaysOnSampler();
  return new TracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root }),
    spanLimits: {
      attributeCountLimit: settings.spans.max_attributes,
      eventCountLimit: settings.spans.max_events,
      linkCountLimit: settings.spans.max_links,
    },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: exporter ?? createExporter(settings),
        maxExportBatchSize: settings.otlp.batch_size_limit,
        maxQueueSize: Math.max(2048, settings.otlp.batch_size_limit * 4),
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: settings.otlp.timeout_seconds * 1000,
      }),
    ],
  });
}
