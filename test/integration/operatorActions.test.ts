import { applyStepAction } from "../../src/orchestration/stepActions.ts";
import { cancelTask } from "../../src/orchestration/taskActions.ts";
import { explainStep } from "../../src/orchestration/explainStep.ts";
import { createDlqRepository } from "../../src/orchestration/dlq/dlqRepository.ts";
import { detectStaleTasks } from "../../src/orchestration/dlq/stalenessDetector.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { startTestEngine, stepRows, taskState, type TestEngine } from "../support/engine.ts";
import { waitFor } from "../support/waitFor.ts";
import { afterAll, beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const OPERATOR = "01a20000-0000-7000-8000-0000000000aa";
let engine: TestEngine;

beforeAll(async () => {
  // Workers for retry_examples and linear_workflow only: diamond_workflow tasks wait for a worker.
  engine = await startTestEngine({ sql: db.sql, url: db.url, namespaces: ["retry_examples", "linear_workflow"] });
  // Registered as if a diamond_workflow worker had run once and stopped.
  const [diamond] = await loadNamespaces(`${REPO_ROOT}/handlers`, ["diamond_workflow"]);
  await registerTemplates(db.sql, diamond!.templates.map((t) => t.template));
});
afterAll(async () => {
  await engine?.stop();
});

const reach = async (taskUuid: string, states: string[]): Promise<string> =>
  waitFor(
    async () => {
      const s = await taskState(db.sql, taskUuid);
      return s && states.includes(s) ? s : undefined;
    },
    { timeoutMs: 15_000, description: `task ${taskUuid} to reach ${states.join("|")}` },
  );

const stepUuid = async (taskUuid: string, name: string): Promise<string> => {
  const [row] = await db.sql<{ id: string }[]>`
    SELECT s.workflow_step_uuid AS id FROM tasker.workflow_steps s JOIN tasker.named_steps n USING (named_step_uuid)
     WHERE s.task_uuid = ${taskUuid}::uuid AND n.name = ${name}`;
  return row!.id;
};

const codeOf = (error: unknown): string | undefined => (error as { code?: string }).code;

describe("manual resolution", () => {
  test("completing_a_permanently_failed_step_by_hand_unblocks_the_task", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "retry_examples", name: "permanent_failure", version: "1.0.0", context: { n: 1 } });
    await reach(taskUuid, ["blocked_by_failures"]);
    const reject = await stepUuid(taskUuid, "reject_order");
    const explained = await explainStep(db.sql, taskUuid, reject);
    expect(explained.reasons.map((r) => r.code)).toEqual(["task_blocked", "permanent_failure"]);
    const outcome = await applyStepAction(db.sql, taskUuid, reject, {
      action_type: "complete_manually",
      reason: "approved by phone",
      completed_by: "ops@example.com",
      completion_data: { result: { approved: true } },
    }, OPERATOR);
    expect([outcome.from_state, outcome.to_state]).toEqual(["error", "complete"]);
    expect(await reach(taskUuid, ["complete"])).toBe("complete");
    const steps = await stepRows(db.sql, taskUuid);
    expect(steps.find((s) => s.name === "reject_order")?.results?.result).toEqual({ approved: true });
    expect(steps.find((s) => s.name === "ship_order")?.state).toBe("complete");
  });

  test("resolving_a_failed_step_lets_its_dependents_run", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "retry_examples", name: "permanent_failure", version: "1.0.0", context: { n: 2 } });
    await reach(taskUuid, ["blocked_by_failures"]);
    await applyStepAction(db.sql, taskUuid, await stepUuid(taskUuid, "reject_order"), {
      action_type: "resolve_manually", reason: "not needed", resolved_by: "ops",
    }, OPERATOR);
    expect(await reach(taskUuid, ["complete"])).toBe("complete");
  });

  test("reset_for_retry_runs_an_exhausted_step_again_from_attempt_1", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "retry_examples", name: "always_fail", version: "1.0.0", context: { n: 3 } });
    await reach(taskUuid, ["blocked_by_failures"]);
    const step = await stepUuid(taskUuid, "always_fail");
    expect((await explainStep(db.sql, taskUuid, step)).reasons.map((r) => r.code)).toContain("attempts_exhausted");
    await applyStepAction(db.sql, taskUuid, step, { action_type: "reset_for_retry", reason: "fixed upstream", reset_by: "ops" }, OPERATOR);
    await waitFor(async () => {
      const [row] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM tasker.workflow_step_result_audit WHERE workflow_step_uuid = ${step}::uuid`;
      return row!.n === 6;
    }, { timeoutMs: 15_000, description: "three more attempts after the reset" });
    expect(await reach(taskUuid, ["blocked_by_failures"])).toBe("blocked_by_failures");
  });

  test("actions_the_state_machine_forbids_are_refused_and_foreign_steps_are_not_found", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 20 } });
    await reach(taskUuid, ["complete"]);
    const first = await stepUuid(taskUuid, "linear_step_1");
    const refused = await applyStepAction(db.sql, taskUuid, first, { action_type: "resolve_manually", reason: "x", resolved_by: "ops" }, OPERATOR).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe("INVALID_STATE");
    const other = await engine.orchestration.createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 22 } });
    const foreign = await applyStepAction(db.sql, other.taskUuid, first, { action_type: "resolve_manually", reason: "x", resolved_by: "ops" }, OPERATOR).catch((e: unknown) => e);
    expect(codeOf(foreign)).toBe("NOT_FOUND");
  });
});

describe("cancellation", () => {
  test("cancel_archives_queued_messages_and_refuses_a_finished_task", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "diamond_workflow", name: "parallel_computation", version: "1.0.0", context: { even_number: 6 } });
    const start = await stepUuid(taskUuid, "diamond_start");
    const explained = await explainStep(db.sql, taskUuid, start, 3);
    expect(explained.reasons.map((r) => r.code)).toContain("no_worker");
    const end = await explainStep(db.sql, taskUuid, await stepUuid(taskUuid, "diamond_end"));
    expect(end.reasons[0]?.code).toBe("unmet_dependencies");
    const cancelled = await engine.orchestration.operator.cancelTask(taskUuid);
    const events = engine.logs.filter((l) => l["task_uuid"] === taskUuid && typeof l["event"] === "string" && String(l["event"]).endsWith("cancelled"));
    expect(events.map((l) => l["event"]).sort()).toEqual(["step.cancelled", "step.cancelled", "step.cancelled", "step.cancelled", "task.cancelled"]);
    expect(cancelled).toMatchObject({ task_uuid: taskUuid, from_state: "steps_in_process", cancelled_steps: 4, archived_messages: 1 });
    expect(cancelled.steps.map((s) => s.from_state).sort()).toEqual(["enqueued", "pending", "pending", "pending"]);
    const [queued] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pgmq.q_worker_diamond_workflow_queue`;
    expect(queued?.n).toBe(0);
    expect((await stepRows(db.sql, taskUuid)).every((s) => s.state === "cancelled")).toBe(true);
    expect((await explainStep(db.sql, taskUuid, start)).reasons[0]?.code).toBe("task_cancelled");
    const again = await cancelTask(db.sql, taskUuid, OPERATOR).catch((e: unknown) => e);
    expect(codeOf(again)).toBe("INVALID_STATE");
  });

  test("a_cancel_caught_in_a_deadlock_with_a_worker_holding_a_step_is_run_again_not_failed", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "diamond_workflow", name: "parallel_computation", version: "1.0.0", context: { even_number: 12 } });
    const start = await stepUuid(taskUuid, "diamond_start");
    // A worker completing the task's last step: the step first, then the task (complete_step's order).
    const worker = await db.sql.reserve();
    try {
      await worker`BEGIN`;
      await worker`SELECT 1 FROM tasker.workflow_steps WHERE workflow_step_uuid = ${start}::uuid FOR NO KEY UPDATE`;
      const cancelling = cancelTask(db.sql, taskUuid, OPERATOR);
      await waitFor(async () => (await db.sql`
        SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%tasker.cancel_task%'`).length > 0,
      { timeoutMs: 10_000, description: "cancel_task to wait for the step the worker holds" });
      // The cancel waited first, so its deadlock check runs first and aborts it; the worker gets the task.
      const workerTakesTask = await worker`SELECT 1 FROM tasker.tasks WHERE task_uuid = ${taskUuid}::uuid FOR NO KEY UPDATE`
        .then(() => "locked", (error: unknown) => codeOf(error));
      expect(workerTakesTask).toBe("locked");
      await worker`ROLLBACK`;
      const cancelled = await cancelling;
      expect(cancelled).toMatchObject({ task_uuid: taskUuid, from_state: "steps_in_process", cancelled_steps: 4 });
      expect(await taskState(db.sql, taskUuid)).toBe("cancelled");
    } finally {
      worker.release();
    }
  });
});

