import { describe, expect, test } from "bun:test";
import {
  BatchableStepHandler,
  Decision,
  defineDecisionHandler,
  defineHandler,
  PermanentError,
  RetryableError,
  StepContext,
  StepHandler,
  StepHandlerResult,
} from "../../../src/sdk/compat/index.ts";
import { toNativeHandler, toNativeOutcome } from "../../../src/sdk/compat/toNativeHandler.ts";
import { PermanentError as NativePermanentError } from "../../../src/sdk/permanentError.ts";
import { RetryableError as NativeRetryableError } from "../../../src/sdk/retryableError.ts";
import { unwrapResult } from "../../../src/sdk/resultMetadata.ts";
import { yieldedProgress } from "../../../src/sdk/stepProgress.ts";
import type { StepContext as NativeContext } from "../../../src/sdk/stepContext.ts";
import { buildStepContext } from "../../../src/worker/stepContextBuilder.ts";
import { noopTracing } from "../../../src/worker/handlerRunner.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import { claimedStep } from "../../support/claimedStep.ts";
import { createTestContext } from "../../../src/testing/handlerTest.ts";

const native = (overrides: Parameters<typeof claimedStep>[0] = {}): NativeContext =>
  buildStepContext(claimedStep(overrides), new AbortController().signal, silentLogger, noopTracing, () => Promise.resolve());

describe("tasker-core's StepContext over this engine's context", () => {
  test("reads_inputs_config_dependencies_and_retries_with_tasker_cores_semantics", () => {
    const ctx = new StepContext(
      native({
        attempt: 2,
        context: { amount: 5, empty: null },
        dependencyResults: { validate: { ok: true, nested: { list: [1, { x: 9 }] } }, batch_001: { n: 1 }, batch_002: { n: 2 } },
      }),
      "Some.Handler",
    );
    expect([ctx.retryCount, ctx.maxRetries, ctx.isRetry(), ctx.isLastRetry(), ctx.handlerName]).toEqual([1, 3, true, false, "Some.Handler"]);
    expect([ctx.getInput("amount"), ctx.getInput("missing"), ctx.getInputOr("empty", 7), ctx.getInputOr("amount", 0)]).toEqual([5, undefined, 7, 5]);
    expect(ctx.getDependencyResult("validate")).toEqual({ ok: true, nested: { list: [1, { x: 9 }] } });
    expect(ctx.getDependencyResult("not_an_ancestor")).toBeNull();
    expect(ctx.getDependencyField("validate", "nested", "list", 1, "x")).toBe(9);
    expect(ctx.getDependencyField("validate", "nested", "nope", "x")).toBeNull();
    expect(ctx.getAllDependencyResults("batch_")).toEqual([{ n: 1 }, { n: 2 }]);
    expect(ctx.dependencyResults["validate"]).toMatchObject({ success: true, result: { ok: true } });
    expect([ctx.hasCheckpoint(), ctx.checkpointCursor, ctx.checkpointItemsProcessed, ctx.accumulatedResults]).toEqual([false, null, 0, null]);
  });

  test("exposes_the_last_checkpoint_as_a_fresh_copy", () => {
    const stored = { cursor: 40, items_processed: 40, accumulated_results: { total: 820 }, timestamp: "2026-12-06T00:00:00Z", attempt: 1, history: [] };
    const first = new StepContext(native({ checkpoint: stored }), "H");
    expect([first.hasCheckpoint(), first.checkpointCursor, first.checkpointItemsProcessed, first.accumulatedResults]).toEqual([true, 40, 40, { total: 820 }]);
    (first.accumulatedResults as { total: number }).total += 1;
    expect(new StepContext(native({ checkpoint: stored }), "H").accumulatedResults).toEqual({ total: 820 });
  });
});

describe("results and errors", () => {
  test("a_success_is_its_result_and_a_checkpoint_yield_becomes_a_yield", () => {
    const ctx = native();
    expect(toNativeOutcome(StepHandlerResult.success({ a: 1 }), ctx)).toEqual({ a: 1 });
    expect(unwrapResult(toNativeOutcome(StepHandlerResult.success({ a: 1 }, { decision_handler: "Route" }), ctx))).toEqual({
      value: { a: 1 },
      metadata: { decision_handler: "Route" },
    });
    const yielded = toNativeOutcome(
      StepHandlerResult.success({ type: "checkpoint_yield", cursor: 25, items_processed: 25, accumulated_results: { s: 3 } }, { checkpoint_yield: true }),
      ctx,
    );
    expect(yieldedProgress(yielded)).toEqual({ cursor: 25, itemsProcessed: 25, accumulated: { s: 3 } });
  });

  test("a_failure_is_thrown_as_this_engines_error_keeping_type_retryability_and_retry_after", () => {
    const ctx = native();
    let permanent: unknown;
    try {
      toNativeOutcome(StepHandlerResult.failure("bad", "validation_error", false, { f: 1 }, "E42"), ctx);
    } catch (error) {
      permanent = error;
    }
    expect(permanent).toBeInstanceOf(NativePermanentError);
    expect(permanent).toMatchObject({ errorType: "validation_error", metadata: { f: 1, error_code: "E42" } });
    const limited = new StepHandlerResult({
      success: false, errorMessage: "slow down", errorType: "rate_limited", retryable: true,
      orchestrationMetadata: { headers: { "Retry-After": "12" } },
    });
    let thrown: unknown;
    try {
      toNativeOutcome(limited, ctx);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NativeRetryableError);
    expect((thrown as NativeRetryableError).retryAfterSeconds).toBe(12);
    // ApiHandler.apiFailure puts Retry-After in the metadata.
    let fromMetadata: unknown;
    try {
      toNativeOutcome(StepHandlerResult.failure("HTTP 429: slow down", "rate_limited", true, { retry_after_seconds: 7 }), ctx);
    } catch (error) {
      fromMetadata = error;
    }
    expect((fromMetadata as NativeRetryableError).retryAfterSeconds).toBe(7);
  });

  test("compat_errors_are_this_engines_with_tasker_cores_arguments", () => {
    const permanent = new PermanentError("no", { reason: "x" });
    expect(permanent).toBeInstanceOf(NativePermanentError);
    expect([permanent.retryable, permanent.errorType, permanent.metadata]).toEqual([false, "permanent_error", { reason: "x" }]);
    const retryable = new RetryableError("later", { retry_after_seconds: 3 });
    expect([retryable.retryable, retryable.errorType, retryable.retryAfterSeconds]).toEqual([true, "retryable_error", 3]);
  });
});

