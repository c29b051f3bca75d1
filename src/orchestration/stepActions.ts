import type { Sql, TransactionSql } from "postgres";
import * as v from "valibot";
import { retryConflicts } from "../db/retryConflicts.ts";
import { TaskerError, ValidationError } from "../lib/errors.ts";
import { DEFAULT_OUTCOME_LIMITS, planStepOutcome, stepCreatesSteps, type ExistingStep, type OutcomeLimits } from "../templates/planStepOutcome.ts";
import { templateFromConfiguration } from "../templates/templateConfiguration.ts";
import { templateGraph } from "../templates/templateGraph.ts";
import { createOutcomeSteps } from "./outcomeSteps.ts";
import { jsonObjectSchema } from "../lib/jsonObjectSchema.ts";
import type { TaskEvaluation } from "./taskEvaluation.ts";

const reason = v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(1000));
const actor = v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(255));

/** tasker-core's StepManualAction, tagged by `action_type`. */
export const StepManualActionSchema = v.variant("action_type", [
  v.object({ action_type: v.literal("reset_for_retry"), reason, reset_by: actor }),
  v.object({ action_type: v.literal("resolve_manually"), reason, resolved_by: actor }),
  v.object({
    action_type: v.literal("complete_manually"),
    reason,
    completed_by: actor,
    completion_data: v.object({
      result: v.unknown(),
      metadata: v.optional(jsonObjectSchema()),
    }),
  }),
]);

export type StepManualAction = v.InferOutput<typeof StepManualActionSchema>;

export interface StepActionOutcome {
  from_state: string;
  to_state: string;
  task_state: string;
  step_name: string;
  /** The task evaluation that followed the action, in the same transaction. */
  evaluation: TaskEvaluation | undefined;
}

/**
 * Applies an operator action to a step and re-evaluates its task in the same
 * transaction (tasker.apply_step_action): a blocked task whose failed step was
 * reset, resolved or completed moves on. Completing a decision or batchable step
 * with a result applies its outcome as the worker would: the steps it names are
 * created in the same transaction, and an outcome that cannot be applied is a
 * VALIDATION_FAILED naming `completion_data.result` (nothing changes). NOT_FOUND
 * when the task or step is unknown or the step belongs to another task;
 * INVALID_STATE when the state machine forbids the change.
 */
export async function applyStepAction(
  sql: Sql,
  taskUuid: string,
  stepUuid: string,
  action: StepManualAction,
  processorUuid: string,
  limits: OutcomeLimits = DEFAULT_OUTCOME_LIMITS,
): Promise<StepActionOutcome> {
  if (action.action_type !== "complete_manually") {
    return retryConflicts(() => applyInTransaction(sql, taskUuid, stepUuid, action, processorUuid));
  }
  return retryConflicts(() => sql.begin(async (tx) => {
    // The task first, then its steps: apply_step_action's own order.
    const [held] = await tx<{ configuration: unknown; name: string; template_step_name: string }[]>`
      SELECT nt.configuration, st.name, coalesce(ws.template_step_name, st.name) AS template_step_name
        FROM tasker.tasks t
        JOIN tasker.named_tasks nt USING (named_task_uuid)
        JOIN tasker.workflow_steps ws ON ws.task_uuid = t.task_uuid AND ws.workflow_step_uuid = ${stepUuid}::uuid
        JOIN tasker.named_steps st ON st.named_step_uuid = ws.named_step_uuid
       WHERE t.task_uuid = ${taskUuid}::uuid
         FOR NO KEY UPDATE OF t`;
    if (held) {
      let template;
      try {
        template = templateFromConfiguration(held.configuration);
      } catch {
        template = undefined; // a template this version cannot read: the step is completed as given
      }
      const definition = template ? templateGraph(template).step(held.template_step_name) : undefined;
      if (template && definition && stepCreatesSteps(definition)) {
        // Read once the task is locked: the steps stay as they are until this transaction ends.
        const [read] = await tx<{ steps: ExistingStep[] }[]>`SELECT tasker.task_steps_for_planning(${taskUuid}::uuid) AS steps`;
        const plan = planStepOutcome(template, { name: held.name, templateStepName: held.template_step_name }, action.completion_data.result, read!.steps, limits);
        if (plan.kind === "invalid") {
          throw new ValidationError(`completion_data.result: ${plan.message}`, { field: "completion_data.result" });
        }
        if (plan.kind === "create") await createOutcomeSteps(tx, stepUuid, processorUuid, plan);
      }
    }
    return applyInTransaction(tx, taskUuid, stepUuid, action, processorUuid);
  }));
}

async function applyInTransaction(
  sql: Sql | TransactionSql,
  taskUuid: string,
  stepUuid: string,
  action: StepManualAction,
  processorUuid: string,
): Promise<StepActionOutcome> {
  const [row] = await sql<
    { result: { found: boolean; what?: string; ok?: boolean; reason?: string } & Partial<StepActionOutcome> }[]
  >`
    SELECT tasker.apply_step_action(${taskUuid}::uuid, ${stepUuid}::uuid, ${action.action_type},
                                    ${sql.json(action as never)}::jsonb, ${processorUuid}::uuid) AS result`;
  const result = row!.result;
  if (!result.found) {
    throw new TaskerError(
      "NOT_FOUND",
      result.what === "task" ? `no task ${taskUuid}` : `no step ${stepUuid} in task ${taskUuid}`,
    );
  }
  if (!result.ok) {
    throw new TaskerError("INVALID_STATE", `Cannot apply ${action.action_type}: ${result.reason ?? "not allowed"}`, {
      details: { from_state: result.from_state },
    });
  }
  return {
    from_state: result.from_state ?? "",
    to_state: result.to_state ?? "",
    task_state: result.task_state ?? "",
    step_name: result.step_name ?? "",
    evaluation: result.evaluation,
  };
}
