/**
 * The lifecycle event names emitted for each committed state transition: the
 * state-transition names of tasker-core (§2.2/§2.4, the event-migration seed) and, where
 * one applies, the lifecycle event of the observability plan (task.initialized,
 * step.retry_scheduled, ...). Each name is emitted once per transition, in this order.
 */
const TERMINAL_TASK_EVENTS: Readonly<Record<string, string>> = {
  complete: "task.completed",
  error: "task.failed",
  cancelled: "task.cancelled",
  resolved_manually: "task.resolved_manually",
};

export function taskTransitionEvents(from: string, to: string): string[] {
  if (from === "pending" && to === "initializing") return ["task.initialize_requested", "task.initialized"];
  if (to === "enqueuing_steps") return ["task.steps_discovery_completed"];
  if (from === "enqueuing_steps" && to === "steps_in_process") return ["task.steps_enqueued"];
  if (to === "evaluating_results") {
    if (from === "steps_in_process") return ["task.step_results_received", "task.evaluation_started"];
    if (from === "waiting_for_dependencies" || from === "waiting_for_retry") return ["task.dependencies_satisfied", "task.evaluation_started"];
    return ["task.evaluation_started"];
  }
  if (to === "waiting_for_dependencies") return ["task.awaiting_dependencies"];
  if (to === "waiting_for_retry") return ["task.retry_backoff_started"];
  if (to === "blocked_by_failures") return ["task.finalization_ready", "task.blocked_by_failures"];
  if (to === "pending") return ["task.retry_requested"];
  const terminal = TERMINAL_TASK_EVENTS[to];
  if (terminal === "task.completed" || terminal === "task.failed") return ["task.finalization_ready", terminal];
  if (terminal) return [terminal];
  return [`task.${to}`];
}

const STEP_EVENTS: Readonly<Record<string, string[]>> = {
  enqueued_for_orchestration: ["step.enqueued_for_orchestration"],
  enqueued_as_error_for_orchestration: ["step.enqueued_as_error_for_orchestration"],
  complete: ["step.completed"],
  error: ["step.failed"],
  waiting_for_retry: ["step.retry_requested", "step.retry_scheduled"],
  cancelled: ["step.cancelled"],
  resolved_manually: ["step.resolved_manually"],
};

export function stepTransitionEvents(from: string | null, to: string): string[] {
  if (to === "enqueued") return ["step.enqueue_requested", "step.enqueued"];
  if (to === "in_progress") return from === "enqueued" ? ["step.execution_requested", "step.claimed"] : ["step.handle"];
  if (to === "pending") return ["step.retry_requested"];
  return STEP_EVENTS[to] ?? [`step.${to}`];
}

/** Task states after which nothing more happens to a task. */
export const FINAL_TASK_STATES: ReadonlySet<string> = new Set(["complete", "error", "cancelled", "resolved_manually"]);
