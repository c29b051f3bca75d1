import type { Sql } from "postgres";
import { toError } from "../lib/errors.ts";
import { backoffMs, delay } from "../lib/time.ts";
import { createConcurrencyLimit } from "../queue/concurrencyLimit.ts";
import type { NotifyListener } from "../queue/notifyListener.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import { createQueueConsumer, type ConsumedMessage, type QueueConsumer, type QueueMode } from "../queue/queueConsumer.ts";
import { notifyChannel, workerQueueName } from "../queue/queueNames.ts";
import type { StepHandler } from "../sdk/stepContext.ts";
import type { TaskTemplate } from "../templates/taskTemplate.ts";
import type { Logger } from "../telemetry/logger.ts";
import { executeStep } from "./stepExecutor.ts";
import { decodeStepMessage } from "./stepMessage.ts";
import { createStepRepository, type ClaimedStep, type StepExecutionResult } from "./stepRepository.ts";
import { registerTemplates } from "./templateRegistrar.ts";

/** A namespace as loaded from the handlers directory: its templates and their handlers. */
export interface WorkerNamespace {
  namespace: string;
  templates: TaskTemplate[];
  /** The handler for a step of a template, by `template@version` then step name. */
  handlerFor(templateName: string, version: string, stepName: string): StepHandler | undefined;
}

export interface WorkerSettings {
  mode: QueueMode;
  pollIntervalMs: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  maxConcurrentSteps: number;
  defaultStepTimeoutMs: number;
  maxStepTimeoutMs: number;
  leaseGraceSeconds: number;
}

export interface WorkerDeps {
  sql: Sql;
  queues: QueueClient;
  listener: NotifyListener | undefined;
  logger: Logger;
  workerId: string;
  hostname: string;
  namespaces: readonly WorkerNamespace[];
  settings: WorkerSettings;
}

export interface Worker {
  start(): Promise<void>;
  /** Wakes every consumer for a catch-up read (after the listener reconnected). */
  wake(): void;
  /** Stops claiming, lets running steps finish until the deadline, then aborts them through ctx.signal. */
  drain(timeoutMs: number): Promise<void>;
  stats(): { running: number; completed: number; failed: number };
}

/** The worker role: claims steps of its namespaces, runs their handlers, submits results. */
export function createWorker(deps: WorkerDeps): Worker {
  const { sql, queues, logger, settings } = deps;
  const steps = createStepRepository(sql);
  const limit = createConcurrencyLimit(settings.maxConcurrentSteps);
  const abortRunning = new AbortController();
  const consumers: QueueConsumer[] = [];
  const counters = { completed: 0, failed: 0 };
  let running = 0;

  const submitWithRetry = async (claimed: ClaimedStep, result: StepExecutionResult, ms: number, log: Logger) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await steps.submit(claimed.step.step_uuid, deps.workerId, claimed.step.attempt, result, ms, null);
      } catch (error) {
        if (attempt >= 5) throw error;
        log.warn("result submission failed; retrying", { attempt, error: toError(error).message });
        await delay(backoffMs(attempt, 100, 2000));
      }
    }
  };

  const handleMessage = async (ns: WorkerNamespace, queue: string, consumed: ConsumedMessage): Promise<void> => {
    const body = decodeStepMessage(consumed.message);
    if ("invalid" in body) {
      logger.error("archived a message that is not a step message", {
        queue_name: queue,
        msg_id: consumed.msgId,
        reason: body.invalid,
        operation: "claim",
      });
      await queues.archive(queue, consumed.msgId);
      return;
    }
    const claimed = await steps.claim(
      body.step_uuid,
      deps.workerId,
      queue,
      consumed.msgId,
      Math.ceil(settings.defaultStepTimeoutMs / 1000),
      settings.leaseGraceSeconds,
    );
    const base = {
      correlation_id: body.correlation_id,
      task_uuid: body.task_uuid,
      step_uuid: body.step_uuid,
      namespace: ns.namespace,
    };
    if (!claimed.claimed) {
      logger.debug("step not claimable; message acknowledged", { ...base, state: claimed.state, source: consumed.source });
      return;
    }
    const log = logger.child({ ...base, step_name: claimed.step.name, attempt: claimed.step.attempt });
    const handler = ns.handlerFor(claimed.task.name, claimed.task.version, claimed.step.name);
    const templateTimeoutMs = claimed.step.timeout_seconds === null ? undefined : claimed.step.timeout_seconds * 1000;
    const timeoutMs = Math.min(templateTimeoutMs ?? settings.defaultStepTimeoutMs, settings.maxStepTimeoutMs);
    log.debug("step claimed", { operation: "claim", source: consumed.source });
    running += 1;
    let execution;
    try {
      execution = await executeStep({
        claimed,
        handler,
        timeoutMs,
        shutdownSignal: abortRunning.signal,
        workerId: deps.workerId,
        hostname: deps.hostname,
        logger: log,
      });
    } finally {
      running -= 1;
    }
    const outcome = await submitWithRetry(claimed, execution.result, execution.executionTimeMs, log);
    if (execution.result.success) counters.completed += 1;
    else counters.failed += 1;
    const fields = {
      operation: "execute",
      outcome: execution.outcome,
      duration_ms: execution.executionTimeMs,
      accepted: outcome.accepted,
      ...(execution.result.error ? { error_type: execution.result.error.error_type, error: execution.result.error.message } : {}),
    };
    if (!outcome.accepted) log.warn("result refused: the attempt was taken over (lease expired)", fields);
    else if (execution.result.success) log.info("step executed", fields);
    else log.warn("step failed", fields);
  };

  return {
    async start() {
      await registerTemplates(sql, deps.namespaces.flatMap((ns) => ns.templates));
      for (const ns of deps.namespaces) {
        const queue = workerQueueName(ns.namespace);
        await queues.create(queue);
        const consumer = createQueueConsumer({
          queues,
          listener: deps.listener,
          queue,
          channel: notifyChannel(ns.namespace),
          mode: settings.mode,
          pollIntervalMs: settings.pollIntervalMs,
          batchSize: settings.batchSize,
          visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
          limit,
          handle: (message) => handleMessage(ns, queue, message),
          logger,
        });
        await consumer.start();
        consumers.push(consumer);
      }
    },
    wake() {
      for (const consumer of consumers) consumer.wake();
    },
    async drain(timeoutMs) {
      await Promise.all(consumers.map((c) => c.stop()));
      const inFlight = consumers.flatMap((c) => c.inFlight());
      if (inFlight.length === 0) return;
      logger.info("waiting for running steps", { running: inFlight.length, timeout_ms: timeoutMs });
      const settled = Promise.allSettled(inFlight);
      const deadline = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs).unref());
      if ((await Promise.race([settled, deadline])) === "timeout") {
        logger.warn("aborting steps still running at the shutdown deadline", { running });
        abortRunning.abort(new Error("shutdown"));
        await Promise.race([settled, delay(2000)]);
      }
    },
    stats: () => ({ running, ...counters }),
  };
}
