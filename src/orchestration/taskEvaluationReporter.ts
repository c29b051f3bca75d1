import { roundMs } from "../lib/time.ts";
import type { LifecycleEmitter, TransitionSubject } from "../telemetry/lifecycleEmitter.ts";
import { FINAL_TASK_STATES } from "../telemetry/lifecycleEventNames.ts";
import type { LogFields, Logger } from "../telemetry/logger.ts";
import { labels } from "../telemetry/taskerMetrics.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { workerQueueName } from "../queue/queueNames.ts";
import type { StepResultProcessing, TaskEvaluation } from "./taskEvaluation.ts";

export interface TaskEvaluationReporter {
  /**
   * Emits what one committed evaluation did: its task transitions and step enqueues as
   * lifecycle events (in commit order: enqueues happen between `enqueuing_steps` and
   * `steps_in_process`), the orchestration metrics, and one summary line at debug.
   */
  evaluation(evaluation: TaskEvaluation, message: string, fields?: LogFields, durationMs?: number): void;
  /** A processed step result: its step transition, then the task evaluation that followed. */
  stepResult(processed: StepResultProcessing, subject: { correlation_id?: string; step_name?: string }, fields?: LogFields, durationMs?: number): void;
}

export function createTaskEvaluationReporter(telemetry: Telemetry, logger: Logger, emitter: LifecycleEmitter): TaskEvaluationReporter {
  const { metrics } = telemetry;

  const evaluation: TaskEvaluationReporter["evaluation"] = (result, message, fields = {}, durationMs) => {
    if (!result.found) {
      logger.warn(`${message}: task not found`, { task_uuid: result.task_uuid, ...fields });
      return;
    }
    const subject: TransitionSubject = { correlation_id: result.correlation_id, task_uuid: result.task_uuid, namespace: result.namespace };
    const transitions = result.transitions ?? [];
    const enqueued = result.enqueued ?? [];
    const queue = result.namespace ? workerQueueName(result.namespace) : undefined;
    const emitEnqueued = (): void => {
      for (const step of enqueued) {
        const stepSubject = { ...subject, step_uuid: step.step_uuid, step_name: step.step_name, attempt: step.attempt };
        if (step.retry) emitter.step(stepSubject, "waiting_for_retry", "pending", { operation: fields["operation"] });
        emitter.step(stepSubject, "pending", "enqueued", { operation: fields["operation"], msg_id: step.msg_id });
        metrics.stepsEnqueued.add(1, labels({ namespace: result.namespace, step_name: step.step_name }));
        // A step claimed in the completing transaction (continuation) had no message.
        if (step.msg_id != null) metrics.messagesSent.add(1, labels({ queue }));
      }
    };
    let enqueuesEmitted = enqueued.length === 0;
    for (const [from, to] of transitions) {
      if (!enqueuesEmitted && from === "enqueuing_steps") {
        emitEnqueued();
        enqueuesEmitted = true;
      }
      emitter.task(subject, from, to, { operation: fields["operation"] });
      if (durationMs !== undefined && (FINAL_TASK_STATES.has(to) || to === "blocked_by_failures")) {
        metrics.taskFinalizationDuration.record(durationMs, labels({ namespace: result.namespace, final_state: to }));
      }
    }
    if (!enqueuesEmitted) emitEnqueued();
    if (logger.isLevelEnabled("debug")) {
      logger.debug(message, {
        ...subject,
        state: result.state,
        execution_status: result.execution_status,
        transitions: transitions.map(([from, to, event]) => `${from}->${to}:${event}`),
        enqueued_steps: enqueued.map((e) => e.step_name),
        ...(durationMs !== undefined ? { duration_ms: roundMs(durationMs) } : {}),
        ...fields,
      });
    }
  };

  return {
    evaluation,
    stepResult(processed, subject, fields = {}, durationMs) {
      const resultType = processed.step_to ?? "duplicate";
      metrics.stepResultsProcessed.add(1, { result_type: resultType });
      if (durationMs !== undefined) metrics.stepResultProcessingDuration.record(durationMs, { result_type: resultType });
      if (!processed.found || !processed.task_uuid) {
        logger.warn("step result for an unknown step", { step_uuid: processed.step_uuid, ...fields });
        return;
      }
      if (processed.step_to) {
        emitter.step(
          {
            correlation_id: processed.evaluation?.correlation_id ?? subject.correlation_id,
            task_uuid: processed.task_uuid,
            namespace: processed.evaluation?.namespace,
            step_uuid: processed.step_uuid,
            ...(subject.step_name ? { step_name: subject.step_name } : {}),
            ...(processed.attempts !== undefined ? { attempt: processed.attempts } : {}),
          },
          processed.step_from ?? null,
          processed.step_to,
          { ...fields, ...(processed.delay_ms != null ? { retry_in_ms: processed.delay_ms } : {}) },
        );
      }
      if (processed.evaluation) evaluation(processed.evaluation, "step result processed", { ...fields, step_uuid: processed.step_uuid }, durationMs);
    },
  };
}
