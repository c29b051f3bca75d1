/**
 * The dynamic-workflow SQL driven directly (no worker loop): a decision's completion creates
 * its branches in the completing transaction, a retried completion creates nothing twice,
 * explain names a deferred convergence's wait, and checkpoints are fenced, renew the lease,
 * reach the next attempt and keep a running task out of the staleness detector.
 */
import { join } from "node:path";
import { detectStaleTasks } from "../../src/orchestration/dlq/stalenessDetector.ts";
import { explainStep } from "../../src/orchestration/explainStep.ts";
import { applyStepAction } from "../../src/orchestration/stepActions.ts";
import type { ValidationError } from "../../src/lib/errors.ts";
import { findTask } from "../../src/orchestration/taskQueries.ts";
import { planStepOutcome } from "../../src/templates/planStepOutcome.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { disabledTelemetry } from "../../src/telemetry/telemetry.ts";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { completeWithOutcome } from "../../src/worker/outcomeCompletion.ts";
import { createStepRepository, type ClaimedStep, type StepExecutionResult } from "../../src/worker/stepRepository.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import type { TaskTemplate } from "../../src/templates/taskTemplate.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { passiveOrchestration, stepRows } from "../support/engine.ts";
import { beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const WORKER = "01a20000-0000-7000-8000-00000000cafe";
const OTHER = "01a20000-0000-7000-8000-00000000beef";
const QUEUE = "worker_dynamic_cases_queue";
const LEASE = { defaultTimeoutSeconds: 30, leaseGraceSeconds: 30 };
let decisionEcho: TaskTemplate;

beforeAll(async () => {
  const [ns] = await loadNamespaces(join(REPO_ROOT, "test", "fixtures", "handlers"), ["dynamic_cases"]);
  await registerTemplates(db.sql, ns!.templates.map((t) => t.template));
  decisionEcho = ns!.templates.find((t) => t.template.name === "decision_echo")!.template;
});

const steps = () => createStepRepository(db.sql);

/** Claims the task's enqueued step called `name` (through its message) for `worker`. */
async function claim(taskUuid: string, name: string, worker = WORKER): Promise<ClaimedStep> {
  const [row] = await db.sql<{ id: string; msg: string }[]>`
    SELECT ws.workflow_step_uuid::text AS id,
           (SELECT m.msg_id::text FROM pgmq.q_worker_dynamic_cases_queue m WHERE m.message ->> 'step_uuid' = ws.workflow_step_uuid::text) AS msg
      FROM tasker.workflow_steps ws JOIN tasker.named_steps ns USING (named_step_uuid)
     WHERE ws.task_uuid = ${taskUuid}::uuid AND ns.name = ${name} AND ws.state = 'enqueued'`;
  if (!row) throw new Error(`step ${name} is not enqueued`);
  const [claimed] = await steps().claimBatch([{ stepUuid: row.id, msgId: row.msg }], worker, QUEUE, LEASE);
  if (!claimed?.claimed) throw new Error(`step ${name} was not claimed: ${JSON.stringify(claimed)}`);
  return claimed;
}

const success = (claimed: ClaimedStep, value: unknown): StepExecutionResult => ({
  step_uuid: claimed.step.step_uuid,
  success: true,
  status: "completed",
  result: value,
  metadata: {
    execution_time_ms: 1, started_at: "", completed_at: "", worker_id: WORKER, worker_hostname: "h",
    correlation_id: claimed.task.correlation_id, attempt: claimed.step.attempt, retryable: false,
  },
  error: null,
});

const item = (claimed: ClaimedStep, value: unknown) => ({
  claimed, result: success(claimed, value), executionTimeMs: 1, headers: null, take: 0, preferChildren: true,
});

const decide = (claimed: ClaimedStep, value: unknown) =>
  completeWithOutcome(db.sql, steps(), disabledTelemetry(), item(claimed, value), WORKER, LEASE, (existing) =>
    planStepOutcome(decisionEcho, { name: claimed.step.name, templateStepName: claimed.step.template_step_name }, value, existing),
  );

let made = 0;
async function decidedTask(stepNames: string[]) {
  const outcome = { decision_point_outcome: { type: "create_steps", step_names: stepNames } };
  made += 1;
  const task = await passiveOrchestration(db.sql).createTask({
    namespace: "dynamic_cases",
    name: "decision_echo",
    version: "1.0.0",
    context: { decision_result: outcome, run: made },
  });
  await steps().complete(item(await claim(task.taskUuid, "start"), {}), WORKER, LEASE);
  const decider = await claim(task.taskUuid, "decide");
  const done = await decide(decider, outcome);
  return { taskUuid: task.taskUuid, decider, done, outcome };
}

describe("a decision's completion", () => {
  test("creates_its_branches_and_enqueues_the_ready_ones_in_the_same_transaction", async () => {
    const { taskUuid, done } = await decidedTask(["left", "right"]);
    expect(done.outcome.accepted).toBe(true);
    expect(done.created.map((s) => s.name)).toEqual(["left", "right", "after_left", "join"]);
    const rows = await stepRows(db.sql, taskUuid);
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ["after_left", "pending"],
      ["decide", "complete"],
      ["join", "pending"],
      ["left", "enqueued"],
      ["right", "enqueued"],
      ["start", "complete"],
    ]);
  });

  test("a_retried_completion_is_refused_and_creates_nothing_twice", async () => {
    const { taskUuid, decider, outcome } = await decidedTask(["right"]);
    const again = await decide(decider, outcome);
    expect(again.outcome.accepted).toBe(false);
    expect(again.created).toEqual([]);
    expect((await stepRows(db.sql, taskUuid)).map((r) => r.name)).toEqual(["decide", "join", "right", "start"]);
  });

  test("explain_and_the_api_say_what_a_deferred_convergence_waits_for_and_why_steps_are_missing", async () => {
    const { taskUuid } = await decidedTask(["left", "right"]);
    await steps().complete(item(await claim(taskUuid, "right"), {}), WORKER, LEASE);
    const task = await findTask(db.sql, taskUuid);
    const join = task!.steps.find((s) => s.name === "join")!;
    expect(join.parents).toEqual([
      { name: "right", edge: "provides" },
      { name: "after_left", edge: "provides" },
    ]);
    expect(join.created_by).toBe("decide");
    const explained = await explainStep(db.sql, taskUuid, join.workflow_step_uuid);
    expect(explained.reasons[0]?.code).toBe("deferred_convergence");
    expect(explained.reasons[0]?.message).toBe("deferred convergence: waiting for 1 of 2 created dependencies (after_left pending)");

    const { taskUuid: other } = await decidedTask(["right"]);
    const partial = await findTask(db.sql, other);
    expect(partial!.absent_steps).toEqual([
      { name: "left", type: "standard", code: "not_chosen", reason: "not chosen by decide" },
      { name: "after_left", type: "standard", code: "dependencies_not_created", reason: "depends on left, which was not created" },
    ]);
    const joinOnly = partial!.steps.find((s) => s.name === "join")!;
    const waiting = await explainStep(db.sql, other, joinOnly.workflow_step_uuid);
    expect(waiting.reasons[0]?.message).toBe(
      "deferred convergence: waiting for 1 of 1 created dependencies (right enqueued); not created, so not waited for: after_left",
    );
    const undecided = await passiveOrchestration(db.sql).createTask({ namespace: "dynamic_cases", name: "decision_echo", version: "1.0.0", context: { n: 1 } });
    expect((await findTask(db.sql, undecided.taskUuid))!.absent_steps.map((a) => [a.name, a.code, a.reason])).toEqual([
      ["left", "awaiting_decision", "created if decision decide leads to it (which is pending)"],
      ["right", "awaiting_decision", "created if decision decide leads to it (which is pending)"],
      ["after_left", "awaiting_decision", "created if decision decide leads to it (which is pending)"],
      ["join", "awaiting_decision", "created if decision decide leads to it (which is pending)"],
    ]);
  });
});

