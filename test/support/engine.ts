/**
 * An orchestration and a worker running in this test process against a test
 * database, wired as `--role combined` wires them, with test-speed intervals.
 * Integration tests use it; e2e tests use the compiled binary instead.
 */
import { DEFAULT_OUTCOME_LIMITS } from "../../src/templates/planStepOutcome.ts";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Sql } from "postgres";
import { createProcessHeartbeat } from "../../src/db/processHeartbeat.ts";
import { newId } from "../../src/lib/ids.ts";
import { createOrchestration, type Orchestration } from "../../src/orchestration/createOrchestration.ts";
import { createNotifyListener, type NotifyListener } from "../../src/queue/notifyListener.ts";
import { instrumentQueueClient } from "../../src/queue/instrumentQueueClient.ts";
import { createQueueClient } from "../../src/queue/queueClient.ts";
import type { QueueMode } from "../../src/queue/queueConsumer.ts";
import { registerSdkModule } from "../../src/runtime/index.ts";
import { createLogger, type Logger } from "../../src/telemetry/logger.ts";
import type { Telemetry } from "../../src/telemetry/telemetry.ts";
import { createWorker, type Worker } from "../../src/worker/createWorker.ts";
import { loadNamespaces } from "../../src/worker/loadNamespaces.ts";
import { createHandlerRunner, type HandlerIsolation } from "../../src/worker/createHandlerRunner.ts";
import { toWorkerNamespace } from "../../src/worker/workerNamespace.ts";
import { REPO_ROOT } from "./binary.ts";

export interface TestEngine {
  orchestration: Orchestration;
  worker: Worker;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface TestEngineOptions {
  sql: Sql;
  url: string;
  handlersDir?: string;
  namespaces?: string[];
  mode?: QueueMode;
  maxConcurrentSteps?: number;
  /** worker.handler_isolation (default "thread", as in production). */
  isolation?: HandlerIsolation;
  /** Metrics, spans and lifecycle events (none by default). */
  telemetry?: Telemetry;
  /** worker.claim_batch_size and worker.completion_batch_size (default 4, as in production). */
  batchSize?: number;
}

export async function startTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  const logs: Array<Record<string, unknown>> = [];
  const logger: Logger = createLogger({
    level: "debug",
    format: "json",
    write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
  });
  const { sql } = options;
  registerSdkModule();
  const loaded = await loadNamespaces(options.handlersDir ?? join(REPO_ROOT, "handlers"), options.namespaces);
  const queues = options.telemetry ? instrumentQueueClient(createQueueClient(sql), options.telemetry) : createQueueClient(sql);
  const mode = options.mode ?? "hybrid";
  const processId = newId();
  const heartbeat = createProcessHeartbeat({ sql, processId, role: "combined", intervalMs: 500, logger });
  heartbeat.setNamespaces(loaded.map((l) => l.namespace));
  await heartbeat.start();
  let listener: NotifyListener | undefined;
  // Filled in below; the listener's reconnect callback reaches them through this holder.
  const parts: { orchestration?: Orchestration; worker?: Worker } = {};
  if (mode !== "polling") {
    listener = createNotifyListener({
      url: options.url,
      logger,
      reconnect: { baseMs: 50, maxMs: 1000 },
      onReconnect: () => {
        parts.orchestration?.wake();
        parts.worker?.wake();
      },
    });
  }
  const queueSettings = { mode, pollIntervalMs: 200, batchSize: 20, visibilityTimeoutSeconds: 30 };
  const orchestration = createOrchestration({
    sql,
    queues,
    listener,
    logger,
    processId,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    settings: {
      ...queueSettings,
      maxConcurrentResults: 10,
      readyTaskPollIntervalMs: 250,
      readyTaskBatchSize: 20,
      reaperIntervalMs: 250,
      processDeadAfterMs: 2000,
      reconcileAfterSeconds: 2,
      templateCacheTtlMs: 1000,
      staleness: undefined,
    },
  });
  const worker = createWorker({
    sql,
    queues,
    listener,
    logger,
    workerId: processId,
    hostname: hostname(),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    namespaces: loaded.map(toWorkerNamespace),
    runner: createHandlerRunner(
      { isolation: options.isolation ?? "thread", maxConcurrentSteps: options.maxConcurrentSteps ?? 10, maxMemoryMb: 512, abortGraceMs: 500 },
      logger,
      options.telemetry?.metrics,
    ),
    settings: {
      ...queueSettings,
      maxConcurrentSteps: options.maxConcurrentSteps ?? 10,
      defaultStepTimeoutMs: 5000,
      maxStepTimeoutMs: 60_000,
      leaseGraceSeconds: 2,
      maxResultBytes: 1_048_576,
      claimBatchSize: options.batchSize ?? 4,
      completionBatchSize: options.batchSize ?? 4,
      outcomeLimits: DEFAULT_OUTCOME_LIMITS,
      maxChainedSteps: 16,
    },
  });
  parts.orchestration = orchestration;
  parts.worker = worker;
  await worker.start();
  await orchestration.start();
  return {
    orchestration,
    worker,
    logs,
    async stop() {
      await worker.drain(2000);
      await orchestration.stop();
      await listener?.close();
      await heartbeat.stop();
    },
  };
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
