/**
 * Several handlers in one module: a callable with no file of its own (`square.ts`)
 * resolves to the named export with its name.
 */
import { PermanentError, type StepContext } from "tasker";

type Operation = "add" | "subtract" | "multiply" | "divide";
const valueOf = (ctx: StepContext, step: string): number => ctx.getDependencyResult<{ value: number }>(step).value;

export function square(ctx: StepContext) {
  const n = ctx.context["even_number"] as number;
  return { value: n * n };
}

export function arithmetic(ctx: StepContext) {
  const { from, operation, operand } = ctx.step.inputs as { from: string; operation: Operation; operand: number };
  const value = valueOf(ctx, from);
  if (operation === "add") return { value: value + operand };
  if (operation === "subtract") return { value: value - operand };
  if (operation === "multiply") return { value: value * operand };
  if (operation === "divide") return { value: value / operand };
  throw new PermanentError(`unknown operation "${String(operation)}"`, { errorType: "invalid_configuration" });
}

export function sum(ctx: StepContext) {
  const { from } = ctx.step.inputs as { from: string[] };
  return { value: from.reduce((total, step) => total + valueOf(ctx, step), 0) };
}
