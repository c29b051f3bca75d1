// An example of testing handlers with `tasker/testing` (run with `bun test handlers/`).
// Unit tests call one handler with a realistic context; the workflow test runs the whole template
// in this process against a database of its own (DATABASE_URL, else postgres@127.0.0.1:5432).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runHandler, startWorkflowTest, type WorkflowTest } from "tasker/testing";
import finalizeApproval from "./finalize_approval.ts";
import routingDecision from "./routing_decision.ts";
import validateRequest from "./validate_request.ts";

describe("conditional_approval handlers", () => {
  test("routing_decision names the approvals an amount needs", async () => {
    const route = async (amount: number) => {
      const outcome = await runHandler(routingDecision, { context: { amount }, inputs: { thresholds: { small: 1000, large: 5000 } } });
      if (!outcome.success) throw new Error(outcome.error.message);
      return (outcome.result as { decision_point_outcome: { step_names: string[] } }).decision_point_outcome.step_names;
    };
    expect(await route(999)).toEqual(["auto_approve"]);
    expect(await route(1000)).toEqual(["manager_approval"]);
    expect(await route(5000)).toEqual(["manager_approval", "finance_review"]);
  });

  test("validate_request fails for good on a bad amount", async () => {
    const outcome = await runHandler(validateRequest, { context: { amount: -5, requester: "ana", purpose: "x" } });
    expect(outcome).toMatchObject({ success: false, error: { retryable: false, errorType: "permanent_error" } });
  });

  test("finalize_approval approves when every existing approval did", async () => {
    const outcome = await runHandler(finalizeApproval, {
      dependencyResults: { manager_approval: { approved: true, approval_type: "manager" }, validate_request: { validated: true } },
    });
    expect(outcome).toMatchObject({ success: true, result: { approved: true, approval_types: ["manager"], approval_count: 1 } });
  });
});

describe("the approval_routing workflow", () => {
  let workflows: WorkflowTest;
  beforeAll(async () => {
    workflows = await startWorkflowTest({ handlersDir: join(import.meta.dir, ".."), namespaces: ["conditional_approval"] });
  });
  afterAll(async () => {
    await workflows?.stop();
  });

  test("2,500 needs a manager: 4 steps, approved", async () => {
    const task = await workflows.run({ namespace: "conditional_approval", name: "approval_routing", context: { amount: 2500, requester: "ana", purpose: "laptop" } });
    expect(task.status).toBe("complete");
    expect(task.steps.map((s) => s.name)).toEqual(["validate_request", "routing_decision", "manager_approval", "finalize_approval"]);
    expect(task.absent_steps.map((a) => a.name)).toEqual(["auto_approve", "finance_review"]);
  });
});
