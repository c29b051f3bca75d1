import type { StepContext } from "tasker";

/** The branch step names of one template (tasker-core's template suffixes them with `_ts`). */
export interface ApprovalBranches {
  auto: string;
  manager: string;
  finance: string;
}

/**
 * A decision handler: names the approval steps to create from the amount and the step's
 * `thresholds` ({ small, large }). Below small: auto; below large: manager; else manager and finance.
 */
export function routeByAmount(branches: ApprovalBranches) {
  return (ctx: StepContext) => {
    const amount = ctx.context["amount"] as number;
    const thresholds = (ctx.step.inputs["thresholds"] ?? { small: 1000, large: 5000 }) as { small: number; large: number };
    const steps =
      amount < thresholds.small ? [branches.auto] : amount < thresholds.large ? [branches.manager] : [branches.manager, branches.finance];
    return {
      decision_point_outcome: { type: "create_steps", step_names: steps },
      routing_context: { amount, thresholds, route: steps.length === 2 ? "dual_approval" : steps[0] === branches.auto ? "auto" : "manager" },
    };
  };
}
