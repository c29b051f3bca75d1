/**
 * The task (12) and step (10) state machines. The SQL functions
 * `tasker.task_transition_allowed` / `tasker.step_transition_allowed` are what the
 * database enforces; these tables mirror them for code and docs, and a test checks
 * the two agree for every pair of states.
 */
export const TASK_STATES = [
  "pending",
  "initializing",
  "enqueuing_steps",
  "steps_in_process",
  "evaluating_results",
  "waiting_for_dependencies",
  "waiting_for_retry",
  "blocked_by_failures",
  "complete",
  "error",
  "cancelled",
  "resolved_manually",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const STEP_STATES = [
  "pending",
  "enqueued",
  "in_progress",
  "enqueued_for_orchestration",
  "enqueued_as_error_for_orchestration",
  "waiting_for_retry",
  "complete",
  "error",
  "cancelled",
  "resolved_manually",
] as const;
export type StepState = (typeof STEP_STATES)[number];

export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set(["complete", "error", "cancelled", "resolved_manually"]);
export const TERMINAL_STEP_STATES: ReadonlySet<StepState> = new Set(["complete", "cancelled", "resolved_manually"]);
/** Step states whose results children may use. */
export const SATISFYING_STEP_STATES: ReadonlySet<StepState> = new Set(["complete", "resolved_manually"]);

const TASK_EDGES: Readonly<Partial<Record<TaskState, readonly TaskState[]>>> = {
  pending: ["initializing", "error"],
  initializing: ["enqueuing_steps", "complete", "waiting_for_dependencies", "error"],
  enqueuing_steps: ["steps_in_process", "error"],
  steps_in_process: ["evaluating_results", "error"],
  evaluating_results: ["enqueuing_steps", "complete", "waiting_for_dependencies", "blocked_by_failures", "error"],
  waiting_for_dependencies: ["evaluating_results", "error"],
  waiting_for_retry: ["evaluating_results", "enqueuing_steps", "error"],
  blocked_by_failures: ["evaluating_results", "error"],
};

const STEP_EDGES: Readonly<Partial<Record<StepState, readonly StepState[]>>> = {
  pending: ["enqueued", "error"],
  enqueued: ["in_progress", "error"],
  in_progress: ["enqueued_for_orchestration", "enqueued_as_error_for_orchestration", "error"],
  enqueued_for_orchestration: ["error"],
  enqueued_as_error_for_orchestration: ["waiting_for_retry", "error"],
  waiting_for_retry: ["pending", "error"],
  error: ["pending"],
};

export function taskTransitionAllowed(from: TaskState, to: TaskState): boolean {
  if (TERMINAL_TASK_STATES.has(from)) return false;
  if (to === "cancelled" || to === "resolved_manually") return true;
  return TASK_EDGES[from]?.includes(to) ?? false;
}

export function stepTransitionAllowed(from: StepState, to: StepState): boolean {
  if (TERMINAL_STEP_STATES.has(from)) return false;
  if (to === "cancelled" || to === "resolved_manually") return true;
  // complete_manually reaches complete from any unfinished state.
  if (to === "complete") return true;
  return STEP_EDGES[from]?.includes(to) ?? false;
}

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === "string" && (TASK_STATES as readonly string[]).includes(value);
}

export function isStepState(value: unknown): value is StepState {
  return typeof value === "string" && (STEP_STATES as readonly string[]).includes(value);
}
