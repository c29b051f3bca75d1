import { StepError, type StepErrorOptions } from "./stepError.ts";

/** A failure that another attempt cannot fix (bad input, a declined card): the step is not retried. */
export class PermanentError extends StepError {
  override readonly retryable = false as const;

  constructor(message: string, options: StepErrorOptions = {}) {
    super("STEP_PERMANENT_FAILURE", "permanent_error", message, options);
  }
}
