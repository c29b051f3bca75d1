import type { StepState, TaskState } from "./stateMachine.ts";

/** What `tasker.evaluate_task` (and the functions that call it) report. */
export interface TaskEvaluation {
  task_uuid: string;
  found: boolean;
  state?: TaskState;
  correlation_id?: string;
  namespace?: string;
  execution_status?: ExecutionStatus;
  next_retry_at?: string | null;
  /** Task transitions made, in order: [from, to, event]. */
  transitions?: Array<[TaskState, TaskState, string]>;
  enqueued?: EnqueuedStep[];
}

export type ExecutionStatus =
  | "blocked_by_failures"
  | "has_ready_steps"
  | "processing"
  | "all_complete"
  | "waiting_for_dependencies";

export interface EnqueuedStep {
  step_uuid: string;
  step_name: string;
  /** null for a step claimed by the completing worker at once (continuation). */
  msg_id: number | null;
  retry: boolean;
  attempt: number;
}

/** What `tasker.process_step_result` reports. */
export interface StepResultProcessing {
  found: boolean;
  step_uuid: string;
  task_uuid?: string;
  step_from?: StepState | null;
  step_to?: StepState | null;
  delay_ms?: number | null;
  attempts?: number;
  evaluation?: TaskEvaluation;
}

/** One step repaired by the reaper. */
export interface ReapedStep {
  step_uuid: string;
  task_uuid: string;
  reason: "timeout" | "worker_lost";
  worker_uuid: string | null;
  attempt: number;
  processed: StepResultProcessing;
}

export interface ReconciledStep {
  step_uuid: string;
  task_uuid: string;
  state: StepState;
  processed: StepResultProcessing;
}
