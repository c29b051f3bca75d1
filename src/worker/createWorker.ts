import type { Sql } from "postgres";
import { toError } from "../lib/errors.ts";
import { backoffMs, delay } from "../lib/time.ts";
import { createConcurrencyLimit } from "../queue/concurrencyLimit.ts";
import type { NotifyListener } from "../queue/notifyListener.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import { createQueueConsumer, type ConsumedMessage, type QueueConsumer, type QueueMode } from "../queue/queueConsumer.ts";
import { notifyChannel, ORCHESTRATION_STEP_RESULTS, workerQueueName } from "../queue/queueNames.ts";
import type { TaskTemplate } from "../templates/taskTemplate.ts";
import { createLifecycleEmitter, type TransitionSubject } from "../telemetry/lifecycleEmitter.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Span } from "@opentelemetry/api";
import { activeTraceFields, contextFromHeaders, inSpan, linkFromHeaders, startRelayedSpan, traceHeaders } from "../telemetry/spans.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { HandlerRunner, ResolvedHandler } from "./handlerRunner.ts";
import { executeStep } from "./stepExecutor.ts";
import { decodeStepMessage } from "./stepMessage.ts";
import { createStepRepository, type ClaimedStep, type StepExecutionResult } from "./stepRepository.ts";
import { registerTemplates } from "./templateRegistrar.ts";

/** A namespace as loaded from the handlers directory: its templates and their handlers. */
export interface WorkerNamespace {
  namespace: string;
  templates: TaskTemplate[];
  /** The handler for a step of a template, by `template@version` then step name. */
  handlerFor(templateName: string, version: string, stepName: string): ResolvedHandler | undefined;
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
  /** worker.max_result_bytes: a larger handler result fails its step with `result_too_large`. */
  maxResultBytes: number;
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
  /** Where handlers run (createHandlerRunner: handler threads or inline); closed by drain(). */
  runner: HandlerRunner;
  /** Metrics, spans and lifecycle events; nothing is recorded without it. */
  telemetry?: Telemetry;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

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
  const telemetry = deps.telemetry ?? disabledTelemetry();
  const { metrics, tracer } = telemetry;
  const steps = createStepRepository(sql, telemetry);
  const emitter = createLifecycleEmitter(telemetry, logger);
  const limit = createConcurrencyLimit(settings.maxConcurrentSteps);
  const abortRunning = new AbortController();
  const consumers: QueueConsumer[] = [];
  const counters = { completed: 0, failed: 0 };
  let running = 0;

