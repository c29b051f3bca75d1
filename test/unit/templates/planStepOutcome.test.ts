import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseYaml } from "../../../src/runtime/index.ts";
import { parseTemplate, type TaskTemplate } from "../../../src/templates/index.ts";
import { planStepOutcome, type ExistingStep, type OutcomePlan } from "../../../src/templates/planStepOutcome.ts";
import { templateGraph } from "../../../src/templates/templateGraph.ts";

const fixture = (path: string, namespace: string): TaskTemplate =>
  parseTemplate(parseYaml(readFileSync(`test/fixtures/handlers/${path}`, "utf8")), { file: path, namespace });

const approval = fixture("conditional_approval_ts/conditional_approval_handler_ts.yaml", "conditional_approval_ts");
const csv = fixture("csv_processing_ts/batch_processing_ts.yaml", "csv_processing_ts");

const step = (name: string, state = "complete", templateStepName = name): ExistingStep => ({ name, templateStepName, state });
const created = (plan: OutcomePlan): Record<string, string[]> => {
  if (plan.kind !== "create") throw new Error(`expected a plan, got ${JSON.stringify(plan)}`);
  return Object.fromEntries(plan.steps.map((s) => [s.name, s.parents.map((p) => `${p.name}:${p.edge}`)]));
};
const invalidMessage = (plan: OutcomePlan): string => {
  if (plan.kind !== "invalid") throw new Error(`expected invalid, got ${JSON.stringify(plan)}`);
  return plan.message;
};

const routing = { name: "routing_decision_ts", templateStepName: "routing_decision_ts" };
const routed = [step("validate_request_ts"), step("routing_decision_ts", "in_progress")];
const decide = (names: unknown, existing = routed) =>
  planStepOutcome(approval, routing, { decision_point_outcome: { type: "create_steps", step_names: names } }, existing);

describe("templateGraph", () => {
  test("creates_only_steps_outside_decisions_and_batch_templates_with_the_task", () => {
    expect(templateGraph(approval).initialStepNames()).toEqual(["validate_request_ts", "routing_decision_ts"]);
    expect(templateGraph(csv).initialStepNames()).toEqual(["analyze_csv_ts"]);
  });
});

describe("planStepOutcome: decisions", () => {
  test("one_branch_creates_it_and_the_convergence_step_waiting_only_for_it", () => {
    expect(created(decide(["auto_approve_ts"]))).toEqual({
      auto_approve_ts: ["routing_decision_ts:provides"],
      finalize_approval_ts: ["auto_approve_ts:provides"],
    });
  });

  test("two_branches_give_the_convergence_step_two_parents", () => {
    expect(created(decide(["manager_approval_ts", "finance_review_ts"]))).toEqual({
      manager_approval_ts: ["routing_decision_ts:provides"],
      finance_review_ts: ["routing_decision_ts:provides"],
      finalize_approval_ts: ["manager_approval_ts:provides", "finance_review_ts:provides"],
    });
  });

  test("no_branches_creates_nothing", () => {
    const plan = planStepOutcome(approval, routing, { decision_point_outcome: { type: "no_branches" }, reason: "x" }, routed);
    expect(plan).toEqual({ kind: "create", outcome: "no_branches", steps: [], lateEdges: [], batchCount: 0 });
  });

  test("bad_outcomes_are_invalid_with_a_message_naming_the_problem", () => {
    expect(invalidMessage(decide(["wire_transfer"]))).toContain('step "wire_transfer" is not a step of template approval_routing_ts');
    expect(invalidMessage(decide(["validate_request_ts"]))).toContain('"validate_request_ts" is not a descendant of this decision');
    expect(invalidMessage(decide("auto_approve_ts"))).toContain("step_names must be a list");
    expect(invalidMessage(planStepOutcome(approval, routing, "auto", routed))).toContain("must be an object with decision_point_outcome, not the string");
    expect(invalidMessage(planStepOutcome(approval, routing, { approved: true }, routed))).toContain("has no decision_point_outcome");
    expect(invalidMessage(planStepOutcome(approval, routing, { decision_point_outcome: { type: "maybe" } }, routed))).toContain(
      'type must be "create_steps" or "no_branches"',
    );
    const many = planStepOutcome(
      approval,
      routing,
      { decision_point_outcome: { type: "create_steps", step_names: ["auto_approve_ts", "manager_approval_ts"] } },
      routed,
      { maxStepsPerDecision: 1, maxDecisionDepth: 20, maxBatchesPerAnalyzer: 10 },
    );
    expect(invalidMessage(many)).toContain("names 2 steps, more than max_steps_per_decision (1)");
  });

  test("a_plain_step_result_plans_nothing", () => {
    expect(planStepOutcome(approval, { name: "validate_request_ts", templateStepName: "validate_request_ts" }, {}, routed)).toEqual({
      kind: "none",
    });
  });
});

