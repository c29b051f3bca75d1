import { ValidationError } from "./errors.ts";

/**
 * Names that end up inside SQL identifiers (queue tables, channels) must match this
 * before they reach any query. pgmq's limit for a queue name is 47 characters
 * (63-byte identifier minus the `q_`/`a_` prefix and index suffixes).
 */
export const NAME_PATTERN = /^[a-z_][a-z0-9_]*$/;
export const MAX_QUEUE_NAME_LENGTH = 47;
/** `worker_` + namespace + `_queue` must fit in a queue name. */
export const MAX_NAMESPACE_LENGTH = MAX_QUEUE_NAME_LENGTH - "worker_".length - "_queue".length;

export function assertName(kind: string, value: unknown, maxLength: number): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError(`${kind} must be a non-empty string`, { field: kind });
  }
  if (value.length > maxLength) {
    throw new ValidationError(`${kind} "${value.slice(0, 80)}" is longer than ${maxLength} characters`, { field: kind });
  }
  if (!NAME_PATTERN.test(value)) {
    throw new ValidationError(
      `${kind} "${value.slice(0, 80)}" must match ${NAME_PATTERN.source} (lowercase letters, digits, underscores)`,
      { field: kind },
    );
  }
  return value;
}

export function assertQueueName(value: unknown): string {
  return assertName("queue name", value, MAX_QUEUE_NAME_LENGTH);
}

export function assertNamespace(value: unknown): string {
  return assertName("namespace", value, MAX_NAMESPACE_LENGTH);
}
