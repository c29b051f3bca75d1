import type { Sql } from "postgres";
import { TaskerError, toError } from "../lib/errors.ts";
import { createConcurrencyLimit } from "../queue/concurrencyLimit.ts";
import type { NotifyListener } from "../queue/notifyListener.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import { createQueueConsumer, type ConsumedMessage, type QueueConsumer, type QueueMode } from "../queue/queueConsumer.ts";
import { notifyChannel, ORCHESTRATION_STEP_RESULTS, workerQueueName } from "../queue/queueNames.ts";
import { decodeStepMessage } from "../worker/stepMessage.ts";
import { createLifecycleEmitter } from "../telemetry/lifecycleEmitter.ts";
import { createOperatorActions, type OperatorActions } from "./operatorActions.ts";
import type { Logger } from "../telemetry/logger.ts";
import { contextFromHeaders, inSpan, traceHeaders } from "../telemetry/spans.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { OutcomeLimits } from "../templates/planStepOutcome.ts";
import { detectStaleTasks, type StalenessSettings } from "./dlq/stalenessDetector.ts";
import { registerOrchestrationGauges } from "./orchestrationGauges.ts";
import { createPeriodicLoop, type PeriodicLoop } from "./periodicLoop.ts";
import type { TaskEvaluation } from "./taskEvaluation.ts";
import { createTaskEvaluationReporter } from "./taskEvaluationReporter.ts";
import { createTaskInitializer, TaskConflictError, type CreateTask, type LocalStepTaker } from "./taskInitializer.ts";
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
  /** Limits for outcomes applied by operator actions (a decision completed by hand); defaults otherwise. */
  outcomeLimits?: OutcomeLimits;
}

export interface OrchestrationDeps {
  sql: Sql;
  queues: QueueClient;
  listener: NotifyListener | undefined;
  logger: Logger;
  processId: string;
  settings: OrchestrationSettings;
  /** Metrics, spans and lifecycle events; nothing is recorded without it. */
  telemetry?: Telemetry;
}

export interface Orchestration {
  createTask: CreateTask;
  /** This process's worker (the combined role) may take a root step of each task created here. */
  attachLocalWorker(taker: LocalStepTaker): void;
  /** Cancel a task, reset/resolve/complete a step by hand: with their lifecycle events. */
  operator: OperatorActions;
  start(): Promise<void>;
  wake(): void;
  stop(): Promise<void>;
}

/**
 * The orchestration role: creates tasks, and runs what needs a view across steps and
 * processes: the readiness poller, the step reaper, the staleness detector. Workers complete
 * steps themselves (tasker.complete_step); completion notices on orchestration_step_results
 * come only from the step path before migration 0016 and are still processed.
 */
