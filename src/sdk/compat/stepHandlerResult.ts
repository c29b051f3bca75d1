/** tasker-core's orchestration metadata: headers (a `Retry-After` sets the backoff) and a backoff hint. */
export interface OrchestrationMetadata {
  headers?: Record<string, string>;
  error_context?: string;
  backoff_hint?: { backoff_type: string; delay_seconds: number; context?: unknown };
  custom?: Record<string, unknown>;
}

/**
 * What a tasker-core handler returns: success with a result, or a failure with a message, an
 * error type and whether another attempt may help (`retryable`, true unless said otherwise).
 */
export class StepHandlerResult {
  readonly success: boolean;
  readonly result: Record<string, unknown> | null;
  readonly errorMessage: string | null;
  readonly errorType: string | null;
  readonly errorCode: string | null;
  readonly retryable: boolean;
  readonly metadata: Record<string, unknown>;
  readonly orchestrationMetadata: OrchestrationMetadata | null;

  constructor(fields: {
    success: boolean;
    result?: Record<string, unknown> | null;
    errorMessage?: string | null;
    errorType?: string | null;
    errorCode?: string | null;
    retryable?: boolean;
    metadata?: Record<string, unknown>;
    orchestrationMetadata?: OrchestrationMetadata | null;
  }) {
    this.success = fields.success;
    this.result = fields.result ?? null;
    this.errorMessage = fields.errorMessage ?? null;
    this.errorType = fields.errorType ?? null;
    this.errorCode = fields.errorCode ?? null;
    this.retryable = fields.retryable ?? true;
    this.metadata = fields.metadata ?? {};
    this.orchestrationMetadata = fields.orchestrationMetadata ?? null;
  }

  static success(result: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): StepHandlerResult {
    return new StepHandlerResult({ success: true, result, metadata });
  }

  static failure(
    message: string,
    errorType = "handler_error",
    retryable = true,
    metadata: Record<string, unknown> = {},
    errorCode?: string,
  ): StepHandlerResult {
    return new StepHandlerResult({ success: false, errorMessage: message, errorType, retryable, metadata, errorCode: errorCode ?? null });
  }

  /** Whether a value is a StepHandlerResult (also one made by another copy of this module). */
  static is(value: unknown): value is StepHandlerResult {
    return (
      value instanceof StepHandlerResult ||
      (typeof value === "object" && value !== null && typeof (value as { success?: unknown }).success === "boolean" &&
        "errorMessage" in value && "retryable" in value && "metadata" in value)
    );
  }
}
