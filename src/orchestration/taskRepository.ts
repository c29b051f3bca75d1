import type { Sql } from "postgres";
import { instrumentSql } from "../telemetry/instrumentSql.ts";
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
}

export interface ReadyTaskCandidate {
  task_uuid: string;
  state: string;
  priority: number;
  computed_priority: string;
}

type Headers = Record<string, string> | null;

/**
 * The orchestration's SQL: each call is one transaction inside one plpgsql
 * function (see migrations 0007-0010), so every state change is atomic with the
 * enqueue or acknowledgement that belongs to it.
 */
export function createTaskRepository(sql: Sql, telemetry: Telemetry = disabledTelemetry()) {
  const json = (value: unknown) => sql.json(value as never);
  const tx = (operation: string) => ({ operation, transaction: true });
  return {
    async createTask(row: NewTaskRow, processorUuid: string, headers: Headers): Promise<TaskEvaluation & { total_steps: number }> {
      const [result] = await instrumentSql(telemetry, tx("tasker.create_task"), () => sql<{ result: TaskEvaluation & { total_steps: number } }[]>`
        SELECT tasker.create_task(${json(row)}::jsonb, ${processorUuid}::uuid, ${headers ? json(headers) : null}::jsonb) AS result`);
      return result!.result;
    },

    async evaluateTask(taskUuid: string, processorUuid: string, headers: Headers): Promise<TaskEvaluation> {
      const [result] = await instrumentSql(telemetry, tx("tasker.evaluate_task"), () => sql<{ result: TaskEvaluation }[]>`
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
      const [result] = await instrumentSql(telemetry, tx("tasker.process_step_result"), () => sql<{ result: StepResultProcessing }[]>`
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
      const [row] = await instrumentSql(telemetry, tx("tasker.reap_step_claims"), () => sql<{ result: ReapedStep[] }[]>`
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
      const [row] = await instrumentSql(telemetry, tx("tasker.sweep_finished_tasks"), () => sql<
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
      const [row] = await instrumentSql(telemetry, tx("tasker.reconcile_step_results"), () => sql<{ result: ReconciledStep[] }[]>`
        SELECT tasker.reconcile_step_results(${processorUuid}::uuid, ${olderThanSeconds}::int,
                                             ${deadAfterSeconds}::int, ${limit}::int) AS result`);
      return row!.result;
    },
  };
}

export type TaskRepository = ReturnType<typeof createTaskRepository>;
