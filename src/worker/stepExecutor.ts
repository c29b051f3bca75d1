import type { StepContext, StepHandler, StepSpan } from "../sdk/stepContext.ts";
import { TaskerError } from "../lib/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { findNonJson } from "./jsonResult.ts";
import { classifyThrown, type StepFailure } from "./stepFailure.ts";
import type { ClaimedStep, StepExecutionResult } from "./stepRepository.ts";

export type ExecutionOutcome = "success" | "failure" | "timeout" | "handler_not_found" | "shutdown";

export interface StepExecution {
  result: StepExecutionResult;
  outcome: ExecutionOutcome;
  executionTimeMs: number;
}

export interface ExecuteStepOptions {
  claimed: ClaimedStep;
  handler: StepHandler | undefined;
  timeoutMs: number;
  /** Largest result accepted, in UTF-8 bytes of its JSON text (worker.max_result_bytes); default 1 MiB. */
  maxResultBytes?: number;
  /** Aborted when the worker stops taking work and the drain deadline passed. */
  shutdownSignal: AbortSignal;
  workerId: string;
  hostname: string;
  logger: Logger;
  /** The execution's span and child-span helper for ctx.span / ctx.trace (no-ops by default). */
  tracing?: { span: StepSpan; trace: StepContext["trace"]; traceparent?: string | undefined };
}

const noopSpan: StepSpan = {
  setAttribute() {
    return this;
  },
  addEvent() {
    return this;
  },
  isRecording: () => false,
};

const noopTracing = { span: noopSpan, trace: async <T>(_name: string, fn: (span: StepSpan) => T | Promise<T>) => fn(noopSpan) };

export const DEFAULT_MAX_RESULT_BYTES = 1_048_576;

/** A permanent failure of the step (the handler ran but its result cannot be stored). */
function resultFailure(errorType: string, message: string): StepFailure {
  return { message, errorType, retryable: false, retryAfterSeconds: undefined, backtrace: undefined, metadata: undefined };
}

class TimeoutFailure extends Error {}
class ShutdownFailure extends Error {}

function buildContext(claimed: ClaimedStep, signal: AbortSignal, log: Logger, tracing: Pick<StepContext, "span" | "trace">): StepContext {
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

/**
 * Runs one attempt of a step's handler and turns whatever happens into a
 * StepExecutionResult: a JSON return value is success; a throw, a non-JSON
 * result, a missing handler, a timeout or a shutdown abort is a failure with
 * `retryable` and `error_type`. Never throws.
 */
export async function executeStep(options: ExecuteStepOptions): Promise<StepExecution> {
  const { claimed, workerId, hostname } = options;
  const startedAt = new Date();
  const started = performance.now();
  const controller = new AbortController();
  const onShutdown = (): void => controller.abort(new ShutdownFailure("the worker is shutting down"));
  if (options.shutdownSignal.aborted) onShutdown();
  else options.shutdownSignal.addEventListener("abort", onShutdown, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;

  let outcome: ExecutionOutcome;
  let value: unknown = null;
  let failure: StepFailure | undefined;
  try {
    if (!options.handler) {
      outcome = "handler_not_found";
      failure = {
        message: `no handler for step "${claimed.step.name}" in namespace "${claimed.task.namespace}" on this worker`,
        errorType: "handler_not_found",
        retryable: false,
        retryAfterSeconds: undefined,
        backtrace: undefined,
        metadata: undefined,
      };
    } else {
      const handler = options.handler;
      const context = buildContext(claimed, controller.signal, options.logger, options.tracing ?? noopTracing);
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new TimeoutFailure(`the handler did not finish within ${options.timeoutMs} ms`);
          controller.abort(error);
          reject(error);
        }, options.timeoutMs);
      });
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), { once: true });
      });
      value = await Promise.race([Promise.resolve().then(() => handler(context)), timedOut, aborted]);
      if (value === undefined) value = null;
      const problem = findNonJson(value);
      const maxBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
      const bytes = problem ? 0 : Buffer.byteLength(JSON.stringify(value));
      if (problem) {
        outcome = "failure";
        failure = resultFailure("invalid_result", `the handler's result is not JSON: ${problem}`);
        value = null;
      } else if (bytes > maxBytes) {
        outcome = "failure";
        failure = resultFailure(
          "result_too_large",
          `the handler's result is ${bytes} bytes of JSON, over the limit of ${maxBytes} (worker.max_result_bytes)`,
        );
        value = null;
      } else {
        outcome = "success";
      }
    }
  } catch (thrown) {
    if (thrown instanceof TimeoutFailure) {
      outcome = "timeout";
      failure = { ...classifyThrown(thrown), errorType: "timeout", retryable: true };
    } else if (thrown instanceof ShutdownFailure) {
      outcome = "shutdown";
      failure = { ...classifyThrown(thrown), errorType: "worker_shutdown", retryable: true };
    } else {
      outcome = "failure";
      failure = classifyThrown(thrown);
    }
    value = null;
  } finally {
    if (timer) clearTimeout(timer);
    options.shutdownSignal.removeEventListener("abort", onShutdown);
  }

  const executionTimeMs = Math.round((performance.now() - started) * 1000) / 1000;
  const success = failure === undefined;
  const result: StepExecutionResult = {
    step_uuid: claimed.step.step_uuid,
    success,
    status: success ? "completed" : "error",
    result: value,
    metadata: {
      execution_time_ms: executionTimeMs,
      started_at: startedAt.toISOString(),
      completed_at: new Date().toISOString(),
      worker_id: workerId,
      worker_hostname: hostname,
      correlation_id: claimed.task.correlation_id,
      attempt: claimed.step.attempt,
      retryable: failure ? failure.retryable : false,
      ...(failure ? { error_type: failure.errorType } : {}),
      ...(options.tracing?.traceparent ? { traceparent: options.tracing.traceparent } : {}),
      ...(failure?.metadata && Object.keys(failure.metadata).length > 0 ? { custom: failure.metadata } : {}),
    },
    error: failure
      ? {
          message: failure.message,
          error_type: failure.errorType,
          retryable: failure.retryable,
          ...(failure.retryAfterSeconds !== undefined ? { retry_after_seconds: failure.retryAfterSeconds } : {}),
          ...(failure.backtrace ? { backtrace: failure.backtrace } : {}),
        }
      : null,
  };
  return { result, outcome, executionTimeMs };
}
