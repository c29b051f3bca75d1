import * as v from "valibot";
import { isUuid } from "../lib/ids.ts";
import { jsonObjectSchema } from "../lib/jsonObjectSchema.ts";
import { MAX_NAMESPACE_LENGTH, NAME_PATTERN } from "../lib/names.ts";

const uuid = v.pipe(v.string(), v.check((value: string) => isUuid(value), "must be a UUID"));
const shortText = (max: number) => v.pipe(v.string(), v.maxLength(max, `must be at most ${max} characters`));

/**
 * tasker-core's TaskRequest (POST /v1/tasks, and the body of
 * orchestration_task_requests messages). Unknown fields are ignored.
 */
export const TaskRequestSchema = v.object({
  name: v.pipe(v.string(), v.maxLength(64, "must be at most 64 characters"), v.regex(NAME_PATTERN, "must match ^[a-z_][a-z0-9_]*$")),
  namespace: v.pipe(
    v.string(),
    v.maxLength(MAX_NAMESPACE_LENGTH, `must be at most ${MAX_NAMESPACE_LENGTH} characters`),
    v.regex(NAME_PATTERN, "must match ^[a-z_][a-z0-9_]*$"),
  ),
  version: v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/, "must look like 1.0.0")),
  context: v.optional(jsonObjectSchema(), {}),
  initiator: v.optional(v.nullable(shortText(128)), null),
  source_system: v.optional(v.nullable(shortText(128)), null),
  reason: v.optional(v.nullable(shortText(128)), null),
  tags: v.optional(v.array(shortText(128)), []),
  priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-100), v.maxValue(100)), 0),
  correlation_id: v.optional(v.nullable(uuid), null),
  parent_correlation_id: v.optional(v.nullable(uuid), null),
  idempotency_key: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(255))), null),
});

export type TaskRequest = v.InferOutput<typeof TaskRequestSchema>;

/** The first problem of an invalid request as `field: message`, for a 400 naming the field. */
export function describeRequestIssue(issues: readonly v.BaseIssue<unknown>[]): { field: string; message: string } {
  const [issue] = issues;
  const field = issue?.path?.map((p) => String(p.key)).join(".") || "body";
  return { field, message: `${field}: ${issue?.message ?? "is invalid"}` };
}
