import * as v from "valibot";
import { defineRoute, type ApiRoute } from "./apiRoute.ts";
import type { HealthCheck, HealthCheckResult } from "./healthCheck.ts";

export interface HealthRoutesDeps {
  /** `running` when the role finished starting and is not draining. */
  lifecycleState: () => string;
  checks: readonly HealthCheck[];
  info: () => Record<string, unknown>;
  /** Extra facts for `/health/detailed` (pool size, namespaces, queue depth...). */
  details?: () => Promise<Record<string, unknown>>;
}

const CheckSchema = v.object({
  status: v.picklist(["healthy", "degraded", "unhealthy"]),
  message: v.optional(v.string()),
  duration_ms: v.number(),
});
const HealthSchema = v.looseObject({ status: v.string(), timestamp: v.string() });
const ReadySchema = v.looseObject({
  status: v.picklist(["ready", "not_ready"]),
  timestamp: v.string(),
  checks: v.record(v.string(), CheckSchema),
});

/** Every check of the role, plus `lifecycle` (unhealthy unless running). */
export async function runChecks(deps: HealthRoutesDeps): Promise<Record<string, HealthCheckResult>> {
  const state = deps.lifecycleState();
  const signal = AbortSignal.timeout(5000);
  const results = await Promise.all(deps.checks.map(async (c) => [c.name, await c.run(signal)] as const));
  const lifecycle: HealthCheckResult =
    state === "running" ? { status: "healthy", duration_ms: 0 } : { status: "unhealthy", message: `process is ${state}`, duration_ms: 0 };
  return { lifecycle, ...Object.fromEntries(results) };
}

/** `/health`, `/health/live`, `/health/ready`, `/health/detailed`: public, unauthenticated. */
export function createHealthRoutes(deps: HealthRoutesDeps): ApiRoute[] {
  const now = (): string => new Date().toISOString();
  const spec = (path: string, operationId: string, summary: string) =>
    ({ method: "get", path, operationId, summary, tag: "health" }) as const;
  return [
    defineRoute(
      { ...spec("/health", "health", "Always 200 while the process serves HTTP"), responses: { 200: { description: "Healthy", schema: HealthSchema } } },
      ({ c }) => c.json({ status: "healthy", timestamp: now(), ...deps.info() }),
    ),
    defineRoute(
      { ...spec("/health/live", "healthLive", "Liveness"), responses: { 200: { description: "Alive", schema: HealthSchema } } },
      ({ c }) => c.json({ status: "alive", timestamp: now(), ...deps.info() }),
    ),
    defineRoute(
      {
        ...spec("/health/ready", "healthReady", "Readiness: the role is running and the database answers"),
        responses: {
          200: { description: "Ready", schema: ReadySchema },
          503: { description: "Not ready: SERVICE_UNAVAILABLE envelope plus the checks", schema: v.looseObject({ error: v.object({ code: v.string(), message: v.string() }), checks: v.record(v.string(), CheckSchema) }) },
        },
      },
      async ({ c }) => {
        const checks = await runChecks(deps);
        const failing = Object.entries(checks).filter(([, r]) => r.status === "unhealthy").map(([name]) => name);
        if (failing.length === 0) return c.json({ status: "ready", timestamp: now(), checks, info: deps.info() });
        return c.json(
          {
            error: { code: "SERVICE_UNAVAILABLE", message: `Service temporarily unavailable: ${failing.join(", ")} not ready` },
            status: "not_ready",
            timestamp: now(),
            checks,
            info: deps.info(),
          },
          503,
        );
      },
    ),
    defineRoute(
      {
        ...spec("/health/detailed", "healthDetailed", "Every check and the process's facts; degraded instead of 503"),
        responses: { 200: { description: "healthy or degraded", schema: ReadySchema } },
      },
      async ({ c }) => {
        const checks = await runChecks(deps);
        const healthy = Object.values(checks).every((r) => r.status === "healthy");
        const details = deps.details ? await deps.details() : {};
        return c.json({
          status: healthy ? "healthy" : "degraded",
          timestamp: now(),
          checks,
          info: { ...deps.info(), operational_state: deps.lifecycleState(), ...details },
        });
      },
    ),
  ];
}
