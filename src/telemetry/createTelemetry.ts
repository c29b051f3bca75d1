import { resourceFromAttributes } from "@opentelemetry/resources";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { createMeterPipeline } from "./createMeterPipeline.ts";
import { createTracerProvider } from "./createTracerProvider.ts";
import { createTaskerMetrics } from "./taskerMetrics.ts";
import { disabledTelemetry, type Telemetry } from "./telemetry.ts";
import type { TelemetrySettings } from "./telemetrySettings.ts";

export interface TelemetryOptions {
  /** Resource attributes beside service.name/version, e.g. the role and process id. */
  attributes?: Record<string, string>;
  /** Replaces the OTLP span exporter (tests). */
  spanExporter?: SpanExporter;
}

/**
 * Builds the process's telemetry from `[telemetry]`: metrics (Prometheus text, optional
 * OTLP push) when `metrics.enabled`, tracing (OTLP/HTTP batch export) when `enabled`.
 * With both off it is `disabledTelemetry()`.
 */
export function createTelemetry(settings: TelemetrySettings, options: TelemetryOptions = {}): Telemetry {
  if (!settings.enabled && !settings.metrics.enabled) return disabledTelemetry();
  const resource = resourceFromAttributes({
    "service.name": settings.service_name,
    "service.version": settings.service_version,
    ...options.attributes,
  });
  const disabled = disabledTelemetry();
  const meters = settings.metrics.enabled ? createMeterPipeline(settings, resource) : undefined;
  const meter = meters ? meters.provider.getMeter("tasker", settings.service_version) : disabled.meter;
  const tracerProvider = settings.enabled ? createTracerProvider(settings, resource, options.spanExporter) : undefined;
  return {
    metrics: meters ? createTaskerMetrics(meter) : disabled.metrics,
    meter,
    tracer: tracerProvider?.getTracer("tasker", settings.service_version),
    renderPrometheus: () => (meters ? meters.renderPrometheus() : Promise.resolve("")),
    async forceFlush() {
      await Promise.all([tracerProvider?.forceFlush(), meters?.provider.forceFlush()]);
    },
    async shutdown() {
      await Promise.allSettled([tracerProvider?.shutdown(), meters?.provider.shutdown()]);
    },
  };
}
