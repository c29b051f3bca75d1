import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useTestDatabase } from "../support/database.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { startTestEngine, stepRows, taskState, type TestEngine } from "../support/engine.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({
    sql: db.sql,
    url: db.url,
    handlersDir: join(REPO_ROOT, "test", "fixtures", "handlers"),
    namespaces: ["conditional_approval_ts", "csv_processing_ts", "dynamic_cases"],
  });
});
afterAll(async () => {
  await engine?.stop();
});

const runToEnd = async (request: Record<string, unknown>, terminal = ["complete", "blocked_by_failures", "error"]) => {
  const created = await engine.orchestration.createTask({ version: "1.0.0", ...request });
  const state = await waitFor(
    async () => {
      const s = await taskState(db.sql, created.taskUuid);
      return s && terminal.includes(s) ? s : undefined;
    },
    { timeoutMs: 20_000, description: `task ${created.taskUuid} to finish` },
  );
  return { ...created, state, steps: await stepRows(db.sql, created.taskUuid) };
};

const approval = (amount: number) =>
  runToEnd({ namespace: "conditional_approval_ts", name: "approval_routing_ts", context: { amount, requester: "ana", purpose: "laptop" } });

const edgesOf = async (taskUuid: string) =>
  db.sql<{ parent: string; child: string; edge: string }[]>`
    SELECT pn.name AS parent, cn.name AS child, e.name AS edge
      FROM tasker.workflow_step_edges e
      JOIN tasker.workflow_steps p ON p.workflow_step_uuid = e.from_step_uuid
      JOIN tasker.named_steps pn ON pn.named_step_uuid = p.named_step_uuid
      JOIN tasker.workflow_steps c ON c.workflow_step_uuid = e.to_step_uuid
      JOIN tasker.named_steps cn ON cn.named_step_uuid = c.named_step_uuid
     WHERE p.task_uuid = ${taskUuid}::uuid ORDER BY 2, 1`;

describe("decision points (tasker-core's conditional approval template, unchanged)", () => {
  test("each_amount_creates_tasker_cores_step_set_and_completes", async () => {
    const cases: Array<[number, string[], string[]]> = [
      [500, ["auto_approve_ts"], ["automatic"]],
      [999.99, ["auto_approve_ts"], ["automatic"]],
      [1000, ["manager_approval_ts"], ["manager"]],
      [2500, ["manager_approval_ts"], ["manager"]],
      [4999, ["manager_approval_ts"], ["manager"]],
      [5000, ["finance_review_ts", "manager_approval_ts"], ["finance", "manager"]],
      [10_000, ["finance_review_ts", "manager_approval_ts"], ["finance", "manager"]],
    ];
    for (const [amount, branches, types] of cases) {
      const { state, steps, taskUuid } = await approval(amount);
      expect(state).toBe("complete");
      expect(steps.map((s) => s.name)).toEqual(
        [...branches, "finalize_approval_ts", "routing_decision_ts", "validate_request_ts"].sort(),
      );
      expect(steps.every((s) => s.state === "complete" && s.attempts === 1)).toBe(true);
      const final = steps.find((s) => s.name === "finalize_approval_ts")?.results?.result;
      expect(final).toEqual({ approved: true, approval_types: types, approval_count: types.length });
      const finalParents = (await edgesOf(taskUuid)).filter((e) => e.child === "finalize_approval_ts").map((e) => e.parent);
      expect(finalParents).toEqual(branches);
    }
  });

  test("created_steps_record_who_created_them_and_their_history_says_so", async () => {
    const { taskUuid } = await approval(700);
    const rows = await db.sql<{ name: string; created_by: string | null; event_meta: Record<string, unknown> }[]>`
      SELECT ns.name, cb.name AS created_by, t.metadata AS event_meta
        FROM tasker.workflow_steps ws
        JOIN tasker.named_steps ns USING (named_step_uuid)
        LEFT JOIN tasker.workflow_steps c ON c.workflow_step_uuid = ws.created_by_step_uuid
        LEFT JOIN tasker.named_steps cb ON cb.named_step_uuid = c.named_step_uuid
        JOIN tasker.workflow_step_transitions t ON t.workflow_step_uuid = ws.workflow_step_uuid AND t.sort_key = 1
       WHERE ws.task_uuid = ${taskUuid}::uuid ORDER BY ws.position`;
    expect(rows.map((r) => [r.name, r.created_by])).toEqual([
      ["validate_request_ts", null],
      ["routing_decision_ts", null],
      ["finalize_approval_ts", "routing_decision_ts"],
      ["auto_approve_ts", "routing_decision_ts"],
    ]);
    expect(rows[3]?.event_meta["outcome"]).toBe("create_steps");
  });
});

