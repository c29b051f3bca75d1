import { toError } from "../lib/errors.ts";
import { backoffMs, delay } from "../lib/time.ts";
import type { TaskEvaluation } from "../orchestration/taskEvaluation.ts";
import type { Logger } from "../telemetry/logger.ts";

export interface TaskFinalizer {
  /** Asks for the task's completion check after the completing transaction committed. */
  add(taskUuid: string): void;
  /** Resolves when every check asked for so far has run (or the deadline passed). */
  flush(timeoutMs: number): Promise<void>;
}

/**
 * Runs `tasker.finalize_tasks` for tasks whose last steps finished in concurrent transactions
 * (complete_step answered `finalize`). Checks asked for while one runs are batched into the
 * next call, so a fan-out's leaves cost one read-only call per batch, not one per step. A
 * failed call is retried with backoff: until it succeeds, the task waits in steps_in_process.
 */
export function createTaskFinalizer(options: {
  finalize: (taskUuids: string[]) => Promise<TaskEvaluation[]>;
  report: (evaluation: TaskEvaluation) => void;
  logger: Logger;
}): TaskFinalizer {
  const pending = new Set<string>();
  let running: Promise<void> | undefined;

  const run = async (): Promise<void> => {
    let failures = 0;
    while (pending.size > 0) {
      const batch = [...pending];
      pending.clear();
      try {
        for (const evaluation of await options.finalize(batch)) options.report(evaluation);
        failures = 0;
      } catch (error) {
        failures += 1;
        for (const task of batch) pending.add(task);
        options.logger.warn("task completion check failed; retrying", { tasks: batch.length, failures, error: toError(error).message });
        await delay(backoffMs(failures, 100, 5_000));
      }
    }
  };

  const start = (): void => {
    if (running) return;
    running = run().finally(() => {
      running = undefined;
      if (pending.size > 0) start();
    });
  };

  return {
    add(taskUuid) {
      pending.add(taskUuid);
      start();
    },
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (running && Date.now() < deadline) {
        await Promise.race([running, delay(Math.max(1, deadline - Date.now()))]);
      }
    },
  };
}
