import type { Sql } from "postgres";
import { createCallBatcher, type CallBatcher } from "../lib/callBatcher.ts";
import { toError } from "../lib/errors.ts";
import { delay, roundMs } from "../lib/time.ts";
import { createConcurrencyLimit } from "../queue/concurrencyLimit.ts";
import type { NotifyListener } from "../queue/notifyListener.ts";
import type { QueueClient } from "../queue/queueClient.ts";
import { createQueueConsumer, type ConsumedMessage, type QueueConsumer, type QueueMode } from "../queue/queueConsumer.ts";
import { notifyChannel, workerQueueName } from "../queue/queueNames.ts";
import { createTaskEvaluationReporter } from "../orchestration/taskEvaluationReporter.ts";
import type { LocalStepTaker } from "../orchestration/taskInitializer.ts";
import type { StepDefinition, TaskTemplate } from "../templates/taskTemplate.ts";
import type { OutcomeLimits } from "../templates/planStepOutcome.ts";
import { createLifecycleEmitter, type TransitionSubject } from "../telemetry/lifecycleEmitter.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Span } from "@opentelemetry/api";
import { activeTraceFields, contextFromHeaders, inSpan, linkFromHeaders, startRelayedSpan, traceHeaders } from "../telemetry/spans.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";
import type { HandlerRunner, ResolvedHandler } from "./handlerRunner.ts";
import { executeStep, yieldedAtShutdown, type StepExecution } from "./stepExecutor.ts";
import { decodeStepMessage } from "./stepMessage.ts";
import {
  createStepRepository,
  type Claim,
  type ClaimedStep,
  type ClaimMessage,
  type ContinuedStep,
  type NotClaimed,
  type StepExecutionResult,
  type CheckpointInput,
} from "./stepRepository.ts";
import type { NamespaceEvents } from "./namespaceEvents.ts";
import { createDomainEventPublisher } from "./domainEventPublisher.ts";
import { createStepCompleter } from "./stepCompleter.ts";
import { createTaskFinalizer } from "./taskFinalizer.ts";
import { registerTemplates } from "./templateRegistrar.ts";

/** A namespace as loaded from the handlers directory: its templates and their handlers. */
export interface WorkerNamespace {
  namespace: string;
  templates: TaskTemplate[];
  /** A step of a template (by `template@version`, then template step name): its definition and handler. */
  stepFor(templateName: string, version: string, stepName: string): WorkerStep | undefined;
  /** The domain event subscribers and custom publishers the namespace's modules export. */
  events: NamespaceEvents;
}

