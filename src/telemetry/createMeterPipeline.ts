import { OTLPMetricExporter as OTLPJsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OTLPProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import type { Resource } from "@opentelemetry/resources";
import { MeterProvider, MetricReader, PeriodicExportingMetricReader, type IMetricReader } from "@opentelemetry/sdk-metrics";
import type { TelemetrySettings } from "./telemetrySettings.ts";

/** A reader that collects only when asked: `/metrics` pulls through it (no extra port, no timer). */
class PullMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface MeterPipeline {
  provider: MeterProvider;
  /** Prometheus text exposition of every instrument of this provider. */
  renderPrometheus(): Promise<string>;
}

/**
 * One MeterProvider per process and the single source of every number: `/metrics` renders
 * it as Prometheus text through a pull reader, and when `metrics.otlp_export` is on (with
 * telemetry enabled) a periodic reader pushes the same instruments by OTLP.
 */
export function createMeterPipeline(settings: TelemetrySettings, resource: Resource): MeterPipeline {
  const pull = new PullMetricReader();
  const readers: IMetricReader[] = [pull];
  if (settings.enabled && settings.metrics.otlp_export) {
    const options = {
      url: `${settings.otlp.endpoint.replace(/\/+$/, "")}/v1/metrics`,
      timeoutMillis: settings.otlp.timeout_seconds * 1000,
    };
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: settings.otlp.protocol === "http/json" ? new OTLPJsonMetricExporter(options) : new OTLPProtoMetricExporter(options),
        exportIntervalMillis: settings.metrics.export_interval_seconds * 1000,
        exportTimeoutMillis: Math.min(settings.metrics.export_interval_seconds, settings.otlp.timeout_seconds) * 1000,
      }),
    );
  }
  const provider = new MeterProvider({ resource, readers });
  // No target_info / otel_scope_info series: /metrics shows only tasker_* families.
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  return {
    provider,
    async renderPrometheus() {
      const { resourceMetrics } = await pull.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}
