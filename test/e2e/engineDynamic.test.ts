/**
 * Dynamic workflows through the compiled binary: tasker-core's conditional approval and CSV
 * batch templates (unchanged, test/fixtures/handlers) and a batch whose worker process is
 * killed with kill -9 after a checkpoint, with a second worker and an orchestrator restart.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useTestDatabase } from "../support/database.ts";
import { runTasker } from "../support/binary.ts";
import { parsePrometheus, sumOf } from "../support/prometheus.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";
import { createTask, FIXTURE_HANDLERS, getTask, killAll, startRole, stepNamed, waitForTasks, type RoleProcess } from "./engineHarness.ts";

const db = useTestDatabase(import.meta.file);

function writeCsv(rows: number): string {
  const path = join(mkdtempSync(join(tmpdir(), "tasker-e2e-csv-")), "products.csv");
  const lines = ["product_id,name,category,price,stock"];
  for (let i = 1; i <= rows; i += 1) lines.push(`${i},product ${i},toys,${(i % 40) + 0.25},${i % 20}`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const csvTask = (context: Record<string, unknown>) => ({
  namespace: "csv_processing_ts",
  name: "csv_product_inventory_analyzer_ts",
  version: "1.0.0",
  context,
});

describe("tasker-core's dynamic templates in the combined binary", () => {
  let combined: RoleProcess | undefined;
  beforeAll(async () => {
    combined = await startRole("combined", {
      databaseUrl: db.url,
      handlersDir: FIXTURE_HANDLERS,
      namespaces: ["conditional_approval_ts", "csv_processing_ts"],
    });
  });
  afterAll(async () => {
    await killAll([combined]);
  });

  test("conditional_approval_creates_4_4_and_5_steps_for_500_2500_and_10000", async () => {
    const expected: Array<[number, number, string[]]> = [
      [500, 4, ["auto_approve_ts"]],
      [2500, 4, ["manager_approval_ts"]],
      [10_000, 5, ["manager_approval_ts", "finance_review_ts"]],
    ];
    const created = await Promise.all(
      expected.map(([amount]) =>
        createTask(combined!.baseUrl, {
          namespace: "conditional_approval_ts",
          name: "approval_routing_ts",
          version: "1.0.0",
          context: { amount, requester: "ana", purpose: "e2e" },
        }),
      ),
    );
    // At creation only the steps outside the decision exist.
    expect(created[0]!.steps.map((s) => s.name)).toEqual(["validate_request_ts", "routing_decision_ts"]);
    await waitForTasks(db.sql, created.map((t) => t.task_uuid), ["complete"]);
    for (const [index, [, count, branches]] of expected.entries()) {
      const task = await getTask(combined!.baseUrl, created[index]!.task_uuid);
      expect(task.steps).toHaveLength(count);
      expect(task.steps.every((s) => s.current_state === "complete")).toBe(true);
      const finalize = stepNamed(task, "finalize_approval_ts") as unknown as { parents: Array<{ name: string }>; created_by: string };
      expect(finalize.parents.map((p) => p.name).sort()).toEqual([...branches].sort());
      expect(finalize.created_by).toBe("routing_decision_ts");
      const absent = (task as unknown as { absent_steps: Array<{ name: string; code: string }> }).absent_steps;
      expect(absent.map((a) => a.code)).toEqual(Array<string>(6 - count).fill("not_chosen"));
    }
    // The CLI explains a step the task does not have, by name.
    const explained = await runTasker(["step", "explain", created[0]!.task_uuid, "finance_review_ts", "--url", combined!.baseUrl]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toBe("step finance_review_ts is not in this task\n  - not_chosen: not chosen by routing_decision_ts\n");
  });

  test("a_1000_row_csv_runs_in_5_batch_steps_and_the_aggregate_counts_each_row_once", async () => {
    const task = await createTask(combined!.baseUrl, csvTask({ csv_file_path: writeCsv(1000), checkpoint_every: 100 }));
    await waitForTasks(db.sql, [task.task_uuid], ["complete"]);
    const done = await getTask(combined!.baseUrl, task.task_uuid);
    expect(done.steps.map((s) => s.name).sort()).toEqual([
      "aggregate_csv_results_ts",
      "analyze_csv_ts",
      ...["001", "002", "003", "004", "005"].map((id) => `process_csv_batch_ts_${id}`),
    ]);
    const total = stepNamed(done, "aggregate_csv_results_ts").results?.result as Record<string, number>;
    expect([total["batch_count"], total["total_rows_processed"], total["product_id_sum"]]).toEqual([5, 1000, 500_500]);
  });

  test("metrics_count_outcomes_created_steps_batches_and_checkpoints", async () => {
    const metrics = parsePrometheus(await (await fetch(`${combined!.baseUrl}/metrics`)).text());
    const count = (name: string, where: Record<string, string> = {}) => sumOf(metrics, name, { namespace: "conditional_approval_ts", ...where });
    expect(count("tasker_decision_points_outcomes_processed_total", { step_type: "decision", outcome_type: "create_steps" })).toBe(3);
    // Each decision created its branches and the convergence step: 2 + 2 + 3.
    expect(count("tasker_decision_points_steps_created_total")).toBe(7);
    const csv = { namespace: "csv_processing_ts" };
    expect(sumOf(metrics, "tasker_batch_processing_batches_created_total", csv)).toBe(5);
    // 5 batches of 200 rows, a yield every 100: one each.
    expect(sumOf(metrics, "tasker_step_checkpoints_total", { ...csv, kind: "yield" })).toBe(5);
    expect(sumOf(metrics, "tasker_decision_point_processing_duration_milliseconds_count", { step_type: "batchable" })).toBe(1);
  });
});

describe("handler files written for tasker-core's worker, in the compiled binary", () => {
  let combined: RoleProcess | undefined;
  afterAll(async () => {
    await killAll([combined]);
  });

  test("import_tasker_systems_tasker_register_by_handler_name_and_run_in_handler_threads", async () => {
    combined = await startRole("combined", { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["compat_linear"] });
    const task = await createTask(combined.baseUrl, { namespace: "compat_linear", name: "compat_sequence", version: "1.0.0", context: { even_number: 10 } });
    await waitForTasks(db.sql, [task.task_uuid], ["complete"]);
    const done = await getTask(combined.baseUrl, task.task_uuid);
    expect(stepNamed(done, "step_3").results?.result).toEqual({ value: 330, invoked_method: "triple" });
    expect(stepNamed(done, "finalize").results?.result).toEqual({ even_number: 10, labels: [{ label: "big" }], route: 165 });
    expect(done.steps.map((s) => s.name)).not.toContain("small");
  });
});

describe("domain events in the compiled binary", () => {
  let combined: RoleProcess | undefined;
  afterAll(async () => {
    await killAll([combined]);
  });

  test("a_step_publishes_its_declared_events_readable_through_the_api", async () => {
    combined = await startRole("combined", { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["events_cases"] });
    const task = await createTask(combined.baseUrl, { namespace: "events_cases", name: "order_events", version: "1.0.0", context: { amount: 7 } });
    await waitForTasks(db.sql, [task.task_uuid], ["complete"]);
    let body: { events: Array<{ archived: boolean; envelope: { event_name: string; metadata: { task_uuid: string } } }> } = { events: [] };
    for (let i = 0; i < 100 && body.events.length < 2; i += 1) {
      body = (await (await fetch(`${combined.baseUrl}/v1/tasks/${task.task_uuid}/events`)).json()) as typeof body;
      if (body.events.length < 2) await Bun.sleep(50);
    }
    expect(body.events.map((e) => e.envelope.event_name).sort()).toEqual(["notification.always", "payment.processed"]);
    expect(body.events.every((e) => !e.archived && e.envelope.metadata.task_uuid === task.task_uuid)).toBe(true);
    let metrics = parsePrometheus(await (await fetch(`${combined.baseUrl}/metrics`)).text());
    for (let i = 0; i < 40 && sumOf(metrics, "tasker_domain_events_dispatched_total", { namespace: "events_cases" }) < 2; i += 1) {
      await Bun.sleep(50);
      metrics = parsePrometheus(await (await fetch(`${combined.baseUrl}/metrics`)).text());
    }
    expect(sumOf(metrics, "tasker_domain_events_published_total", { namespace: "events_cases" })).toBe(2);
    expect(sumOf(metrics, "tasker_domain_events_failed_total", { namespace: "events_cases", reason: "payload_invalid" })).toBe(1);
    // Fast and broadcast events reach the namespace's in-process subscribers (one of which throws).
    const dispatched = () => sumOf(metrics, "tasker_domain_events_dispatched_total", { namespace: "events_cases" });
    expect(dispatched()).toBe(2);
    expect(sumOf(metrics, "tasker_domain_events_failed_total", { namespace: "events_cases", reason: "subscriber_error" })).toBe(1);
    expect(sumOf(metrics, "tasker_domain_events_dropped_total", { namespace: "events_cases" })).toBe(0);
  });
});

describe("a batch worker killed with kill -9 after a checkpoint", () => {
  let orchestration: RoleProcess | undefined;
  const workers: RoleProcess[] = [];
  afterAll(async () => {
    await killAll([orchestration, ...workers]);
  });

  test("resumes_from_its_checkpoint_on_another_worker_through_an_orchestrator_restart_and_the_aggregate_is_exact", async () => {
    orchestration = await startRole("orchestration", { databaseUrl: db.url });
    const startWorker = () => startRole("worker", { databaseUrl: db.url, handlersDir: FIXTURE_HANDLERS, namespaces: ["csv_processing_ts"] });
    workers.push(await startWorker(), await startWorker());
    // 5 batches of 200 rows, a checkpoint every 40 rows, 4 ms a row: each batch runs about a second.
    const task = await createTask(orchestration.baseUrl, csvTask({ csv_file_path: writeCsv(1000), checkpoint_every: 40, row_delay_ms: 4 }));
    // The victim is the first worker to save a checkpoint (a slice was processed and the step ran
    // again); it dies right after.
    const yielded = (p: RoleProcess) => p.waitForLog((l) => l["msg"] === "step.yielded", 30_000).then((line) => ({ p, line }));
    const first = await Promise.any(workers.map(yielded));
    const victim = first.p;
    const survivor = workers.find((w) => w !== victim)!;
    const slice = first.line;
    victim.kill("SIGKILL");
    await victim.exited;
    orchestration.kill("SIGKILL");
    await orchestration.exited;
    orchestration = await startRole("orchestration", { databaseUrl: db.url });

    await waitForTasks(db.sql, [task.task_uuid], ["complete"], 60_000);
    const done = await getTask(orchestration.baseUrl, task.task_uuid);
    const total = stepNamed(done, "aggregate_csv_results_ts").results?.result as Record<string, number>;
    expect([total["batch_count"], total["total_rows_processed"], total["product_id_sum"]]).toEqual([5, 1000, 500_500]);

    // The step the victim was running when it died was retried, and its second attempt started
    // where the first attempt's last checkpoint was: no row before it was processed again.
    const retried = done.steps.filter((s) => s.name.startsWith("process_csv_batch_ts_") && s.attempts > 1);
    expect(retried.map((s) => s.workflow_step_uuid)).toContain(String(slice["step_uuid"]));
    const processed = [victim, survivor].flatMap((p) => p.logs()).filter((l) => l["msg"] === "csv rows processed");
    for (const step of retried) {
      const batchId = step.name.slice("process_csv_batch_ts_".length);
      const [row] = await db.sql<{ history: Array<{ cursor: number; attempt: number }>; start: number }[]>`
        SELECT checkpoint -> 'history' AS history, (inputs #>> '{cursor,start_cursor}')::int AS start
          FROM tasker.workflow_steps WHERE workflow_step_uuid = ${step.workflow_step_uuid}::uuid`;
      const saved = (row!.history ?? []).filter((h) => h.attempt === 1).map((h) => h.cursor);
      // Killed after a checkpoint: the retry starts there; killed before its first one: at its start.
      const resumeAt = saved.length > 0 ? Math.max(...saved) : row!.start;
      if (step.workflow_step_uuid === slice["step_uuid"]) expect(saved.length).toBeGreaterThan(0);
      const laterStarts = processed.filter((l) => l["batch_id"] === batchId && Number(l["attempt"]) > 1).map((l) => Number(l["from"]));
      expect(laterStarts.length).toBeGreaterThan(0);
      expect(Math.min(...laterStarts)).toBe(resumeAt);
    }
    // The survivor took over work (the victim is dead; nobody else could have).
    expect(survivor.logs().some((l) => l["msg"] === "csv rows processed" && Number(l["attempt"]) > 1)).toBe(true);
  });
});
