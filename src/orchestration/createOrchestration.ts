import type { Sql } from "postgres";
import { TaskerError, toError } from "../lib/errors.ts";
import { createConcurrencyLimit } from "../queue/concurrencyLimit.ts";
import type { NotifyListener } from "../queue/notifyListener.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import { createQueueConsumer, type ConsumedMessage, type QueueConsumer, type QueueMode } from "../queue/queueConsumer.ts";
import { notifyChannel, ORCHESTRATION_STEP_RESULTS, workerQueueName } from "../queue/queueNames.ts";
import { decodeStepMessage } from "../worker/stepMessage.ts";
import type { Logger } from "../telemetry/logger.ts";
import { detectStaleTasks, type StalenessSettings } from "./dlq/stalenessDetector.ts";
import { logTaskEvaluation } from "./logTaskEvaluation.ts";
import { createPeriodicLoop, type PeriodicLoop } from "./periodicLoop.ts";
import type { TaskEvaluation } from "./taskEvaluation.ts";
import { createTaskInitializer, TaskConflictError, type CreateTask } from "./taskInitializer.ts";
import { createTaskRepository } from "./taskRepository.ts";
import { createTemplateRepository } from "./templateRepository.ts";

export const ORCHESTRATION_TASK_REQUESTS = "orchestration_task_requests";

export interface OrchestrationSettings {
  mode: QueueMode;
  pollIntervalMs: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  maxConcurrentResults: number;
  readyTaskPollIntervalMs: number;
  readyTaskBatchSize: number;
  reaperIntervalMs: number;
  processDeadAfterMs: number;
  reconcileAfterSeconds: number;
  templateCacheTtlMs: number;
  /** undefined disables the staleness detector. */
  staleness: (StalenessSettings & { intervalMs: number }) | undefined;
}

export interface OrchestrationDeps {
  sql: Sql;
  queues: QueueClient;
  listener: NotifyListener | undefined;
  logger: Logger;
  processId: string;
  settings: OrchestrationSettings;
}

export interface Orchestration {
  createTask: CreateTask;
  start(): Promise<void>;
  wake(): void;
  stop(): Promise<void>;
}

/**
 * The orchestration role: creates tasks, processes completion notices from
 * orchestration_step_results, and runs the safety nets (readiness poller,
 * step reaper, result reconciler, retry timers).
 */
