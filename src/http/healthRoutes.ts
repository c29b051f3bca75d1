import { Hono } from "hono";
import type { HealthCheck, HealthCheckResult } from "./healthCheck.ts";

export interface HealthRoutesDeps {
  /** `running` when the role finished starting and is not draining. */
  lifecycleState: () => string;
  checks: readonly HealthCheck[];
  info: () => Record<string, unknown>;
}

async function runChecks(checks: readonly HealthCheck[]): Promise<Record<string, HealthCheckResult>> {
  const signal = AbortSignal.timeout(5000);
  const results = await Promise.all(checks.map(async (c) => [c.name, await c.run(signal)] as const));
  return Object.fromEntries(results);
}

/** `/health`, `/health/live`, `/health/ready`: public, unauthenticated, cheap. */
export function createHealthRoutes(deps: HealthRoutesDeps): Hono {
  const app = new Hono();
  const now = (): string => new Date().toISOString();

  app.get("/health", (c) => c.json({ status: "healthy", timestamp: now(), ...deps.info() }));
  app.get("/health/live", (c) => c.json({ status: "alive", timestamp: now(), ...deps.info() }));
  app.get("/health/ready", async (c) => {
    const state = deps.lifecycleState();
    const checks = await runChecks(deps.checks);
    const lifecycle: HealthCheckResult =
      state === "running"
        ? { status: "healthy", duration_ms: 0 }
        : { status: "unhealthy", message: `process is ${state}`, duration_ms: 0 };
    const all = { lifecycle, ...checks };
    const ready = Object.values(all).every((r) => r.status !== "unhealthy");
    return c.json(
      { status: ready ? "ready" : "not_ready", timestamp: now(), checks: all, info: deps.info() },
      ready ? 200 : 503,
    );
  });
  return app;
}
