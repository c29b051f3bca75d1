import type { TaskResponse } from "../../client/apiTypes.ts";
import { summarizeStepResult } from "../../client/formatValue.ts";
import { TaskerApiError } from "../../client/taskerApiError.ts";
import { TaskerError } from "../../lib/errors.ts";
import type { ClientRunContext } from "./clientRunContext.ts";
import { taskStateChanges, WATCH_END_STATES, type TaskStateChange } from "./taskStateChanges.ts";

export interface WatchOptions {
  taskUuid: string;
  intervalMs: number;
  /** Give up (exit 1, WATCH_TIMEOUT) after this long; undefined: follow until the task ends. */
  timeoutMs: number | undefined;
}

/** Exit code of `watch` when the task ended but not in `complete`. */
export const TASK_FAILED_EXIT_CODE = 3;
/** Consecutive network errors or 5xx answers tolerated while watching. */
const MAX_TRANSIENT_FAILURES = 5;

function describeChange(change: TaskStateChange): string {
  if (change.kind === "task") return change.from ? `task ${change.from} -> ${change.to}` : `task ${change.to}`;
  const attempt = change.to === "in_progress" ? ` (attempt ${change.attempts})` : "";
  return change.from
    ? `  step ${change.name} ${change.from} -> ${change.to}${attempt}`
    : `  step ${change.name} ${change.to}${attempt}`;
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof TaskerApiError &&
    (error.code === "NETWORK_ERROR" || error.code === "TIMEOUT" || (error.status !== undefined && error.status >= 500))
  );
}

function summary(task: TaskResponse, outcome: "success" | "failure"): string {
  const done = task.steps.filter((s) => s.current_state === "complete").length;
  if (outcome === "success") return `task ${task.task_uuid} is complete: ${done}/${task.steps.length} steps complete\n`;
  const failed = task.steps
    .filter((s) => s.current_state === "error")
    .map((s) => `  step ${s.name} is in error: ${summarizeStepResult(s.results, 200)}\n`)
    .join("");
  return `task ${task.task_uuid} ended ${task.status}, not complete (${done}/${task.steps.length} steps complete)\n${failed}`;
}

/**
 * Polls a task until it reaches complete, error, cancelled, resolved_manually or
 * blocked_by_failures, printing each observed task and step state change.
 * Returns 0 for complete and TASK_FAILED_EXIT_CODE for the others.
 */
export async function watchTask(ctx: ClientRunContext, options: WatchOptions): Promise<number> {
  const started = ctx.now().getTime();
  let previous: TaskResponse | undefined;
  let failures = 0;
  for (;;) {
    let task: TaskResponse;
    try {
      task = await ctx.client.getTask(options.taskUuid);
      failures = 0;
    } catch (error) {
      if (!isTransient(error) || ++failures >= MAX_TRANSIENT_FAILURES) throw error;
      ctx.stderr(`tasker: ${(error as TaskerApiError).message}; retrying (${failures}/${MAX_TRANSIENT_FAILURES - 1})\n`);
      await ctx.sleep(options.intervalMs);
      continue;
    }
    const at = ctx.now().toISOString();
    for (const change of taskStateChanges(previous, task)) {
      if (ctx.json) ctx.stdout(`${JSON.stringify({ event: `${change.kind}_state`, at, task_uuid: task.task_uuid, ...change })}\n`);
      else ctx.stdout(`${at}  ${describeChange(change)}\n`);
    }
    previous = task;
    const outcome = WATCH_END_STATES[task.status];
    if (outcome) {
      const exitCode = outcome === "success" ? 0 : TASK_FAILED_EXIT_CODE;
      if (ctx.json) ctx.stdout(`${JSON.stringify({ event: "finished", at, status: task.status, exit_code: exitCode, task })}\n`);
      else ctx.stdout(summary(task, outcome));
      return exitCode;
    }
    if (options.timeoutMs !== undefined && ctx.now().getTime() - started >= options.timeoutMs) {
      throw new TaskerError(
        "WATCH_TIMEOUT",
        `task ${task.task_uuid} is still ${task.status} after ${Math.round(options.timeoutMs / 1000)} s; stopped watching`,
      );
    }
    await ctx.sleep(options.intervalMs);
  }
}
