import type { TransactionSql } from "postgres";
import { newId } from "../lib/ids.ts";
import type { OutcomePlan, PlannedStep } from "../templates/planStepOutcome.ts";
import { instrumentSql } from "../telemetry/instrumentSql.ts";
import { disabledTelemetry, type Telemetry } from "../telemetry/telemetry.ts";

/** A step created by an outcome, as tasker.create_outcome_steps reports it. */
export interface CreatedStep {
  step_uuid: string;
  name: string;
  template_step_name: string;
}

const toSqlStep = (step: PlannedStep) => ({
  step_uuid: newId(),
  name: step.name,
  template_step_name: step.templateStepName,
  position: step.position,
  retryable: step.retryable,
  max_attempts: step.maxAttempts,
  backoff: step.backoff,
  backoff_base_ms: step.backoffBaseMs,
  max_backoff_ms: step.maxBackoffMs,
  timeout_seconds: step.timeoutSeconds,
  inputs: step.inputs,
  parents: step.parents,
});

/**
 * Creates what a plan asks for (tasker.create_outcome_steps) inside the caller's transaction,
 * which holds the step whose outcome it is and its task, and completes that step next.
 */
export async function createOutcomeSteps(
  tx: TransactionSql,
  stepUuid: string,
  actorUuid: string,
  plan: Extract<OutcomePlan, { kind: "create" }>,
  telemetry: Telemetry = disabledTelemetry(),
): Promise<{ created: CreatedStep[]; lateEdges: number }> {
  if (plan.steps.length === 0 && plan.lateEdges.length === 0) return { created: [], lateEdges: 0 };
  const payload = { outcome: plan.outcome, steps: plan.steps.map(toSqlStep), late_edges: plan.lateEdges };
  const [row] = await instrumentSql(telemetry, { operation: "tasker.create_outcome_steps", transaction: true }, () => tx<
    { result: { created: CreatedStep[]; late_edges: number } }[]
  >`SELECT tasker.create_outcome_steps(${stepUuid}::uuid, ${actorUuid}::uuid, ${tx.json(payload as never)}::jsonb) AS result`);
  return { created: row!.result.created, lateEdges: row!.result.late_edges };
}
