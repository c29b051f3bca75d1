import { PermanentError as NativePermanentError } from "../permanentError.ts";
import { RetryableError as NativeRetryableError } from "../retryableError.ts";

/**
 * tasker-core's `PermanentError(message, metadata?)`: the step fails with `permanent_error` and
 * is not retried. A native PermanentError, so the engine classifies it as one.
 */
export class PermanentError extends NativePermanentError {
  constructor(message: string, metadata: Record<string, unknown> = {}) {
    super(message, { errorType: "permanent_error", metadata });
  }
}

/**
 * tasker-core's `RetryableError(message, metadata?)`: the step fails with `retryable_error` and is
 * retried while attempts remain (`metadata.retry_after_seconds`, when given, sets the delay).
 */
export class RetryableError extends NativeRetryableError {
  constructor(message: string, metadata: Record<string, unknown> = {}) {
    const after = metadata["retry_after_seconds"] ?? metadata["retryAfter"];
    super(message, {
      errorType: "retryable_error",
      metadata,
      ...(typeof after === "number" ? { retryAfterSeconds: after } : {}),
    });
  }
}
