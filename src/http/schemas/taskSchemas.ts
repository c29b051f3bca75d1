import * as v from "valibot";
import { TASK_STATES } from "../../orchestration/stateMachine.ts";
import { name, namespaceName, nullableTimestamp, queryInt, queryTimestamp, timestamp, uuid } from "./commonSchemas.ts";

const nullableText = v.nullable(v.string());

export const TaskStepSchema = v.object({
  workflow_step_uuid: uuid("step"),
  name: v.string(),
  current_state: v.string(),
  attempts: v.number(),
  max_attempts: v.number(),
  retryable: v.boolean(),
  dependencies_satisfied: v.boolean(),
  total_parents: v.number(),
  completed_parents: v.number(),
  last_attempted_at: nullableTimestamp,
  next_retry_at: nullableTimestamp,
  processed_at: nullableTimestamp,
  results: v.unknown(),
  template_step_name: v.pipe(v.string(), v.description("The template step it was made from (a batch step's batch_worker template)")),
  created_by: v.pipe(nullableText, v.description("The decision or batchable step whose result created it; null when created with the task")),
  parents: v.array(v.object({ name: v.string(), edge: v.picklist(["provides", "batch_dependency", "worker_to_convergence"]) })),
  checkpoint: v.nullable(
    v.object({ cursor: v.unknown(), items_processed: v.nullable(v.number()), saved_at: timestamp, attempt: v.number() }),
  ),
});

export const AbsentStepSchema = v.object({
  name: v.string(),
  type: v.picklist(["standard", "decision", "deferred_convergence", "batchable", "batch_worker"]),
  code: v.picklist(["batch_template", "not_chosen", "awaiting_decision", "awaiting_batches", "dependencies_not_created"]),
  reason: v.string(),
});

const taskFields = {
  task_uuid: uuid("task"),
  name: v.string(),
  namespace: v.string(),
  version: v.string(),
  status: v.pipe(v.picklist(TASK_STATES), v.description("The task's current state")),
  created_at: timestamp,
  updated_at: timestamp,
  completed_at: nullableTimestamp,
  initiator: nullableText,
  source_system: nullableText,
  reason: nullableText,
  priority: v.number(),
  tags: v.array(v.string()),
  correlation_id: uuid("correlation id"),
  parent_correlation_id: v.nullable(uuid("parent correlation id")),
  total_steps: v.number(),
  pending_steps: v.number(),
  in_progress_steps: v.number(),
  completed_steps: v.number(),
  failed_steps: v.number(),
  ready_steps: v.number(),
  execution_status: v.picklist(["has_ready_steps", "processing", "blocked_by_failures", "all_complete", "waiting_for_dependencies"]),
  recommended_action: v.string(),
  completion_percentage: v.number(),
  health_status: v.string(),
};

export const TaskResponseSchema = v.object({
  ...taskFields,
  context: v.record(v.string(), v.unknown()),
  steps: v.array(TaskStepSchema),
  absent_steps: v.pipe(
    v.array(AbsentStepSchema),
    v.description("Template steps that are not steps of this task (decision branches not chosen, batch templates, ...), and why"),
  ),
});

export const TaskListQuerySchema = v.object({
  page: queryInt(1, 1_000_000, 1, "Page number"),
  per_page: queryInt(1, 100, 25, "Tasks per page"),
  namespace: v.optional(namespaceName("Only tasks of this namespace")),
  state: v.optional(v.pipe(v.picklist(TASK_STATES, `must be one of ${TASK_STATES.join(", ")}`), v.description("Only tasks in this state"))),
  status: v.optional(
    v.pipe(v.picklist(TASK_STATES, `must be one of ${TASK_STATES.join(", ")}`), v.description("Alias of state (tasker-core's name)")),
  ),
  initiator: v.optional(v.string()),
  source_system: v.optional(v.string()),
  name: v.optional(name("Only tasks of this template")),
  tag: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(255), v.description("Only tasks with this tag"))),
  created_after: v.optional(queryTimestamp("Only tasks created at or after this instant")),
  created_before: v.optional(queryTimestamp("Only tasks created before this instant")),
  uuid: v.optional(v.pipe(uuid("A task uuid or a correlation id"), v.description("Only the task with this task uuid or correlation id"))),
});

export const PaginationSchema = v.object({
  page: v.number(),
  per_page: v.number(),
  total_count: v.number(),
  total_pages: v.number(),
  has_next: v.boolean(),
  has_previous: v.boolean(),
});

export const TaskListResponseSchema = v.object({
  tasks: v.array(v.object({ ...taskFields, steps: v.pipe(v.array(TaskStepSchema), v.description("Always empty in lists")) })),
  pagination: PaginationSchema,
});

export const TaskSummaryResponseSchema = v.object({
  task: v.object({ ...taskFields }),
  template: v.object({ name: v.string(), namespace: v.string(), version: v.string(), description: nullableText }),
  steps: v.array(
    v.object({
      step_uuid: uuid("step"),
      name: v.string(),
      current_state: v.string(),
      created_at: timestamp,
      completed_at: nullableTimestamp,
      last_attempted_at: nullableTimestamp,
      attempts: v.number(),
      max_attempts: v.number(),
      dependencies_satisfied: v.boolean(),
      retry_eligible: v.boolean(),
      error: v.nullable(v.object({ error_type: nullableText, retryable: v.nullable(v.boolean()), message: nullableText })),
    }),
  ),
  dlq: v.object({ in_dlq: v.boolean(), dlq_reason: nullableText, resolution_status: nullableText }),
  links: v.object({ task: v.string(), steps: v.string(), dlq: v.string() }),
});

export const TaskEventsResponseSchema = v.object({
  task_uuid: uuid("task"),
  events: v.array(
    v.object({
      msg_id: v.number(),
      enqueued_at: timestamp,
      archived: v.pipe(v.boolean(), v.description("Read and archived by a consumer; false while still in the queue")),
      envelope: v.pipe(v.record(v.string(), v.unknown()), v.description("tasker-core's envelope: event_id, event_name, event_version, payload, metadata")),
    }),
  ),
});
