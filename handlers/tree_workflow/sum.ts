import type { StepContext } from "tasker";

/** Sums `value` of the steps listed in `inputs.from`. */
export default function sum(ctx: StepContext) {
  const { from } = ctx.step.inputs as { from: string[] };
  return { value: from.reduce((total, name) => total + ctx.getDependencyResult<{ value: number }>(name).value, 0) };
}
