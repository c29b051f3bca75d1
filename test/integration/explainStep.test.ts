/**
 * explainStep's cases that need a quiet database (no reaper racing the test):
 * a step whose worker stopped heart-beating, and a step whose handler is missing.
 */
import { createOrchestration } from "../../src/orchestration/createOrchestration.ts";
import { explainStep } from "../../src/orchestration/explainStep.ts";
import { createQueueClient } from "../../src/queue/queueClient.ts";
import { silentLogger } from "../../src/telemetry/logger.ts";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { registerTemplates } from "../../src/worker/templateRegistrar.ts";
import { REPO_ROOT } from "../support/binary.ts";
import { useTestDatabase } from "../support/database.ts";
import { beforeAll, describe, expect, test } from "../support/test.ts";

const db = useTestDatabase(import.meta.file);
const WORKER = "01a20000-0000-7000-8000-0000000000ee";

const orchestration = () =>
  createOrchestration({
    sql: db.sql,
    queues: createQueueClient(db.sql),
    listener: undefined,
    logger: silentLogger,
    processId: "01a20000-0000-7000-8000-0000000000ef",
    settings: {
      mode: "polling", pollIntervalMs: 60_000, batchSize: 1, visibilityTimeoutSeconds: 30, maxConcurrentResults: 1,
      readyTaskPollIntervalMs: 60_000, readyTaskBatchSize: 1, reaperIntervalMs: 60_000, processDeadAfterMs: 60_000,
      reconcileAfterSeconds: 60, templateCacheTtlMs: 0, staleness: undefined,
    },
  });

beforeAll(async () => {
  const [linear] = await loadNamespaces(`${REPO_ROOT}/handlers`, ["linear_workflow"]);
  await registerTemplates(db.sql, linear!.templates.map((t) => t.template));
});

const firstStep = async (taskUuid: string): Promise<string> => {
  const [row] = await db.sql<{ id: string }[]>`
    SELECT workflow_step_uuid AS id FROM tasker.workflow_steps WHERE task_uuid = ${taskUuid}::uuid AND state = 'enqueued'`;
  return row!.id;
};

describe("explain", () => {
  test("names_a_worker_that_stopped_heart_beating_while_running_the_step", async () => {
    const { taskUuid } = await orchestration().createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 2 } });
    const step = await firstStep(taskUuid);
    await db.sql`SELECT tasker.heartbeat_process(${WORKER}::uuid, 'worker', ARRAY['linear_workflow'], 'h', 1, 't')`;
    await db.sql`SELECT tasker.claim_step(${step}::uuid, ${WORKER}::uuid, 'worker_linear_workflow_queue', NULL, 30, 30)`;
    expect((await explainStep(db.sql, taskUuid, step, 30)).reasons[0]?.code).toBe("running");
    await db.sql`UPDATE tasker.processes SET heartbeat_at = clock_timestamp() - interval '5 minutes' WHERE process_uuid = ${WORKER}::uuid`;
    const lost = await explainStep(db.sql, taskUuid, step, 30);
    expect([lost.running, lost.reasons[0]?.code, lost.reasons[0]?.["worker_uuid"]]).toEqual([true, "worker_lost", WORKER]);
  });

  test("names_a_missing_handler", async () => {
    const { taskUuid } = await orchestration().createTask({ namespace: "linear_workflow", name: "mathematical_sequence", version: "1.0.0", context: { even_number: 4 } });
    const step = await firstStep(taskUuid);
    const worker = "01a20000-0000-7000-8000-0000000000ed";
    await db.sql`SELECT tasker.claim_step(${step}::uuid, ${worker}::uuid, 'worker_linear_workflow_queue', NULL, 30, 30)`;
    // What the worker submits when no handler serves the step.
    await db.sql`SELECT tasker.submit_step_result(${step}::uuid, ${worker}::uuid, 1,
      '{"success": false, "error": {"message": "no handler for step linear_step_1", "error_type": "handler_not_found", "retryable": false}, "metadata": {"retryable": false}}'::jsonb, 1)`;
    await db.sql`SELECT tasker.process_step_result(${step}::uuid, ${worker}::uuid)`;
    const explained = await explainStep(db.sql, taskUuid, step);
    expect(explained.reasons.map((r) => r.code)).toEqual(["task_blocked", "handler_missing"]);
  });
});
