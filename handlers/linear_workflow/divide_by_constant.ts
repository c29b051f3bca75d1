import type { StepContext } from "tasker";

/** Takes `value` from the step named in `inputs.from` and divides it by `inputs.constant`. */
export default function divide_by_constant(ctx: StepContext) {
  const { from, constant } = ctx.step.inputs as { from: string; constant: number };
  const { value } = ctx.getDependencyResult<{ value: number }>(from);
  return { value: value / constant };
}
