import * as v from "valibot";
import { STEP_STATES } from "../../orchestration/stateMachine.ts";
import { nullableTimestamp, timestamp, uuid } from "./commonSchemas.ts";

export const StepResponseSchema = v.object({
  step_uuid: uuid("step"),
  task_uuid: uuid("task"),
  name: v.string(),
  created_at: timestamp,
  updated_at: timestamp,
  completed_at: v.pipe(nullableTimestamp, v.description("When the step was processed")),
  results: v.pipe(v.unknown(), v.description("The stored StepExecutionResult, or null")),
  current_state: v.picklist(STEP_STATES),
  dependencies_satisfied: v.boolean(),
  retry_eligible: v.boolean(),
  ready_for_execution: v.boolean(),
  total_parents: v.number(),
  completed_parents: v.number(),
  attempts: v.number(),
  max_attempts: v.number(),
  retryable: v.boolean(),
  last_failure_at: nullableTimestamp,
  next_retry_at: nullableTimestamp,
  last_attempted_at: nullableTimestamp,
});

export const StepAuditResponseSchema = v.object({
  audit_uuid: uuid("audit record"),
  workflow_step_uuid: uuid("step"),
  transition_uuid: uuid("transition"),
  task_uuid: uuid("task"),
  step_name: v.string(),
  recorded_at: timestamp,
  worker_uuid: v.nullable(v.string()),
  correlation_id: v.nullable(v.string()),
  attempt: v.number(),
  success: v.boolean(),
  execution_time_ms: v.nullable(v.number()),
  from_state: v.nullable(v.string()),
  to_state: v.string(),
  result: v.unknown(),
});

export const StepExplanationSchema = v.looseObject({
  step_uuid: uuid("step"),
  task_uuid: uuid("task"),
  name: v.string(),
  state: v.string(),
  task_state: v.string(),
  running: v.boolean(),
  reasons: v.array(v.looseObject({ code: v.string(), message: v.string() })),
});
