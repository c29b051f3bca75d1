/**
 * The tasks tasker-core's own TypeScript end-to-end tests create (`tests/e2e/typescript/*.rs`,
 * class style and DSL style) and what they assert of each, plus the values their comments give
 * (linear 6 → 69, diamond 6 → 66.5, ...). Written here from those tests' descriptions.
 */

export interface ScenarioStep {
  name: string;
  current_state: string;
  attempts: number;
  results: { result?: unknown; error?: { message?: string } | null } | null;
}

export interface ScenarioTask {
  task_uuid: string;
  status: string;
  steps: ScenarioStep[];
}

export interface Scenario {
  label: string;
  namespace: string;
  name: string;
  context: Record<string, unknown>;
  timeoutMs: number;
  /** null when the task is as tasker-core's test expects, else what differs. */
  check(task: ScenarioTask): string | null;
}

type Rec = Record<string, unknown>;
const asRecord = (value: unknown): Rec => (typeof value === "object" && value !== null ? (value as Rec) : {});
const names = (t: ScenarioTask) => t.steps.map((s) => s.name);
const allComplete = (t: ScenarioTask) => t.steps.every((s) => s.current_state === "complete");
/** The step named `base` with the variant's suffix (`_ts`, `_dsl_ts`) or without (tasker-core names some steps without); a prefix for batch steps. */
const stepStarting = (t: ScenarioTask, base: string, sfx = "") =>
  t.steps.find((s) => s.name === `${base}${sfx}` || s.name === base) ?? t.steps.find((s) => s.name.startsWith(`${base}${sfx}`) || s.name.startsWith(base));
const resultOf = (t: ScenarioTask, base: string, sfx = ""): Rec => asRecord(stepStarting(t, base, sfx)?.results?.result);
const unfinished = (t: ScenarioTask) =>
  t.steps
    .filter((s) => s.current_state !== "complete")
    .map((s) => `${s.name}=${s.current_state}${s.results?.error?.message ? ` (${s.results.error.message})` : ""}`)
    .join(", ");

/** Complete, with `count` steps (when given), every one complete. */
function completed(count?: number, more?: (t: ScenarioTask) => string | null) {
  return (t: ScenarioTask): string | null => {
    if (t.status !== "complete") return `task is ${t.status}: ${unfinished(t)}`;
    if (count !== undefined && t.steps.length !== count) return `${t.steps.length} steps (${names(t).join(", ")}), expected ${count}`;
    if (!allComplete(t)) return `steps not complete: ${unfinished(t)}`;
    return more ? more(t) : null;
  };
}

