import type { Sql } from "postgres";
import { retryConflicts } from "../db/retryConflicts.ts";
import { TaskerError } from "../lib/errors.ts";

export interface CancelledTask {
  task_uuid: string;
  from_state: string;
  cancelled_steps: number;
  archived_messages: number;
  correlation_id: string;
  namespace: string;
  /** Each cancelled step and the state it left. */
  steps: Array<{ step_uuid: string; from_state: string }>;
}

/**
 * Cancels a task and its unfinished steps and archives their queued messages, in
 * one transaction (tasker.cancel_task). NOT_FOUND for an unknown task,
 * INVALID_STATE for one that already finished.
 */
export async function cancelTask(sql: Sql, taskUuid: string, processorUuid: string): Promise<CancelledTask> {
  // Locks the task, then its steps: a worker completing one of them holds them in the other order.
  const [row] = await retryConflicts(() => sql<{ result: { found: boolean; cancelled?: boolean; state?: string } & Partial<CancelledTask> }[]>`
    SELECT tasker.cancel_task(${taskUuid}::uuid, ${processorUuid}::uuid) AS result`);
  const result = row!.result;
  if (!result.found) throw new TaskerError("NOT_FOUND", `no task ${taskUuid}`);
  if (!result.cancelled) {
    throw new TaskerError("INVALID_STATE", `Cannot cancel a task in state ${result.state ?? "unknown"}`, {
      details: { state: result.state },
    });
  }
  return {
    task_uuid: taskUuid,
    from_state: result.from_state ?? "",
    cancelled_steps: result.cancelled_steps ?? 0,
    archived_messages: result.archived_messages ?? 0,
    correlation_id: result.correlation_id ?? "",
    namespace: result.namespace ?? "",
    steps: result.steps ?? [],
  };
}
