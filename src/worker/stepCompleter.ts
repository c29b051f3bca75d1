import type { Sql } from "postgres";
import { createCallBatcher } from "../lib/callBatcher.ts";
import { toError } from "../lib/errors.ts";
import { backoffMs, delay } from "../lib/time.ts";
import { planStepOutcome, stepCreatesSteps, type OutcomeLimits } from "../templates/planStepOutcome.ts";
import type { Logger } from "../telemetry/logger.ts";
import { inSpan } from "../telemetry/spans.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import type { WorkerStep } from "./createWorker.ts";
import { completeWithOutcome, invalidOutcomeResult, type OutcomeCompletion } from "./outcomeCompletion.ts";
import { createOutcomeReporter } from "./outcomeReporter.ts";
import type {
  CheckpointInput,
  ClaimedStep,
  CompleteItem,
  CompleteOutcome,
  LeaseSettings,
  StepExecutionResult,
  StepRepository,
  StoredCheckpoint,
} from "./stepRepository.ts";

export interface StepCompleterDeps {
  sql: Sql;
  steps: StepRepository;
  telemetry: Telemetry;
  workerId: string;
  lease: LeaseSettings;
  completionBatchSize: number;
  /** Completions in flight before results wait to share one (see createWorker). */
  batchesInFlight: number;
  leaseGraceSeconds: number;
  outcomeLimits: OutcomeLimits;
}

/**
 * How a worker records what its steps did: results (batched under load; a decision's or an
 * analyzer's success in its own transaction that creates the steps its outcome names) and
 * checkpoints, each fenced to the attempt this worker holds.
 */
export function createStepCompleter(deps: StepCompleterDeps) {
  const { steps, telemetry, lease } = deps;
  const outcomes = createOutcomeReporter(telemetry);
  // Under load, results that arrive while `batchesInFlight` calls are in flight share the next
  // transaction; alone, each goes at once.
  const completions = createCallBatcher<CompleteItem, CompleteOutcome>({
    maxBatch: deps.completionBatchSize,
    maxInFlight: deps.batchesInFlight,
    single: (item) => steps.complete(item, deps.workerId, lease),
    many: (items) => steps.completeBatch(items, deps.workerId, lease),
  });

  /**
   * Sends until it is recorded or refused. A failure (the database is away, a deadlock) is
   * retried for the lease's grace period at least: the lease still holds (it ends `timeout +
   * grace` after the claim), so giving up sooner would leave the step in_progress until the
   * reaper re-runs it. The call is fenced, so sending it again is safe.
   */
  const withRetry = async <T>(send: () => Promise<T>, log: Logger): Promise<T> => {
    const giveUpAt = Date.now() + deps.leaseGraceSeconds * 1000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        const waitMs = backoffMs(attempt, 100, 2000);
        if (attempt >= 5 && Date.now() + waitMs >= giveUpAt) throw error;
        log.warn("step completion failed; retrying", { attempt, error: toError(error).message });
        await delay(waitMs);
      }
    }
  };

  return {
    /** Completes a finished step; a decision's or analyzer's success also creates what its outcome names. */
    async complete(
      namespace: string,
      step: WorkerStep | undefined,
      item: CompleteItem,
      log: Logger,
    ): Promise<{ outcome: CompleteOutcome; applied?: OutcomeCompletion; recorded: StepExecutionResult }> {
      const { claimed, result } = item;
      if (!result.success || !step || !stepCreatesSteps(step.definition)) {
        return { outcome: await withRetry(() => completions.call(item), log), recorded: result };
      }
      const started = performance.now();
      const applied = await inSpan(
        telemetry,
        "worker.apply_outcome",
        { attributes: () => ({ "step.name": claimed.step.name, "step.type": step.definition.type, task_uuid: claimed.task.task_uuid }) },
        async (span) => {
          const done = await withRetry(
            () =>
              completeWithOutcome(deps.sql, steps, telemetry, item, deps.workerId, lease, (existing) =>
                planStepOutcome(step.template, { name: claimed.step.name, templateStepName: step.definition.name }, result.result, existing, deps.outcomeLimits),
              ),
            log,
          );
          span?.setAttribute("outcome.type", done.plan.kind === "create" ? done.plan.outcome : done.plan.kind);
          span?.setAttribute("steps.created", done.created.length);
          return done;
        },
      );
      outcomes.applied(namespace, step.definition.type, claimed, applied, performance.now() - started, log);
      // An outcome that could not be applied was recorded as a permanent failure.
      const recorded = applied.plan.kind === "invalid" ? invalidOutcomeResult(result, applied.plan) : result;
      return { outcome: applied.outcome, applied, recorded };
    },

    /** ctx.checkpoint() and yields: saved for the attempt this worker holds, or rejected. */
    async saveCheckpoint(namespace: string, claimed: ClaimedStep, checkpoint: CheckpointInput, kind: "checkpoint" | "yield"): Promise<StoredCheckpoint> {
      const saved = await steps.saveCheckpoint(claimed, checkpoint, deps.workerId, lease);
      if (!saved.saved) {
        throw new Error(`the checkpoint was not saved: this attempt no longer holds the step (it is ${saved.state ?? "gone"})`);
      }
      telemetry.metrics.stepCheckpoints.add(1, { namespace, kind });
      return saved.checkpoint;
    },
  };
}
