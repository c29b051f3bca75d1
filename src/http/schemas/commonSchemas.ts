import * as v from "valibot";
import { MAX_NAMESPACE_LENGTH, NAME_PATTERN } from "../../lib/names.ts";

export const ErrorEnvelopeSchema = v.object({
  error: v.object({
    code: v.pipe(v.string(), v.description("Stable error code, e.g. NOT_FOUND, BAD_REQUEST, CONFLICT")),
    message: v.string(),
    field: v.optional(v.pipe(v.string(), v.description("The request field at fault, for 400s"))),
    retry_after_seconds: v.optional(
      v.pipe(v.number(), v.description("With 503 BACKPRESSURE: seconds to wait before retrying (also the Retry-After header)")),
    ),
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

/** A timestamp query parameter: RFC 3339; without an offset it is UTC (a date alone is midnight UTC). */
export const queryTimestamp = (description: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/, "must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z"),
    v.transform((text) => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`)),
    v.check((text) => !Number.isNaN(Date.parse(text.replace(" ", "T"))), "must be a real date and time"),
    v.description(`${description} (RFC 3339; UTC without an offset)`),
  );

export const TaskParamsSchema = v.object({ task_uuid: uuid("task") });
export const StepParamsSchema = v.object({ task_uuid: uuid("task"), step_uuid: uuid("step") });

export const JsonObjectSchema = v.record(v.string(), v.unknown());

const NAME_RULE = "must match ^[a-z_][a-z0-9_]*$ (lowercase letters, digits, underscores)";

/**
 * A namespace, template or step name as the API accepts it: the pattern names must match before
 * they reach a queue name or a query, so SQL and path characters are a 400 naming the field.
 */
export const name = (what: string, maxLength = 64) =>
  v.pipe(
    v.string(),
    v.minLength(1, "must not be empty"),
    v.maxLength(maxLength, `must be at most ${maxLength} characters`),
    v.regex(NAME_PATTERN, NAME_RULE),
    v.description(what),
  );

export const namespaceName = (what = "Namespace") => name(what, MAX_NAMESPACE_LENGTH);

export const semanticVersion = v.pipe(v.string(), v.regex(/^\d{1,9}\.\d{1,9}\.\d{1,9}$/, "must look like 1.0.0"), v.description("Version, e.g. 1.0.0"));
