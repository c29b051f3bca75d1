import { asNativeHandler } from "../sdk/compat/toNativeHandler.ts";
import { StepContext as CompatStepContext } from "../sdk/compat/compatStepContext.ts";
import type { StepHandlerClass } from "../sdk/compat/stepHandler.ts";
import type { StepContext, StepHandler } from "../sdk/stepContext.ts";
import { createLogger } from "../telemetry/logger.ts";
import { invokeHandler } from "../worker/handlerInvocation.ts";
import { noopTracing } from "../worker/handlerRunner.ts";
import { buildStepContext, type CheckpointSaver } from "../worker/stepContextBuilder.ts";
import type { CheckpointInput, ClaimedStep } from "../worker/stepRepository.ts";

export interface TestContextOptions {
  /** The task context (the task's input). */
  context?: Record<string, unknown>;
  /** The step's name (default `step`) and the template step it was made from (default: the name). */
  stepName?: string;
  templateStepName?: string;
  /** `handler.initialization` (plus a batch step's cursor data). */
  inputs?: Record<string, unknown>;
  /** Results of completed ancestors, by step name. */
  dependencyResults?: Record<string, unknown>;
  attempt?: number;
  maxAttempts?: number;
  /** A checkpoint saved earlier, as `ctx.step.checkpoint` gives it. */
  checkpoint?: { cursor: unknown; itemsProcessed?: number; accumulated?: unknown };
  namespace?: string;
  templateName?: string;
}

export interface TestContext {
  ctx: StepContext;
  /** What the handler saved with `ctx.checkpoint()`, in order. */
  checkpoints: CheckpointInput[];
  /** What the handler logged. */
  logs: Array<Record<string, unknown>>;
}

/** A claimed step as `tasker.claim_step` answers it, built from the options (no database). */
export function testClaimedStep(options: TestContextOptions = {}): ClaimedStep {
  const name = options.stepName ?? "step";
  return {
    claimed: true,
    task: {
      task_uuid: "01a20000-0000-7000-8000-000000000001",
      namespace: options.namespace ?? "test",
      name: options.templateName ?? "test_task",
      version: "1.0.0",
      context: options.context ?? {},
      correlation_id: "01a20000-0000-7000-8000-000000000002",
      parent_correlation_id: null,
      trace_context: null,
      priority: 0,
      tags: [],
    },
    step: {
      step_uuid: "01a20000-0000-7000-8000-000000000003",
      name,
      template_step_name: options.templateStepName ?? name,
      attempt: options.attempt ?? 1,
      max_attempts: options.maxAttempts ?? 3,
      retryable: true,
      inputs: options.inputs ?? {},
      timeout_seconds: null,
      checkpoint: options.checkpoint
        ? {
            cursor: options.checkpoint.cursor,
            items_processed: options.checkpoint.itemsProcessed ?? null,
            accumulated_results: options.checkpoint.accumulated ?? null,
            timestamp: new Date().toISOString(),
            attempt: Math.max(1, (options.attempt ?? 1) - 1),
            history: [],
          }
        : null,
    },
    dependency_results: options.dependencyResults ?? {},
  };
}

/** A realistic `ctx` for unit-testing a handler: no database, checkpoints and logs recorded. */
export function createTestContext(options: TestContextOptions = {}): TestContext {
  const checkpoints: CheckpointInput[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const claimed = testClaimedStep(options);
  const saver: CheckpointSaver = (checkpoint) => {
    checkpoints.push(checkpoint);
    return Promise.resolve();
  };
  const log = createLogger({ level: "debug", format: "json", write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  return { ctx: buildStepContext(claimed, new AbortController().signal, log, noopTracing, saver), checkpoints, logs };
}

/**
 * tasker-core's `StepContext` over a test context, for calling a handler class's `call(context)`
 * (or any method) directly in a unit test: `await new MyHandler().call(createCompatContext({...}).context)`.
 */
export function createCompatContext(
  options: TestContextOptions & { handlerName?: string } = {},
): TestContext & { context: CompatStepContext } {
  const test = createTestContext(options);
  return { ...test, context: new CompatStepContext(test.ctx, options.handlerName ?? options.stepName ?? "step") };
}

export type HandlerOutcome =
  | { success: true; result: unknown; metadata?: Record<string, unknown>; yielded?: { checkpoint: CheckpointInput | null } }
  | { success: false; error: { message: string; errorType: string; retryable: boolean; retryAfterSeconds: number | undefined; metadata: Record<string, unknown> | undefined } };

/**
 * Runs a handler (this engine's function, or a tasker-core handler class with its `method`) as
 * the worker would and says how the step would end: its result, a yield, or the failure with
 * `retryable` and `errorType` decided by the engine's rules.
 */
export async function runHandler(
  handler: StepHandler | StepHandlerClass,
  options: TestContextOptions & { method?: string; maxResultBytes?: number } = {},
): Promise<HandlerOutcome & { checkpoints: CheckpointInput[]; logs: Array<Record<string, unknown>> }> {
  const { ctx, checkpoints, logs } = createTestContext(options);
  const invocation = await invokeHandler(asNativeHandler(handler, options.method ?? null), ctx, options.maxResultBytes ?? 1_048_576);
  if (invocation.ok) {
    return {
      success: true,
      result: invocation.value,
      ...(invocation.metadata ? { metadata: invocation.metadata } : {}),
      ...(invocation.yielded ? { yielded: invocation.yielded } : {}),
      checkpoints,
      logs,
    };
  }
  const f = invocation.failure;
  return {
    success: false,
    error: { message: f.message, errorType: f.errorType, retryable: f.retryable, retryAfterSeconds: f.retryAfterSeconds, metadata: f.metadata },
    checkpoints,
    logs,
  };
}
