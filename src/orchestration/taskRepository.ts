import type { Sql } from "postgres";
import { retryConflicts } from "../db/retryConflicts.ts";
import { toError } from "../lib/errors.ts";
import { instrumentSql } from "../telemetry/instrumentSql.ts";
import type { Logger } from "../telemetry/logger.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { ReapedStep, ReconciledStep, StepResultProcessing, TaskEvaluation } from "./taskEvaluation.ts";

export interface NewTaskRow {
  task_uuid: string;
  named_task_uuid: string;
  identity_hash: string;
  idempotency_key: string | null;
  context: Record<string, unknown>;
  initiator: string | null;
  source_system: string | null;
  reason: string | null;
  tags: string[];
  priority: number;
  correlation_id: string;
  parent_correlation_id: string | null;
  trace_context: Record<string, string> | null;
  /** The template steps created with the task (the others wait for a decision or batch outcome). */
  initial_steps: readonly string[];
  /** A worker of this process takes the first root step at once (LocalSlot["take"], migration 0020). */
  take?: { worker_uuid: string; default_timeout_seconds: number; lease_grace_seconds: number };
}

export interface ReadyTaskCandidate {
  task_uuid: string;
  state: string;
  priority: number;
  computed_priority: string;
}

type Headers = Record<string, string> | null;

/** create_task's answer: the evaluation, the steps taken by `take`, and the notifications left for after the commit. */
type CreatedTaskRow = TaskEvaluation & { total_steps: number; claimed?: unknown[]; notifications?: Array<[string, string]> };

/**
 * The orchestration's SQL: each call is one transaction inside one plpgsql
 * function (see migrations 0007-0010), so every state change is atomic with the
 * enqueue or acknowledgement that belongs to it.
 */
export function createTaskRepository(sql: Sql, telemetry: Telemetry = disabledTelemetry(), logger?: Logger) {
  const json = (value: unknown) => sql.json(value as never);
  const tx = (operation: string) => ({ operation, transaction: true });
  /** A state-changing call, run again when PostgreSQL aborted it for a deadlock (db/retryConflicts.ts). */
  const transaction = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    retryConflicts(() => instrumentSql(telemetry, tx(operation), run));
  /** create_task calls of this process in flight. */
  let creating = 0;
  return {
    /**
     * create_task, one transaction. While other creations are in flight, the new messages'
     * notifications are sent after the commit (migration 0020, tasker.pgmq_notify): a NOTIFY in
     * the transaction would hold PostgreSQL's notification queue lock until the commit is
     * flushed, serializing the concurrent commits. A lone creation notifies in its transaction
     * (no extra round trip). A notification lost here is covered by the workers' polling.
     */
    async createTask(row: NewTaskRow, processorUuid: string, headers: Headers): Promise<TaskEvaluation & { total_steps: number; claimed: unknown[] }> {
      creating += 1;
      const request = creating > 1 ? { ...row, notify_after_commit: true } : row;
      let created: CreatedTaskRow;
      try {
        const [result] = await instrumentSql(telemetry, tx("tasker.create_task"), () => sql<{ result: CreatedTaskRow }[]>`
          SELECT tasker.create_task(${json(request)}::jsonb, ${processorUuid}::uuid, ${headers ? json(headers) : null}::jsonb) AS result`);
        created = result!.result;
      } finally {
        creating -= 1;
      }
      const { notifications, claimed = [], ...evaluation } = created;
      if (notifications && notifications.length > 0) {
        await instrumentSql(telemetry, { operation: "pg_notify" }, () => sql`
          SELECT pg_notify(n ->> 0, n ->> 1) FROM jsonb_array_elements(${json(notifications)}::jsonb) AS n`).catch((error: unknown) => {
          logger?.warn("new task's notifications not sent; workers find its steps by polling", { task_uuid: row.task_uuid, error: toError(error).message });
        });
      }
      return { ...evaluation, claimed };
    },

    async evaluateTask(taskUuid: string, processorUuid: string, headers: Headers): Promise<TaskEvaluation> {
      const [result] = await transaction("tasker.evaluate_task", () => sql<{ result: TaskEvaluation }[]>`
        SELECT tasker.evaluate_task(${taskUuid}::uuid, ${processorUuid}::uuid, ${headers ? json(headers) : null}::jsonb) AS result`);
      return result!.result;
    },

    /** The W3C context stored with the task at creation (the parent of its later spans). */
    async taskTraceContext(taskUuid: string): Promise<Record<string, string> | null> {
      const [row] = await instrumentSql(telemetry, { operation: "select_task_trace_context" }, () => sql<{ trace_context: Record<string, string> | null }[]>`
        SELECT trace_context FROM tasker.tasks WHERE task_uuid = ${taskUuid}::uuid`);
      return row?.trace_context ?? null;
    },

    async processStepResult(
      stepUuid: string,
      processorUuid: string,
      msgId: string | null,
      headers: Headers,
    ): Promise<StepResultProcessing> {
      const [result] = await transaction("tasker.process_step_result", () => sql<{ result: StepResultProcessing }[]>`
        SELECT tasker.process_step_result(${stepUuid}::uuid, ${processorUuid}::uuid, ${msgId}::bigint,
                                          ${headers ? json(headers) : null}::jsonb) AS result`);
      return result!.result;
    },

    async nextReadyTasks(limit: number): Promise<ReadyTaskCandidate[]> {
      return instrumentSql(telemetry, { operation: "tasker.next_ready_tasks" }, () => sql<ReadyTaskCandidate[]>`
        SELECT * FROM tasker.next_ready_tasks(${limit}::int)`);
    },

    /** `judgeSince`: heartbeats missed before this time (the judge could not see the database) do not count. */
    async reapStepClaims(processorUuid: string, deadAfterSeconds: number, limit: number, judgeSince: Date | null = null): Promise<ReapedStep[]> {
      const [row] = await transaction("tasker.reap_step_claims", () => sql<{ result: ReapedStep[] }[]>`
        SELECT tasker.reap_step_claims(${processorUuid}::uuid, ${deadAfterSeconds}::int, ${limit}::int,
                                       ${judgeSince}::timestamptz) AS result`);
      return row!.result;
    },

    /** One page of the sweep for tasks whose steps all finished but whose completion check was lost. */
    async sweepFinishedTasks(
      processorUuid: string,
      after: { entered: string | null; task: string | null },
      limit: number,
    ): Promise<{ evaluations: TaskEvaluation[]; after_entered: string | null; after_task: string | null }> {
      const [row] = await transaction("tasker.sweep_finished_tasks", () => sql<
        { result: { evaluations: TaskEvaluation[]; after_entered: string | null; after_task: string | null } }[]
      >`
        SELECT tasker.sweep_finished_tasks(${processorUuid}::uuid, ${after.entered}::timestamptz, ${after.task}::uuid,
                                           ${limit}::int) AS result`);
      return row!.result;
    },

    async reconcileStepResults(
      processorUuid: string,
      olderThanSeconds: number,
      deadAfterSeconds: number,
      limit: number,
    ): Promise<ReconciledStep[]> {
      const [row] = await transaction("tasker.reconcile_step_results", () => sql<{ result: ReconciledStep[] }[]>`
        SELECT tasker.reconcile_step_results(${processorUuid}::uuid, ${olderThanSeconds}::int,
                                             ${deadAfterSeconds}::int, ${limit}::int) AS result`);
      return row!.result;
    },
  };
}

export type TaskRepository = ReturnType<typeof createTaskRepository>;