describe("decision outcomes that cannot be applied", () => {
  const decide = (decision_result: unknown) => runToEnd({ namespace: "dynamic_cases", name: "decision_echo", context: { decision_result } });

  test("no_branches_creates_nothing_and_the_task_completes", async () => {
    const { state, steps } = await decide({ decision_point_outcome: { type: "no_branches" }, reason: "nothing to do" });
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual(["decide", "start"]);
  });

  test("a_branch_with_dependents_creates_them_and_the_convergence_waits_only_for_what_exists", async () => {
    const { state, steps } = await decide({ decision_point_outcome: { type: "create_steps", step_names: ["left"] } });
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual(["after_left", "decide", "join", "left", "start"]);
    expect((steps.find((s) => s.name === "join")?.results?.result as { saw: string[] }).saw).toEqual(["after_left", "decide", "left", "start"]);
  });

  test("bad_outcomes_fail_the_decision_permanently_naming_the_problem_and_create_nothing", async () => {
    const cases: Array<[unknown, string]> = [
      [{ decision_point_outcome: { type: "create_steps", step_names: ["wire_transfer"] } }, 'step "wire_transfer" is not a step of template decision_echo'],
      [{ decision_point_outcome: { type: "create_steps", step_names: ["start"] } }, '"start" is not a descendant of this decision'],
      [{ decision_point_outcome: { type: "create_steps", step_names: ["after_left"] } }, 'step "after_left" depends on "left"'],
      [{ decision_point_outcome: { type: "maybe" } }, 'decision_point_outcome.type must be "create_steps" or "no_branches"'],
      [{ approved: true }, "its result has no decision_point_outcome"],
      ["left", "must be an object with decision_point_outcome, not the string"],
    ];
    for (const [result, message] of cases) {
      const { state, steps } = await decide(result);
      expect(state).toBe("blocked_by_failures");
      expect(steps.map((s) => s.name)).toEqual(["decide", "start"]);
      const decideRow = steps.find((s) => s.name === "decide");
      expect([decideRow?.state, decideRow?.attempts, decideRow?.results?.error?.error_type]).toEqual(["error", 1, "invalid_decision_outcome"]);
      expect((decideRow?.results as unknown as { error: { message: string } }).error.message).toContain(message);
      expect((decideRow?.results as { result: unknown }).result).toEqual(result);
    }
  });
});