describe("an operator completing a decision by hand", () => {
  test("applies_the_given_outcome_or_refuses_it_naming_the_problem", async () => {
    made += 1;
    const task = await passiveOrchestration(db.sql).createTask({
      namespace: "dynamic_cases", name: "decision_echo", version: "1.0.0", context: { decision_result: "left", run: made },
    });
    await steps().complete(item(await claim(task.taskUuid, "start"), {}), WORKER, LEASE);
    const decider = await claim(task.taskUuid, "decide");
    const failed = await decide(decider, "left");
    expect(failed.plan.kind).toBe("invalid");
    const stateOf = async () => (await db.sql<{ state: string }[]>`SELECT state FROM tasker.tasks WHERE task_uuid = ${task.taskUuid}::uuid`)[0]!.state;
    expect(await stateOf()).toBe("blocked_by_failures");

    const complete = (result: unknown) =>
      applyStepAction(db.sql, task.taskUuid, decider.step.step_uuid, {
        action_type: "complete_manually", reason: "routed by hand", completed_by: "ops", completion_data: { result },
      }, OTHER);
    const refused = await complete({ decision_point_outcome: { type: "create_steps", step_names: ["nowhere"] } }).catch((e: unknown) => e);
    expect((refused as ValidationError).code).toBe("VALIDATION_FAILED");
    expect((refused as ValidationError).field).toBe("completion_data.result");
    expect((refused as Error).message).toContain('step "nowhere" is not a step of template decision_echo');
    expect((await stepRows(db.sql, task.taskUuid)).map((r) => [r.name, r.state])).toEqual([["decide", "error"], ["start", "complete"]]);

    const done = await complete({ decision_point_outcome: { type: "create_steps", step_names: ["right"] } });
    expect(done.to_state).toBe("complete");
    expect((await stepRows(db.sql, task.taskUuid)).map((r) => [r.name, r.state])).toEqual([
      ["decide", "complete"],
      ["join", "pending"],
      ["right", "enqueued"],
      ["start", "complete"],
    ]);
    expect(await stateOf()).toBe("steps_in_process");
  });
});

