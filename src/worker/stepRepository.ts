import type { Sql } from "postgres";

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
  };
  error: {
    message: string;
    error_type: string;
    retryable: boolean;
    retry_after_seconds?: number;
    backtrace?: string;
  } | null;
}

export function createStepRepository(sql: Sql) {
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
      const [row] = await sql<{ result: ClaimedStep | NotClaimed }[]>`
        SELECT tasker.claim_step(${stepUuid}::uuid, ${workerUuid}::uuid, ${queue}::text, ${msgId}::bigint,
                                 ${defaultTimeoutSeconds}::int, ${leaseGraceSeconds}::int) AS result`;
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
      const [row] = await sql<{ result: SubmitOutcome }[]>`
        SELECT tasker.submit_step_result(${stepUuid}::uuid, ${workerUuid}::uuid, ${attempt}::int,
                                         ${json(result)}::jsonb, ${Math.round(executionTimeMs)}::bigint,
                                         ${headers ? json(headers) : null}::jsonb) AS result`;
      return row!.result;
    },
  };
}

export type StepRepository = ReturnType<typeof createStepRepository>;
