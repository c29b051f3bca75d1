import type { Sql } from "postgres";
import { retryConflicts } from "../../db/retryConflicts.ts";
import type { Logger } from "../../telemetry/logger.ts";

export interface StalenessSettings {
  dryRun: boolean;
  batchSize: number;
  waitingForDependenciesMinutes: number;
  waitingForRetryMinutes: number;
  stepsInProcessMinutes: number;
  taskMaxLifetimeHours: number;
  /** A running task with a step that checkpointed this recently is not stale. */
  checkpointStallMinutes: number;
}

export interface StaleTask {
  task_uuid: string;
  namespace: string;
  task_name: string;
  state: string;
  correlation_id: string;
  minutes_in_state: number;
  threshold_minutes: number | null;
  dlq_entry_uuid: string | null;
  moved_to_error: boolean;
  dry_run: boolean;
}

/**
 * One staleness detection run (tasker.detect_stale_tasks): each stale task moves to
 * error with one DLQ entry, in one transaction; every detection is logged.
 */
export async function detectStaleTasks(
  sql: Sql,
  settings: StalenessSettings,
  processId: string,
  logger: Logger,
): Promise<StaleTask[]> {
  const [row] = await retryConflicts(() => sql<{ result: StaleTask[] }[]>`
    SELECT tasker.detect_stale_tasks(${settings.dryRun}, ${settings.batchSize}::int,
      ${settings.waitingForDependenciesMinutes}::int, ${settings.waitingForRetryMinutes}::int,
      ${settings.stepsInProcessMinutes}::int, ${settings.taskMaxLifetimeHours}::int, ${processId}::uuid,
      ${settings.checkpointStallMinutes}::int) AS result`);
  const stale = row!.result;
  for (const task of stale) {
    logger.warn(task.dry_run ? "stale task detected (dry run)" : "stale task moved to error and the DLQ", {
      operation: "staleness_detection",
      correlation_id: task.correlation_id,
      task_uuid: task.task_uuid,
      namespace: task.namespace,
      task_name: task.task_name,
      state: task.state,
      minutes_in_state: task.minutes_in_state,
      threshold_minutes: task.threshold_minutes,
      dlq_entry_uuid: task.dlq_entry_uuid,
    });
  }
  return stale;
}
