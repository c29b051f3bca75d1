import type { Sql } from "postgres";
import { createOutcomeSteps, type CreatedStep } from "../orchestration/outcomeSteps.ts";
import { TERMINAL_TASK_STATES, type TaskState } from "../orchestration/stateMachine.ts";
import type { ExistingStep, OutcomePlan } from "../templates/planStepOutcome.ts";
import { instrumentSql } from "../telemetry/instrumentSql.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import type { CompleteItem, CompleteOutcome, LeaseSettings, StepExecutionResult, StepRepository } from "./stepRepository.ts";

export interface OutcomeCompletion {
  outcome: CompleteOutcome;
  /** What the outcome asked for (`none` when the result was refused before planning). */
  plan: OutcomePlan;
  created: CreatedStep[];
  /** Edges added to steps that already existed and still waited. */
  lateEdges: number;
}

/** The permanent failure that replaces a result whose outcome cannot be applied; the handler's value is kept. */
export function invalidOutcomeResult(result: StepExecutionResult, plan: Extract<OutcomePlan, { kind: "invalid" }>): StepExecutionResult {
  return {
    ...result,
    success: false,
    status: "error",
    metadata: { ...result.metadata, retryable: false, error_type: plan.errorType },
    error: { message: plan.message, error_type: plan.errorType, retryable: false },
  };
}

/**
 * Completes a `decision` or `batchable` step: in one transaction, holds the step (its fence) and
 * then its task, reads the task's steps, lets `plan` decide what the result creates, creates it
 * (tasker.create_outcome_steps) and completes the step (tasker.complete_step), which enqueues or
 * continues the new steps that are ready. An invalid outcome completes the step as a permanent
 * failure and creates nothing. A result that the fence refuses plans nothing.
 */
export async function completeWithOutcome(
  sql: Sql,
  steps: StepRepository,
  telemetry: Telemetry,
  item: CompleteItem,
  workerUuid: string,
  lease: LeaseSettings,
  plan: (existing: ExistingStep[]) => OutcomePlan,
): Promise<OutcomeCompletion> {
  const stepUuid = item.claimed.step.step_uuid;
  return sql.begin(async (tx) => {
    // The step (fenced), then its task: the steps read under the task's lock stay the truth until
    // commit, so two decisions of one task never plan from a stale view of each other's steps.
    const [held] = await instrumentSql(telemetry, { operation: "tasker.hold_step_for_outcome" }, () => tx<
      { result: { task_uuid: string; task_state: string; steps: ExistingStep[] } | null }[]
    >`SELECT tasker.hold_step_for_outcome(${stepUuid}::uuid, ${workerUuid}::uuid, ${item.claimed.step.attempt}::int) AS result`);
    let planned: OutcomePlan = { kind: "none" };
    let created: CreatedStep[] = [];
    let lateEdges = 0;
    let result = item.result;
    // A task that finished meanwhile (cancelled while this step ran) gets no new steps.
    const existing = held?.result && !TERMINAL_TASK_STATES.has(held.result.task_state as TaskState) ? held.result.steps : undefined;
    if (existing) {
      planned = plan(existing);
      if (planned.kind === "invalid") {
        result = invalidOutcomeResult(item.result, planned);
      } else if (planned.kind === "create") {
        ({ created, lateEdges } = await createOutcomeSteps(tx, stepUuid, workerUuid, planned, telemetry));
      }
    }
    const outcome = await steps.complete({ ...item, result }, workerUuid, lease, tx);
    return { outcome, plan: planned, created, lateEdges };
  });
}
