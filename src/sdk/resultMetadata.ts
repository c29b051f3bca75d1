const METADATA = Symbol.for("tasker.result_metadata");

/** A handler's result with metadata to store beside it (`results.metadata.custom`), as tasker-core's successes carry. */
export interface ResultWithMetadata {
  readonly [METADATA]: { value: unknown; metadata: Record<string, unknown> };
}

/** Wraps a result and its metadata (checked where the handler runs, never sent anywhere as is). */
export function resultWithMetadata(value: unknown, metadata: Record<string, unknown>): ResultWithMetadata {
  return Object.freeze({ [METADATA]: { value, metadata } });
}

/** The result and metadata a wrapped value carries, or the value alone. */
export function unwrapResult(value: unknown): { value: unknown; metadata?: Record<string, unknown> } {
  if (typeof value !== "object" || value === null || !(METADATA in value)) return { value };
  return (value as ResultWithMetadata)[METADATA];
}
