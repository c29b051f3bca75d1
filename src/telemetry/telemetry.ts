import { createNoopMeter, type Meter, type Tracer } from "@opentelemetry/api";
import { createTaskerMetrics, type TaskerMetrics } from "./taskerMetrics.ts";

/**
 * What the engine's parts receive: the metric instruments (always usable: a no-op meter when
 * metrics are off), and a tracer only when tracing is on. Code on the hot path checks
 * `tracer` (through `inSpan`) before building any span or attribute.
 */
export interface Telemetry {
  readonly metrics: TaskerMetrics;
  /** The meter the instruments come from; parts register their observable gauges on it. */
  readonly meter: Meter;
  /** undefined when tracing is off. */
  readonly tracer: Tracer | undefined;
  /** Prometheus text of every metric of this process (empty when metrics are off). */
  renderPrometheus(): Promise<string>;
  /** Exports what is buffered (spans, metrics). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Telemetry that records nothing: the default for library callers and most tests. */
export function disabledTelemetry(): Telemetry {
  const meter = createNoopMeter();
  return {
    metrics: createTaskerMetrics(meter),
    meter,
    tracer: undefined,
    renderPrometheus: () => Promise.resolve(""),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}