export function createOrchestration(deps: OrchestrationDeps): Orchestration {
  const { sql, queues, logger, settings, processId } = deps;
  const telemetry = deps.telemetry ?? disabledTelemetry();
  const { metrics } = telemetry;
  const tasks = createTaskRepository(sql, telemetry, logger);
  const emitter = createLifecycleEmitter(telemetry, logger);
  const reporter = createTaskEvaluationReporter(telemetry, logger, emitter);
  const unregisterGauges = registerOrchestrationGauges(sql, telemetry, logger);
  const templates = createTemplateRepository(sql, settings.templateCacheTtlMs);
  const knownQueues = new Map<string, Promise<void>>();
  const consumers: QueueConsumer[] = [];
  const loops: PeriodicLoop[] = [];
  const deadAfterSeconds = Math.max(1, Math.ceil(settings.processDeadAfterMs / 1000));
  let localWorker: LocalStepTaker | undefined;

  const createTask = createTaskInitializer({
    tasks,
    templates,
    processId,
    logger,
    telemetry,
    reporter,
    ensureNamespaceQueue: (namespace) => {
      // One create per queue and process: concurrent first requests share it.
      const queue = workerQueueName(namespace);
      let known = knownQueues.get(queue);
      if (!known) {
        known = queues.create(queue);
        knownQueues.set(queue, known);
        known.catch(() => knownQueues.delete(queue));
      }
      return known;
    },
    localSteps: () => localWorker,
  });

  /**
   * The parent of a span about one task: the context a message carried, else the one
   * stored with the task (notifications carry no headers). Looked up only with tracing on.
   */
  const taskParent = async (taskUuid: string, headers?: Record<string, unknown> | null) => {
    if (!telemetry.tracer) return undefined;
    const carried = contextFromHeaders(headers);
    if (carried) return carried;
    return contextFromHeaders(await tasks.taskTraceContext(taskUuid).catch(() => null));
  };

  /** Evaluates a task in a `task.evaluate` span of its own trace, then reports what committed. */
  const evaluate = async (taskUuid: string, operation: string, message: string): Promise<TaskEvaluation> =>
    inSpan(
      telemetry,
      "task.evaluate",
      { parent: await taskParent(taskUuid), attributes: () => ({ task_uuid: taskUuid, operation }) },
      async (span) => {
        const started = performance.now();
        const next = await tasks.evaluateTask(taskUuid, processId, traceHeaders(telemetry));
        if (next.correlation_id) span?.setAttributes({ correlation_id: next.correlation_id, namespace: next.namespace ?? "" });
        reporter.evaluation(next, message, { operation }, performance.now() - started);
        return next;
      },
    );

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
    await inSpan(
      telemetry,
      "orchestration.process_result",
      {
        parent: await taskParent(body.task_uuid, consumed.headers),
        attributes: () => ({
          correlation_id: body.correlation_id,
          task_uuid: body.task_uuid,
          step_uuid: body.step_uuid,
          ...(body.step_name ? { "step.name": body.step_name } : {}),
          ...(body.attempt !== undefined ? { attempt: body.attempt } : {}),
          "messaging.source": consumed.source,
        }),
      },
      async (span) => {
        const started = performance.now();
        const processed = await tasks.processStepResult(body.step_uuid, processId, consumed.msgId, traceHeaders(telemetry));
        metrics.messagesArchived.add(1, { queue: ORCHESTRATION_STEP_RESULTS });
        span?.setAttributes({ outcome: processed.step_to ?? "duplicate", namespace: processed.evaluation?.namespace ?? "" });
        reporter.stepResult(
          processed,
          { correlation_id: body.correlation_id, ...(body.step_name ? { step_name: body.step_name } : {}) },
          { operation: "process_result" },
          performance.now() - started,
        );
      },
    );
  };

  const handleTaskRequest = async (consumed: ConsumedMessage): Promise<void> => {
    const body = consumed.message as { task_request?: unknown; request_id?: unknown } | null;
    try {
      await inSpan(
        telemetry,
        "orchestration.task_request",
        { parent: contextFromHeaders(consumed.headers), attributes: () => ({ "messaging.source": consumed.source }) },
        () => createTask(body?.task_request ?? body, null),
      );
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
      await evaluate(candidate.task_uuid, "readiness_poll", "task re-driven by the readiness poller");
    }
  };

  /**
   * Since when this process has reached the database without a failed recovery iteration: a
   * worker is judged dead only after it had process_dead_after_ms to heart-beat while the judge
   * could see the database (an outage of either side does not count against it).
   */
  let reachableSince: Date | undefined = new Date();
  const recoveryIteration = async (): Promise<void> => {
    reachableSince ??= new Date();
    try {
      await recover(reachableSince);
    } catch (error) {
      reachableSince = undefined;
      throw error;
    }
  };

  /** Where the sweep for finished-but-unfinalized tasks goes on from (see sweep_finished_tasks). */
  let sweepCursor: { entered: string | null; task: string | null } = { entered: null, task: null };

  const recover = async (judgeSince: Date): Promise<void> => {
    const swept = await tasks.sweepFinishedTasks(processId, sweepCursor, 200);
    sweepCursor = { entered: swept.after_entered, task: swept.after_task };
    for (const evaluation of swept.evaluations) {
      logger.warn("completed a task whose completion check was lost", { operation: "sweep_finished_tasks", task_uuid: evaluation.task_uuid, correlation_id: evaluation.correlation_id });
      reporter.evaluation(evaluation, "task completed by the sweep", { operation: "sweep_finished_tasks" });
    }
    const reaped = await tasks.reapStepClaims(processId, deadAfterSeconds, 100, judgeSince);
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
      emitter.step(
        {
          correlation_id: r.processed.evaluation?.correlation_id,
          task_uuid: r.task_uuid,
          namespace: r.processed.evaluation?.namespace,
          step_uuid: r.step_uuid,
          attempt: r.attempt,
        },
        "in_progress",
        "enqueued_as_error_for_orchestration",
        { operation: "reap_step", reason: r.reason },
      );
      reporter.stepResult(r.processed, {}, { operation: "reap_step" });
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
      reporter.stepResult(r.processed, {}, { operation: "reconcile_result" });
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
      telemetry,
    });

  return {
    createTask,
    attachLocalWorker(taker) {
      localWorker = taker;
    },
    operator: createOperatorActions(sql, processId, emitter, reporter, settings.outcomeLimits),
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
            async () => {
              const stale = await detectStaleTasks(sql, staleness, processId, logger);
              for (const task of stale) {
                if (!task.moved_to_error) continue;
                metrics.tasksExcludedStaleness.add(1, { namespace: task.namespace });
                emitter.task(
                  { correlation_id: task.correlation_id, task_uuid: task.task_uuid, namespace: task.namespace },
                  task.state,
                  "error",
                  { operation: "staleness_detection", dlq_entry_uuid: task.dlq_entry_uuid },
                );
              }
            },
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
      unregisterGauges();
      await Promise.all([...consumers.map((c) => c.stop()), ...loops.map((l) => l.stop())]);
      await Promise.allSettled(consumers.flatMap((c) => c.inFlight()));
    },
  };
}
