import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { CONFIG_DEFAULTS } from "../../src/config/index.ts";
import { createTelemetry } from "../../src/telemetry/createTelemetry.ts";
import type { Telemetry } from "../../src/telemetry/telemetry.ts";
import { useTestDatabase } from "../support/database.ts";
import { startTestEngine, taskState, type TestEngine } from "../support/engine.ts";
import { parsePrometheus, sumOf, type PrometheusSample } from "../support/prometheus.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const spans = new InMemorySpanExporter();
let telemetry: Telemetry;
let engine: TestEngine;
const created: Record<string, { taskUuid: string; correlationId: string }> = {};

const runToEnd = async (key: string, request: Record<string, unknown>, terminal: string[]) => {
  const task = await engine.orchestration.createTask(request);
  created[key] = task;
  await waitFor(async () => terminal.includes((await taskState(db.sql, task.taskUuid)) ?? ""), {
    timeoutMs: 20_000,
    description: `${key} to reach ${terminal.join("|")}`,
  });
};

beforeAll(async () => {
  telemetry = createTelemetry({ ...CONFIG_DEFAULTS.telemetry, enabled: true }, { spanExporter: spans });
  engine = await startTestEngine({ sql: db.sql, url: db.url, telemetry });
  const before = parsePrometheus(await telemetry.renderPrometheus());
  expect(sumOf(before, "tasker_tasks_active", { state: "blocked_by_failures" })).toBe(0);
  // The known workload: a 4-step diamond, a step that fails twice then succeeds, a permanent failure.
  await runToEnd("diamond", { namespace: "diamond_workflow", name: "parallel_computation", version: "1.0.0", context: { even_number: 6 } }, ["complete"]);
  await runToEnd("retry", { namespace: "retry_examples", name: "fail_twice_then_succeed", version: "1.0.0" }, ["complete"]);
  await runToEnd("permanent", { namespace: "retry_examples", name: "permanent_failure", version: "1.0.0" }, ["blocked_by_failures"]);
  // The last result's submission is recorded after the orchestration may already have finished the task.
  await waitFor(async () => sumOf(parsePrometheus(await telemetry.renderPrometheus()), "tasker_steps_results_submitted_total") === 8, {
    timeoutMs: 5000,
    description: "every result submission recorded",
  });
  await telemetry.forceFlush();
});
afterAll(async () => {
  await engine?.stop();
  await telemetry?.shutdown();
});

describe("metrics after a known workload", () => {
  test("prometheus_text_parses_and_counters_equal_the_work_done", async () => {
    const m = parsePrometheus(await telemetry.renderPrometheus());
    try {
      expectCountersOfTheKnownWorkload(m);
    } catch (error) {
      // Every counter of the run beside the failed expectation: a miscount names its cause.
      const counters = m.filter((s) => /^tasker_(steps?|tasks?|sql|messages)_.*(_total|_count)$/.test(s.name) && s.value > 0);
      console.error(counters.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join("\n"));
      throw error;
    }
  });

  test("gauges_move_with_the_work", async () => {
    const m = parsePrometheus(await telemetry.renderPrometheus());
    expect(sumOf(m, "tasker_tasks_active", { state: "blocked_by_failures" })).toBe(1);
    expect(sumOf(m, "tasker_steps_active_executions")).toBe(0);
    expect(sumOf(m, "tasker_handler_threads")).toBeGreaterThanOrEqual(1); // at least the warm one
    expect(sumOf(m, "tasker_handler_thread_stops_total")).toBe(0);
    expect(m.some((s) => s.name === "tasker_steps_ready")).toBe(true);
    // The engine's own loops (ready-task poller, reaper, heartbeat) query every 250 ms: the
    // connections in use come back to 0 between their calls.
    await waitFor(async () => sumOf(parsePrometheus(await telemetry.renderPrometheus()), "tasker_db_pool_connections", { state: "in_use" }) === 0, {
      timeoutMs: 5000,
      description: "no pool connection in use between the engine's background queries",
    });
  });
});

