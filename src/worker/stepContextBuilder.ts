import { TaskerError } from "../lib/errors.ts";
import type { StepContext } from "../sdk/stepContext.ts";
import { checkProgress, stepYield, type CheckpointProgress, type StepCheckpoint } from "../sdk/stepProgress.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { CheckpointInput, ClaimedStep, StoredCheckpoint } from "./stepRepository.ts";

/** Saves a checkpoint for the running attempt (in the worker's realm); rejects when it was not saved. */
export type CheckpointSaver = (checkpoint: CheckpointInput) => Promise<void>;

/** The stored form of a handler's progress. */
export function toCheckpointInput(progress: CheckpointProgress): CheckpointInput {
  return {
    cursor: progress.cursor,
    items_processed: progress.itemsProcessed ?? null,
    accumulated_results: progress.accumulated ?? null,
  };
}

/** What a handler sees of a stored checkpoint: a fresh copy, so changing it changes nothing stored. */
export function toStepCheckpoint(stored: StoredCheckpoint | null | undefined): StepCheckpoint | null {
  if (!stored) return null;
  return structuredClone({
    cursor: stored.cursor ?? null,
    itemsProcessed: stored.items_processed ?? null,
    accumulated: stored.accumulated_results ?? null,
    savedAt: stored.timestamp,
    attempt: stored.attempt,
  });
}

/**
 * The `ctx` a handler receives, built from the claimed step (plain data, so a handler thread
 * builds the same context from the copy it was sent). `signal`, `log` and the tracing pair are
 * whatever the realm running the handler provides.
 */
export function buildStepContext(
  claimed: ClaimedStep,
  signal: AbortSignal,
  log: Logger,
  tracing: Pick<StepContext, "span" | "trace">,
  saveCheckpoint: CheckpointSaver,
): StepContext {
  const { task, step, dependency_results: dependencyResults } = claimed;
  const context = task.context;
  return {
    task: {
      uuid: task.task_uuid,
      namespace: task.namespace,
      name: task.name,
      version: task.version,
      context,
      correlationId: task.correlation_id,
      parentCorrelationId: task.parent_correlation_id,
    },
    context,
    step: {
      uuid: step.step_uuid,
      name: step.name,
      attempt: step.attempt,
      maxAttempts: step.max_attempts,
      inputs: step.inputs,
      templateStepName: step.template_step_name ?? step.name,
      checkpoint: toStepCheckpoint(step.checkpoint),
    },
    dependencyResults,
    getDependencyResult<T = unknown>(stepName: string): T {
      if (!Object.hasOwn(dependencyResults, stepName)) {
        throw new TaskerError(
          "DEPENDENCY_NOT_FOUND",
          `step "${step.name}" has no completed ancestor named "${stepName}" (ancestors: ${Object.keys(dependencyResults).join(", ") || "none"})`,
        );
      }
      return dependencyResults[stepName] as T;
    },
    signal,
    log,
    span: tracing.span,
    trace: tracing.trace,
    checkpoint: async (progress) => saveCheckpoint(toCheckpointInput(checkProgress(progress))),
    yield: (progress) => stepYield(progress),
  };
}
