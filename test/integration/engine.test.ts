import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useTestDatabase } from "../support/database.ts";
import { passiveOrchestration, startTestEngine, stepRows, taskState, type TestEngine } from "../support/engine.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({ sql: db.sql, url: db.url });
});
afterAll(async () => {
  await engine?.stop();
});

const runToEnd = async (request: Record<string, unknown>, terminal = ["complete"]) => {
  const created = await engine.orchestration.createTask(request);
  const state = await waitFor(
    async () => {
      const s = await taskState(db.sql, created.taskUuid);
      return s && terminal.includes(s) ? s : undefined;
    },
    { timeoutMs: 20_000, description: `task ${created.taskUuid} to reach ${terminal.join("|")}` },
  );
  return { ...created, state, steps: await stepRows(db.sql, created.taskUuid) };
};

describe("workflow engine in one process", () => {
  test("linear_example_completes_with_the_expected_values", async () => {
    const { steps, state } = await runToEnd({
      namespace: "linear_workflow",
      name: "mathematical_sequence",
      version: "1.0.0",
      context: { even_number: 6 },
    });
    expect(state).toBe("complete");
    expect(steps.map((s) => [s.name, s.state, (s.results?.result as { value: number }).value])).toEqual([
      ["linear_step_1", "complete", 36],
      ["linear_step_2", "complete", 46],
      ["linear_step_3", "complete", 138],
      ["linear_step_4", "complete", 69],
    ]);
  });

  test("diamond_example_averages_its_branches", async () => {
    const { steps } = await runToEnd({
      namespace: "diamond_workflow",
      name: "parallel_computation",
      version: "1.0.0",
      context: { even_number: 6 },
    });
    const end = steps.find((s) => s.name === "diamond_end");
    expect((end?.results?.result as { value: number }).value).toBe(66.5);
  });

  test("fail_twice_then_succeed_completes_on_attempt_3", async () => {
    const { steps } = await runToEnd({ namespace: "retry_examples", name: "fail_twice_then_succeed", version: "1.0.0" });
    expect(steps[0]?.attempts).toBe(3);
    expect(steps[0]?.state).toBe("complete");
  });

  test("conditional_approval_example_creates_only_the_chosen_approvals", async () => {
    const { steps, state } = await runToEnd({
      namespace: "conditional_approval",
      name: "approval_routing",
      version: "1.0.0",
      context: { amount: 7500, requester: "ana", purpose: "servers" },
    });
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual(["finalize_approval", "finance_review", "manager_approval", "routing_decision", "validate_request"]);
    expect(steps.find((s) => s.name === "finalize_approval")?.results?.result).toEqual({
      approved: true,
      approval_types: ["finance", "manager"],
      approval_count: 2,
    });
  });

  test("csv_batch_example_splits_the_file_and_totals_every_row_once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tasker-csv-"));
    const path = join(dir, "products.csv");
    const rows = Array.from({ length: 450 }, (_, i) => `${i + 1},p${i + 1},toys,2.5,${i % 12}`);
    writeFileSync(path, ["product_id,name,category,price,stock", ...rows].join("\n"));
    const { steps, state } = await runToEnd({ namespace: "csv_batch", name: "inventory_csv", version: "1.0.0", context: { csv_file_path: path } });
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual([
      "aggregate_csv_results",
      "analyze_csv",
      "process_csv_batch_001",
      "process_csv_batch_002",
      "process_csv_batch_003",
    ]);
    expect(steps.find((s) => s.name === "aggregate_csv_results")?.results?.result).toMatchObject({
      batch_count: 3,
      total_rows_processed: 450,
      product_id_sum: (450 * 451) / 2,
      out_of_stock_items: 38,
    });
  });

  test("always_failing_step_ends_in_error_and_blocks_the_task", async () => {
    const { steps, state } = await runToEnd(
      { namespace: "retry_examples", name: "always_fail", version: "1.0.0" },
      ["blocked_by_failures"],
    );
    expect(state).toBe("blocked_by_failures");
    expect(steps[0]?.state).toBe("error");
    expect(steps[0]?.attempts).toBe(3);
  });

  test("duplicate_task_is_a_conflict", async () => {
    const request = { namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 8 } };
    await engine.orchestration.createTask(request);
    const error = await engine.orchestration.createTask({ ...request, context: { even_number: 8 } }).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe("CONFLICT");
  });

  test("input_schema_violation_names_the_field", async () => {
    const error = await engine.orchestration
      .createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: "six" } })
      .catch((e: unknown) => e);
    expect((error as { code: string; field: string }).code).toBe("VALIDATION_FAILED");
    expect((error as { field: string }).field).toBe("context.even_number");
  });

  test("tree_and_mixed_dag_examples_complete_with_the_documented_values", async () => {
    const tree = await runToEnd({ namespace: "tree_workflow", name: "hierarchical_tree", version: "1.0.0", context: { even_number: 6 } });
    const treeFinal = tree.steps.find((s) => s.name === "final_convergence");
    expect((treeFinal?.results?.result as { value: number }).value).toBe(329);
    const dag = await runToEnd({ namespace: "mixed_dag_workflow", name: "complex_dag", version: "1.0.0", context: { even_number: 6 } });
    const dagFinal = dag.steps.find((s) => s.name === "finalize");
    expect((dagFinal?.results?.result as { value: number }).value).toBe(292);
    expect(dag.steps.every((s) => s.state === "complete" && s.attempts === 1)).toBe(true);
  });

  test("permanent_failure_runs_once_and_leaves_dependents_pending", async () => {
    const { steps, state } = await runToEnd(
      { namespace: "retry_examples", name: "permanent_failure", version: "1.0.0" },
      ["blocked_by_failures"],
    );
    expect(state).toBe("blocked_by_failures");
    const reject = steps.find((s) => s.name === "reject_order");
    expect([reject?.state, reject?.attempts, reject?.results?.error?.error_type]).toEqual(["error", 1, "order_rejected"]);
    expect(steps.find((s) => s.name === "ship_order")?.state).toBe("pending");
  });

  test("a_hanging_handler_is_timed_out_and_retried", async () => {
    const { steps } = await runToEnd({ namespace: "retry_examples", name: "slow_step", version: "1.0.0" });
    expect(steps[0]?.attempts).toBe(2);
    const [audit] = await db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tasker.workflow_step_transitions t
        JOIN tasker.workflow_steps s USING (workflow_step_uuid)
        JOIN tasker.named_steps st USING (named_step_uuid)
       WHERE st.name = 'slow_step' AND t.to_state = 'waiting_for_retry'`;
    expect(audit?.n).toBe(1);
  });

  test("a_step_claimed_by_a_dead_worker_is_recovered_and_the_task_completes", async () => {
    await engine.stop();
    // A "worker" that claims the first step and dies without a result.
    const created = await passiveOrchestration(db.sql)
      .createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 10 } });
    const [step] = await db.sql<{ id: string }[]>`
      SELECT workflow_step_uuid AS id FROM tasker.workflow_steps WHERE task_uuid = ${created.taskUuid}::uuid AND state = 'enqueued'`;
    const claim = await db.sql<{ r: { claimed: boolean } }[]>`
      SELECT tasker.claim_step(${step!.id}::uuid, '01a20000-0000-7000-8000-00000000dead'::uuid,
                               'worker_linear_workflow_queue', NULL, 30, 30) AS r`;
    expect(claim[0]?.r.claimed).toBe(true);
    engine = await startTestEngine({ sql: db.sql, url: db.url });
    const state = await waitFor(async () => ((await taskState(db.sql, created.taskUuid)) === "complete" ? "complete" : undefined), {
      timeoutMs: 20_000,
      description: "the recovered task to complete",
    });
    expect(state).toBe("complete");
    const steps = await stepRows(db.sql, created.taskUuid);
    const first = steps.find((s) => s.name === "linear_step_1");
    expect(first?.attempts).toBe(2);
    expect((steps.find((s) => s.name === "linear_step_4")?.results?.result as { value: number }).value).toBe(165);
    expect(engine.logs.some((l) => l["msg"] === "recovered a step whose attempt was lost" && l["reason"] === "worker_lost")).toBe(true);
  });

  test("a_step_no_handler_on_the_worker_serves_fails_permanently_as_handler_not_found", async () => {
    // A template version registered by some other worker: this worker serves the namespace but not the version.
    const { loadNamespaces } = await import("../../src/worker/loadNamespaces.ts");
    const { registerTemplates } = await import("../../src/worker/templateRegistrar.ts");
    const { REPO_ROOT } = await import("../support/binary.ts");
    const [linear] = await loadNamespaces(`${REPO_ROOT}/handlers`, ["linear_workflow"]);
    await registerTemplates(db.sql, [{ ...linear!.templates[0]!.template, version: "9.9.9" }]);
    const { steps, state } = await runToEnd(
      { namespace: "linear_workflow", name: "mathematical_sequence", version: "9.9.9", context: { even_number: 30 } },
      ["blocked_by_failures"],
    );
    expect(state).toBe("blocked_by_failures");
    const first = steps.find((s) => s.name === "linear_step_1");
    expect([first?.state, first?.attempts, first?.results?.error?.error_type]).toEqual(["error", 1, "handler_not_found"]);
  });
});