const nested = parseTemplate(
  {
    name: "nested",
    version: "1.0.0",
    steps: [
      { name: "start", handler: { callable: "h" } },
      { name: "outer", type: "decision", dependencies: ["start"], handler: { callable: "h" } },
      { name: "left", dependencies: ["outer"], handler: { callable: "h" } },
      { name: "inner", type: "decision", dependencies: ["outer"], handler: { callable: "h" } },
      { name: "deep", dependencies: ["inner"], handler: { callable: "h" } },
      { name: "after_left", dependencies: ["left"], handler: { callable: "h" } },
      { name: "join", dependencies: ["after_left", "deep"], handler: { callable: "h" } },
      { name: "merge", type: "deferred_convergence", dependencies: ["after_left", "deep"], handler: { callable: "h" } },
    ],
  },
  { file: "nested.yaml", namespace: "ns" },
);

describe("planStepOutcome: nested decisions and intersection", () => {
  const outer = { name: "outer", templateStepName: "outer" };
  const inner = { name: "inner", templateStepName: "inner" };

  test("a_branch_brings_its_dependents_but_stops_at_a_nested_decision", () => {
    const plan = planStepOutcome(nested, outer, { decision_point_outcome: { type: "create_steps", step_names: ["left", "inner"] } }, [
      step("start"),
      step("outer", "in_progress"),
    ]);
    expect(created(plan)).toEqual({
      left: ["outer:provides"],
      inner: ["outer:provides"],
      after_left: ["left:provides"],
      merge: ["after_left:provides"],
    });
  });

  test("a_nested_decision_branch_cannot_be_chosen_by_the_outer_decision", () => {
    const plan = planStepOutcome(nested, outer, { decision_point_outcome: { type: "create_steps", step_names: ["deep"] } }, [
      step("start"),
      step("outer", "in_progress"),
    ]);
    expect(invalidMessage(plan)).toContain('"deep" is decided by the nested decision "inner"');
  });

  test("a_later_branch_creates_the_join_and_links_the_waiting_convergence_step", () => {
    const existing = [
      step("start"),
      step("outer"),
      step("left"),
      step("inner", "in_progress"),
      step("after_left", "in_progress"),
      step("merge", "pending"),
    ];
    const plan = planStepOutcome(nested, inner, { decision_point_outcome: { type: "create_steps", step_names: ["deep"] } }, existing);
    expect(created(plan)).toEqual({ deep: ["inner:provides"], join: ["after_left:provides", "deep:provides"] });
    expect(plan.kind === "create" && plan.lateEdges).toEqual([{ from: "deep", to: "merge", edge: "provides" }]);
  });
});

