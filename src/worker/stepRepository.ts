import type { Sql, TransactionSql } from "postgres";
import { instrumentSql } from "../telemetry/instrumentSql.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { StepResultProcessing, TaskEvaluation } from "../orchestration/taskEvaluation.ts";

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
    /** The template step it was made from (a batch worker's `batch_worker` step; else `name`). */
    template_step_name: string;
    attempt: number;
    max_attempts: number;
    retryable: boolean;
    inputs: Record<string, unknown>;
    timeout_seconds: number | null;
    /** The last checkpoint saved for this step (any attempt), or null. */
    checkpoint: StoredCheckpoint | null;
  };
  dependency_results: Record<string, unknown>;
}

/** `workflow_steps.checkpoint`, as tasker.save_checkpoint writes it. */
export interface StoredCheckpoint {
  cursor: unknown;
  items_processed: number | null;
  accumulated_results: unknown;
  timestamp: string;
  attempt: number;
  history: Array<{ cursor: unknown; items_processed: number | null; timestamp: string; attempt: number }>;
}

/** What a handler saves: where it is, how many items it did, what it has accumulated. */
export interface CheckpointInput {
  cursor: unknown;
  items_processed: number | null;
  accumulated_results: unknown;
}

export type SaveCheckpointOutcome =
  | { saved: true; checkpoint: StoredCheckpoint }
  | { saved: false; state: string | null; attempts?: number };

export interface NotClaimed {
  claimed: false;
  step_uuid: string;
  state: string | null;
  /** `wrong_queue`: the message came through another namespace's queue than `step_queue`. */
  refused?: "wrong_queue";
  step_queue?: string;
  /** A retry that arrived before it was due: its message is hidden until then. */
  retry_at?: string;
}

/** A claim by `claim_step`: a retry's claim also reports the task transitions it made. */
export type Claim = (ClaimedStep & { evaluation?: TaskEvaluation }) | NotClaimed;

/** A step `complete_step` claimed for the same worker in the completing transaction. */
export type ContinuedStep = ClaimedStep & {
  /** `continuation`: a child of the completed step; `backlog`: the oldest message of the queue. */
  source: "continuation" | "backlog";
  msg_id?: string;
  headers?: Record<string, unknown> | null;
  evaluation?: TaskEvaluation;
};

/** What `tasker.complete_step` answers. */
export type CompleteOutcome =
  | { accepted: false; state: string | null; attempts?: number }
  | {
      accepted: true;
      /** The state the result was recorded in: enqueued_for_orchestration or enqueued_as_error_for_orchestration. */
      state: "enqueued_for_orchestration" | "enqueued_as_error_for_orchestration";
      task_uuid: string;
      correlation_id: string;
      namespace: string;
      /** The final step state, the retry decision and what the task did, as process_step_result reports them. */
      processed: StepResultProcessing & { retry_at?: string | null };
      continued: ContinuedStep[];
      /** Messages the backlog continuation met but could not claim (already archived). */
      skipped?: Array<NotClaimed & { msg_id: string }>;
      /** Other steps were open: after the commit, finalize_tasks decides whether the task is complete. */
      finalize: boolean;
    };

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

/** One result for `complete` / `completeBatch`. */
export interface CompleteItem {
  claimed: ClaimedStep;
  result: StepExecutionResult;
  executionTimeMs: number;
  headers: Record<string, string> | null;
  /** 1 lets the completing call claim this worker's next step (continuation); 0 takes none. */
  take: number;
  /** Take a child that became ready before the queue's oldest message. */
  preferChildren: boolean;
}

/** A step message to claim: the step it names and its message id in the queue. */
export interface ClaimMessage {
  stepUuid: string;
  msgId: string;
}

/** Lease settings every claim needs. */
export interface LeaseSettings {
  defaultTimeoutSeconds: number;
  leaseGraceSeconds: number;
}

