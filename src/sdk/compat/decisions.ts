import { StepHandler } from "./stepHandler.ts";
import { StepHandlerResult } from "./stepHandlerResult.ts";

/** The result of a decision: the branches to create, with the context that chose them. */
export function decisionResult(
  stepNames: string[],
  routingContext?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    decision_point_outcome: { type: "create_steps", step_names: stepNames },
    ...(routingContext ? { routing_context: routingContext } : {}),
  };
}

/** The result of a decision that creates nothing. */
export function noBranchesResult(reason: string, routingContext?: Record<string, unknown>): Record<string, unknown> {
  return { decision_point_outcome: { type: "no_branches" }, reason, ...(routingContext ? { routing_context: routingContext } : {}) };
}

/** tasker-core's class-style decision handler (`type: decision` steps). */
export abstract class DecisionHandler extends StepHandler {
  protected decisionSuccess(
    stepNames: string[],
    routingContext?: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): StepHandlerResult {
    return StepHandlerResult.success(decisionResult(stepNames, routingContext), {
      decision_handler: this.name,
      decision_version: this.version,
      ...metadata,
    });
  }

  protected skipBranches(reason: string, routingContext?: Record<string, unknown>, metadata: Record<string, unknown> = {}): StepHandlerResult {
    return StepHandlerResult.success(noBranchesResult(reason, routingContext), {
      decision_handler: this.name,
      decision_version: this.version,
      ...metadata,
    });
  }

  protected decisionNoBranches(outcome: { reason?: string; routingContext?: Record<string, unknown> } = {}): StepHandlerResult {
    return this.skipBranches(outcome.reason ?? "no branches", outcome.routingContext);
  }

  protected decisionFailure(message: string, errorType = "decision_error", retryable = false, metadata: Record<string, unknown> = {}): StepHandlerResult {
    return StepHandlerResult.failure(message, errorType, retryable, metadata);
  }
}

/** What a functional decision handler returns (`defineDecisionHandler`). */
export class Decision {
  private constructor(
    readonly result: Record<string, unknown>,
  ) {}

  static route(steps: string[], routingContext?: Record<string, unknown>): Decision {
    return new Decision(decisionResult(steps, routingContext));
  }

  static skip(reason: string, routingContext?: Record<string, unknown>): Decision {
    return new Decision(noBranchesResult(reason, routingContext));
  }
}
