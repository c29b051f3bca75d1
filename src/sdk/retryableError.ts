import { StepError, type StepErrorOptions } from "./stepError.ts";

export interface RetryableErrorOptions extends StepErrorOptions {
  /** Wait at least this long before the next attempt (e.g. from a `Retry-After` header). */
  retryAfterSeconds?: number;
}

/** A transient failure: the step is retried per its template's retry policy while attempts remain. */
export class RetryableError extends StepError {
  override readonly retryable = true as const;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super("STEP_RETRYABLE_FAILURE", "retryable_error", message, options);
    const after = options.retryAfterSeconds;
    this.retryAfterSeconds = after !== undefined && Number.isFinite(after) && after >= 0 ? after : undefined;
  }
}
