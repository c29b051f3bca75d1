import { ValidationError } from "../lib/errors.ts";
import { assertNamespace } from "../lib/names.ts";

/** Where workers send step completion notices; consumed by orchestration. */
export const ORCHESTRATION_STEP_RESULTS = "orchestration_step_results";

/** The queue that carries step messages for one namespace: `worker_<ns>_queue`. */
export function workerQueueName(namespace: string): string {
  return `worker_${assertNamespace(namespace)}_queue`;
}

/** PostgreSQL truncates identifiers (and so channel names) to 63 bytes. */
export const MAX_CHANNEL_NAME_LENGTH = 63;
export const CHANNEL_PATTERN = /^[a-z_][a-z0-9_.]*$/;

/** The channel `tasker.pgmq_send_with_notify` notifies for a namespace. */
export function notifyChannel(namespace: string): string {
  return assertChannelName(`pgmq_message_ready.${namespace}`);
}

export function assertChannelName(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_CHANNEL_NAME_LENGTH) {
    throw new ValidationError(`channel name must be 1 to ${MAX_CHANNEL_NAME_LENGTH} characters`, { field: "channel" });
  }
  if (!CHANNEL_PATTERN.test(value)) {
    throw new ValidationError(`channel name "${value}" must match ${CHANNEL_PATTERN.source}`, { field: "channel" });
  }
  return value;
}
