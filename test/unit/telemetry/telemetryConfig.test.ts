import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import { ConfigError } from "../../../src/lib/errors.ts";
import { readOtelEnvOverrides } from "../../../src/config/otelEnvOverrides.ts";
import { join } from "node:path";

const repoRoot = join(import.meta.dir, "../../..");

describe("telemetry configuration", () => {
  test("production_samples_one_trace_in_ten", async () => {
    const { config } = await loadConfig({ env: { TASKER_ENV: "production", DATABASE_URL: "postgres://db.example/tasker" }, cwd: repoRoot });
    expect(config.telemetry.sampling).toEqual({ strategy: "trace_id_ratio", ratio: 0.1 });
    expect(config.telemetry.enabled).toBe(false);
  });

  test("standard_otel_variables_override_files_and_tasker_variables_override_them", async () => {
    const { config, sources } = await loadConfig({
      env: {
        TASKER_ENV: "test",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_TIMEOUT: "5000",
        OTEL_SERVICE_NAME: "billing-tasker",
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
        OTEL_SPAN_LINK_COUNT_LIMIT: "16",
        TASKER_TELEMETRY__SERVICE_NAME: "wins",
      },
      cwd: repoRoot,
    });
    expect(config.telemetry.enabled).toBe(true);
    expect(config.telemetry.otlp).toMatchObject({ endpoint: "http://collector:4318", protocol: "http/json", timeout_seconds: 5 });
    expect(config.telemetry.sampling).toEqual({ strategy: "trace_id_ratio", ratio: 0.25 });
    expect(config.telemetry.spans.max_links).toBe(16);
    expect(config.telemetry.service_name).toBe("wins");
    expect(sources["telemetry.otlp.endpoint"]).toBe("env OTEL_EXPORTER_OTLP_ENDPOINT");
  });

  test("otel_sdk_disabled_turns_telemetry_off_even_with_an_endpoint", () => {
    const layer = readOtelEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" });
    expect(layer.assignments.filter((a) => a.key === "telemetry.enabled").at(-1)?.value).toBe(false);
  });

  test("a_bad_otel_value_is_a_startup_error_naming_the_variable", async () => {
    const error = await loadConfig({ env: { TASKER_ENV: "test", OTEL_TRACES_SAMPLER_ARG: "lots" }, cwd: repoRoot }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const issue = (error as ConfigError).issues.find((i) => i.key === "telemetry.sampling.ratio");
    expect(issue?.source).toBe("env OTEL_TRACES_SAMPLER_ARG");
  });
});
