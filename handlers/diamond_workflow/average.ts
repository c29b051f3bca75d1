import type { StepContext } from "tasker";

/** Averages `value` of the steps listed in `inputs.from`: (61 + 72) / 2 → { value: 66.5 }. */
export default function average(ctx: StepContext) {
  const { from } = ctx.step.inputs as { from: string[] };
  const values = from.map((name) => ctx.getDependencyResult<{ value: number }>(name).value);
  return { value: values.reduce((a, b) => a + b, 0) / values.length };
}
