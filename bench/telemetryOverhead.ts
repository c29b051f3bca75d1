/**
 * Tracing overhead: the end-to-end runs with telemetry on and off. Telemetry is switched
 * with `TASKER_TELEMETRY__ENABLED`; whether this binary knows that key is asked of the
 * binary itself (`tasker config check`), so the bench skips with a note instead of
 * failing on a binary without it. With telemetry on, spans and metrics are exported by
 * OTLP/HTTP to a sink in the bench process that answers 200 and counts what it got, so
 * the figure includes recording and exporting, not a collector's speed.
 */
import { runTasker } from "../test/support/binary.ts";
import { freePort } from "../test/support/ports.ts";

export async function telemetrySupport(): Promise<{ supported: true } | { supported: false; note: string }> {
  const env = process.env["TASKER_CONFIG_ROOT"] ? { TASKER_CONFIG_ROOT: process.env["TASKER_CONFIG_ROOT"] } : {};
  const baseline = await runTasker(["config", "check"], { env });
  if (baseline.code !== 0) {
    return { supported: false, note: `\`tasker config check\` fails even without telemetry: ${lastLine(baseline.stderr || baseline.stdout)}` };
  }
  const on = await runTasker(["config", "check"], { env: { ...env, TASKER_TELEMETRY__ENABLED: "true" } });
  if (on.code !== 0) {
    return { supported: false, note: `this binary does not accept TASKER_TELEMETRY__ENABLED yet (${lastLine(on.stderr || on.stdout)}); skipped` };
  }
  return { supported: true };
}

export interface OtlpSink {
  /** Environment that turns telemetry on and points its exporter at the sink. */
  env: Record<string, string>;
  /** Requests received per path (/v1/traces, /v1/metrics) and their bytes. */
  received(): Record<string, { requests: number; bytes: number }>;
  stop(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const port = await freePort();
  const counts: Record<string, { requests: number; bytes: number }> = {};
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const body = await request.arrayBuffer();
      const c = (counts[path] ??= { requests: 0, bytes: 0 });
      c.requests += 1;
      c.bytes += body.byteLength;
      return new Response(null, { status: 200 });
    },
  });
  return {
    env: { TASKER_TELEMETRY__ENABLED: "true", TASKER_TELEMETRY__OTLP__ENDPOINT: `http://127.0.0.1:${port}` },
    received: () => structuredClone(counts),
    stop: () => server.stop(true),
  };
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter((l) => l.trim()).slice(-1)[0]?.trim().slice(0, 300) ?? "";
}