export function createOrchestration(deps: OrchestrationDeps): Orchestration {
  const { sql, queues, logger, settings, processId } = deps;
  const tasks = createTaskRepository(sql);
  const templates = createTemplateRepository(sql, settings.templateCacheTtlMs);
  const knownQueues = new Set<string>();
  const retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const consumers: QueueConsumer[] = [];
  const loops: PeriodicLoop[] = [];
  const deadAfterSeconds = Math.max(1, Math.ceil(settings.processDeadAfterMs / 1000));
  let stopped = false;

  const createTask = createTaskInitializer({
    tasks,
    templates,
    processId,
    logger,
    ensureNamespaceQueue: async (namespace) => {
      const queue = workerQueueName(namespace);
      if (knownQueues.has(queue)) return;
      await queues.create(queue);
      knownQueues.add(queue);
    },
  });

  /** A task parked waiting for a retry is evaluated again when its retry is due. */
  const scheduleRetry = (evaluation: TaskEvaluation): void => {
    if (stopped || !evaluation.next_retry_at || evaluation.state !== "waiting_for_dependencies") return;
    const dueInMs = Math.max(0, new Date(evaluation.next_retry_at).getTime() - Date.now()) + 5;
    const existing = retryTimers.get(evaluation.task_uuid);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      retryTimers.delete(evaluation.task_uuid);
      tasks
        .evaluateTask(evaluation.task_uuid, processId, null)
        .then((next) => {
          logTaskEvaluation(logger, next, "task re-evaluated for retry", { operation: "retry_timer" });
          scheduleRetry(next);
        })
        .catch((error: unknown) => logger.warn("retry evaluation failed", { task_uuid: evaluation.task_uuid, error: toError(error).message }));
    }, dueInMs);
    timer.unref?.();
    retryTimers.set(evaluation.task_uuid, timer);
  };

  const handleResult = async (consumed: ConsumedMessage): Promise<void> => {
    const body = decodeStepMessage(consumed.message);
    if ("invalid" in body) {
      logger.error("archived a completion notice that is not a step message", {
        queue_name: ORCHESTRATION_STEP_RESULTS,
        msg_id: consumed.msgId,
        reason: body.invalid,
      });
      await queues.archive(ORCHESTRATION_STEP_RESULTS, consumed.msgId);
      return;
    }
    const processed = await tasks.processStepResult(body.step_uuid, processId, consumed.msgId, null);
    const fields = {
      operation: "process_result",
      step_uuid: body.step_uuid,
      step_from: processed.step_from,
      step_to: processed.step_to,
      ...(processed.delay_ms != null ? { retry_in_ms: processed.delay_ms } : {}),
    };
    if (processed.evaluation) {
      logTaskEvaluation(logger, processed.evaluation, "step result processed", fields);
      scheduleRetry(processed.evaluation);
    }
  };

  const handleTaskRequest = async (consumed: ConsumedMessage): Promise<void> => {
    const body = consumed.message as { task_request?: unknown; request_id?: unknown } | null;
    try {
      const created = await createTask(body?.task_request ?? body);
      scheduleRetry(created.evaluation);
    } catch (error) {
      const err = toError(error);
      const known = err instanceof TaskConflictError || err instanceof TaskerError;
      if (!known) throw err; // transient: leave the message for redelivery
      logger.warn("archived a task request that cannot be created", {
        queue_name: ORCHESTRATION_TASK_REQUESTS,
        msg_id: consumed.msgId,
        request_id: body?.request_id,
        error: err.message,
      });
    }
    await queues.archive(ORCHESTRATION_TASK_REQUESTS, consumed.msgId);
  };

  const readinessIteration = async (): Promise<void> => {
    const candidates = await tasks.nextReadyTasks(settings.readyTaskBatchSize);
    for (const candidate of candidates) {
      const evaluation = await tasks.evaluateTask(candidate.task_uuid, processId, null);
      logTaskEvaluation(logger, evaluation, "task re-driven by the readiness poller", { operation: "readiness_poll" });
      scheduleRetry(evaluation);
    }
  };

  const recoveryIteration = async (): Promise<void> => {
    const reaped = await tasks.reapStepClaims(processId, deadAfterSeconds, 100);
    for (const r of reaped) {
      logger.warn("recovered a step whose attempt was lost", {
        operation: "reap_step",
        task_uuid: r.task_uuid,
        step_uuid: r.step_uuid,
        reason: r.reason,
        worker_uuid: r.worker_uuid,
        attempt: r.attempt,
        step_to: r.processed.step_to,
        correlation_id: r.processed.evaluation?.correlation_id,
      });
      if (r.processed.evaluation) scheduleRetry(r.processed.evaluation);
    }
    const reconciled = await tasks.reconcileStepResults(processId, settings.reconcileAfterSeconds, deadAfterSeconds, 100);
    for (const r of reconciled) {
      logger.warn("processed a result whose completion notice never arrived", {
        operation: "reconcile_result",
        task_uuid: r.task_uuid,
        step_uuid: r.step_uuid,
        state: r.state,
        step_to: r.processed.step_to,
        correlation_id: r.processed.evaluation?.correlation_id,
      });
      if (r.processed.evaluation) scheduleRetry(r.processed.evaluation);
    }
  };

  const consumer = (queue: string, handle: (m: ConsumedMessage) => Promise<void>): QueueConsumer =>
    createQueueConsumer({
      queues,
      listener: deps.listener,
      queue,
      channel: notifyChannel("orchestration"),
      mode: settings.mode,
      pollIntervalMs: settings.pollIntervalMs,
      batchSize: settings.batchSize,
      visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
      limit: createConcurrencyLimit(settings.maxConcurrentResults),
      handle,
      logger,
    });

  return {
    createTask,
    async start() {
      consumers.push(consumer(ORCHESTRATION_STEP_RESULTS, handleResult));
      consumers.push(consumer(ORCHESTRATION_TASK_REQUESTS, handleTaskRequest));
      for (const c of consumers) await c.start();
      loops.push(createPeriodicLoop("readiness poller", settings.readyTaskPollIntervalMs, readinessIteration, logger));
      loops.push(createPeriodicLoop("step recovery", settings.reaperIntervalMs, recoveryIteration, logger));
      const staleness = settings.staleness;
      if (staleness) {
        loops.push(
          createPeriodicLoop(
            "staleness detector",
            staleness.intervalMs,
            async () => void (await detectStaleTasks(sql, staleness, processId, logger)),
            logger,
          ),
        );
      }
      for (const loop of loops) loop.start();
    },
    wake() {
      for (const c of consumers) c.wake();
      for (const loop of loops) loop.trigger();
    },
    async stop() {
      stopped = true;
      for (const timer of retryTimers.values()) clearTimeout(timer);
      retryTimers.clear();
      await Promise.all([...consumers.map((c) => c.stop()), ...loops.map((l) => l.stop())]);
      await Promise.allSettled(consumers.flatMap((c) => c.inFlight()));
    },
  };
}