describe("functional handlers", () => {
  /** The stored result (a success's metadata goes beside it, results.metadata.custom). */
  const runDsl = (cls: ReturnType<typeof defineHandler>, ctx = native({ context: { n: 4 } })): Promise<unknown> =>
    Promise.resolve(toNativeHandler(cls, null)(ctx)).then((out) => unwrapResult(out).value);

  test("wrap_what_they_return_as_tasker_core_does", async () => {
    expect(await runDsl(defineHandler("A", { inputs: { n: "n" } }, ({ n }) => ({ doubled: (n as number) * 2 })))).toEqual({ doubled: 8 });
    expect(await runDsl(defineHandler("B", {}, () => undefined))).toEqual({});
    expect(await runDsl(defineHandler("C", {}, () => 42))).toEqual({ result: 42 });
    expect(await runDsl(defineHandler("D", {}, () => StepHandlerResult.success({ kept: true })))).toEqual({ kept: true });
  });

  test("turn_throws_into_failures_with_tasker_cores_retry_semantics", async () => {
    const failure = async (fn: () => unknown) => runDsl(defineHandler("E", {}, fn)).then(() => undefined, (error: unknown) => error);
    expect(await failure(() => { throw new PermanentError("stop", { why: 1 }); })).toMatchObject({ retryable: false, errorType: "permanent_error", metadata: { why: 1 } });
    expect(await failure(() => { throw new RetryableError("again"); })).toMatchObject({ retryable: true, errorType: "retryable_error" });
    expect(await failure(() => { throw new TypeError("oops"); })).toMatchObject({ retryable: true, errorType: "handler_error", metadata: { errorType: "TypeError" } });
  });

  test("a_decision_handler_routes_or_skips", async () => {
    const route = defineDecisionHandler("R", {}, () => Decision.route(["a", "b"], { why: "big" }));
    expect(await runDsl(route)).toEqual({ decision_point_outcome: { type: "create_steps", step_names: ["a", "b"] }, routing_context: { why: "big" } });
    const skip = defineDecisionHandler("S", {}, () => Decision.skip("nothing"));
    expect(await runDsl(skip)).toEqual({ decision_point_outcome: { type: "no_branches" }, reason: "nothing" });
    expect((route as unknown as { handlerName: string }).handlerName).toBe("R");
    expect(new route()).toBeInstanceOf(StepHandler);
  });
});

describe("the package's earlier surface", () => {
  test("event_and_step_give_the_raw_step_and_batch_config_and_batch_success_takes_configs_first", () => {
    const { ctx } = createTestContext({
      stepName: "work_001",
      templateStepName: "work",
      attempt: 2,
      inputs: { cursor: { batch_id: "001", start_cursor: 0, end_cursor: 50, batch_size: 50 } },
      checkpoint: { cursor: 20, itemsProcessed: 20, accumulated: { sum: 3 } },
    });
    const context = new StepContext(ctx, "Batch.Worker");
    const event = context.event as { workflow_step: { attempts: number; checkpoint: { cursor: number } | null; name: string } };
    expect(event.workflow_step.attempts).toBe(1);
    expect(event.workflow_step.checkpoint?.cursor).toBe(20);
    expect(event.workflow_step.name).toBe("work_001");
    expect(context.step["batch_config"]).toEqual({ batch_id: "001", cursor_start: 0, cursor_end: 50, row_count: 50 });

    class Analyzer extends BatchableStepHandler {
      static override handlerName = "Batch.Analyzer";
      call(): StepHandlerResult {
        return this.batchSuccess([{ batch_id: "b1", cursor_start: 0, cursor_end: 10, row_count: 10, worker_index: 0, total_workers: 1 }], { total_rows: 10 });
      }
    }
    const outcome = new Analyzer().call().result as { batch_processing_outcome: Record<string, unknown>; total_rows: number };
    expect(outcome.total_rows).toBe(10);
    expect("worker_template_name" in outcome.batch_processing_outcome).toBe(false);
    expect(outcome.batch_processing_outcome["cursor_configs"]).toEqual([{ batch_id: "b1", start_cursor: 0, end_cursor: 10, batch_size: 10 }]);
  });
});
