import type { StepContext } from "tasker";

/** Squares the task's `even_number`: 6 → { value: 36 }. */
export default function square(ctx: StepContext) {
  const n = ctx.context["even_number"] as number;
  return { value: n * n };
}