describe("explain", () => {
  test("names_an_invisible_message_and_a_retry_that_is_not_due", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "diamond_workflow", name: "parallel_computation", version: "1.0.0", context: { even_number: 8 } });
    const start = await stepUuid(taskUuid, "diamond_start");
    await db.sql`SELECT * FROM pgmq.read('worker_diamond_workflow_queue', 600, 10)`;
    expect((await explainStep(db.sql, taskUuid, start)).reasons.map((r) => r.code)).toContain("message_invisible");
    // Play a worker that fails once, then ask why the step waits.
    const worker = "01a20000-0000-7000-8000-0000000000bb";
    await db.sql`SELECT tasker.heartbeat_process(${worker}::uuid, 'worker', ARRAY['diamond_workflow'], 'h', 1, 't')`;
    await db.sql`SELECT tasker.claim_step(${start}::uuid, ${worker}::uuid, 'worker_diamond_workflow_queue', NULL, 30, 30)`;
    expect((await explainStep(db.sql, taskUuid, start)).reasons[0]?.code).toBe("running");
    await db.sql`SELECT tasker.submit_step_result(${start}::uuid, ${worker}::uuid, 1,
      '{"success": false, "error": {"message": "flaky", "error_type": "io", "retryable": true, "retry_after_seconds": 3600}, "metadata": {"retryable": true}}'::jsonb, 5)`;
    await waitFor(async () => (await stepRows(db.sql, taskUuid)).find((s) => s.name === "diamond_start")?.state === "waiting_for_retry", {
      timeoutMs: 10_000,
      description: "the failure to be processed",
    });
    const waiting = await explainStep(db.sql, taskUuid, start);
    expect(waiting.reasons[0]?.code).toBe("retry_not_due");
    expect(waiting.running).toBe(false);
    await cancelTask(db.sql, taskUuid, OPERATOR);
    await db.sql`SELECT tasker.stop_process(${worker}::uuid)`;
  });
});

