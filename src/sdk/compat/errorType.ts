/** tasker-core's `ErrorType` vocabulary (`@tasker-systems/tasker`). Handlers may also pass free strings. */
export const ErrorType = Object.freeze({
  PERMANENT_ERROR: "permanent_error",
  RETRYABLE_ERROR: "retryable_error",
  VALIDATION_ERROR: "validation_error",
  TIMEOUT: "timeout",
  HANDLER_ERROR: "handler_error",
} as const);

export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Whether an error type is usually worth retrying (tasker-core: retryable_error and timeout). */
export function isTypicallyRetryable(errorType: string): boolean {
  return errorType === ErrorType.RETRYABLE_ERROR || errorType === ErrorType.TIMEOUT;
}
