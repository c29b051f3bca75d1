import { elapsedMs } from "../lib/time.ts";
import type { Logger } from "../telemetry/logger.ts";
import { stepFailure, type Invocation } from "./handlerInvocation.ts";
import type { HandlerRunner, HandlerTracing, ResolvedHandler } from "./handlerRunner.ts";
import { classifyThrown, type StepFailure } from "./stepFailure.ts";
import type { CheckpointSaver } from "./stepContextBuilder.ts";
import type { CheckpointInput, ClaimedStep, StepExecutionResult } from "./stepRepository.ts";

export type ExecutionOutcome = "success" | "failure" | "timeout" | "handler_not_found" | "shutdown";

export interface StepExecution {
  result: StepExecutionResult;
  outcome: ExecutionOutcome;
  executionTimeMs: number;
  /** The handler returned `ctx.yield()`: run it again in the same attempt, after saving this checkpoint (if any). */
  yielded?: { checkpoint: CheckpointInput | null };
}

export interface ExecuteStepOptions {
  claimed: ClaimedStep;
  handler: ResolvedHandler | undefined;
  /** Where the handler runs (inline or in a handler thread). */
  runner: HandlerRunner;
  timeoutMs: number;
  /** Largest result accepted, in UTF-8 bytes of its JSON text (worker.max_result_bytes); default 1 MiB. */
  maxResultBytes?: number;
  /** Aborted when the worker stops taking work and the drain deadline passed. */
  shutdownSignal: AbortSignal;
  workerId: string;
  hostname: string;
  logger: Logger;
  /** ctx.checkpoint(): saves progress for this attempt (default: refuses, nothing to save to). */
  saveCheckpoint?: CheckpointSaver;
  /** The execution's span and child-span helper for ctx.span / ctx.trace (no-ops by default). */
  tracing?: HandlerTracing & { traceparent?: string | undefined };
}

export const DEFAULT_MAX_RESULT_BYTES = 1_048_576;

const noCheckpoints: CheckpointSaver = () => Promise.reject(new Error("checkpoints cannot be saved here"));

class TimeoutFailure extends Error {}
class ShutdownFailure extends Error {}

type Ended = { kind: "returned"; invocation: Invocation } | { kind: "timeout" | "shutdown"; error: Error };

/** Runs the handler until it returns, the timeout passes or the worker shuts down, whichever is first. */
async function runToEnd(options: ExecuteStepOptions, handler: ResolvedHandler): Promise<Ended> {
  const running = options.runner.run({
    claimed: options.claimed,
    handler,
    maxResultBytes: options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
    log: options.logger,
    tracing: options.tracing,
    saveCheckpoint: options.saveCheckpoint ?? noCheckpoints,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onShutdown: (() => void) | undefined;
  const stopped = new Promise<Ended>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: "timeout", error: new TimeoutFailure(`the handler did not finish within ${options.timeoutMs} ms`) }),
      options.timeoutMs,
    );
    onShutdown = () => resolve({ kind: "shutdown", error: new ShutdownFailure("the worker is shutting down") });
    if (options.shutdownSignal.aborted) onShutdown();
    else options.shutdownSignal.addEventListener("abort", onShutdown, { once: true });
  });
  try {
    const ended = await Promise.race([running.done.then((invocation): Ended => ({ kind: "returned", invocation })), stopped]);
    if (ended.kind !== "returned") running.abort(ended.error);
    return ended;
  } finally {
    clearTimeout(timer);
    if (onShutdown) options.shutdownSignal.removeEventListener("abort", onShutdown);
  }
}

/**
 * Runs one attempt of a step's handler and turns whatever happens into a
 * StepExecutionResult: a JSON return value is success; a throw, a non-JSON
 * result, a missing handler, a timeout, a shutdown abort or a handler thread
 * that was stopped (memory, crash) is a failure with `retryable` and
 * `error_type`. Never throws.
 */
export async function executeStep(options: ExecuteStepOptions): Promise<StepExecution> {
  const { claimed, workerId, hostname } = options;
  const startedAt = new Date();
  const started = performance.now();

  let outcome: ExecutionOutcome;
  let value: unknown = null;
  let custom: Record<string, unknown> | undefined;
  let failure: StepFailure | undefined;
  let yielded: StepExecution["yielded"];
  if (!options.handler) {
    outcome = "handler_not_found";
    failure = stepFailure(
      "handler_not_found",
      `no handler for step "${claimed.step.name}" in namespace "${claimed.task.namespace}" on this worker`,
      false,
    );
  } else {
    const ended = await runToEnd(options, options.handler);
    if (ended.kind === "returned") {
      if (ended.invocation.ok) {
        outcome = "success";
        value = ended.invocation.value;
        custom = ended.invocation.metadata;
        yielded = ended.invocation.yielded;
      } else {
        outcome = "failure";
        failure = ended.invocation.failure;
      }
    } else if (ended.kind === "timeout") {
      outcome = "timeout";
      failure = { ...classifyThrown(ended.error), errorType: "timeout", retryable: true };
    } else {
      outcome = "shutdown";
      failure = { ...classifyThrown(ended.error), errorType: "worker_shutdown", retryable: true };
    }
  }

  const executionTimeMs = elapsedMs(started);
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
      ...(custom ? { custom } : {}),
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
  return yielded ? { result, outcome, executionTimeMs, yielded } : { result, outcome, executionTimeMs };
}

/** A step that yielded while its worker was stopping: a retryable failure; the retry resumes from its checkpoint. */
export function yieldedAtShutdown(result: StepExecutionResult): StepExecutionResult {
  return {
    ...result,
    success: false,
    status: "error",
    result: null,
    metadata: { ...result.metadata, retryable: true, error_type: "worker_shutdown" },
    error: {
      message: "the step yielded while its worker was shutting down; it resumes from its checkpoint",
      error_type: "worker_shutdown",
      retryable: true,
    },
  };
}
