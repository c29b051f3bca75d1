/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import * as v from "valibot";
import { defineRoute } from "../../../src/http/apiRoute.ts";
import { loadNamespaces } from "../../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../../support/binary.ts";
import { useTestDatabase } from "../../support/database.ts";
import { startTestEngine, taskState, type TestEngine } from "../../support/engine.ts";
import { waitFor } from "../../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../../support/test.ts";
import { serveApp, type ServedApp } from "./serveApp.ts";

import { listTasks } from "../../../src/orchestration/taskListQuery.ts";

const db = useTestDatabase(import.meta.file);
let engine: TestEngine;
let api: ServedApp;

beforeAll(async () => {
  engine = await startTestEngine({ sql: db.sql, url: db.url, namespaces: ["linear_workflow", "retry_examples"] });
  // diamond_workflow is registered but no worker runs it: its tasks wait with queued messages.
  const [diamond] = await loadNamespaces(`${REPO_ROOT}/handlers`, ["diamond_workflow"]);
  await registerTemplates(db.sql, diamond!.templates.map((t) => t.template));
  api = serveApp({
    sql: db.sql,
    createTask: () => engine.orchestration.createTask,
    operator: () => engine.orchestration.operator,
    web: { body_limit_bytes: 16 * 1024, cors_origins: ["https://app.example"] },
  });
});
afterAll(async () => {
  await api?.stop();
  await engine?.stop();
});

// Response bodies are read loosely here; their shapes are pinned by the assertions themselves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await fetch(`${api.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Json, headers: response.headers };
}

const linear = (n: number, extra: Json = {}): Json => ({
  namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: n }, initiator: "http-test", ...extra,
});

const reach = (taskUuid: string, states: string[]): Promise<string> =>
  waitFor(async () => {
    const s = await taskState(db.sql, taskUuid);
    return s && states.includes(s) ? s : undefined;
  }, { timeoutMs: 15_000, description: `task to reach ${states.join("|")}` });

