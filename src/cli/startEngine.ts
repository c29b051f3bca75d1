import { hostname } from "node:os";
import type { TaskerConfig } from "../config/index.ts";
import type { Database } from "../db/index.ts";
import { createProcessHeartbeat } from "../db/processHeartbeat.ts";
import { createBackpressureGate, type BackpressureGate } from "../orchestration/backpressureGate.ts";
import { createOrchestration, type Orchestration } from "../orchestration/createOrchestration.ts";
import { createNotifyListener, type NotifyListener } from "../queue/notifyListener.ts";
import { instrumentQueueClient } from "../queue/instrumentQueueClient.ts";
import { createQueueClient } from "../queue/queueClient.ts";
import { createQueueHealthProvider, registerQueueGauges, type QueueHealthProvider } from "../queue/queueHealth.ts";
import { registerSdkModule } from "../runtime/index.ts";
import type { Logger } from "../telemetry/logger.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { OutcomeLimits } from "../templates/planStepOutcome.ts";
import { createWorker, type Worker } from "../worker/createWorker.ts";
import { loadNamespaces } from "../worker/loadNamespaces.ts";
import { createHandlerRunner } from "../worker/createHandlerRunner.ts";
import { toWorkerNamespace } from "../worker/workerNamespace.ts";
import type { Role } from "./parseCommandLine.ts";
import type { ProcessLifecycle } from "./processLifecycle.ts";

/** A context that satisfies simple input schemas: the first example, else the minimum of required integers. */
function exampleContext(schema: Record<string, unknown> | null): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  const properties = (schema?.["properties"] ?? {}) as Record<string, Record<string, unknown>>;
  const required = Array.isArray(schema?.["required"]) ? (schema["required"] as string[]) : [];
  for (const key of required) {
    const property = properties[key] ?? {};
    const examples = property["examples"];
    if (Array.isArray(examples) && examples.length > 0) context[key] = examples[0];
    else if (property["type"] === "integer" || property["type"] === "number") {
      const min = typeof property["minimum"] === "number" ? property["minimum"] : 1;
      const step = typeof property["multipleOf"] === "number" ? property["multipleOf"] : 1;
      context[key] = Math.ceil(min / step) * step;
    } else if (property["type"] === "string") context[key] = "example";
  }
  return context;
}

export interface Engine {
  orchestration: Orchestration | undefined;
  worker: Worker | undefined;
  namespaces: string[];
  /** Templates this process serves, for the start-up hint. */
  examples: Array<{ namespace: string; name: string; version: string; context: Record<string, unknown> }>;
  /** Queue depth and bloat for `/health/detailed` (also behind the tasker_queue_* gauges). */
  queueHealth: QueueHealthProvider;
  /** Task creation's queue-depth limit (orchestration and combined roles, when queues.backpressure.max_depth > 0). */
  backpressure: BackpressureGate | undefined;
}

/**
 * Starts the role's parts on a ready database: heartbeat, the LISTEN connection
 * (unless polling only), the orchestration and/or the worker. Registers their
 * shutdown in the order that loses nothing: the worker drains first (stops
 * claiming, finishes or aborts running steps, submits their results), then the
 * orchestration stops, then the listener and the heartbeat.
 */