/** What a worker knows of one template step, found once per execution. */
export interface WorkerStep {
  template: TaskTemplate;
  definition: StepDefinition;
  handler: ResolvedHandler | undefined;
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
  /**
   * worker.max_chained_steps: how many children of finished steps one slot runs in a row by
   * continuation (claimed in the completing transaction) before it takes the queue's oldest
   * message instead; 0 turns continuation off.
   */
  maxChainedSteps: number;
  /** worker.claim_batch_size: most claims in one transaction (claim_steps); 1 = each alone. */
  claimBatchSize: number;
  /**
   * worker.claim_at_creation: with this process's orchestration (the combined role), a root step
   * of a task created here is claimed in the creating transaction when a slot is free.
   */
  claimAtCreation?: boolean;
  /** worker.completion_batch_size: most results in one transaction (complete_steps); 1 = each alone. */
  completionBatchSize: number;
  /** orchestration.decision_points / batch_processing limits, applied when a result creates steps. */
  outcomeLimits: OutcomeLimits;
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


/**
 * Completion (and claim) transactions one worker keeps in flight before results wait to share
 * one. Measured on the 2-core bench machine, 5,000 one-step tasks draining: with one, the
 * database and the worker take turns (60 % busy, no gain); with three, 0.5-0.6 commits and
 * 1.4-1.6 ms of PostgreSQL CPU per step against 1.0 and 1.9 unbatched, and 10-25 % more steps/s.
 */
const BATCHES_IN_FLIGHT = 3;

export interface Worker {
  start(): Promise<void>;
  /** Wakes every consumer for a catch-up read (after the listener reconnected). */
  wake(): void;
  /** Stops claiming, lets running steps finish until the deadline, then aborts them through ctx.signal. */
  drain(timeoutMs: number): Promise<void>;
  stats(): { running: number; completed: number; failed: number };
  /** Slots for root steps of tasks this process creates (attached to its orchestration). */
  localSteps: LocalStepTaker;
}

/** How a claimed step reached this worker, for its claim event, metrics and trace parent. */
interface ClaimOrigin {
  claimed: ClaimedStep & { evaluation?: ContinuedStep["evaluation"] };
  source: "notify" | "poll" | "continuation" | "backlog" | "creation";
  headers: Record<string, unknown> | null | undefined;
  claimStartedAt: Date;
  claimMs: number;
}

/** The worker role: claims steps of its namespaces, runs their handlers, completes them. */
export function createWorker(deps: WorkerDeps): Worker {
  const { sql, queues, logger, settings } = deps;
  const telemetry = deps.telemetry ?? disabledTelemetry();
  const { metrics, tracer } = telemetry;
  const steps = createStepRepository(sql, telemetry);
  const emitter = createLifecycleEmitter(telemetry, logger);
  const reporter = createTaskEvaluationReporter(telemetry, logger, emitter);
  const finalizer = createTaskFinalizer({
    finalize: (tasks) => steps.finalizeTasks(tasks, deps.workerId),
    report: (evaluation) => reporter.evaluation(evaluation, "task finalized", { operation: "finalize_task" }),
    logger,
  });
  const lease = {
    defaultTimeoutSeconds: Math.ceil(settings.defaultStepTimeoutMs / 1000),
    leaseGraceSeconds: settings.leaseGraceSeconds,
  };
  const events = createDomainEventPublisher({ queues, telemetry, logger, workerId: deps.workerId });
  const completer = createStepCompleter({
    sql,
    steps,
    telemetry,
    workerId: deps.workerId,
    lease,
    completionBatchSize: settings.completionBatchSize,
    batchesInFlight: BATCHES_IN_FLIGHT,
    leaseGraceSeconds: settings.leaseGraceSeconds,
    outcomeLimits: settings.outcomeLimits,
  });
  /** One claim batcher per queue: claim_steps takes the messages of one queue. */
  const claimBatchers = new Map<string, CallBatcher<ClaimMessage, Claim>>();
  const claimBatcher = (queue: string): CallBatcher<ClaimMessage, Claim> => {
    let batcher = claimBatchers.get(queue);
    if (!batcher) {
      batcher = createCallBatcher({
        maxBatch: settings.claimBatchSize,
        maxInFlight: BATCHES_IN_FLIGHT,
        // A lone claim goes through claim_steps too: its commit does not wait for the WAL flush.
        single: async (message) => (await steps.claimBatch([message], deps.workerId, queue, lease))[0]!,
        many: (messages) => steps.claimBatch(messages, deps.workerId, queue, lease),
      });
      claimBatchers.set(queue, batcher);
    }
    return batcher;
  };
  const limit = createConcurrencyLimit(settings.maxConcurrentSteps);
  const abortRunning = new AbortController();
  const consumers = new Map<string, QueueConsumer>();
  const counters = { completed: 0, failed: 0 };
  let running = 0;
  /** Draining: finished steps take no next step. */
  let stopping = false;
  /** Slots offered to this process's task creation and not yet finished with (the drain waits for them). */
  const localRuns = new Set<Promise<void>>();

  /** A retry becomes visible in its queue at `at`: read the queue then, not at the next poll. */
  const wakeAt = (namespace: string, at: string): void => {
    const dueInMs = Math.max(0, Date.parse(at) - Date.now()) + 5;
    setTimeout(() => consumers.get(namespace)?.wake(), dueInMs).unref?.();
  };

  const completeStep = (
    ns: WorkerNamespace,
    step: WorkerStep | undefined,
    claimed: ClaimedStep,
    result: StepExecutionResult,
    ms: number,
    headers: Record<string, string> | null,
    preferChildren: boolean,
    log: Logger,
  ) => completer.complete(ns.namespace, step, { claimed, result, executionTimeMs: ms, headers, take: stopping ? 0 : 1, preferChildren }, log);
  const saveCheckpoint = (ns: WorkerNamespace, claimed: ClaimedStep, checkpoint: CheckpointInput, kind: "checkpoint" | "yield") =>
    completer.saveCheckpoint(ns.namespace, claimed, checkpoint, kind);

  const logNotClaimed = (claimed: NotClaimed, fields: Record<string, unknown>, source: string): void => {
    if (claimed.refused === "wrong_queue") {
      logger.warn("archived a message for a step of another namespace", {
        ...fields,
        step_queue: claimed.step_queue,
        reason: "the step belongs to another namespace's queue",
      });
    } else if (claimed.state === null) {
      // claim_step archived it: no such step (a forged or stale message).
      logger.warn("archived a message for a step that does not exist", { ...fields, reason: "unknown step_uuid" });
    } else {
      logger.debug("step not claimable; message acknowledged", { ...fields, state: claimed.state, source });
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
    const claimStartedAt = new Date();
    const claimStarted = performance.now();
    const claimed: Claim = await claimBatcher(queue).call({ stepUuid: body.step_uuid, msgId: consumed.msgId });
    const claimMs = performance.now() - claimStarted;
    // A claim that lost its step (to a completion's backlog continuation, or a duplicate
    // delivery) or found its retry not yet due is timed too, under outcome="not_claimed".
    metrics.stepClaimDuration.record(claimMs, {
      namespace: ns.namespace,
      claim_method: consumed.source === "notify" ? "event" : "poll",
      outcome: claimed.claimed ? "claimed" : "not_claimed",
    });
    metrics.messagesArchived.add(1, { queue });
    if (!claimed.claimed) {
      if (claimed.retry_at) wakeAt(ns.namespace, claimed.retry_at);
      const fields = { correlation_id: body.correlation_id, task_uuid: body.task_uuid, step_uuid: body.step_uuid, namespace: ns.namespace };
      logNotClaimed(claimed, { ...fields, queue_name: queue, msg_id: consumed.msgId }, consumed.source);
      return;
    }
    await runChain(ns, queue, { claimed, source: consumed.source, headers: consumed.headers, claimStartedAt, claimMs });
  };

  /** One slot runs the chain: each completion may hand back the next step, already claimed. */
  const runChain = async (ns: WorkerNamespace, queue: string, first: ClaimOrigin): Promise<void> => {
    let next: ClaimOrigin | undefined = first;
    for (let chained = 0; next; ) {
      const continued: ContinuedStep | undefined = await processClaimed(ns, queue, next, chained);
      if (!continued) return;
      chained = continued.source === "continuation" ? chained + 1 : 0;
      next = { claimed: continued, source: continued.source, headers: continued.headers, claimStartedAt: new Date(), claimMs: 0 };
    }
  };

  /** One claimed step in its `worker.process_step` span: claim events, handler, completion. */
  const processClaimed = async (ns: WorkerNamespace, queue: string, origin: ClaimOrigin, chained: number): Promise<ContinuedStep | undefined> => {
    const { claimed, source, claimStartedAt, claimMs } = origin;
    const claimMethod = source === "notify" ? "event" : source;
    metrics.stepsClaimed.add(1, { namespace: ns.namespace, claim_method: claimMethod });
    const subject: TransitionSubject = {
      correlation_id: claimed.task.correlation_id,
      task_uuid: claimed.task.task_uuid,
      step_uuid: claimed.step.step_uuid,
      namespace: ns.namespace,
      step_name: claimed.step.name,
      attempt: claimed.step.attempt,
    };
    // Tracing only: the parent is the message's context, else the task's; a fan-in step
    // links the handler spans of its parents.
    const parent = tracer ? (contextFromHeaders(origin.headers) ?? contextFromHeaders(claimed.task.trace_context)) : undefined;
    const parentLinks = tracer
      ? (await steps.parentTraceContexts(claimed.step.step_uuid).catch(() => []))
          .map((p) => linkFromHeaders({ traceparent: p.traceparent }, { "step.name": p.step_name }))
          .filter((link) => link !== undefined)
      : [];
    const attributes = () => ({
      ...subject,
      "step.name": claimed.step.name,
      "task.name": claimed.task.name,
      "messaging.source": source,
    });
    return inSpan(
      telemetry,
      "worker.process_step",
      { parent, startTime: claimStartedAt, attributes, links: () => parentLinks },
      async (span) => {
        tracer?.startSpan("worker.claim", { startTime: claimStartedAt, attributes: { ...subject, claim_method: claimMethod } }).end(
          new Date(claimStartedAt.getTime() + claimMs),
        );
        if (claimed.evaluation) reporter.evaluation(claimed.evaluation, "retry claimed", { operation: "claim", step_uuid: claimed.step.step_uuid });
        emitter.step(subject, "enqueued", "in_progress", { operation: "claim", source, duration_ms: roundMs(claimMs) });
        const { outcome, continued } = await runClaimed(ns, queue, claimed, subject, chained);
        span?.setAttribute("outcome", outcome);
        return continued;
      },
    );
  };

  /** Runs a claimed step's handler in its span, then completes it; returns the outcome and the next step. */
  const runClaimed = async (
    ns: WorkerNamespace,
    queue: string,
    claimed: ClaimedStep,
    subject: TransitionSubject,
    chained: number,
  ): Promise<{ outcome: string; continued?: ContinuedStep }> => {
    const log = logger.child(subject);
    const step = ns.stepFor(claimed.task.name, claimed.task.version, claimed.step.template_step_name);
    const handler = step?.handler;
    const templateTimeoutMs = claimed.step.timeout_seconds === null ? undefined : claimed.step.timeout_seconds * 1000;
    const timeoutMs = Math.min(templateTimeoutMs ?? settings.defaultStepTimeoutMs, settings.maxStepTimeoutMs);
    const labelsOf = { namespace: ns.namespace };
    /** One run of the handler in its `worker.handler` span; a yield runs it again with its checkpoint. */
    const executeOnce = (current: ClaimedStep): Promise<StepExecution> =>
      inSpan(
        telemetry,
        "worker.handler",
        { attributes: () => ({ ...subject, "step.name": current.step.name, "handler.timeout_ms": timeoutMs }) },
        async (span) => {
          const trace = tracer ? activeTraceFields() : {};
          const handlerLog = tracer ? log.child(trace) : log;
          handlerLog.info("step.executing", { event: "step.executing", operation: "execute", timeout_ms: timeoutMs });
          const result = await executeStep({
            claimed: current,
            handler,
            runner: deps.runner,
            timeoutMs,
            maxResultBytes: settings.maxResultBytes,
            shutdownSignal: abortRunning.signal,
            workerId: deps.workerId,
            hostname: deps.hostname,
            logger: handlerLog,
            saveCheckpoint: async (checkpoint) => {
              latest = await saveCheckpoint(ns, current, checkpoint, "checkpoint");
              handlerLog.info("step.checkpoint_saved", { event: "step.checkpoint_saved", items_processed: checkpoint.items_processed });
            },
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
          span?.setAttribute("outcome", result.yielded ? "yield" : result.outcome);
          if (result.result.error) span?.setAttribute("error.type", result.result.error.error_type);
          return result;
        },
      );
    let latest = claimed.step.checkpoint;
    running += 1;
    metrics.stepsActiveExecutions.add(1, labelsOf);
    metrics.stepsExecutions.add(1, labelsOf);
    let execution: StepExecution;
    try {
      let current = claimed;
      for (;;) {
        execution = await executeOnce(current);
        if (!execution.yielded) break;
        if (execution.yielded.checkpoint) {
          try {
            latest = await saveCheckpoint(ns, current, execution.yielded.checkpoint, "yield");
          } catch (error) {
            log.warn("yield refused: the attempt was taken over", { operation: "yield", error: toError(error).message });
            return { outcome: "yield_refused" };
          }
        }
        if (stopping) {
          execution = { ...execution, outcome: "shutdown", result: yieldedAtShutdown(execution.result) };
          break;
        }
        log.info("step.yielded", { event: "step.yielded", operation: "yield", cursor_saved: execution.yielded.checkpoint !== null });
        current = { ...current, step: { ...current.step, checkpoint: latest } };
      }
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
    const { outcome, recorded } = await inSpan(
      telemetry,
      "worker.submit_result",
      { attributes: () => ({ ...subject, outcome: execution.outcome }) },
      () =>
        completeStep(ns, step, claimed, execution.result, execution.executionTimeMs, traceHeaders(telemetry), chained < settings.maxChainedSteps, log),
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
      // A retried call whose first try committed is refused too: check the task once more.
      if (outcome.state === "complete") finalizer.add(claimed.task.task_uuid);
      return { outcome: execution.outcome };
    }
    if (execution.result.success) log.info("step executed", fields);
    else log.warn("step failed", fields);
    events.publish(step?.definition, claimed, recorded, ns.events, traceHeaders(telemetry)?.["traceparent"]);
    emitter.step(subject, "in_progress", outcome.state, { ...fields, submit_duration_ms: roundMs(submitMs) });
    reporter.stepResult(
      outcome.processed,
      { correlation_id: claimed.task.correlation_id, step_name: claimed.step.name },
      { operation: "complete_step" },
      submitMs,
    );
    if (outcome.processed.retry_at) wakeAt(ns.namespace, outcome.processed.retry_at);
    for (const skipped of outcome.skipped ?? []) {
      logNotClaimed(skipped, { step_uuid: skipped.step_uuid, namespace: ns.namespace, queue_name: queue, msg_id: skipped.msg_id }, "backlog");
    }
    if (outcome.finalize) finalizer.add(outcome.task_uuid);
    const continued = outcome.continued[0];
    return continued ? { outcome: execution.outcome, continued } : { outcome: execution.outcome };
  };

  const localSteps: LocalStepTaker = {
    offer(namespace, name, version) {
      const ns = deps.namespaces.find((n) => n.namespace === namespace);
      if (!settings.claimAtCreation || stopping || !ns?.templates.some((t) => t.name === name && t.version === version)) return undefined;
      if (!limit.tryAcquire()) return undefined;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      localRuns.add(done);
      const free = (): void => {
        localRuns.delete(done);
        limit.release();
        finish();
      };
      let used = false;
      return {
        take: { worker_uuid: deps.workerId, default_timeout_seconds: lease.defaultTimeoutSeconds, lease_grace_seconds: lease.leaseGraceSeconds },
        run(claimed) {
          if (used) return;
          used = true;
          const step = claimed[0] as ClaimedStep | undefined;
          if (!step) return free();
          runChain(ns, workerQueueName(namespace), { claimed: step, source: "creation", headers: null, claimStartedAt: new Date(), claimMs: 0 })
            .catch((error: unknown) => {
              // Its lease expires and the reaper enqueues it again, as for a worker that stopped.
              logger.error("step taken at creation could not be run", { step_uuid: step.step.step_uuid, task_uuid: step.task.task_uuid, error: toError(error) });
            })
            .finally(free);
        },
      };
    },
  };

  return {
    localSteps,
    async start() {
      await deps.runner.warmUp();
      await registerTemplates(sql, deps.namespaces.flatMap((ns) => ns.templates));
      await events.prepare(deps.namespaces);
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
        consumers.set(ns.namespace, consumer);
      }
    },
    wake() {
      for (const consumer of consumers.values()) consumer.wake();
    },
    async drain(timeoutMs) {
      stopping = true;
      try {
        await drainSteps(timeoutMs);
        await finalizer.flush(2000);
      } finally {
        await deps.runner.close();
      }
    },
    stats: () => ({ running, ...counters }),
  };

  async function drainSteps(timeoutMs: number): Promise<void> {
    const all = [...consumers.values()];
    await Promise.all(all.map((c) => c.stop()));
    const inFlight = [...all.flatMap((c) => c.inFlight()), ...localRuns];
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