describe("planStepOutcome: batches", () => {
  const analyzer = { name: "analyze_csv_ts", templateStepName: "analyze_csv_ts" };
  const existing = [step("analyze_csv_ts", "in_progress")];
  const configs = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ batch_id: String(i + 1).padStart(3, "0"), start_cursor: i * 200, end_cursor: (i + 1) * 200, batch_size: 200 }));
  const batches = (outcome: Record<string, unknown>, limits?: { maxBatchesPerAnalyzer: number }) =>
    planStepOutcome(
      csv,
      analyzer,
      { batch_processing_outcome: outcome },
      existing,
      limits ? { maxStepsPerDecision: 100, maxDecisionDepth: 20, ...limits } : undefined,
    );
  const ok = { type: "create_batches", worker_template_name: "process_csv_batch_ts", worker_count: 5, cursor_configs: configs(5), total_items: 1000 };

  test("one_step_per_cursor_config_and_the_aggregator_waiting_for_all_of_them", () => {
    const plan = batches(ok);
    const steps = created(plan);
    expect(Object.keys(steps)).toEqual([
      "process_csv_batch_ts_001",
      "process_csv_batch_ts_002",
      "process_csv_batch_ts_003",
      "process_csv_batch_ts_004",
      "process_csv_batch_ts_005",
      "aggregate_csv_results_ts",
    ]);
    expect(steps["process_csv_batch_ts_001"]).toEqual(["analyze_csv_ts:batch_dependency"]);
    expect(steps["aggregate_csv_results_ts"]).toHaveLength(5);
    expect(steps["aggregate_csv_results_ts"]![0]).toBe("process_csv_batch_ts_001:worker_to_convergence");
    if (plan.kind !== "create") throw new Error("unreachable");
    expect(plan.batchCount).toBe(5);
    expect(plan.steps[1]!.inputs).toEqual({
      processing_mode: "inventory_analysis",
      cursor: { batch_id: "002", start_cursor: 200, end_cursor: 400, batch_size: 200 },
      batch_metadata: { cursor_field: "row_number", failure_strategy: "continue_on_failure", batch_size: 200 },
      is_no_op: false,
    });
    expect(plan.steps[0]!.templateStepName).toBe("process_csv_batch_ts");
    expect(plan.steps[0]!.timeoutSeconds).toBe(120);
  });

  test("without_worker_template_name_the_one_batch_worker_of_the_analyzer_is_meant", () => {
    const { worker_template_name: _omitted, ...unnamed } = ok;
    expect(Object.keys(created(batches(unnamed)))).toHaveLength(6);
    expect(created(batches({ ...unnamed, worker_template_name: null }))["process_csv_batch_ts_005"]).toEqual(["analyze_csv_ts:batch_dependency"]);
  });

  test("no_batches_without_a_named_template_creates_nothing_and_with_one_a_no_op_placeholder", () => {
    expect(created(batches({ type: "no_batches" }))).toEqual({});
    const placeholder = batches({ type: "create_batches", worker_template_name: "process_csv_batch_ts", worker_count: 0, cursor_configs: [] });
    expect(Object.keys(created(placeholder))).toEqual(["process_csv_batch_ts_000", "aggregate_csv_results_ts"]);
    expect(placeholder.kind === "create" && placeholder.steps[0]!.inputs["is_no_op"]).toBe(true);
  });

  test("malformed_outcomes_are_invalid_with_a_message_naming_the_problem", () => {
    expect(invalidMessage(batches({ ...ok, worker_template_name: "aggregate_csv_results_ts" }))).toContain("is a deferred_convergence step, not a batch_worker");
    expect(invalidMessage(batches({ ...ok, cursor_configs: "all" }))).toContain("cursor_configs must be a list");
    expect(invalidMessage(batches({ ...ok, worker_count: 4 }))).toContain("worker_count 4 does not match the 5 cursor_configs");
    expect(invalidMessage(batches({ ...ok, cursor_configs: [...configs(4), 7] }))).toContain("cursor_configs[4] must be an object");
    const dup = configs(5);
    dup[3]!.batch_id = "001";
    expect(invalidMessage(batches({ ...ok, cursor_configs: dup }))).toContain('cursor_configs[3].batch_id "001" is used by more than one batch');
    expect(invalidMessage(batches({ ...ok, cursor_configs: [{ batch_id: "a b", start_cursor: 0, end_cursor: 1 }], worker_count: 1 }))).toContain(
      "cursor_configs[0].batch_id must be a string",
    );
    expect(invalidMessage(batches({ ...ok, cursor_configs: [{ batch_id: "x", end_cursor: 1 }], worker_count: 1 }))).toContain(
      "cursor_configs[0].start_cursor is required",
    );
    expect(invalidMessage(batches(ok, { maxBatchesPerAnalyzer: 4 }))).toContain("asks for 5 batches, more than max_batches_per_analyzer (4)");
    expect(invalidMessage(planStepOutcome(csv, analyzer, [1, 2], existing))).toContain("must be an object with batch_processing_outcome, not a list");
  });
});
