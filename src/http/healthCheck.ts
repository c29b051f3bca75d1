export type HealthStatus = "healthy" | "degraded" | "unhealthy";

export interface HealthCheckResult {
  status: HealthStatus;
  message?: string;
  duration_ms: number;
}

/** A named readiness check; `/health/ready` is 503 while any is unhealthy. */
export interface HealthCheck {
  name: string;
  run(signal: AbortSignal): Promise<HealthCheckResult>;
}

/** Runs a probe with a deadline; a throw or timeout is `unhealthy`. */
export async function timedCheck(
  probe: (signal: AbortSignal) => Promise<void>,
  timeoutMs: number,
): Promise<HealthCheckResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await Promise.race([
      probe(signal),
      new Promise<never>((_, reject) => {
        signal.addEventListener("abort", () => reject(new Error(`no answer within ${timeoutMs} ms`)), { once: true });
      }),
    ]);
    return { status: "healthy", duration_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: "unhealthy",
      message: error instanceof Error ? error.message : String(error),
      duration_ms: Math.round(performance.now() - started),
    };
  }
}
