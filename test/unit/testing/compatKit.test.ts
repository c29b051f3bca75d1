import { describe, expect, test } from "bun:test";
import { StepHandler, type StepContext, type StepHandlerResult } from "@tasker-systems/tasker";
import { createCompatContext, runHandler } from "@tasker-systems/tasker/testing";

class TotalHandler extends StepHandler {
  static override handlerName = "Kit.TotalHandler";

  call(context: StepContext): StepHandlerResult {
    const items = context.getInput<number[]>("items") ?? [];
    if (items.length === 0) return this.failure("no items", "validation_error", false);
    const previous = context.getDependencyField("discount", "percent") as number | null;
    const total = items.reduce((a, b) => a + b, 0) * (1 - (previous ?? 0) / 100);
    return this.success({ total, retry: context.retryCount });
  }
}

describe("@tasker-systems/tasker/testing", () => {
  test("calls_a_class_directly_with_tasker_cores_context", () => {
    const { context } = createCompatContext({ context: { items: [10, 30] }, dependencyResults: { discount: { percent: 25 } }, attempt: 2 });
    const result = new TotalHandler().call(context);
    expect(result.success).toBe(true);
    expect(result.result).toEqual({ total: 30, retry: 1 });
  });

  test("runs_a_class_as_the_worker_would_and_says_how_the_step_ends", async () => {
    expect(await runHandler(TotalHandler, { context: { items: [1, 2] } })).toMatchObject({ success: true, result: { total: 3, retry: 0 } });
    const failed = await runHandler(TotalHandler, { context: {} });
    expect(failed).toMatchObject({ success: false, error: { message: "no items", errorType: "validation_error", retryable: false } });
  });
});