  /**
   * Submits until it is recorded or refused. A failure (the database is away) is retried for the
   * lease's grace period at least: the lease still holds (it ends `timeout + grace` after the
   * claim), so giving up sooner would leave the step in_progress until the reaper re-runs it.
   */
  const submitWithRetry = async (claimed: ClaimedStep, result: StepExecutionResult, ms: number, log: Logger) => {
    const giveUpAt = Date.now() + settings.leaseGraceSeconds * 1000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await steps.submit(claimed.step.step_uuid, deps.workerId, claimed.step.attempt, result, ms, traceHeaders(telemetry));
      } catch (error) {
        // The submission is the transaction that sends the completion notice.
        metrics.messageSendFailures.add(1, { queue: ORCHESTRATION_STEP_RESULTS });
        const waitMs = backoffMs(attempt, 100, 2000);
        if (attempt >= 5 && Date.now() + waitMs >= giveUpAt) throw error;
        log.warn("result submission failed; retrying", { attempt, error: toError(error).message });
        await delay(waitMs);
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
    const claimMethod = consumed.source === "notify" ? "event" : "poll";
    const claimStartedAt = new Date();
    const claimStarted = performance.now();
    const claimed = await steps.claim(
      body.step_uuid,
      deps.workerId,
      queue,
      consumed.msgId,
      Math.ceil(settings.defaultStepTimeoutMs / 1000),
      settings.leaseGraceSeconds,
    );
    const claimMs = performance.now() - claimStarted;
    metrics.stepClaimDuration.record(claimMs, { namespace: ns.namespace, claim_method: claimMethod });
    metrics.messagesArchived.add(1, { queue });
    const base = {
      correlation_id: body.correlation_id,
      task_uuid: body.task_uuid,
      step_uuid: body.step_uuid,
      namespace: ns.namespace,
    };
    if (!claimed.claimed) {
      if (claimed.refused === "wrong_queue") {
        logger.warn("archived a message for a step of another namespace", {
          ...base,
          queue_name: queue,
          msg_id: consumed.msgId,
          step_queue: claimed.step_queue,
          reason: "the step belongs to another namespace's queue",
        });
      } else if (claimed.state === null) {
        // claim_step archived it: no such step (a forged or stale message).
        logger.warn("archived a message for a step that does not exist", {
          ...base,
          queue_name: queue,
          msg_id: consumed.msgId,
          reason: "unknown step_uuid",
        });
      } else {
        logger.debug("step not claimable; message acknowledged", { ...base, state: claimed.state, source: consumed.source });
      }
      return;
    }
    metrics.stepsClaimed.add(1, { namespace: ns.namespace, claim_method: claimMethod });
    const subject: TransitionSubject = { ...base, step_name: claimed.step.name, attempt: claimed.step.attempt };
    // Tracing only: the parent is the message's context, else the task's (notifications carry
    // no headers); a fan-in step links the handler spans of its parents.
    const parent = tracer ? (contextFromHeaders(consumed.headers) ?? contextFromHeaders(claimed.task.trace_context)) : undefined;
    const parentLinks = tracer
      ? (await steps.parentTraceContexts(body.step_uuid).catch(() => []))
          .map((p) => linkFromHeaders({ traceparent: p.traceparent }, { "step.name": p.step_name }))
          .filter((link) => link !== undefined)
      : [];
    const attributes = () => ({
      ...subject,
      "step.name": claimed.step.name,
      "task.name": claimed.task.name,
      "messaging.source": consumed.source,
    });
    await inSpan(
      telemetry,
      "worker.process_step",
      { parent, startTime: claimStartedAt, attributes, links: () => parentLinks },
      async (span) => {
        tracer?.startSpan("worker.claim", { startTime: claimStartedAt, attributes: { ...subject, claim_method: claimMethod } }).end(
          new Date(claimStartedAt.getTime() + claimMs),
        );
        emitter.step(subject, "enqueued", "in_progress", { operation: "claim", source: consumed.source, duration_ms: round(claimMs) });
        const outcome = await runClaimed(ns, claimed, subject);
        span?.setAttribute("outcome", outcome);
      },
    );
  };

