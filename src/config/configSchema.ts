import * as v from "valibot";
import { MAX_NAMESPACE_LENGTH, NAME_PATTERN } from "../lib/names.ts";
import { isKnownGrant, PERMISSIONS } from "../lib/permissions.ts";

/**
 * The one schema for the whole configuration. It validates the fully merged result
 * (defaults, files, environment, flags); defaults live in configDefaults.ts, not here.
 * Every message is custom and never echoes the input, so a secret cannot leak through it.
 */

function integerIn(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
  return v.pipe(
    v.number(`must be an integer ${range}`),
    v.integer(`must be an integer ${range}`),
    v.minValue(min, `must be an integer ${range}`),
    v.maxValue(max, `must be an integer ${range}`),
  );
}

const nonEmptyString = v.pipe(v.string("must be a string"), v.nonEmpty("must not be empty"));

const flag = v.boolean("must be true or false");

function oneOf<const T extends readonly string[]>(options: T) {
  return v.picklist(options, `must be one of ${options.map((o) => `"${o}"`).join(", ")}`);
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "";
  } catch {
    return false;
  }
}

const postgresUrl = v.pipe(
  nonEmptyString,
  v.check(isPostgresUrl, "must be a postgres:// or postgresql:// URL with a host"),
);

const namespace = v.pipe(
  v.string("must be a string"),
  v.maxLength(MAX_NAMESPACE_LENGTH, `must be at most ${MAX_NAMESPACE_LENGTH} characters`),
  v.regex(NAME_PATTERN, `must match ${NAME_PATTERN.source} (lowercase letters, digits, underscores)`),
);

const namespaceList = v.pipe(
  v.array(namespace, 'must be an array of namespace names, e.g. ["billing", "email"]'),
  v.check((list) => new Set(list).size === list.length, "must not list a namespace twice"),
);

const stringList = v.array(nonEmptyString, 'must be an array of strings, e.g. ["https://app.example.com"]');

const object = <const T extends v.ObjectEntries>(entries: T) => v.strictObject(entries, "must be a table of known keys");

const listenerSchema = v.pipe(
  object({
    reconnect_base_ms: integerIn(10),
    reconnect_max_ms: integerIn(10),
  }),
  v.forward(
    v.partialCheck(
      [["reconnect_base_ms"], ["reconnect_max_ms"]],
      (input) => input.reconnect_max_ms >= input.reconnect_base_ms,
      "must be >= queues.listener.reconnect_base_ms",
    ),
    ["reconnect_max_ms"],
  ),
);

export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

