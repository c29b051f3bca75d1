import { hostname } from "node:os";
import type { Sql } from "postgres";
import { createProcessHeartbeat } from "../db/processHeartbeat.ts";
import { newId } from "../lib/ids.ts";
import { createOrchestration, type Orchestration } from "../orchestration/createOrchestration.ts";
import { createNotifyListener, type NotifyListener } from "../queue/notifyListener.ts";
import { instrumentQueueClient } from "../queue/instrumentQueueClient.ts";
import { createQueueClient } from "../queue/queueClient.ts";
import type { QueueMode } from "../queue/queueConsumer.ts";
import { registerSdkModule } from "../runtime/index.ts";
import { createLogger, type Logger } from "../telemetry/logger.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { DEFAULT_OUTCOME_LIMITS } from "../templates/planStepOutcome.ts";
import { createHandlerRunner, type HandlerIsolation } from "../worker/createHandlerRunner.ts";
import { createWorker, type Worker } from "../worker/createWorker.ts";
import { loadNamespaces } from "../worker/loadNamespaces.ts";
import { toWorkerNamespace } from "../worker/workerNamespace.ts";

export interface InProcessEngine {
  orchestration: Orchestration;
  worker: Worker;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface InProcessEngineOptions {
  sql: Sql;
  url: string;
  /** The handlers directory: one folder of templates and handlers per namespace. */
  handlersDir: string;
  namespaces?: string[];
  mode?: QueueMode;
  maxConcurrentSteps?: number;
  /** worker.handler_isolation (default "thread", as in production). */
  isolation?: HandlerIsolation;
  /** Metrics, spans and lifecycle events (none by default). */
  telemetry?: Telemetry;
  /** worker.claim_batch_size and worker.completion_batch_size (default 4; production completes up to 8 at once). */
  batchSize?: number;
  /** worker.claim_at_creation (default true, as in the binary's combined role). */
  claimAtCreation?: boolean;
  /** Whose `environments` overlay of the templates applies (default `TASKER_ENV`, else `test`). */
  environment?: string;
}

/**
 * An orchestration and a worker in this process against `url`'s database, wired as `--role
 * combined` wires them, with test-speed intervals (fast polling, a 2 s dead-process judgement):
 * what `tasker/testing` and this repository's integration tests run workflows on.
 */
export async function startInProcessEngine(options: InProcessEngineOptions): Promise<InProcessEngine> {
  const logs: Array<Record<string, unknown>> = [];
  const logger: Logger = createLogger({
    level: "debug",
    format: "json",
    write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
  });
  const { sql } = options;
  registerSdkModule();
  const loaded = await loadNamespaces(options.handlersDir, options.namespaces, {
    environment: options.environment ?? process.env["TASKER_ENV"] ?? "test",
  });
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
      claimAtCreation: options.claimAtCreation ?? true,
    },
  });
  orchestration.attachLocalWorker(worker.localSteps);
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