const equal = (what: string, actual: unknown, expected: unknown): string | null =>
  actual === expected ? null : `${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;

/** Both variants: class style (`<ns>_ts`, steps `<name>_ts`) and DSL (`<ns>_dsl_ts`, steps `<name>_dsl_ts`). */
export function taskerCoreScenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const variant of ["class", "dsl"] as const) {
    const sfx = variant === "dsl" ? "_dsl_ts" : "_ts";
    const s = (name: string) => `${name}${sfx}`;
    const add = (label: string, namespace: string, name: string, context: Rec, check: Scenario["check"], timeoutMs = 30_000) =>
      out.push({ label: `${variant}: ${label}`, namespace, name, context, check, timeoutMs });

    for (const [n, final] of [[6, 69], [10, 165], [8, 111]] as const) {
      add(`linear workflow, even_number ${n}`, s("linear_workflow"), s("mathematical_sequence"), { even_number: n },
        completed(4, (t) => equal("linear_step_4's final_value", resultOf(t, "linear_step_4", sfx)["final_value"], final)));
    }
    for (const [n, final] of [[6, 66.5], [10, 162.5], [4, 36.5]] as const) {
      add(`diamond workflow, even_number ${n}`, s("diamond_workflow"), s("parallel_computation"), { even_number: n },
        completed(4, (t) => equal("diamond_end's final_value", resultOf(t, "diamond_end", sfx)["final_value"], final)));
    }
    const approvals: Array<[number, number, string[], string[]]> = [
      [500, 4, ["auto_approve"], ["manager_approval", "finance_review"]],
      [2500, 4, ["manager_approval"], ["auto_approve", "finance_review"]],
      [10000, 5, ["manager_approval", "finance_review"], ["auto_approve"]],
      [1000, 4, ["manager_approval"], ["auto_approve"]],
      [5000, 5, ["manager_approval", "finance_review"], ["auto_approve"]],
    ];
    for (const [amount, count, present, absent] of approvals) {
      add(`conditional approval, amount ${amount}`, s("conditional_approval"), s("approval_routing"), { amount, requester: "test_user", purpose: "e2e" },
        completed(count, (t) => {
          const has = (base: string) => names(t).includes(s(base)) || names(t).includes(base);
          const missing = present.filter((n) => !has(n));
          const extra = absent.filter(has);
          return missing.length + extra.length === 0 ? null : `missing ${missing.join(", ") || "-"}, unexpected ${extra.join(", ") || "-"}`;
        }));
    }
    add("CSV batch processing", `csv_processing${sfx}`, s("csv_product_inventory_analyzer"), { csv_file_path: "/test/fixtures/products.csv", analysis_mode: "inventory" },
      completed(undefined, (t) => (t.steps.length >= 3 && stepStarting(t, "analyze_csv", sfx) && stepStarting(t, "aggregate_csv_results", sfx) ? null : `steps ${names(t).join(", ")}`)));
    add("CSV batch processing, no batches", `csv_processing${sfx}`, s("csv_product_inventory_analyzer"), { csv_file_path: "/test/fixtures/empty.csv", analysis_mode: "inventory" },
      completed(undefined, (t) => (stepStarting(t, "analyze_csv", sfx) ? null : `steps ${names(t).join(", ")}`)));

    const checkpointNs = variant === "dsl" ? "ts_e2e_checkpoint_dsl" : "ts_e2e_checkpoint";
    add("checkpoint yield, happy path", checkpointNs, s("checkpoint_yield_test"), { total_items: 100, items_per_checkpoint: 25 },
      completed(undefined, (t) => {
        const r = resultOf(t, "aggregate_results", sfx);
        return r["total_processed"] === 100 && Number(r["checkpoints_used"]) >= 3 && r["test_passed"] === true ? null : `aggregate ${JSON.stringify(r)}`;
      }), 60_000);
    add("checkpoint yield, transient failure resumes", checkpointNs, s("checkpoint_yield_test"), { total_items: 100, items_per_checkpoint: 20, fail_after_items: 50, fail_on_attempt: 1 },
      completed(undefined, (t) => {
        const worker = stepStarting(t, "checkpoint_yield_batch", sfx);
        const r = resultOf(t, "aggregate_results", sfx);
        return worker?.attempts === 2 && r["total_processed"] === 100 ? null : `batch step attempts ${worker?.attempts}, aggregate ${JSON.stringify(r)}`;
      }), 90_000);
    add("checkpoint yield, permanent failure", checkpointNs, s("checkpoint_yield_test"), { total_items: 100, items_per_checkpoint: 25, fail_after_items: 30, fail_on_attempt: 1, permanent_failure: true },
      (t) => {
        const worker = stepStarting(t, "checkpoint_yield_batch", sfx);
        if (t.status === "complete") return "task completed";
        return !worker || worker.attempts <= 3 ? null : `batch step ran ${worker.attempts} times`;
      });

    const orders: Array<[string, number]> = [["ORD-TS-001", 99.99], ["ORD-TS-CONC-001", 100], ["ORD-TS-CONC-002", 200], ["ORD-TS-CONC-003", 300]];
    for (const [order, amount] of orders) {
      add(`domain event publishing, ${order}`, `domain_events${sfx}`, s("domain_event_publishing"), { order_id: order, customer_id: `CUST-${order}`, amount }, completed(4), 10_000);
    }
    add("ecommerce order processing", `ecommerce${sfx}`, s("ecommerce_order_processing"), {
      cart_items: [{ product_id: 1, quantity: 2 }, { product_id: 2, quantity: 1 }],
      customer_info: { email: "customer@example.com", name: "John Doe", phone: "+1-555-0123" },
      payment_info: { method: "credit_card", token: "tok_test_valid", amount: 124.76 },
    }, completed(5), 15_000);
    add("data pipeline analytics", `data_pipeline${sfx}`, s("analytics_pipeline"),
      { pipeline_id: `pipeline_${crypto.randomUUID()}`, date_range: { start_date: "2025-11-01", end_date: "2025-11-30" } }, completed(8));
    add("microservices user registration", `microservices${sfx}`, s("user_registration"),
      { user_info: { email: `test_${crypto.randomUUID()}@example.com`, name: "Test User", plan: "pro", source: "api_test" } }, completed(5));
    add("success only", `test_scenarios${sfx}`, s("success_only"), { message: "Hello from TypeScript e2e test!" }, completed(1), 5_000);
    add("success only, no input", `test_scenarios${sfx}`, s("success_only"), {}, completed(), 5_000);
    const failedOnce = (t: ScenarioTask) =>
      t.status === "complete" ? "task completed" : t.steps.length === 1 && t.steps[0]!.current_state === "error" ? null : `steps ${unfinished(t)}`;
    add("permanent error only", `test_scenarios${sfx}`, s("permanent_error_only"), { error_message: "Permanent failure from TypeScript" }, failedOnce, 5_000);
    add("retryable error only", `test_scenarios${sfx}`, s("retryable_error_only"), { error_message: "Temporary failure from TypeScript - will retry" }, failedOnce, 10_000);
    for (const amount of [100, 250, 50]) {
      add(`method dispatch, amount ${amount}`, `resolver_tests${sfx}`, s("method_dispatch"), { data: { amount, reason: "test_refund" } },
        completed(4, (t) => {
          const invoked = Object.fromEntries(t.steps.map((st) => [st.name.replace(sfx, ""), asRecord(st.results?.result)["invoked_method"]]));
          const expected = { validate_step: "validate", process_step: "process", refund_step: "refund", default_call_step: "call" };
          const wrong = Object.entries(expected).filter(([step, method]) => invoked[step] !== method);
          return wrong.length === 0 ? null : `invoked_method ${JSON.stringify(invoked)}`;
        }));
    }
    for (const action of ["test_action", "combined_test"]) {
      add(`resolver hints, ${action}`, `resolver_tests${sfx}`, s("resolver_hints"), { action_type: action },
        completed(3, (t) => (stepStarting(t, "combined_hint_step", sfx) ? null : `steps ${names(t).join(", ")}`)));
    }
  }
  return out;
}
