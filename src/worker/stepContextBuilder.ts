import { TaskerError } from "../lib/errors.ts";
import type { StepContext } from "../sdk/stepContext.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { ClaimedStep } from "./stepRepository.ts";

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
  };
}
