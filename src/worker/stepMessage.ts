import { isUuid } from "../lib/ids.ts";

/** The body of a message on `worker_<namespace>_queue` (and of a completion notice). */
export interface StepMessage {
  task_uuid: string;
  step_uuid: string;
  correlation_id: string;
  step_name?: string;
  attempt?: number;
}

/** Validates a queue message body; returns a reason when it is not a step message. */
export function decodeStepMessage(body: unknown): StepMessage | { invalid: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { invalid: "the body is not a JSON object" };
  const fields = body as Record<string, unknown>;
  for (const key of ["task_uuid", "step_uuid", "correlation_id"] as const) {
    if (!isUuid(fields[key])) return { invalid: `${key} is missing or not a UUID` };
  }
  return body as StepMessage;
}
