import { describe, expect, test } from "bun:test";
import { stepTransitionEvents, taskTransitionEvents } from "../../../src/telemetry/lifecycleEventNames.ts";
import { uuidV7Millis } from "../../../src/telemetry/lifecycleEmitter.ts";
import { newId } from "../../../src/lib/ids.ts";

describe("lifecycle event names", () => {
  test("task_transitions_map_to_the_tasker_core_names_and_the_plan_events", () => {
    expect(taskTransitionEvents("pending", "initializing")).toEqual(["task.initialize_requested", "task.initialized"]);
    expect(taskTransitionEvents("initializing", "enqueuing_steps")).toEqual(["task.steps_discovery_completed"]);
    expect(taskTransitionEvents("enqueuing_steps", "steps_in_process")).toEqual(["task.steps_enqueued"]);
    expect(taskTransitionEvents("steps_in_process", "evaluating_results")).toEqual(["task.step_results_received", "task.evaluation_started"]);
    expect(taskTransitionEvents("waiting_for_dependencies", "evaluating_results")).toEqual(["task.dependencies_satisfied", "task.evaluation_started"]);
    expect(taskTransitionEvents("evaluating_results", "waiting_for_dependencies")).toEqual(["task.awaiting_dependencies"]);
    expect(taskTransitionEvents("evaluating_results", "blocked_by_failures")).toEqual(["task.finalization_ready", "task.blocked_by_failures"]);
    expect(taskTransitionEvents("evaluating_results", "complete")).toEqual(["task.finalization_ready", "task.completed"]);
    expect(taskTransitionEvents("blocked_by_failures", "error")).toEqual(["task.finalization_ready", "task.failed"]);
    expect(taskTransitionEvents("steps_in_process", "cancelled")).toEqual(["task.cancelled"]);
    expect(taskTransitionEvents("error", "pending")).toEqual(["task.retry_requested"]);
  });

  test("step_transitions_map_to_the_tasker_core_names_and_the_plan_events", () => {
    expect(stepTransitionEvents("pending", "enqueued")).toEqual(["step.enqueue_requested", "step.enqueued"]);
    expect(stepTransitionEvents("enqueued", "in_progress")).toEqual(["step.execution_requested", "step.claimed"]);
    expect(stepTransitionEvents("pending", "in_progress")).toEqual(["step.handle"]);
    expect(stepTransitionEvents("in_progress", "enqueued_for_orchestration")).toEqual(["step.enqueued_for_orchestration"]);
    expect(stepTransitionEvents("enqueued_as_error_for_orchestration", "waiting_for_retry")).toEqual(["step.retry_requested", "step.retry_scheduled"]);
    expect(stepTransitionEvents("enqueued_for_orchestration", "complete")).toEqual(["step.completed"]);
    expect(stepTransitionEvents("enqueued_as_error_for_orchestration", "error")).toEqual(["step.failed"]);
    expect(stepTransitionEvents("waiting_for_retry", "pending")).toEqual(["step.retry_requested"]);
  });

  test("a_task_uuid_v7_tells_when_the_task_was_created", () => {
    const before = Date.now();
    const ms = uuidV7Millis(newId());
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
    expect(uuidV7Millis("00000000-0000-4000-8000-000000000000")).toBeUndefined();
  });
});
