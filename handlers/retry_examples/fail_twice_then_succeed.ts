import { RetryableError, type StepContext } from "tasker";

/** Fails (retryable) until attempt `inputs.succeed_on_attempt`, then returns `{ attempts }`. */
export default function fail_twice_then_succeed(ctx: StepContext) {
  const succeedOn = (ctx.step.inputs["succeed_on_attempt"] as number | undefined) ?? 3;
  if (ctx.step.attempt < succeedOn) {
    throw new RetryableError(`attempt ${ctx.step.attempt} fails on purpose`, { errorType: "flaky_dependency" });
  }
  return { attempts: ctx.step.attempt };
}
