import type { LogFields, Logger } from "../telemetry/logger.ts";
import type { TaskEvaluation } from "./taskEvaluation.ts";

/** One log line per evaluation with every transition and enqueue it made, bound to the correlation id. */
export function logTaskEvaluation(logger: Logger, evaluation: TaskEvaluation, message: string, fields: LogFields = {}): void {
  if (!evaluation.found) {
    logger.warn(`${message}: task not found`, { task_uuid: evaluation.task_uuid, ...fields });
    return;
  }
  const transitions = evaluation.transitions ?? [];
  const enqueued = evaluation.enqueued ?? [];
  if (transitions.length === 0 && enqueued.length === 0 && !logger.isLevelEnabled("debug")) return;
  const level = transitions.length > 0 || enqueued.length > 0 ? "info" : "debug";
  logger[level](message, {
    correlation_id: evaluation.correlation_id,
    task_uuid: evaluation.task_uuid,
    namespace: evaluation.namespace,
    state: evaluation.state,
    execution_status: evaluation.execution_status,
    transitions: transitions.map(([from, to, event]) => `${from}->${to}:${event}`),
    enqueued_steps: enqueued.map((e) => e.step_name),
    ...fields,
  });
}