describe("lifecycle logs", () => {
  test("the_logs_of_one_task_filtered_by_correlation_id_tell_its_story_in_order", () => {
    const { correlationId, taskUuid } = created["retry"]!;
    const story = engine.logs.filter((l) => l["correlation_id"] === correlationId && typeof l["event"] === "string");
    const events = story.map((l) => l["event"]);
    expect(events).toEqual([
      "task.initialize_requested",
      "task.initialized",
      "task.steps_discovery_completed",
      "step.enqueue_requested",
      "step.enqueued",
      "task.steps_enqueued",
      ...Array.from({ length: 2 }, () => [
        "step.execution_requested",
        "step.claimed",
        "step.executing",
        "step.enqueued_as_error_for_orchestration",
        "step.retry_requested",
        "step.retry_scheduled",
        "task.step_results_received",
        "task.evaluation_started",
        "task.awaiting_dependencies",
        "task.dependencies_satisfied",
        "task.evaluation_started",
        "task.steps_discovery_completed",
        "step.retry_requested",
        "step.enqueue_requested",
        "step.enqueued",
        "task.steps_enqueued",
      ]).flat(),
      "step.execution_requested",
      "step.claimed",
      "step.executing",
      "step.enqueued_for_orchestration",
      "step.completed",
      "task.step_results_received",
      "task.evaluation_started",
      "task.finalization_ready",
      "task.completed",
    ]);
    for (const line of story) {
      expect(line["task_uuid"]).toBe(taskUuid);
      expect(line["namespace"]).toBe("retry_examples");
      expect(typeof line["operation"]).toBe("string");
      expect(typeof line["trace_id"]).toBe("string");
    }
  });
});

describe("spans of one task", () => {
  const spansOf = (correlationId: string): ReadableSpan[] => {
    const all = spans.getFinishedSpans();
    const root = all.find((s) => s.name === "task.initialize" && s.attributes["correlation_id"] === correlationId);
    expect(root).toBeDefined();
    return all.filter((s) => s.spanContext().traceId === root!.spanContext().traceId);
  };

  test("every_span_shares_one_trace_and_forms_a_tree_rooted_at_initialization", () => {
    const { correlationId } = created["diamond"]!;
    const trace = spansOf(correlationId);
    const ids = new Set(trace.map((s) => s.spanContext().spanId));
    const roots = trace.filter((s) => !s.parentSpanContext);
    expect(roots.map((s) => s.name)).toEqual(["task.initialize"]);
    for (const span of trace) if (span.parentSpanContext) expect(ids.has(span.parentSpanContext.spanId)).toBe(true);
    const names = new Set(trace.map((s) => s.name));
    for (const name of ["worker.process_step", "worker.claim", "worker.handler", "worker.submit_result", "sql tasker.create_task", "sql tasker.complete_step"]) {
      expect(names.has(name)).toBe(true);
    }
    expect(trace.filter((s) => s.name === "worker.handler")).toHaveLength(4);
    for (const span of trace.filter((s) => s.name.startsWith("worker.") || s.name.startsWith("orchestration."))) {
      expect(span.attributes["correlation_id"]).toBe(correlationId);
    }
  });

  test("no_span_outside_a_task_starts_a_trace_of_its_own", () => {
    const roots = spans.getFinishedSpans().filter((s) => !s.parentSpanContext);
    expect(new Set(roots.map((s) => s.name))).toEqual(new Set(["task.initialize"]));
  });

  test("the_fan_in_step_links_the_handler_spans_of_both_parents", () => {
    const trace = spansOf(created["diamond"]!.correlationId);
    const end = trace.find((s) => s.name === "worker.process_step" && s.attributes["step.name"] === "diamond_end");
    const handlerIds = new Set(trace.filter((s) => s.name === "worker.handler").map((s) => s.spanContext().spanId));
    expect(end?.links).toHaveLength(2);
    for (const link of end!.links) expect(handlerIds.has(link.context.spanId)).toBe(true);
  });
});

