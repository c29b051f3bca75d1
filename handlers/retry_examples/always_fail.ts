import { RetryableError, type StepContext } from "tasker";

/** Always fails with a retryable error; the retry budget runs out. */
export default function always_fail(ctx: StepContext): never {
  throw new RetryableError(`attempt ${ctx.step.attempt} of ${ctx.step.maxAttempts} fails on purpose`, {
    errorType: "service_unavailable",
  });
}
