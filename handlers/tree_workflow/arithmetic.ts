import { PermanentError, type StepContext } from "tasker";

interface ArithmeticInputs {
  from: string;
  operation: "add" | "subtract" | "multiply" | "divide";
  operand: number;
}

/** Applies `inputs.operation` with `inputs.operand` to `value` of the step named in `inputs.from`. */
export default function arithmetic(ctx: StepContext) {
  const { from, operation, operand } = ctx.step.inputs as unknown as ArithmeticInputs;
  const { value } = ctx.getDependencyResult<{ value: number }>(from);
  switch (operation) {
    case "add":
      return { value: value + operand };
    case "subtract":
      return { value: value - operand };
    case "multiply":
      return { value: value * operand };
    case "divide":
      return { value: value / operand };
    default:
      throw new PermanentError(`unknown operation "${String(operation)}"`, { errorType: "invalid_configuration" });
  }
}