  /** Runs a claimed step's handler in its span, then submits the result; returns the outcome. */
  const runClaimed = async (ns: WorkerNamespace, claimed: ClaimedStep, subject: TransitionSubject): Promise<string> => {
    const log = logger.child(subject);
    const handler = ns.handlerFor(claimed.task.name, claimed.task.version, claimed.step.name);
    const templateTimeoutMs = claimed.step.timeout_seconds === null ? undefined : claimed.step.timeout_seconds * 1000;
    const timeoutMs = Math.min(templateTimeoutMs ?? settings.defaultStepTimeoutMs, settings.maxStepTimeoutMs);
    const labelsOf = { namespace: ns.namespace };
    running += 1;
    metrics.stepsActiveExecutions.add(1, labelsOf);
    metrics.stepsExecutions.add(1, labelsOf);
    let execution;
    try {
      execution = await inSpan(
        telemetry,
        "worker.handler",
        { attributes: () => ({ ...subject, "step.name": claimed.step.name, "handler.timeout_ms": timeoutMs }) },
        async (span) => {
          const trace = tracer ? activeTraceFields() : {};
          const handlerLog = tracer ? log.child(trace) : log;
          handlerLog.info("step.executing", { event: "step.executing", operation: "execute", timeout_ms: timeoutMs });
          const result = await executeStep({
            claimed,
            handler,
            runner: deps.runner,
            timeoutMs,
            maxResultBytes: settings.maxResultBytes,
            shutdownSignal: abortRunning.signal,
            workerId: deps.workerId,
            hostname: deps.hostname,
            logger: handlerLog,
            ...(span
              ? {
                  tracing: {
                    span,
                    trace: (name, fn) => inSpan(telemetry, name, {}, async (child) => fn(child ?? span)),
                    // Every StepSpan handed out here is an OpenTelemetry span.
                    openChild: (name, parent) => startRelayedSpan(telemetry, name, parent as Span) ?? { span: parent, end: () => {} },
                    traceparent: traceHeaders(telemetry)?.["traceparent"],
                  },
                }
              : {}),
          });
          span?.setAttribute("outcome", result.outcome);
          if (result.result.error) span?.setAttribute("error.type", result.result.error.error_type);
          return result;
        },
      );
    } finally {
      running -= 1;
      metrics.stepsActiveExecutions.add(-1, labelsOf);
    }
    const outcomeLabels = { namespace: ns.namespace, result: execution.outcome };
    metrics.stepExecutionDuration.record(execution.executionTimeMs, outcomeLabels);
    metrics.stepAttempts.add(1, {
      namespace: ns.namespace,
      step_name: claimed.step.name,
      outcome: execution.outcome,
      attempt_number: claimed.step.attempt,
    });
    if (execution.result.success) metrics.stepsSuccesses.add(1, labelsOf);
    else metrics.stepsFailures.add(1, { ...labelsOf, error_type: execution.result.error?.error_type ?? "unknown" });

    const submitStarted = performance.now();
    const outcome = await inSpan(
      telemetry,
      "worker.submit_result",
      { attributes: () => ({ ...subject, outcome: execution.outcome }) },
      () => submitWithRetry(claimed, execution.result, execution.executionTimeMs, log),
    );
    const submitMs = performance.now() - submitStarted;
    const resultType = execution.result.success ? "success" : "failure";
    metrics.stepResultSubmissionDuration.record(submitMs, labelsOf);
    metrics.stepsResultsSubmitted.add(1, { ...labelsOf, result_type: resultType, accepted: outcome.accepted });
    if (execution.result.success) counters.completed += 1;
    else counters.failed += 1;
    const fields = {
      operation: "execute",
      outcome: execution.outcome,
      duration_ms: execution.executionTimeMs,
      accepted: outcome.accepted,
      ...(execution.result.error ? { error_type: execution.result.error.error_type, error: execution.result.error.message } : {}),
    };
    if (!outcome.accepted) {
      log.warn("result refused: the attempt was taken over (lease expired)", fields);
      return execution.outcome;
    }
    if (execution.result.success) log.info("step executed", fields);
    else log.warn("step failed", fields);
    metrics.messagesSent.add(1, { queue: ORCHESTRATION_STEP_RESULTS });
    metrics.messageSendDuration.record(submitMs, { queue: ORCHESTRATION_STEP_RESULTS });
    emitter.step(subject, "in_progress", outcome.state ?? (execution.result.success ? "enqueued_for_orchestration" : "enqueued_as_error_for_orchestration"), {
      ...fields,
      submit_duration_ms: round(submitMs),
    });
    return execution.outcome;
  };

  return {
    async start() {
      await deps.runner.warmUp();
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
          telemetry,
        });
        await consumer.start();
        consumers.push(consumer);
      }
    },
    wake() {
      for (const consumer of consumers) consumer.wake();
    },
    async drain(timeoutMs) {
      try {
        await drainSteps(timeoutMs);
      } finally {
        await deps.runner.close();
      }
    },
    stats: () => ({ running, ...counters }),
  };

  async function drainSteps(timeoutMs: number): Promise<void> {
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
  }
}