/** The exact counts of diamond + retry + permanent, and how the claims may split between paths. */
function expectCountersOfTheKnownWorkload(m: PrometheusSample[]): void {
  expect(sumOf(m, "tasker_tasks_requests_total", { outcome: "created" })).toBe(3);
  expect(sumOf(m, "tasker_tasks_completions_total")).toBe(2);
  expect(sumOf(m, "tasker_tasks_failures_total")).toBe(1);
  expect(sumOf(m, "tasker_steps_enqueued_total")).toBe(8); // 4 + 3 attempts + 1
  expect(sumOf(m, "tasker_steps_claimed_total")).toBe(8);
  expect(sumOf(m, "tasker_steps_executions_total")).toBe(8);
  expect(sumOf(m, "tasker_steps_successes_total")).toBe(5);
  expect(sumOf(m, "tasker_steps_failures_total")).toBe(3);
  expect(sumOf(m, "tasker_step_results_processed_total")).toBe(8);
  expect(sumOf(m, "tasker_step_results_processed_total", { result_type: "waiting_for_retry" })).toBe(2);
  expect(sumOf(m, "tasker_step_results_processed_total", { result_type: "error" })).toBe(1);
  expect(sumOf(m, "tasker_step_attempts_total", { attempt_number: "3" })).toBe(1);
  expect(sumOf(m, "tasker_step_execution_duration_milliseconds_count")).toBe(8);
  // Steps claimed by the completing transaction (a ready child, or the queue's oldest message)
  // make no claim_step call of their own; the diamond hands at least its two joins over so.
  const claimedOnCompletion =
    sumOf(m, "tasker_steps_claimed_total", { claim_method: "continuation" }) + sumOf(m, "tasker_steps_claimed_total", { claim_method: "backlog" });
  expect(claimedOnCompletion).toBeGreaterThanOrEqual(2);
  // A task's root is claimed by this process's worker when the task is created (no message),
  // unless a poll in flight holds the free slots at that moment: then it goes through the queue.
  const claimedAtCreation = sumOf(m, "tasker_steps_claimed_total", { claim_method: "creation" });
  expect(claimedAtCreation).toBeGreaterThanOrEqual(1);
  expect(claimedAtCreation).toBeLessThanOrEqual(3);
  // The other claims went through claim_steps. A notification's claim may also lose its step
  // to a completion's backlog continuation (which locks the message first): timed, not claimed.
  expect(sumOf(m, "tasker_step_claim_duration_milliseconds_count", { outcome: "claimed" })).toBe(8 - claimedOnCompletion - claimedAtCreation);
  const lostClaims = sumOf(m, "tasker_step_claim_duration_milliseconds_count", { outcome: "not_claimed" });
  expect(lostClaims).toBeLessThanOrEqual(sumOf(m, "tasker_steps_claimed_total", { claim_method: "backlog" }));
  expect(sumOf(m, "tasker_step_result_processing_duration_milliseconds_count")).toBe(8);
  expect(sumOf(m, "tasker_task_initialization_duration_milliseconds_count")).toBe(3);
  expect(sumOf(m, "tasker_task_completion_duration_seconds_count")).toBe(2);
  expect(sumOf(m, "tasker_task_state_transitions_total", { to_state: "complete" })).toBe(2);
  expect(sumOf(m, "tasker_step_state_transitions_total", { to_state: "waiting_for_retry" })).toBe(2);
  // Workers complete steps themselves: no completion notice goes through the orchestration.
  expect(sumOf(m, "tasker_messages_received_total", { queue: "orchestration_step_results" })).toBe(0);
  // Results and claims go alone (complete_step, claim_steps of one) or batched when they
  // arrive while others are in flight (complete_steps, claim_steps of several): at most one
  // call per result or claim, and each call counted under its own function's name.
  const completionCalls = sumOf(m, "tasker_sql_queries_total", { operation: "tasker.complete_step" }) +
    sumOf(m, "tasker_sql_queries_total", { operation: "tasker.complete_steps" });
  expect(completionCalls).toBeGreaterThanOrEqual(2); // 8 results, at most 4 per batch
  expect(completionCalls).toBeLessThanOrEqual(8);
  const claimCalls = sumOf(m, "tasker_sql_queries_total", { operation: "tasker.claim_steps" });
  expect(claimCalls).toBeGreaterThanOrEqual(1);
  expect(claimCalls).toBeLessThanOrEqual(8 - claimedOnCompletion - claimedAtCreation + lostClaims);
  expect(sumOf(m, "tasker_sql_queries_total", { operation: "tasker.claim_step" })).toBe(0);
}