export async function startEngine(
  role: Role,
  config: TaskerConfig,
  sql: Database,
  processId: string,
  lifecycle: ProcessLifecycle,
  logger: Logger,
  telemetry: Telemetry = disabledTelemetry(),
  /** `TASKER_ENV`: whose `environments` overlay of the templates applies. */
  environment?: string,
): Promise<Engine> {
  const runsWorker = role !== "orchestration";
  const runsOrchestration = role !== "worker";
  const queues = instrumentQueueClient(createQueueClient(sql), telemetry);
  const queueHealth = createQueueHealthProvider(sql, queues);
  const unregisterQueueGauges = registerQueueGauges(queueHealth, telemetry, logger);
  lifecycle.onShutdown("queue gauges", () => unregisterQueueGauges());

  let loaded: Awaited<ReturnType<typeof loadNamespaces>> = [];
  if (runsWorker) {
    registerSdkModule();
    const requested = config.worker.namespaces.length > 0 ? config.worker.namespaces : undefined;
    loaded = await loadNamespaces(config.worker.handlers_dir, requested, { environment });
    logger.info("handlers loaded", {
      handlers_dir: config.worker.handlers_dir,
      namespaces: loaded.map((ns) => ns.namespace),
      templates: loaded.flatMap((ns) => ns.templates.map((t) => `${ns.namespace}/${t.template.name}@${t.template.version}`)),
    });
  }
  const namespaces = loaded.map((ns) => ns.namespace);

  const heartbeatMs = runsWorker
    ? Math.min(config.worker.heartbeat_interval_ms, config.orchestration.heartbeat_interval_ms)
    : config.orchestration.heartbeat_interval_ms;
  const heartbeat = createProcessHeartbeat({ sql, processId, role, intervalMs: heartbeatMs, logger });
  heartbeat.setNamespaces(namespaces);
  await heartbeat.start();
  lifecycle.onShutdown("heartbeat", () => heartbeat.stop());

  let orchestration: Orchestration | undefined;
  let worker: Worker | undefined;
  let listener: NotifyListener | undefined;
  if (config.queues.mode !== "polling") {
    listener = createNotifyListener({
      url: config.database.url,
      logger,
      reconnect: { baseMs: config.queues.listener.reconnect_base_ms, maxMs: config.queues.listener.reconnect_max_ms },
      applicationName: `tasker-${role}-listener`,
      connectTimeoutSeconds: config.database.pool.connect_timeout_seconds,
      onReconnect: () => {
        logger.info("listener reconnected; catching up by polling");
        orchestration?.wake();
        worker?.wake();
      },
    });
    lifecycle.onShutdown("listener", () => listener?.close());
  }

  const queueSettings = {
    mode: config.queues.mode,
    pollIntervalMs: config.queues.poll_interval_ms,
    batchSize: config.queues.batch_size,
    visibilityTimeoutSeconds: config.queues.visibility_timeout_seconds,
  };

  if (runsOrchestration) {
    orchestration = createOrchestration({
      sql,
      queues,
      listener,
      logger: logger.child({ component: "orchestration" }),
      processId,
      telemetry,
      settings: {
        ...queueSettings,
        maxConcurrentResults: config.orchestration.max_concurrent_results,
        readyTaskPollIntervalMs: config.orchestration.ready_task_poll_interval_ms,
        readyTaskBatchSize: config.orchestration.ready_task_batch_size,
        reaperIntervalMs: config.orchestration.recovery_interval_ms,
        processDeadAfterMs: config.orchestration.process_dead_after_ms,
        reconcileAfterSeconds: config.orchestration.reconcile_after_seconds,
        templateCacheTtlMs: config.orchestration.template_cache_ttl_ms,
        outcomeLimits: outcomeLimitsOf(config),
        staleness: config.orchestration.staleness.enabled
          ? {
              intervalMs: config.orchestration.staleness.interval_ms,
              dryRun: config.orchestration.staleness.dry_run,
              batchSize: config.orchestration.staleness.batch_size,
              waitingForDependenciesMinutes: config.orchestration.staleness.waiting_for_dependencies_minutes,
              waitingForRetryMinutes: config.orchestration.staleness.waiting_for_retry_minutes,
              stepsInProcessMinutes: config.orchestration.staleness.steps_in_process_minutes,
              taskMaxLifetimeHours: config.orchestration.staleness.task_max_lifetime_hours,
              checkpointStallMinutes: config.orchestration.batch_processing.checkpoint_stall_minutes,
            }
          : undefined,
      },
    });
    await orchestration.start();
    const started = orchestration;
    lifecycle.onShutdown("orchestration", () => started.stop());
  }

  if (runsWorker) {
    worker = createWorker({
      sql,
      queues,
      listener,
      logger: logger.child({ component: "worker" }),
      workerId: processId,
      hostname: hostname(),
      telemetry,
      namespaces: loaded.map(toWorkerNamespace),
      runner: createHandlerRunner(
        {
          isolation: config.worker.handler_isolation,
          maxConcurrentSteps: config.worker.max_concurrent_steps,
          maxMemoryMb: config.worker.handler_max_memory_mb,
          abortGraceMs: config.worker.handler_abort_grace_ms,
        },
        logger.child({ component: "handler_threads" }),
        telemetry.metrics,
      ),
      settings: {
        ...queueSettings,
        maxConcurrentSteps: config.worker.max_concurrent_steps,
        defaultStepTimeoutMs: config.worker.default_step_timeout_ms,
        maxStepTimeoutMs: config.worker.max_step_timeout_ms,
        leaseGraceSeconds: config.worker.lease_grace_seconds,
        maxResultBytes: config.worker.max_result_bytes,
        maxChainedSteps: config.worker.max_chained_steps,
        claimAtCreation: config.worker.claim_at_creation,
        claimBatchSize: config.worker.claim_batch_size,
        completionBatchSize: config.worker.completion_batch_size,
        outcomeLimits: outcomeLimitsOf(config),
      },
    });
    await worker.start();
    orchestration?.attachLocalWorker(worker.localSteps);
    const started = worker;
    lifecycle.onShutdown("worker", () => started.drain(Math.max(0, config.worker.shutdown_timeout_ms - 2500)));
  }
  const examples = loaded.flatMap((ns) =>
    ns.templates.map(({ template }) => ({
      namespace: ns.namespace,
      name: template.name,
      version: template.version,
      context: exampleContext(template.inputSchema),
    })),
  );
  const { backpressure: limits } = config.queues;
  const backpressure =
    runsOrchestration && limits.max_depth > 0
      ? createBackpressureGate(
          queues,
          { maxDepth: limits.max_depth, measureIntervalMs: limits.measure_interval_ms, retryAfterSeconds: limits.retry_after_seconds },
          logger.child({ component: "backpressure" }),
        )
      : undefined;
  return { orchestration, worker, namespaces, examples, queueHealth, backpressure };
}

/** orchestration.decision_points / batch_processing as the outcome planner's limits. */
function outcomeLimitsOf(config: TaskerConfig): OutcomeLimits {
  return {
    maxStepsPerDecision: config.orchestration.decision_points.max_steps_per_decision,
    maxDecisionDepth: config.orchestration.decision_points.max_decision_depth,
    maxBatchesPerAnalyzer: config.orchestration.batch_processing.max_batches_per_analyzer,
  };
}