describe("checkpoints", () => {
  test("are_saved_only_by_the_attempt_holding_the_step_and_renew_its_lease", async () => {
    const { taskUuid } = await decidedTask(["right"]);
    const running = await claim(taskUuid, "right");
    await db.sql`UPDATE tasker.workflow_steps SET lease_expires_at = clock_timestamp() + interval '1 second' WHERE workflow_step_uuid = ${running.step.step_uuid}::uuid`;
    const saved = await steps().saveCheckpoint(running, { cursor: { page: 2 }, items_processed: 40, accumulated_results: { sum: 820 } }, WORKER, LEASE);
    expect(saved.saved).toBe(true);
    const [lease] = await db.sql<{ secs: number }[]>`
      SELECT extract(epoch FROM lease_expires_at - clock_timestamp())::int AS secs FROM tasker.workflow_steps WHERE workflow_step_uuid = ${running.step.step_uuid}::uuid`;
    expect(lease!.secs).toBeGreaterThan(50);
    const refused = await steps().saveCheckpoint(running, { cursor: 3, items_processed: 60, accumulated_results: null }, OTHER, LEASE);
    expect(refused).toEqual({ saved: false, state: "in_progress", attempts: 1 });
    const stale = await steps().saveCheckpoint({ ...running, step: { ...running.step, attempt: 2 } }, { cursor: 3, items_processed: 60, accumulated_results: null }, WORKER, LEASE);
    expect(stale.saved).toBe(false);
    const second = await steps().saveCheckpoint(running, { cursor: { page: 3 }, items_processed: 60, accumulated_results: { sum: 1830 } }, WORKER, LEASE);
    expect(second.saved && second.checkpoint).toMatchObject({
      cursor: { page: 3 },
      items_processed: 60,
      accumulated_results: { sum: 1830 },
      attempt: 1,
      history: [
        { cursor: { page: 2 }, items_processed: 40, attempt: 1 },
        { cursor: { page: 3 }, items_processed: 60, attempt: 1 },
      ],
    });
  });

  test("reach_the_next_attempt_after_a_retryable_failure", async () => {
    const { taskUuid } = await decidedTask(["right"]);
    const first = await claim(taskUuid, "right");
    await steps().saveCheckpoint(first, { cursor: 7, items_processed: 7, accumulated_results: [1, 2] }, WORKER, LEASE);
    const base = success(first, null);
    const failure: StepExecutionResult = {
      ...base,
      success: false,
      status: "error",
      metadata: { ...base.metadata, retryable: true },
      error: { message: "x", error_type: "flaky", retryable: true, retry_after_seconds: 0 },
    };
    await steps().complete({ ...item(first, null), result: failure }, WORKER, LEASE);
    const [retry] = await db.sql<{ id: string; msg: string }[]>`
      SELECT ws.workflow_step_uuid::text AS id, m.msg_id::text AS msg FROM tasker.workflow_steps ws
        JOIN pgmq.q_worker_dynamic_cases_queue m ON m.message ->> 'step_uuid' = ws.workflow_step_uuid::text
       WHERE ws.workflow_step_uuid = ${first.step.step_uuid}::uuid`;
    const [second] = await steps().claimBatch([{ stepUuid: retry!.id, msgId: retry!.msg }], WORKER, QUEUE, LEASE);
    expect(second?.claimed && second.step.attempt).toBe(2);
    expect(second?.claimed && second.step.checkpoint).toMatchObject({ cursor: 7, items_processed: 7, accumulated_results: [1, 2], attempt: 1 });
  });

  test("keep_a_running_task_out_of_the_staleness_detector_while_recent", async () => {
    const { taskUuid } = await decidedTask(["right"]);
    const running = await claim(taskUuid, "right");
    await db.sql`UPDATE tasker.tasks SET state_entered_at = clock_timestamp() - interval '45 minutes' WHERE task_uuid = ${taskUuid}::uuid`;
    await db.sql`UPDATE tasker.workflow_steps SET state_entered_at = clock_timestamp() - interval '45 minutes' WHERE task_uuid = ${taskUuid}::uuid`;
    await steps().saveCheckpoint(running, { cursor: 1, items_processed: 1, accumulated_results: null }, WORKER, LEASE);
    const settings = {
      dryRun: true, batchSize: 100, waitingForDependenciesMinutes: 60, waitingForRetryMinutes: 30, stepsInProcessMinutes: 30,
      taskMaxLifetimeHours: 24, checkpointStallMinutes: 15,
    };
    const found = async () => (await detectStaleTasks(db.sql, settings, WORKER, silentLogger)).map((t) => t.task_uuid);
    expect(await found()).not.toContain(taskUuid);
    await db.sql`UPDATE tasker.workflow_steps SET checkpoint = jsonb_set(checkpoint, '{timestamp}', to_jsonb(clock_timestamp() - interval '20 minutes'))
                  WHERE workflow_step_uuid = ${running.step.step_uuid}::uuid`;
    expect(await found()).toContain(taskUuid);
  });
});