function isHttpUrlOrEmpty(value: string): boolean {
  if (value === "") return true;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

const apiKeySchema = v.strictObject(
  {
    key: v.pipe(v.string("must be a string"), v.minLength(16, "must be at least 16 characters")),
    permissions: v.array(
      v.pipe(
        v.string("must be a string"),
        v.check(isKnownGrant, `must be one of ${PERMISSIONS.join(", ")} or a resource:* wildcard`),
      ),
      "must be an array of permissions",
    ),
    description: v.optional(v.string("must be a string"), ""),
  },
  "must be a table with key, permissions and optional description",
);

const authSchema = v.pipe(
  object({
    enabled: flag,
    api_key_header: nonEmptyString,
    api_keys: v.array(apiKeySchema, "must be an array of tables ([[web.auth.api_keys]])"),
    jwt_public_key: v.string("must be a string"),
    jwt_public_key_path: v.string("must be a string"),
    jwks_url: v.pipe(v.string("must be a string"), v.check(isHttpUrlOrEmpty, "must be an http(s) URL or empty")),
    jwt_issuer: v.string("must be a string"),
    jwt_audience: v.string("must be a string"),
    jwt_algorithms: v.pipe(
      v.array(oneOf(JWT_ALGORITHMS), "must be an array of JWS algorithms"),
      v.minLength(1, "must name at least one algorithm"),
    ),
    permissions_claim: nonEmptyString,
  }),
  v.forward(
    v.partialCheck(
      [["jwt_public_key"], ["jwt_public_key_path"], ["jwks_url"]],
      (a) => [a.jwt_public_key, a.jwt_public_key_path, a.jwks_url].filter((s) => s !== "").length <= 1,
      "set only one of web.auth.jwt_public_key, web.auth.jwt_public_key_path and web.auth.jwks_url",
    ),
    ["jwks_url"],
  ),
  v.forward(
    v.partialCheck(
      [["enabled"], ["api_keys"], ["jwt_public_key"], ["jwt_public_key_path"], ["jwks_url"]],
      (a) => !a.enabled || a.api_keys.length > 0 || a.jwt_public_key !== "" || a.jwt_public_key_path !== "" || a.jwks_url !== "",
      "auth is enabled but no api_keys, jwt_public_key, jwt_public_key_path or jwks_url is set",
    ),
    ["enabled"],
  ),
);

export const QUEUE_MODES = ["hybrid", "event", "polling"] as const;
/** Which PostgreSQL a process uses (`database.mode`). */
export const DATABASE_MODES = ["auto", "url", "embedded"] as const;
export type DatabaseMode = (typeof DATABASE_MODES)[number];
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export const LOG_FORMATS = ["auto", "json", "pretty"] as const;
export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export const SAMPLING_STRATEGIES = ["parent_based_always_on", "trace_id_ratio"] as const;

const ratio = v.pipe(
  v.number("must be a number between 0 and 1"),
  v.minValue(0, "must be a number between 0 and 1"),
  v.maxValue(1, "must be a number between 0 and 1"),
);

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

const httpUrl = v.pipe(nonEmptyString, v.check(isHttpUrl, "must be an http:// or https:// URL with a host"));

export const configSchema = object({
  database: object({
    url: postgresUrl,
    migrate_on_start: flag,
    mode: oneOf(DATABASE_MODES),
    embedded: object({
      data_dir: nonEmptyString,
      bin_dir: v.string("must be a string"),
      port: integerIn(0, 65535),
    }),
    pool: object({
      max_connections: integerIn(1, 1000),
      idle_timeout_seconds: integerIn(0),
      connect_timeout_seconds: integerIn(1),
    }),
  }),
  queues: object({
    mode: oneOf(QUEUE_MODES),
    visibility_timeout_seconds: integerIn(1),
    poll_interval_ms: integerIn(10),
    batch_size: integerIn(1, 1000),
    listener: listenerSchema,
    backpressure: object({
      max_depth: integerIn(0),
      measure_interval_ms: integerIn(0, 60_000),
      retry_after_seconds: integerIn(1, 3600),
    }),
  }),
  orchestration: object({
    shutdown_timeout_ms: integerIn(0),
    ready_task_poll_interval_ms: integerIn(10),
    ready_task_batch_size: integerIn(1, 1000),
    max_concurrent_results: integerIn(1, 1000),
    recovery_interval_ms: integerIn(10),
    reconcile_after_seconds: integerIn(1),
    heartbeat_interval_ms: integerIn(10),
    process_dead_after_ms: integerIn(100),
    template_cache_ttl_ms: integerIn(0),
    staleness: object({
      enabled: flag,
      interval_ms: integerIn(100),
      batch_size: integerIn(1, 10000),
      dry_run: flag,
      waiting_for_dependencies_minutes: integerIn(1),
      waiting_for_retry_minutes: integerIn(1),
      steps_in_process_minutes: integerIn(1),
      task_max_lifetime_hours: integerIn(1),
    }),
    decision_points: object({
      max_steps_per_decision: integerIn(1, 10_000),
      max_decision_depth: integerIn(1, 1000),
    }),
    batch_processing: object({
      max_batches_per_analyzer: integerIn(1, 100_000),
      checkpoint_stall_minutes: integerIn(1),
    }),
  }),
  worker: object({
    handlers_dir: nonEmptyString,
    namespaces: namespaceList,
    max_concurrent_steps: integerIn(1, 1000),
    default_step_timeout_ms: integerIn(1),
    max_step_timeout_ms: integerIn(1),
    lease_grace_seconds: integerIn(0),
    handler_isolation: oneOf(["thread", "none"] as const),
    handler_max_memory_mb: integerIn(16),
    handler_abort_grace_ms: integerIn(0),
    max_chained_steps: integerIn(0),
    claim_at_creation: flag,
    claim_batch_size: integerIn(1, 1000),
    completion_batch_size: integerIn(1, 1000),
    max_result_bytes: integerIn(1024),
    heartbeat_interval_ms: integerIn(10),
    shutdown_timeout_ms: integerIn(0),
  }),
  web: object({
    host: nonEmptyString,
    port: integerIn(0, 65535),
    worker_port: integerIn(0, 65535),
    request_timeout_ms: integerIn(1),
    body_limit_bytes: integerIn(1024),
    cors_origins: stringList,
    config_endpoint_enabled: flag,
    dashboard: object({ enabled: flag, trace_url: v.string("must be a string") }),
    auth: authSchema,
  }),
  telemetry: object({
    log_level: oneOf(LOG_LEVELS),
    log_format: oneOf(LOG_FORMATS),
    enabled: flag,
    service_name: nonEmptyString,
    service_version: nonEmptyString,
    otlp: object({
      endpoint: httpUrl,
      protocol: oneOf(OTLP_PROTOCOLS),
      timeout_seconds: integerIn(1, 600),
      batch_size_limit: integerIn(1, 100000),
    }),
    sampling: object({
      strategy: oneOf(SAMPLING_STRATEGIES),
      ratio,
    }),
    spans: object({
      max_attributes: integerIn(1, 10000),
      max_events: integerIn(0, 10000),
      max_links: integerIn(0, 10000),
    }),
    metrics: object({
      enabled: flag,
      otlp_export: flag,
      export_interval_seconds: integerIn(1),
    }),
  }),
});

type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The resolved configuration as every role sees it: complete and deep-frozen. */
export type TaskerConfig = DeepReadonly<v.InferOutput<typeof configSchema>>;
