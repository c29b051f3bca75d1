import { TaskerError } from "../lib/errors.ts";

export interface StepErrorOptions {
  cause?: unknown;
  /** A short machine-readable kind recorded with the failed result, e.g. `card_declined`. */
  errorType?: string;
  /** JSON details recorded with the failed result. */
  metadata?: Record<string, unknown>;
}

/**
 * What a handler throws to say how its step failed. The worker records `retryable`,
 * `errorType` and the message on the failed result; any other thrown error counts as
 * retryable unless it carries `retryable === false`.
 */
export abstract class StepError extends TaskerError {
  abstract readonly retryable: boolean;
  readonly errorType: string;
  readonly metadata: Readonly<Record<string, unknown>>;

  protected constructor(code: string, defaultErrorType: string, message: string, options: StepErrorOptions) {
    super(code, message, { cause: options.cause });
    this.errorType = options.errorType ?? defaultErrorType;
    this.metadata = options.metadata ?? {};
  }
}