const writeCsv = (rows: number): string => {
  const dir = mkdtempSync(join(tmpdir(), "tasker-csv-"));
  const path = join(dir, "products.csv");
  const lines = ["product_id,name,category,price,stock"];
  for (let i = 1; i <= rows; i += 1) lines.push(`${i},product ${i},${i % 3 === 0 ? "tools" : "toys"},${(i % 50) + 0.5},${i % 25}`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};

describe("batches (tasker-core's CSV batch template, unchanged)", () => {
  test("a_1000_row_csv_makes_5_batch_steps_and_every_row_is_counted_once", async () => {
    const path = writeCsv(1000);
    const { state, steps, taskUuid } = await runToEnd({
      namespace: "csv_processing_ts",
      name: "csv_product_inventory_analyzer_ts",
      context: { csv_file_path: path, checkpoint_every: 60 },
    });
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual([
      "aggregate_csv_results_ts",
      "analyze_csv_ts",
      ...["001", "002", "003", "004", "005"].map((id) => `process_csv_batch_ts_${id}`),
    ]);
    const total = steps.find((s) => s.name === "aggregate_csv_results_ts")?.results?.result as Record<string, number>;
    expect(total["batch_count"]).toBe(5);
    expect(total["total_rows_processed"]).toBe(1000);
    expect(total["product_id_sum"]).toBe((1000 * 1001) / 2);
    const edges = await edgesOf(taskUuid);
    expect(edges.filter((e) => e.edge === "batch_dependency").map((e) => e.child)).toHaveLength(5);
    expect(edges.filter((e) => e.edge === "worker_to_convergence").map((e) => e.child)).toEqual(Array<string>(5).fill("aggregate_csv_results_ts"));
    // Each batch step of 200 rows yielded after 60, 120 and 180 rows: one attempt, 4 executions.
    const first = await db.sql<{ checkpoint: { cursor: number; items_processed: number; history: unknown[] }; attempts: number; inputs: Record<string, unknown> }[]>`
      SELECT ws.checkpoint, ws.attempts, ws.inputs FROM tasker.workflow_steps ws JOIN tasker.named_steps ns USING (named_step_uuid)
       WHERE ws.task_uuid = ${taskUuid}::uuid AND ns.name = 'process_csv_batch_ts_001'`;
    expect(first[0]?.attempts).toBe(1);
    expect([first[0]?.checkpoint.cursor, first[0]?.checkpoint.items_processed, first[0]?.checkpoint.history.length]).toEqual([180, 180, 3]);
    expect(first[0]?.inputs).toEqual({
      processing_mode: "inventory_analysis",
      cursor: { batch_id: "001", start_cursor: 0, end_cursor: 200, batch_size: 200 },
      batch_metadata: { cursor_field: "row_number", failure_strategy: "continue_on_failure", batch_size: 200 },
      is_no_op: false,
    });
  });

  test("an_empty_csv_creates_no_batches_and_the_task_completes", async () => {
    const { state, steps } = await runToEnd({
      namespace: "csv_processing_ts",
      name: "csv_product_inventory_analyzer_ts",
      context: { csv_file_path: writeCsv(0) },
    });
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual(["analyze_csv_ts"]);
  });
});

describe("batch outcomes that cannot be applied", () => {
  const analyze = (batch_result: unknown) => runToEnd({ namespace: "dynamic_cases", name: "batch_echo", context: { batch_result } });
  const configs = (n: number) => Array.from({ length: n }, (_, i) => ({ batch_id: `b${i}`, start_cursor: i * 10, end_cursor: i * 10 + 10 }));

  test("no_batches_with_a_named_template_makes_one_no_op_placeholder", async () => {
    const { state, steps } = await analyze({ batch_processing_outcome: { type: "no_batches" } });
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual(["analyze", "rows_000", "total"]);
    expect((steps.find((s) => s.name === "rows_000")?.results?.result as { inputs: { is_no_op: boolean } }).inputs.is_no_op).toBe(true);
  });

  test("malformed_outcomes_fail_the_analyzer_permanently_and_create_nothing", async () => {
    const cases: Array<[unknown, string]> = [
      [{ batch_processing_outcome: { type: "create_batches", worker_template_name: "rows", cursor_configs: "all" } }, "cursor_configs must be a list"],
      [{ batch_processing_outcome: { type: "create_batches", worker_template_name: "total", cursor_configs: configs(2) } }, '"total" is a deferred_convergence step'],
      [{ batch_processing_outcome: { type: "create_batches", worker_template_name: "rows", cursor_configs: [{ batch_id: "x" }] } }, "cursor_configs[0].start_cursor is required"],
      [{ batch_processing_outcome: { type: "create_batches", worker_template_name: "rows", cursor_configs: configs(1001) } }, "more than max_batches_per_analyzer (1000)"],
      [[1, 2, 3], "must be an object with batch_processing_outcome, not a list"],
    ];
    for (const [result, message] of cases) {
      const { state, steps } = await analyze(result);
      expect(state).toBe("blocked_by_failures");
      expect(steps.map((s) => s.name)).toEqual(["analyze"]);
      expect(steps[0]?.results?.error?.error_type).toBe("invalid_batch_outcome");
      expect((steps[0]?.results as unknown as { error: { message: string } }).error.message).toContain(message);
    }
  });

  test("300_batch_steps_from_one_outcome_all_run_and_converge", async () => {
    const { state, steps } = await analyze({ batch_processing_outcome: { type: "create_batches", worker_template_name: "rows", cursor_configs: configs(300) } });
    expect(state).toBe("complete");
    expect(steps).toHaveLength(302);
    expect((steps.find((s) => s.name === "total")?.results?.result as { saw: string[] }).saw).toHaveLength(301);
  });
});

describe("checkpoints from a handler thread", () => {
  test("ctx_checkpoint_persists_through_the_thread_and_the_next_attempt_resumes_from_it", async () => {
    const { state, steps } = await runToEnd({ namespace: "dynamic_cases", name: "checkpoint_then_fail", context: {} });
    expect(state).toBe("complete");
    const result = steps[0]?.results?.result as { attempt: number; resumed_from: Record<string, unknown> };
    expect(result.attempt).toBe(2);
    expect(result.resumed_from).toMatchObject({ cursor: { offset: 5 }, itemsProcessed: 5, accumulated: { sum: 15 }, attempt: 1 });
    expect(typeof result.resumed_from["savedAt"]).toBe("string");
  });
});
