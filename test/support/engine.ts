/**
 * An orchestration and a worker running in this test process against a test
 * database (src/testing/inProcessEngine.ts), with the shipped handlers by default.
 * Integration tests use it; e2e tests use the compiled binary instead.
 */
import { join } from "node:path";
import type { Sql } from "postgres";
import { createOrchestration, type Orchestration } from "../../src/orchestration/createOrchestration.ts";
import { createQueueClient } from "../../src/queue/queueClient.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { startInProcessEngine, type InProcessEngine, type InProcessEngineOptions } from "../../src/testing/inProcessEngine.ts";
import { REPO_ROOT } from "./binary.ts";

export type TestEngine = InProcessEngine;
export type TestEngineOptions = Omit<InProcessEngineOptions, "handlersDir"> & { handlersDir?: string };

export function startTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  return startInProcessEngine({ ...options, handlersDir: options.handlersDir ?? join(REPO_ROOT, "handlers") });
}

/**
 * An orchestration that creates tasks and does nothing else on its own (polls once a minute,
 * no staleness runs): for tests that drive the SQL functions themselves.
 */
export function passiveOrchestration(sql: Sql): Orchestration {
  return createOrchestration({
    sql,
    queues: createQueueClient(sql),
    listener: undefined,
    logger: createLogger({ level: "fatal", format: "json", write: () => {} }),
    processId: "01a20000-0000-7000-8000-00000000dead",
    settings: {
      mode: "polling", pollIntervalMs: 60_000, batchSize: 1, visibilityTimeoutSeconds: 30,
      maxConcurrentResults: 1, readyTaskPollIntervalMs: 60_000, readyTaskBatchSize: 1,
      reaperIntervalMs: 60_000, processDeadAfterMs: 60_000, reconcileAfterSeconds: 60, templateCacheTtlMs: 0,
      staleness: undefined,
    },
  });
}

/** Polls the task until it reaches a state where it waits for nobody but an operator. */
export async function taskState(sql: Sql, taskUuid: string): Promise<string | undefined> {
  const [row] = await sql<{ state: string }[]>`SELECT state FROM tasker.tasks WHERE task_uuid = ${taskUuid}::uuid`;
  return row?.state;
}

export async function stepRows(
  sql: Sql,
  taskUuid: string,
): Promise<Array<{ name: string; state: string; attempts: number; results: { result?: unknown; error?: { error_type: string } } | null }>> {
  return sql`
    SELECT st.name, s.state, s.attempts, s.results
      FROM tasker.workflow_steps s JOIN tasker.named_steps st USING (named_step_uuid)
     WHERE s.task_uuid = ${taskUuid}::uuid ORDER BY st.name`;
}
