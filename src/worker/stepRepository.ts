import type { Sql } from "postgres";
import { instrumentSql } from "../telemetry/instrumentSql.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";

/** Everything a handler needs, returned by `tasker.claim_step` in the claiming transaction. */
export interface ClaimedStep {
  claimed: true;
  task: {
    task_uuid: string;
    namespace: string;
    name: string;
    version: string;
    context: Record<string, unknown>;
    correlation_id: string;
    parent_correlation_id: string | null;
    trace_context: Record<string, string> | null;
    priority: number;
    tags: string[];
  };
  step: {
    step_uuid: string;
    name: string;
    attempt: number;
    max_attempts: number;
    retryable: boolean;
    inputs: Record<string, unknown>;
    timeout_seconds: number | null;
  };
  dependency_results: Record<string, unknown>;
}

export interface NotClaimed {
  claimed: false;
  step_uuid: string;
  state: string | null;
  /** `wrong_queue`: the message came through another namespace's queue than `step_queue`. */
  refused?: "wrong_queue";
  step_queue?: string;
}

export interface SubmitOutcome {
  accepted: boolean;
  state: string | null;
  msg_id?: number;
  attempts?: number;
}

/** The StepExecutionResult stored in workflow_steps.results (tasker-core 1.4 / 6.3). */
export interface StepExecutionResult {
  step_uuid: string;
  success: boolean;
  status: "completed" | "failed" | "error";
  result: unknown;
  metadata: {
    execution_time_ms: number;
    started_at: string;
    completed_at: string;
    worker_id: string;
    worker_hostname: string;
    correlation_id: string;
    attempt: number;
    retryable: boolean;
    error_type?: string;
    error_code?: string;
    custom?: Record<string, unknown>;
    /** The W3C traceparent of the handler's span (tracing on): later fan-in steps link to it. */
    traceparent?: string;
  };
  error: {
    message: string;
    error_type: string;
    retryable: boolean;
    retry_after_seconds?: number;
    backtrace?: string;
  } | null;
}

export function createStepRepository(sql: Sql, telemetry: Telemetry = disabledTelemetry()) {
  const json = (value: unknown) => sql.json(value as never);
  return {
    async claim(
      stepUuid: string,
      workerUuid: string,
      queue: string,
      msgId: string | null,
      defaultTimeoutSeconds: number,
      leaseGraceSeconds: number,
    ): Promise<ClaimedStep | NotClaimed> {
      const [row] = await instrumentSql(telemetry, { operation: "tasker.claim_step", transaction: true }, () => sql<{ result: ClaimedStep | NotClaimed }[]>`
        SELECT tasker.claim_step(${stepUuid}::uuid, ${workerUuid}::uuid, ${queue}::text, ${msgId}::bigint,
                                 ${defaultTimeoutSeconds}::int, ${leaseGraceSeconds}::int) AS result`);
      return row!.result;
    },

    async submit(
      stepUuid: string,
      workerUuid: string,
      attempt: number,
      result: StepExecutionResult,
      executionTimeMs: number,
      headers: Record<string, string> | null,
    ): Promise<SubmitOutcome> {
      const [row] = await instrumentSql(telemetry, { operation: "tasker.submit_step_result", transaction: true }, () => sql<{ result: SubmitOutcome }[]>`
        SELECT tasker.submit_step_result(${stepUuid}::uuid, ${workerUuid}::uuid, ${attempt}::int,
                                         ${json(result)}::jsonb, ${Math.round(executionTimeMs)}::bigint,
                                         ${headers ? json(headers) : null}::jsonb) AS result`);
      return row!.result;
    },

    /** The traceparent each direct parent step's handler ran under (fan-in span links); tracing only. */
    async parentTraceContexts(stepUuid: string): Promise<Array<{ step_name: string; traceparent: string }>> {
      return instrumentSql(telemetry, { operation: "select_parent_trace_contexts" }, () => sql<{ step_name: string; traceparent: string }[]>`
        SELECT ns.name AS step_name, ws.results #>> '{metadata,traceparent}' AS traceparent
          FROM tasker.workflow_step_edges e
          JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = e.from_step_uuid
          JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
         WHERE e.to_step_uuid = ${stepUuid}::uuid AND ws.results #>> '{metadata,traceparent}' IS NOT NULL`);
    },
  };
}

export type StepRepository = ReturnType<typeof createStepRepository>;
