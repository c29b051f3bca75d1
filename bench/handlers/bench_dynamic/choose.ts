import type { StepContext } from "tasker";

/** A decision naming the steps listed in its initialization. */
export default function choose(ctx: StepContext) {
  return { decision_point_outcome: { type: "create_steps", step_names: ctx.step.inputs["step_names"] } };
}