export function createStepRepository(sql: Sql, telemetry: Telemetry = disabledTelemetry()) {
  const json = (value: unknown) => sql.json(value as never);
  return {
    /**
     * Claims the steps of several messages of one queue in one transaction (tasker.claim_steps,
     * committed without waiting for its WAL flush: a claim lost with the server only means the
     * step runs again). Answers in the order of `messages`.
     */
    async claimBatch(
      messages: readonly ClaimMessage[],
      workerUuid: string,
      queue: string,
      lease: LeaseSettings,
    ): Promise<Claim[]> {
      const [row] = await instrumentSql(telemetry, { operation: "tasker.claim_steps", transaction: true }, () => sql<{ result: Claim[] }[]>`
        SELECT tasker.claim_steps(${workerUuid}::uuid, ${queue}::text, ${messages.map((m) => m.msgId)}::bigint[],
                                  ${messages.map((m) => m.stepUuid)}::uuid[], ${lease.defaultTimeoutSeconds}::int,
                                  ${lease.leaseGraceSeconds}::int) AS result`);
      return row!.result;
    },

    /**
     * Applies a result in one transaction (tasker.complete_step). `take` 1 lets the same call
     * claim the next step for this worker: a child that became ready when `preferChildren`, else
     * the oldest visible message of the step's queue. With `tx`, inside that transaction.
     */
    async complete(item: CompleteItem, workerUuid: string, lease: LeaseSettings, tx?: TransactionSql): Promise<CompleteOutcome> {
      const { claimed } = item;
      const db = tx ?? sql;
      const [row] = await instrumentSql(telemetry, { operation: "tasker.complete_step", transaction: true }, () => db<{ result: CompleteOutcome }[]>`
        SELECT tasker.complete_step(${claimed.step.step_uuid}::uuid, ${workerUuid}::uuid, ${claimed.step.attempt}::int,
                                    ${json(item.result)}::jsonb, ${Math.round(item.executionTimeMs)}::bigint,
                                    ${item.headers ? json(item.headers) : null}::jsonb, ${item.take}::int,
                                    ${item.preferChildren}::boolean, ${lease.defaultTimeoutSeconds}::int,
                                    ${lease.leaseGraceSeconds}::int) AS result`);
      return row!.result;
    },

    /** Several results in one transaction (tasker.complete_steps); answers in the order of `items`. */
    async completeBatch(items: readonly CompleteItem[], workerUuid: string, lease: LeaseSettings): Promise<CompleteOutcome[]> {
      const payload = items.map((item) => ({
        step_uuid: item.claimed.step.step_uuid,
        attempt: item.claimed.step.attempt,
        results: item.result,
        execution_time_ms: Math.round(item.executionTimeMs),
        headers: item.headers,
        take: item.take,
        prefer_children: item.preferChildren,
      }));
      const [row] = await instrumentSql(telemetry, { operation: "tasker.complete_steps", transaction: true }, () => sql<{ result: CompleteOutcome[] }[]>`
        SELECT tasker.complete_steps(${workerUuid}::uuid, ${json(payload)}::jsonb, ${lease.defaultTimeoutSeconds}::int,
                                     ${lease.leaseGraceSeconds}::int) AS result`);
      return row!.result;
    },

    /** Saves a checkpoint for the attempt this worker holds and renews its lease (tasker.save_checkpoint). */
    async saveCheckpoint(
      claimed: ClaimedStep,
      checkpoint: CheckpointInput,
      workerUuid: string,
      lease: LeaseSettings,
    ): Promise<SaveCheckpointOutcome> {
      const [row] = await instrumentSql(telemetry, { operation: "tasker.save_checkpoint", transaction: true }, () => sql<{ result: SaveCheckpointOutcome }[]>`
        SELECT tasker.save_checkpoint(${claimed.step.step_uuid}::uuid, ${workerUuid}::uuid, ${claimed.step.attempt}::int,
                                      ${json(checkpoint)}::jsonb, ${lease.defaultTimeoutSeconds}::int,
                                      ${lease.leaseGraceSeconds}::int) AS result`);
      return row!.result;
    },

    /** Completes the tasks whose last steps finished concurrently (complete_step's `finalize`). */
    async finalizeTasks(taskUuids: readonly string[], processorUuid: string): Promise<TaskEvaluation[]> {
      const [row] = await instrumentSql(telemetry, { operation: "tasker.finalize_tasks", transaction: true }, () => sql<{ result: TaskEvaluation[] }[]>`
        SELECT tasker.finalize_tasks(${[...taskUuids]}::uuid[], ${processorUuid}::uuid) AS result`);
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
