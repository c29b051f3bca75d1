import { RetryableError } from "../sdk/retryableError.ts";
import { StepError } from "../sdk/stepError.ts";

export interface StepFailure {
  message: string;
  errorType: string;
  retryable: boolean;
  retryAfterSeconds: number | undefined;
  backtrace: string | undefined;
  metadata: Record<string, unknown> | undefined;
}

/**
 * How a thrown value fails its step: retryable unless it says `retryable === false`
 * (PermanentError, or any error carrying that flag). Non-Error values are recorded
 * by their JSON text.
 */
export function classifyThrown(thrown: unknown): StepFailure {
  if (thrown instanceof StepError) {
    return {
      message: thrown.message,
      errorType: thrown.errorType,
      retryable: thrown.retryable,
      retryAfterSeconds: thrown instanceof RetryableError ? thrown.retryAfterSeconds : undefined,
      backtrace: thrown.stack,
      metadata: { ...thrown.metadata },
    };
  }
  if (thrown instanceof Error) {
    const flagged = (thrown as { retryable?: unknown }).retryable;
    const after = (thrown as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    return {
      message: thrown.message || thrown.name,
      errorType: thrown.name === "Error" ? "handler_error" : thrown.name,
      retryable: flagged !== false,
      retryAfterSeconds: typeof after === "number" && Number.isFinite(after) && after >= 0 ? after : undefined,
      backtrace: thrown.stack,
      metadata: undefined,
    };
  }
  let text: string;
  try {
    text = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  const flagged = typeof thrown === "object" && thrown !== null ? (thrown as { retryable?: unknown }).retryable : undefined;
  return {
    message: `handler threw a non-Error value: ${text.slice(0, 1000)}`,
    errorType: "handler_error",
    retryable: flagged !== false,
    retryAfterSeconds: undefined,
    backtrace: undefined,
    metadata: undefined,
  };
}
