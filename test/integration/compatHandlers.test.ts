/**
 * Handler files written for tasker-core's TypeScript worker (`@tasker-systems/tasker`): class
 * style and DSL, registered by `static handlerName` (also through an exported array), method
 * dispatch with its fallback to `call`, a class-style decision, and tasker-core's failure
 * semantics, running in handler threads.
 */
import { join } from "node:path";
import { useTestDatabase } from "../support/database.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { startTestEngine, stepRows, taskState, type TestEngine } from "../support/engine.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
let engine: TestEngine;

/** The HTTP service the API handlers call: users 1 and 7 exist, 404 is unknown, 429 is rate limited once per task. */
const seen: Array<{ path: string; client: string | null; query: string }> = [];
const rateLimited = new Set<string>();
const api = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    seen.push({ path: url.pathname, client: request.headers.get("x-client"), query: url.search });
    const user = /^\/users\/(\d+)$/.exec(url.pathname)?.[1];
    if (user === "404") return Response.json({ error: "no such user" }, { status: 404 });
    if (user === "429" && !rateLimited.has(url.pathname)) {
      rateLimited.add(url.pathname);
      return Response.json({ message: "slow down" }, { status: 429, headers: { "Retry-After": "0" } });
    }
    if (user) return Response.json({ id: Number(user), name: `user ${user}` });
    if (url.pathname === "/orders/search") {
      const body = (await request.json()) as { user: number };
      return Response.json([{ order: 1, user: body.user }]);
    }
    return new Response("not here", { status: 500 });
  },
});
process.env["COMPAT_API_BASE_URL"] = `http://127.0.0.1:${api.port}`;

beforeAll(async () => {
  engine = await startTestEngine({
    sql: db.sql,
    url: db.url,
    handlersDir: join(REPO_ROOT, "test", "fixtures", "handlers"),
    namespaces: ["compat_linear", "compat_batch"],
  });
});
afterAll(async () => {
  await engine?.stop();
  await api.stop(true);
});

const run = async (name: string, context: Record<string, unknown>, namespace = "compat_linear") => {
  const created = await engine.orchestration.createTask({ namespace, name, version: "1.0.0", context });
  const state = await waitFor(
    async () => {
      const s = await taskState(db.sql, created.taskUuid);
      return s && ["complete", "blocked_by_failures", "error"].includes(s) ? s : undefined;
    },
    { timeoutMs: 20_000, description: `task ${created.taskUuid} to finish` },
  );
  const steps = await stepRows(db.sql, created.taskUuid);
  const result = (name: string) => steps.find((s) => s.name === name)?.results?.result as Record<string, unknown> | undefined;
  return { state, steps, result };
};

describe("tasker-core handler files", () => {
  test("class_and_dsl_handlers_registered_by_handler_name_run_the_sequence_and_route", async () => {
    const small = await run("compat_sequence", { even_number: 6 });
    expect(small.state).toBe("complete");
    expect(small.result("step_1")).toEqual({ value: 36, retry_count: 0, missing: null });
    expect(small.result("step_2")).toEqual({ value: 46 });
    expect(small.result("step_3")).toEqual({ value: 138, invoked_method: "triple" });
    // handler.method names a method the class does not have: call() runs, as tasker-core's resolver chain does.
    expect(small.result("step_4")).toEqual({ value: 69, invoked_method: "call" });
    expect(small.result("route")).toEqual({
      decision_point_outcome: { type: "create_steps", step_names: ["small"] },
      routing_context: { value: 69, threshold: 100 },
    });
    expect(small.steps.map((s) => s.name)).not.toContain("big");
    // A success's metadata is stored beside the result, as tasker-core's is.
    const route = small.steps.find((s) => s.name === "route")!.results as { metadata: { custom?: Record<string, unknown> } };
    expect(route.metadata.custom).toMatchObject({ decision_handler: "CompatLinear.StepHandlers.RouteHandler" });
    expect(small.result("finalize")).toEqual({ even_number: 6, labels: [{ label: "small" }], route: 69 });

    const big = await run("compat_sequence", { even_number: 10 });
    expect(big.result("step_4")).toEqual({ value: 165, invoked_method: "call" });
    expect(big.steps.map((s) => s.name)).toContain("big");
    expect(big.result("finalize")).toEqual({ even_number: 10, labels: [{ label: "big" }], route: 165 });
    expect(engine.logs.some((l) => l["msg"] === "handler method not found; calling call()" && l["method"] === "no_such_method")).toBe(true);
  });

  test("class_lookup_callables_are_module_paths_relative_to_the_namespace_folder", async () => {
    const { state, result } = await run("compat_lookup", { even_number: 4 });
    expect(state).toBe("complete");
    expect(result("by_path")).toEqual({ value: 8, found_by: "default export" });
    expect(result("by_hint")).toEqual({ value: 9, found_by: "named export" });
    // A class_lookup hint on a registry name falls back to the registry, as tasker-core's chain does.
    expect(result("by_name_with_hint")).toMatchObject({ value: 16 });
  });

  test("a_non_retryable_failure_runs_once_and_a_retryable_error_is_retried", async () => {
    const refused = await run("compat_failures", {});
    expect(refused.state).toBe("blocked_by_failures");
    const refuse = refused.steps[0]!;
    expect([refuse.state, refuse.attempts, refuse.results?.error?.error_type]).toEqual(["error", 1, "validation_error"]);
    expect((refuse.results as unknown as { metadata: { custom: unknown } }).metadata.custom).toEqual({ field: "order" });
    const retried = await run("compat_retry", {});
    expect(retried.state).toBe("blocked_by_failures");
    const flaky = retried.steps[0]!;
    expect([flaky.state, flaky.attempts, flaky.results?.error?.error_type]).toEqual(["error", 2, "retryable_error"]);
  });

  test("a_failing_class_handler_keeps_its_message_and_metadata", async () => {
    const { steps } = await run("compat_sequence", { even_number: 7 });
    const first = steps.find((s) => s.name === "step_1")!;
    expect(first.state).toBe("error");
    expect(first.attempts).toBe(1);
    const error = (first.results as unknown as { error: { message: string; error_type: string; retryable: boolean } }).error;
    expect(error).toMatchObject({ message: "even_number must be even, got 7", error_type: "validation_error", retryable: false });
  });
});

