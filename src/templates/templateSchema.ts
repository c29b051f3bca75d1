import * as v from "valibot";
import {
  BACKOFF_KINDS,
  BATCH_CONFIG_DEFAULTS,
  DELIVERY_MODES,
  EVENT_CONDITIONS,
  FAILURE_STRATEGIES,
  IDENTITY_STRATEGIES,
  RETRY_DEFAULTS,
  STALENESS_ACTIONS,
  STEP_TYPES,
  TEMPLATE_LIMITS,
} from "./taskTemplate.ts";

/**
 * tasker-core's template YAML (reference 5.2), as parsed by valibot: types, ranges and
 * defaults. Unknown keys are dropped. Aliases (`depends_on`, `step_type`) are folded in
 * before this runs (see `foldStepAliases`); names, version and the dependency graph are
 * checked afterwards on the typed result (see `validateTemplate`).
 */

const plainObject = (message: string) =>
  v.custom<Record<string, unknown>>(
    (input) => typeof input === "object" && input !== null && !Array.isArray(input),
    message,
  );

const integerBetween = (min: number, max: number) =>
  v.pipe(
    v.number(`must be an integer from ${min} to ${max}`),
    v.integer(`must be an integer from ${min} to ${max}`),
    v.minValue(min, `must be an integer from ${min} to ${max}`),
    v.maxValue(max, `must be an integer from ${min} to ${max}`),
  );

const optionalText = v.nullish(v.string("must be a string"), null);
const optionalBoolean = v.nullish(v.boolean("must be true or false"), null);

const picklist = <T extends readonly [string, ...string[]]>(options: T) =>
  v.picklist(options, `must be one of ${options.join(", ")}`);

const retrySchema = v.object(
  {
    retryable: v.nullish(v.boolean("must be true or false"), RETRY_DEFAULTS.retryable),
    max_attempts: v.nullish(integerBetween(0, TEMPLATE_LIMITS.maxAttempts), RETRY_DEFAULTS.maxAttempts),
    backoff: v.nullish(picklist(BACKOFF_KINDS), RETRY_DEFAULTS.backoff),
    backoff_base_ms: v.nullish(integerBetween(0, TEMPLATE_LIMITS.backoffMs), RETRY_DEFAULTS.backoffBaseMs),
    max_backoff_ms: v.nullish(integerBetween(0, TEMPLATE_LIMITS.backoffMs), RETRY_DEFAULTS.maxBackoffMs),
  },
  "must be a map",
);

const batchConfigSchema = v.object(
  {
    batch_size: v.nullish(integerBetween(1, 100_000), BATCH_CONFIG_DEFAULTS.batchSize),
    parallelism: v.nullish(integerBetween(1, 1000), BATCH_CONFIG_DEFAULTS.parallelism),
    cursor_field: v.nullish(v.string("must be a string"), BATCH_CONFIG_DEFAULTS.cursorField),
    worker_template: optionalText,
    failure_strategy: v.nullish(picklist(FAILURE_STRATEGIES), BATCH_CONFIG_DEFAULTS.failureStrategy),
  },
  "must be a map",
);

const eventSchema = v.object(
  {
    name: v.string("must be a string"),
    description: optionalText,
    condition: v.nullish(picklist(EVENT_CONDITIONS), "success"),
    schema: v.nullish(plainObject("must be a JSON Schema object"), null),
    delivery_mode: v.nullish(picklist(DELIVERY_MODES), "durable"),
    publisher: optionalText,
  },
  "must be a map with a name",
);

export const rawStepSchema = v.object(
  {
    name: v.string("must be a string"),
    description: optionalText,
    handler: v.object(
      {
        callable: v.string("must be a string"),
        initialization: v.nullish(plainObject("must be a map"), () => ({})),
        method: optionalText,
        resolver: optionalText,
      },
      "must be a map with a callable",
    ),
    dependencies: v.nullish(v.array(v.string("must be a step name"), "must be a list of step names"), () => []),
    retry: v.nullish(retrySchema, () => ({})),
    timeout_seconds: v.nullish(integerBetween(1, TEMPLATE_LIMITS.timeoutSeconds), null),
    type: v.nullish(picklist(STEP_TYPES), "standard"),
    batch_config: v.nullish(batchConfigSchema, null),
    publishes_events: v.nullish(v.array(eventSchema, "must be a list of events"), () => []),
  },
  "must be a map",
);

const lifecycleSchema = v.object(
  {
    max_duration_minutes: v.nullish(integerBetween(1, 43_200), null),
    max_waiting_for_dependencies_minutes: v.nullish(integerBetween(1, 10_080), null),
    max_waiting_for_retry_minutes: v.nullish(integerBetween(1, 10_080), null),
    max_steps_in_process_minutes: v.nullish(integerBetween(1, 10_080), null),
    staleness_action: v.nullish(picklist(STALENESS_ACTIONS), "dlq"),
    auto_fail_on_timeout: optionalBoolean,
    auto_dlq_on_timeout: optionalBoolean,
  },
  "must be a map",
);

export const rawTemplateSchema = v.object(
  {
    name: v.string("must be a string"),
    namespace_name: optionalText,
    version: v.string('must be a string like "1.0.0" (quote it in YAML)'),
    description: optionalText,
    input_schema: v.nullish(plainObject("must be a JSON Schema object"), null),
    identity_strategy: v.nullish(picklist(IDENTITY_STRATEGIES), "strict"),
    lifecycle: v.nullish(lifecycleSchema, null),
    steps: v.array(rawStepSchema, "must be a list of steps"),
  },
  "a template must be a map of keys (name, version, steps, ...)",
);

export type RawTemplate = v.InferOutput<typeof rawTemplateSchema>;
export type RawStep = v.InferOutput<typeof rawStepSchema>;
