import type { Sql } from "postgres";
import * as v from "valibot";
import { TaskerError } from "../lib/errors.ts";
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
 * reset, resolved or completed moves on. NOT_FOUND when the task or step is
 * unknown or the step belongs to another task; INVALID_STATE when the state
 * machine forbids the change.
 */
export async function applyStepAction(
  sql: Sql,
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
