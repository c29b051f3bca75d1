import { roundMs } from "../lib/time.ts";
import type { StepType } from "../templates/taskTemplate.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import type { OutcomeCompletion } from "./outcomeCompletion.ts";
import type { ClaimedStep } from "./stepRepository.ts";


/** Metrics and log lines for decision and batch outcomes, from what the completing transaction did. */
export function createOutcomeReporter(telemetry: Telemetry) {
  const { metrics } = telemetry;
  return {
    applied(namespace: string, stepType: StepType, claimed: ClaimedStep, done: OutcomeCompletion, ms: number, log: Logger): void {
      metrics.outcomeProcessingDuration.record(ms, { step_type: stepType });
      const { plan } = done;
      if (!done.outcome.accepted || plan.kind === "none") return;
      if (plan.kind === "invalid") {
        metrics.decisionOutcomes.add(1, { namespace, step_type: stepType, outcome_type: "invalid" });
        metrics.outcomeValidationErrors.add(1, { namespace, step_type: stepType, error_type: plan.reason });
        log.warn("step.outcome_rejected", {
          event: "step.outcome_rejected",
          operation: "apply_outcome",
          error_type: plan.errorType,
          reason: plan.reason,
          error: plan.message,
          duration_ms: roundMs(ms),
        });
        return;
      }
      metrics.decisionOutcomes.add(1, { namespace, step_type: stepType, outcome_type: plan.outcome });
      if (done.created.length > 0) metrics.dynamicStepsCreated.add(done.created.length, { namespace, step_type: stepType });
      metrics.outcomeStepCount.record(done.created.length, { step_type: stepType });
      if (plan.batchCount > 0) metrics.batchesCreated.add(plan.batchCount, { namespace });
      const event = stepType === "decision" ? "decision_outcome.processing_completed" : "batch_outcome.processing_completed";
      log.info(event, {
        event,
        operation: "apply_outcome",
        outcome_type: plan.outcome,
        steps_created: done.created.length,
        created_steps: done.created.slice(0, 20).map((s) => s.name),
        batch_count: plan.batchCount,
        late_edges: done.lateEdges,
        decided_by: claimed.step.name,
        duration_ms: roundMs(ms),
      });
    },
  };
}