describe("tasker-core batch handlers", () => {
  test("a_batchable_class_analyzer_checkpointing_batch_steps_and_an_aggregator_count_every_item_once", async () => {
    const { state, steps, result } = await run("items_batch", { total_items: 100 }, "compat_batch");
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual(["aggregate", "analyze", "process_items_001", "process_items_002", "process_items_003", "process_items_004"]);
    expect(result("process_items_002")).toEqual({ batch_id: "002", sum: 25 * 25 + (24 * 25) / 2, count: 25, yields_seen: true });
    expect(steps.find((s) => s.name === "process_items_002")?.attempts).toBe(1);
    expect(result("aggregate")).toEqual({ sum: 4950, count: 100, worker_count: 4, scenario: "with_batches" });
  });

  test("no_items_gives_a_no_op_batch_and_the_no_batches_aggregation", async () => {
    const { state, steps, result } = await run("items_batch", { total_items: 0 }, "compat_batch");
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name)).toEqual(["aggregate", "analyze", "process_items_000"]);
    expect(result("process_items_000")).toMatchObject({ batch_id: "000", no_op: true, processed_count: 0 });
    expect(result("aggregate")).toEqual({ worker_count: 0, scenario: "no_batches", sum: 0, count: 0 });
  });

  test("the_functional_batch_dsl_names_batches_batch_000_and_up", async () => {
    const { state, steps, result } = await run("items_batch_dsl", { total_items: 100 }, "compat_batch");
    expect(state).toBe("complete");
    expect(steps.map((s) => s.name).filter((n) => n.startsWith("process_items_dsl_"))).toEqual(
      ["batch_000", "batch_001", "batch_002", "batch_003"].map((id) => `process_items_dsl_${id}`),
    );
    expect(result("aggregate_dsl")).toEqual({ sum: 4950, count: 100, batches: 4 });
  });
});

describe("tasker-core API handlers", () => {
  test("an_api_handler_class_and_define_api_handler_call_the_service_and_classify_its_answers", async () => {
    const ok = await run("compat_api", { user_id: 7 });
    expect(ok.state).toBe("complete");
    expect(ok.result("fetch_user")).toEqual({ id: 7, name: "user 7" });
    expect(ok.result("fetch_orders")).toEqual({ orders: [{ order: 1, user: 7 }] });
    expect(seen.find((s) => s.path === "/users/7")).toEqual({ path: "/users/7", client: "compat-test", query: "?verbose=true" });

    const missing = await run("compat_api", { user_id: 404 });
    expect(missing.state).toBe("blocked_by_failures");
    const failed = missing.steps.find((s) => s.name === "fetch_user")!;
    expect([failed.state, failed.attempts, failed.results?.error?.error_type]).toEqual(["error", 1, "not_found"]);
    expect((failed.results as unknown as { error: { message: string } }).error.message).toBe("HTTP 404: no such user");

    // 429 with Retry-After: retried (the second call succeeds).
    const limited = await run("compat_api", { user_id: 429 });
    expect(limited.state).toBe("complete");
    expect(limited.steps.find((s) => s.name === "fetch_user")?.attempts).toBe(2);
  });
});
