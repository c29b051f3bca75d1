import type { BatchObservableResult } from "@opentelemetry/api";
import type { Sql } from "postgres";
import { toError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";

/**
 * `tasker_tasks_active{state}` and `tasker_steps_ready`, read from the database when
 * metrics are collected (a scrape of /metrics or an OTLP push), never on the hot path.
 * Both use partial indexes (tasks_open_state_idx, workflow_steps_ready_idx). Returns
 * the unregister function.
 */
export function registerOrchestrationGauges(sql: Sql, telemetry: Telemetry, logger: Logger): () => void {
  const { tasksActive, stepsReady } = telemetry.metrics;
  const observe = async (result: BatchObservableResult): Promise<void> => {
    try {
      const states = await sql<{ state: string; count: number }[]>`
        SELECT state, count(*)::int AS count FROM tasker.tasks
         WHERE state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually')
         GROUP BY state`;
      for (const state of ["pending", "initializing", "enqueuing_steps", "steps_in_process", "evaluating_results",
        "waiting_for_dependencies", "waiting_for_retry", "blocked_by_failures"]) {
        result.observe(tasksActive, states.find((s) => s.state === state)?.count ?? 0, { state });
      }
      const [ready] = await sql<{ count: number }[]>`
        SELECT count(*)::int AS count FROM tasker.workflow_steps ws
         WHERE ws.state IN ('pending', 'waiting_for_retry') AND ws.remaining_dependencies = 0
           AND tasker.step_is_ready(ws.state, ws.remaining_dependencies, ws.attempts, ws.max_attempts,
                                    ws.retryable, ws.next_retry_at)`;
      result.observe(stepsReady, ready?.count ?? 0);
    } catch (error) {
      logger.debug("orchestration gauges could not be read", { error: toError(error).message });
    }
  };
  telemetry.meter.addBatchObservableCallback(observe, [tasksActive, stepsReady]);
  return () => telemetry.meter.removeBatchObservableCallback(observe, [tasksActive, stepsReady]);
}