describe("staleness and the DLQ", () => {
  test("a_task_stuck_past_its_threshold_moves_to_error_with_one_dlq_entry", async () => {
    const { taskUuid } = await engine.orchestration.createTask({ namespace: "diamond_workflow", name: "parallel_computation", version: "1.0.0", context: { even_number: 10 } });
    await db.sql`UPDATE tasker.tasks SET state_entered_at = clock_timestamp() - interval '45 minutes' WHERE task_uuid = ${taskUuid}::uuid`;
    const settings = { dryRun: false, batchSize: 10, waitingForDependenciesMinutes: 60, waitingForRetryMinutes: 30, stepsInProcessMinutes: 30, taskMaxLifetimeHours: 24, checkpointStallMinutes: 15 };
    // Its steps changed state a moment ago: a running task that progresses is not stale.
    expect((await detectStaleTasks(db.sql, { ...settings, dryRun: true }, OPERATOR, silentLogger)).map((t) => t.task_uuid)).not.toContain(taskUuid);
    await db.sql`UPDATE tasker.workflow_steps SET state_entered_at = clock_timestamp() - interval '45 minutes' WHERE task_uuid = ${taskUuid}::uuid`;
    const dry = await detectStaleTasks(db.sql, { ...settings, dryRun: true }, OPERATOR, silentLogger);
    expect(dry.map((t) => [t.task_uuid, t.moved_to_error])).toEqual([[taskUuid, false]]);
    const stale = await detectStaleTasks(db.sql, settings, OPERATOR, silentLogger);
    expect(stale.map((t) => [t.task_uuid, t.state, t.moved_to_error])).toEqual([[taskUuid, "steps_in_process", true]]);
    expect(await taskState(db.sql, taskUuid)).toBe("error");
    expect(await detectStaleTasks(db.sql, settings, OPERATOR, silentLogger)).toEqual([]);
    const dlq = createDlqRepository(db.sql);
    const entry = await dlq.findForTask(taskUuid);
    expect([entry?.dlq_reason, entry?.resolution_status, entry?.original_state]).toEqual(["StalenessTimeout", "Pending", "steps_in_process"]);
    expect(await dlq.update(entry!.dlq_entry_uuid, { resolution_status: "ManuallyResolved", resolved_by: "ops", resolution_notes: "retried by hand" })).toBe(true);
    expect((await dlq.findForTask(taskUuid))?.resolution_status).toBe("ManuallyResolved");
    const stats = await dlq.stats();
    expect(stats.find((s) => s.dlq_reason === "StalenessTimeout")?.manually_resolved).toBeGreaterThanOrEqual(1);
  });
});
