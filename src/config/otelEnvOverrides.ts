import type { ConfigIssue } from "../lib/errors.ts";
import type { ConfigAssignment, ConfigLayer } from "./configAssignment.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** OTEL_TRACES_SAMPLER values this engine maps onto telemetry.sampling.strategy. */
const SAMPLERS: Readonly<Record<string, string>> = {
  parentbased_always_on: "parent_based_always_on",
  always_on: "parent_based_always_on",
  traceidratio: "trace_id_ratio",
  parentbased_traceidratio: "trace_id_ratio",
};

/** An OTEL_* variable, the key it sets and how its text becomes the value (undefined: not convertible). */
const VARIABLES: ReadonlyArray<[string, string, (raw: string) => unknown]> = [
  ["OTEL_SERVICE_NAME", "telemetry.service_name", (raw) => raw],
  ["OTEL_EXPORTER_OTLP_ENDPOINT", "telemetry.otlp.endpoint", (raw) => raw.replace(/\/+$/, "")],
  ["OTEL_EXPORTER_OTLP_PROTOCOL", "telemetry.otlp.protocol", (raw) => raw],
  ["OTEL_EXPORTER_OTLP_TIMEOUT", "telemetry.otlp.timeout_seconds", (raw) => msToSeconds(raw)],
  ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "telemetry.otlp.batch_size_limit", (raw) => number(raw)],
  ["OTEL_TRACES_SAMPLER", "telemetry.sampling.strategy", (raw) => SAMPLERS[raw.trim().toLowerCase()] ?? raw],
  ["OTEL_TRACES_SAMPLER_ARG", "telemetry.sampling.ratio", (raw) => number(raw)],
  ["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "telemetry.spans.max_attributes", (raw) => number(raw)],
  ["OTEL_SPAN_EVENT_COUNT_LIMIT", "telemetry.spans.max_events", (raw) => number(raw)],
  ["OTEL_SPAN_LINK_COUNT_LIMIT", "telemetry.spans.max_links", (raw) => number(raw)],
  ["OTEL_METRIC_EXPORT_INTERVAL", "telemetry.metrics.export_interval_seconds", (raw) => msToSeconds(raw)],
];

function number(raw: string): unknown {
  const trimmed = raw.trim();
  const value = Number(trimmed);
  return trimmed === "" || Number.isNaN(value) ? raw : value;
}

function msToSeconds(raw: string): unknown {
  const ms = number(raw);
  return typeof ms === "number" ? Math.max(1, Math.round(ms / 1000)) : raw;
}

/**
 * The standard OpenTelemetry variables as config values. They apply after the TOML files
 * and before `TASKER_TELEMETRY__…` (which wins). Setting OTEL_EXPORTER_OTLP_ENDPOINT turns
 * telemetry on; OTEL_SDK_DISABLED=true turns it off. The schema validates the results, so a
 * bad value is reported with the variable's name as its source.
 */
export function readOtelEnvOverrides(env: Env): ConfigLayer {
  const assignments: ConfigAssignment[] = [];
  const issues: ConfigIssue[] = [];
  for (const [name, key, convert] of VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    assignments.push({ key, value: convert(raw), source: `env ${name}` });
  }
  if (env["OTEL_EXPORTER_OTLP_ENDPOINT"]) {
    assignments.push({ key: "telemetry.enabled", value: true, source: "env OTEL_EXPORTER_OTLP_ENDPOINT" });
  }
  const disabled = env["OTEL_SDK_DISABLED"];
  if (disabled !== undefined && disabled !== "") {
    const value = disabled.trim().toLowerCase();
    if (value === "true") assignments.push({ key: "telemetry.enabled", value: false, source: "env OTEL_SDK_DISABLED" });
    else if (value !== "false") {
      issues.push({ key: "telemetry.enabled", value: disabled, source: "env OTEL_SDK_DISABLED", message: "must be true or false" });
    }
  }
  return { assignments, issues };
}
