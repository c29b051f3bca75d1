import type { Sql } from "postgres";
import type { OutcomeLimits } from "../templates/planStepOutcome.ts";
import type { LifecycleEmitter } from "../telemetry/lifecycleEmitter.ts";
import { applyStepAction, type StepActionOutcome, type StepManualAction } from "./stepActions.ts";
import { cancelTask, type CancelledTask } from "./taskActions.ts";
import type { TaskEvaluationReporter } from "./taskEvaluationReporter.ts";

export interface OperatorActions {
  cancelTask(taskUuid: string): Promise<CancelledTask>;
  applyStepAction(taskUuid: string, stepUuid: string, action: StepManualAction): Promise<StepActionOutcome>;
}

/**
 * Operator actions with their lifecycle events: each transition the action's
 * transaction committed is emitted once, like the engine's own.
 */
export function createOperatorActions(
  sql: Sql,
  processId: string,
  emitter: LifecycleEmitter,
  reporter: TaskEvaluationReporter,
  outcomeLimits?: OutcomeLimits,
): OperatorActions {
  return {
    async cancelTask(taskUuid) {
      const cancelled = await cancelTask(sql, taskUuid, processId);
      const subject = { correlation_id: cancelled.correlation_id, task_uuid: taskUuid, namespace: cancelled.namespace };
      for (const step of cancelled.steps) {
        emitter.step({ ...subject, step_uuid: step.step_uuid }, step.from_state, "cancelled", { operation: "cancel_task" });
      }
      emitter.task(subject, cancelled.from_state, "cancelled", { operation: "cancel_task" });
      return cancelled;
    },
    async applyStepAction(taskUuid, stepUuid, action) {
      const outcome = await applyStepAction(sql, taskUuid, stepUuid, action, processId, outcomeLimits);
      const evaluation = outcome.evaluation;
      emitter.step(
        {
          correlation_id: evaluation?.correlation_id,
          task_uuid: taskUuid,
          namespace: evaluation?.namespace,
          step_uuid: stepUuid,
          step_name: outcome.step_name,
        },
        outcome.from_state,
        outcome.to_state,
        { operation: action.action_type },
      );
      if (evaluation) reporter.evaluation(evaluation, "task re-evaluated after an operator action", { operation: action.action_type });
      return outcome;
    },
  };
}
