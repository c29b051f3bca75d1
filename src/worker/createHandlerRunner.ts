import type { Logger } from "../telemetry/logger.ts";
import type { TaskerMetrics } from "../telemetry/taskerMetrics.ts";
import { createInlineRunner, type HandlerRunner } from "./handlerRunner.ts";
import { createHandlerThreadPool } from "./isolation/handlerThreadPool.ts";

export type HandlerIsolation = "thread" | "none";

export interface HandlerRunnerSettings {
  /** worker.handler_isolation */
  isolation: HandlerIsolation;
  /** worker.max_concurrent_steps: idle handler threads kept. */
  maxConcurrentSteps: number;
  /** worker.handler_max_memory_mb */
  maxMemoryMb: number;
  /** worker.handler_abort_grace_ms */
  abortGraceMs: number;
}

/** The runner worker.handler_isolation asks for. */
export function createHandlerRunner(settings: HandlerRunnerSettings, logger: Logger, metrics?: TaskerMetrics): HandlerRunner {
  if (settings.isolation === "none") return createInlineRunner();
  return createHandlerThreadPool({
    maxIdle: settings.maxConcurrentSteps,
    maxMemoryBytes: settings.maxMemoryMb * 1024 * 1024,
    abortGraceMs: settings.abortGraceMs,
    logger,
    ...(metrics ? { metrics } : {}),
  });
}
