import type { TaskResponse } from "../../client/apiTypes.ts";

export type TaskStateChange =
  | { kind: "task"; from: string | undefined; to: string }
  | { kind: "step"; name: string; step_uuid: string; from: string | undefined; to: string; attempts: number };

/**
 * What changed between two observations of a task: its state first, then each
 * step whose state changed (or that is new), in the task's step order. With no
 * previous observation every state is reported as a change from undefined.
 */
export function taskStateChanges(previous: TaskResponse | undefined, next: TaskResponse): TaskStateChange[] {
  const changes: TaskStateChange[] = [];
  if (previous?.status !== next.status) changes.push({ kind: "task", from: previous?.status, to: next.status });
  const before = new Map((previous?.steps ?? []).map((s) => [s.workflow_step_uuid, s]));
  for (const step of next.steps ?? []) {
    const old = before.get(step.workflow_step_uuid);
    if (old?.current_state === step.current_state) continue;
    changes.push({
      kind: "step",
      name: step.name,
      step_uuid: step.workflow_step_uuid,
      from: old?.current_state,
      to: step.current_state,
      attempts: step.attempts,
    });
  }
  return changes;
}

/** Task states at which `watch` stops, and whether that counts as success. */
export const WATCH_END_STATES: Readonly<Record<string, "success" | "failure">> = {
  complete: "success",
  error: "failure",
  cancelled: "failure",
  blocked_by_failures: "failure",
  resolved_manually: "failure",
};