describe("tasks", () => {
  test("creating_a_task_returns_201_with_the_task_and_its_steps_and_it_completes", async () => {
    const created = await call("POST", "/v1/tasks", linear(6));
    expect(created.status).toBe(201);
    expect(created.json["namespace"]).toBe("linear_workflow");
    expect(created.json["steps"]).toHaveLength(4);
    const taskUuid = created.json["task_uuid"] as string;
    await reach(taskUuid, ["complete"]);
    const got = await call("GET", `/v1/tasks/${taskUuid}`);
    expect(got.status).toBe(200);
    expect(got.json["status"]).toBe("complete");
    expect(got.json["execution_status"]).toBe("all_complete");
    expect(got.json["completed_at"]).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT.*(Z|\+00:00)$/));
    const summary = await call("GET", `/v1/tasks/${taskUuid}/summary`);
    expect(summary.status).toBe(200);
    expect(summary.json["task"]["completed_steps"]).toBe(4);
    expect(summary.json["dlq"]["in_dlq"]).toBe(false);
  });

  test("body_errors_are_400_envelopes_naming_the_field", async () => {
    const malformed = await call("POST", "/v1/tasks", "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.json["error"]["code"]).toBe("JSON_ERROR");
    const wrongType = await call("POST", "/v1/tasks", JSON.stringify(linear(6)), { "content-type": "text/plain" });
    expect([wrongType.status, wrongType.json["error"]["field"]]).toEqual([400, "content-type"]);
    const badField = await call("POST", "/v1/tasks", { ...linear(6), version: "one" });
    expect([badField.status, badField.json["error"]["code"], badField.json["error"]["field"]]).toEqual([400, "BAD_REQUEST", "version"]);
    const schemaViolation = await call("POST", "/v1/tasks", linear(7));
    expect(schemaViolation.status).toBe(400);
    expect(schemaViolation.json["error"]["message"]).toContain("even_number");
  });

  test("unknown_template_is_404_duplicate_identity_is_409_oversized_body_is_413", async () => {
    const unknown = await call("POST", "/v1/tasks", { ...linear(6), name: "no_such_template" });
    expect([unknown.status, unknown.json["error"]["code"]]).toEqual([404, "NOT_FOUND"]);
    const first = await call("POST", "/v1/tasks", linear(8, { idempotency_key: "same" }));
    expect(first.status).toBe(201);
    const again = await call("POST", "/v1/tasks", linear(8, { idempotency_key: "same" }));
    expect([again.status, again.json["error"]["code"]]).toEqual([409, "CONFLICT"]);
    const big = await call("POST", "/v1/tasks", linear(6, { context: { even_number: 6, pad: "x".repeat(20_000) } }));
    expect([big.status, big.json["error"]["code"]]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
  });

  test("listing_paginates_filters_by_namespace_and_state_and_shows_real_states", async () => {
    const created = await call("POST", "/v1/tasks", linear(10));
    await reach(created.json["task_uuid"] as string, ["complete"]);
    const page = await call("GET", "/v1/tasks?namespace=linear_workflow&state=complete&per_page=1");
    expect(page.status).toBe(200);
    expect(page.json["tasks"]).toHaveLength(1);
    expect(page.json["tasks"][0]["status"]).toBe("complete");
    expect(page.json["tasks"][0]["steps"]).toEqual([]);
    expect(page.json["pagination"]["total_count"]).toBeGreaterThanOrEqual(2);
    expect(page.json["pagination"]["has_next"]).toBe(true);
    const none = await call("GET", "/v1/tasks?namespace=diamond_workflow&state=complete");
    expect(none.json["pagination"]["total_count"]).toBe(0);
    const bad = await call("GET", "/v1/tasks?per_page=500");
    expect([bad.status, bad.json["error"]["field"]]).toEqual([400, "per_page"]);
    const badState = await call("GET", "/v1/tasks?state=finished");
    expect([badState.status, badState.json["error"]["field"]]).toEqual([400, "state"]);
  });

  test("listing_filters_by_template_tag_time_range_and_task_or_correlation_uuid", async () => {
    const tagged = await call("POST", "/v1/tasks", linear(16, { tags: ["list-filter-tag"] }));
    const taskUuid = tagged.json["task_uuid"] as string;
    const correlationId = tagged.json["correlation_id"] as string;
    const uuids = async (query: string): Promise<string[]> => {
      const page = await call("GET", `/v1/tasks?${query}`);
      expect(page.status).toBe(200);
      return (page.json["tasks"] as Json[]).map((t) => t["task_uuid"] as string);
    };
    expect(await uuids("tag=list-filter-tag")).toEqual([taskUuid]);
    expect(await uuids("tag=no-such-tag")).toEqual([]);
    expect(await uuids(`uuid=${taskUuid}`)).toEqual([taskUuid]);
    expect(await uuids(`uuid=${correlationId}`)).toEqual([taskUuid]);
    expect(await uuids(`name=mathematical_sequence&uuid=${taskUuid}`)).toEqual([taskUuid]);
    expect(await uuids(`name=parallel_computation&uuid=${taskUuid}`)).toEqual([]);
    const createdAt = new Date(tagged.json["created_at"] as string);
    const before = new Date(createdAt.getTime() - 60_000).toISOString();
    const after = new Date(createdAt.getTime() + 60_000).toISOString();
    expect(await uuids(`tag=list-filter-tag&created_after=${before}&created_before=${after}`)).toEqual([taskUuid]);
    expect(await uuids(`tag=list-filter-tag&created_after=${after}`)).toEqual([]);
    // No offset means UTC.
    expect(await uuids(`tag=list-filter-tag&created_before=${before.slice(0, 19)}`)).toEqual([]);
    const bad = await call("GET", "/v1/tasks?created_after=yesterday");
    expect([bad.status, bad.json["error"]["field"]]).toEqual([400, "created_after"]);
    const badUuid = await call("GET", "/v1/tasks?uuid=abc");
    expect([badUuid.status, badUuid.json["error"]["field"]]).toEqual([400, "uuid"]);
  });

  test("a_capped_count_says_more_match_and_the_page_is_the_same", async () => {
    const created: Array<Awaited<ReturnType<typeof call>>> = [];
    for (const i of [1, 2, 3]) created.push(await call("POST", "/v1/tasks", linear(20 + 2 * i, { tags: ["count-cap"] })));
    const all = await listTasks(db.sql, { page: 1, perPage: 2, tag: "count-cap" });
    expect([all.totalCount, all.countCapped, all.tasks.length]).toEqual([3, false, 2]);
    const capped = await listTasks(db.sql, { page: 1, perPage: 2, tag: "count-cap", countCap: 2 });
    expect([capped.totalCount, capped.countCapped]).toEqual([2, true]);
    expect(capped.tasks.map((t) => t.task_uuid)).toEqual(all.tasks.map((t) => t.task_uuid));
    expect((await listTasks(db.sql, { page: 1, perPage: 2, tag: "count-cap", countCap: 3 })).countCapped).toBe(false);
    // Newest first.
    expect(all.tasks.map((t) => t.task_uuid)).toEqual([created[2]!.json["task_uuid"] as string, created[1]!.json["task_uuid"] as string]);
  });

  test("bad_uuid_is_400_and_unknown_task_is_404", async () => {
    const bad = await call("GET", "/v1/tasks/not-a-uuid");
    expect([bad.status, bad.json["error"]["field"]]).toEqual([400, "task_uuid"]);
    const missing = await call("GET", "/v1/tasks/01960000-0000-7000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect((await call("GET", "/v1/tasks/01960000-0000-7000-8000-000000000000/summary")).status).toBe(404);
    expect((await call("DELETE", "/v1/tasks/01960000-0000-7000-8000-000000000000")).status).toBe(404);
  });

  test("cancelling_a_waiting_task_returns_it_cancelled_and_a_second_cancel_is_400", async () => {
    const created = await call("POST", "/v1/tasks", {
      namespace: "diamond_workflow", name: "parallel_computation", version: "1.0.0", context: { even_number: 4 },
    });
    expect(created.status).toBe(201);
    const taskUuid = created.json["task_uuid"] as string;
    const cancelled = await call("DELETE", `/v1/tasks/${taskUuid}`);
    expect([cancelled.status, cancelled.json["status"]]).toEqual([200, "cancelled"]);
    const again = await call("DELETE", `/v1/tasks/${taskUuid}`);
    expect([again.status, again.json["error"]["code"]]).toEqual([400, "INVALID_STATE"]);
  });
});

describe("steps", () => {
  test("steps_show_results_readiness_audit_and_explanations", async () => {
    const created = await call("POST", "/v1/tasks", linear(12));
    const taskUuid = created.json["task_uuid"] as string;
    await reach(taskUuid, ["complete"]);
    const steps = await call("GET", `/v1/tasks/${taskUuid}/workflow_steps`);
    expect(steps.status).toBe(200);
    expect(steps.json.map((s: Json) => s["name"])).toEqual(["linear_step_1", "linear_step_2", "linear_step_3", "linear_step_4"]);
    const first = steps.json[0] as Json;
    const step = await call("GET", `/v1/tasks/${taskUuid}/workflow_steps/${first["step_uuid"]}`);
    expect(step.status).toBe(200);
    expect(step.json["results"]["result"]).toEqual({ value: 144 });
    expect(step.json["dependencies_satisfied"]).toBe(true);
    expect(step.json["ready_for_execution"]).toBe(false);
    const audit = await call("GET", `/v1/tasks/${taskUuid}/workflow_steps/${first["step_uuid"]}/audit`);
    expect(audit.status).toBe(200);
    expect(audit.json[0]["to_state"]).toBe("enqueued_for_orchestration");
    expect(audit.json[0]["success"]).toBe(true);
    const explained = await call("GET", `/v1/tasks/${taskUuid}/workflow_steps/${first["step_uuid"]}/explain`);
    expect([explained.status, explained.json["running"]]).toEqual([200, false]);
    const other = await call("POST", "/v1/tasks", linear(14));
    const foreign = await call("GET", `/v1/tasks/${other.json["task_uuid"]}/workflow_steps/${first["step_uuid"]}`);
    expect(foreign.status).toBe(404);
    const badStep = await call("GET", `/v1/tasks/${taskUuid}/workflow_steps/nope`);
    expect([badStep.status, badStep.json["error"]["field"]]).toEqual([400, "step_uuid"]);
  });

  test("completing_a_failed_step_by_patch_unblocks_the_task_and_an_invalid_action_is_400", async () => {
    const created = await call("POST", "/v1/tasks", { namespace: "retry_examples", name: "permanent_failure", version: "1.0.0", context: { n: 1 } });
    const taskUuid = created.json["task_uuid"] as string;
    await reach(taskUuid, ["blocked_by_failures"]);
    const steps = await call("GET", `/v1/tasks/${taskUuid}/workflow_steps`);
    const failed = (steps.json as Json[]).find((s) => s["current_state"] === "error")!;
    const path = `/v1/tasks/${taskUuid}/workflow_steps/${failed["step_uuid"]}`;
    const badAction = await call("PATCH", path, { action_type: "explode", reason: "x" });
    expect([badAction.status, badAction.json["error"]["field"]]).toEqual([400, "action_type"]);
    const done = await call("PATCH", path, {
      action_type: "complete_manually", reason: "approved", completed_by: "ops", completion_data: { result: { approved: true } },
    });
    expect([done.status, done.json["current_state"]]).toEqual([200, "complete"]);
    await reach(taskUuid, ["complete"]);
    const invalid = await call("PATCH", path, { action_type: "reset_for_retry", reason: "again", reset_by: "ops" });
    expect([invalid.status, invalid.json["error"]["code"]]).toEqual([400, "INVALID_STATE"]);
  });
});

describe("templates, dlq, analytics", () => {
  test("templates_are_listed_and_shown_and_an_unknown_one_is_404", async () => {
    const list = await call("GET", "/v1/templates?namespace=linear_workflow");
    expect(list.status).toBe(200);
    expect(list.json["templates"].map((t: Json) => t["name"])).toEqual(["mathematical_sequence"]);
    const detail = await call("GET", "/v1/templates/linear_workflow/mathematical_sequence/1.0.0");
    expect([detail.status, detail.json["steps"].length]).toEqual([200, 4]);
    expect((await call("GET", "/v1/templates/linear_workflow/nothing/1.0.0")).status).toBe(404);
  });

  test("dlq_routes_answer_and_validate", async () => {
    expect((await call("GET", "/v1/dlq")).status).toBe(200);
    expect((await call("GET", "/v1/dlq?resolution_status=Bogus")).status).toBe(400);
    expect((await call("GET", "/v1/dlq/task/01960000-0000-7000-8000-000000000000")).status).toBe(404);
    const patch = await call("PATCH", "/v1/dlq/entry/01960000-0000-7000-8000-000000000000", { resolution_status: "ManuallyResolved" });
    expect(patch.status).toBe(404);
    expect((await call("PATCH", "/v1/dlq/entry/01960000-0000-7000-8000-000000000000", { nope: 1 })).status).toBe(400);
    expect((await call("GET", "/v1/dlq/stats")).status).toBe(200);
    expect((await call("GET", "/v1/dlq/investigation-queue?limit=5")).status).toBe(200);
    expect((await call("GET", "/v1/dlq/staleness")).status).toBe(200);
  });

  test("analytics_report_performance_and_bottlenecks", async () => {
    const performance = await call("GET", "/v1/analytics/performance?hours=1");
    expect(performance.status).toBe(200);
    expect(performance.json["total_tasks"]).toBeGreaterThan(0);
    const slow = await call("GET", "/v1/analytics/bottlenecks?min_executions=1");
    expect(slow.status).toBe(200);
    expect(slow.json["slow_steps"].length).toBeGreaterThan(0);
    expect((await call("GET", "/v1/analytics/performance?hours=abc")).status).toBe(400);
  });
});

describe("cross-cutting", () => {
  test("request_ids_are_echoed_or_generated_and_cors_follows_the_config", async () => {
    const echoed = await call("GET", "/health", undefined, { "x-request-id": "abc-123", origin: "https://app.example" });
    expect(echoed.headers.get("x-request-id")).toBe("abc-123");
    expect(echoed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const generated = await call("GET", "/health", undefined, { origin: "https://evil.example" });
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get("access-control-allow-origin")).toBeNull();
    const unknown = await call("GET", "/v2/nothing");
    expect([unknown.status, unknown.json["error"]["code"]]).toEqual([404, "NOT_FOUND"]);
  });

  test("health_detailed_and_ready_answer", async () => {
    expect((await call("GET", "/health/ready")).status).toBe(200);
    const detailed = await call("GET", "/health/detailed");
    expect([detailed.status, detailed.json["status"]]).toEqual([200, "healthy"]);
  });

  test("a_not_yet_running_orchestration_is_503_and_a_slow_request_is_408", async () => {
    const slowRoute = defineRoute(
      { method: "get", path: "/slow", operationId: "slow", summary: "slow", tag: "test", responses: { 200: { description: "ok", schema: v.string() } } },
      async ({ c }) => {
        await Bun.sleep(500);
        return c.text("late");
      },
    );
    const starting = serveApp({ sql: db.sql, lifecycleState: () => "starting", web: { request_timeout_ms: 100 }, extraRoutes: [slowRoute] });
    try {
      const post = await fetch(`${starting.url}/v1/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(linear(6)) });
      expect(post.status).toBe(503);
      expect((await fetch(`${starting.url}/health/ready`)).status).toBe(503);
      const slow = await fetch(`${starting.url}/slow`);
      expect(slow.status).toBe(408);
      expect(((await slow.json()) as Json)["error"]["code"]).toBe("TIMEOUT");
    } finally {
      await starting.stop();
    }
  });
});
