import * as v from "valibot";

export const ErrorEnvelopeSchema = v.object({
  error: v.object({
    code: v.pipe(v.string(), v.description("Stable error code, e.g. NOT_FOUND, BAD_REQUEST, CONFLICT")),
    message: v.string(),
    field: v.optional(v.pipe(v.string(), v.description("The request field at fault, for 400s"))),
  }),
});

export const uuid = (name: string) => v.pipe(v.string(), v.uuid(`must be a UUID`), v.description(`${name} (UUID)`));

/** A non-negative integer query parameter (`?limit=10`), with bounds and a default. */
export function queryInt(min: number, max: number, fallback: number, description: string) {
  const range = `must be an integer between ${min} and ${max}`;
  return v.optional(
    v.pipe(
      v.string(),
      v.description(`${description} (${min}-${max}, default ${fallback})`),
      v.regex(/^-?\d+$/, range),
      v.transform(Number),
      v.number(),
      v.minValue(min, range),
      v.maxValue(max, range),
    ),
    String(fallback),
  );
}

export const timestamp = v.pipe(v.string(), v.description("RFC 3339 timestamp (UTC)"));
export const nullableTimestamp = v.nullable(timestamp);

export const TaskParamsSchema = v.object({ task_uuid: uuid("task") });
export const StepParamsSchema = v.object({ task_uuid: uuid("task"), step_uuid: uuid("step") });

export const JsonObjectSchema = v.record(v.string(), v.unknown());
