/**
 * The normalized, fully defaulted template model (camelCase). Produced from a YAML file
 * by `parseTemplate` and from `named_tasks.configuration` by `templateFromConfiguration`.
 * Absent optional values are `null`, never `undefined`, so a JSON round trip is exact.
 */

export const IDENTITY_STRATEGIES = ["strict", "caller_provided", "always_unique"] as const;
export type IdentityStrategy = (typeof IDENTITY_STRATEGIES)[number];

export const STEP_TYPES = ["standard", "decision", "deferred_convergence", "batchable", "batch_worker"] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const BACKOFF_KINDS = ["none", "linear", "exponential", "fibonacci"] as const;
export type BackoffKind = (typeof BACKOFF_KINDS)[number];

export const FAILURE_STRATEGIES = ["continue_on_failure", "fail_fast", "isolate"] as const;
export type FailureStrategy = (typeof FAILURE_STRATEGIES)[number];

export const EVENT_CONDITIONS = ["success", "failure", "retryable_failure", "permanent_failure", "always"] as const;
export type EventCondition = (typeof EVENT_CONDITIONS)[number];

export const DELIVERY_MODES = ["durable", "fast", "broadcast"] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/** A domain event a step publishes when it ends (`publishes_events`, reference 9.4). */
export interface DomainEventDeclaration {
  /** `payment.processed`: letters, digits, `_`, `-`, dot-separated. */
  name: string;
  description: string | null;
  /** Which endings publish it: success, failure (any), retryable_failure, permanent_failure, always. */
  condition: EventCondition;
  /** A JSON Schema the payload must satisfy, or null. */
  schema: Record<string, unknown> | null;
  /** durable: the namespace's `<namespace>_domain_events` queue. */
  deliveryMode: DeliveryMode;
  /** A custom publisher (`BasePublisher.publisherName`) that shapes the payload, or null: the step's result. */
  publisher: string | null;
}

export const STALENESS_ACTIONS = ["dlq", "error", "none"] as const;
export type StalenessAction = (typeof STALENESS_ACTIONS)[number];

export interface RetryPolicy {
  retryable: boolean;
  /** Total executions allowed (the first attempt included); 0..100. */
  maxAttempts: number;
  backoff: BackoffKind;
  backoffBaseMs: number;
  maxBackoffMs: number;
}

export interface StepHandlerSpec {
  /** The handler's address: a module `<callable>.ts|.js` or a named export `callable` in the namespace folder. */
  callable: string;
  /** Static handler configuration, given to the handler as `ctx.step.inputs`. */
  initialization: Record<string, unknown>;
  /** The method a tasker-core handler class runs instead of `call` (`handler.method`), or null. */
  method: string | null;
  /** tasker-core's resolver hint (`explicit_mapping`, `class_lookup`), or null. */
  resolver: string | null;
}

/**
 * How a `batch_worker` template's steps are made (reference 9.2). The analyzer's outcome
 * decides how many; these values reach each worker as `inputs.batch_metadata`.
 */
export interface BatchConfig {
  batchSize: number;
  parallelism: number;
  /** The name of the field the cursor ranges over (informational, passed to workers). */
  cursorField: string;
  workerTemplate: string | null;
  failureStrategy: FailureStrategy;
}

export const BATCH_CONFIG_DEFAULTS: Readonly<Omit<BatchConfig, "workerTemplate">> = Object.freeze({
  batchSize: 1000,
  parallelism: 10,
  cursorField: "id",
  failureStrategy: "continue_on_failure",
});

export interface StepDefinition {
  name: string;
  description: string | null;
  handler: StepHandlerSpec;
  /** Names of the steps this one waits for (template order, no duplicates). */
  dependencies: string[];
  retry: RetryPolicy;
  timeoutSeconds: number | null;
  type: StepType;
  /** Required on `batch_worker` steps, null elsewhere. */
  batchConfig: BatchConfig | null;
  /** Domain events published when the step ends. */
  publishesEvents: DomainEventDeclaration[];
}

/** Per-template staleness thresholds (reference 9.3); every threshold is optional. */
export interface TaskLifecycle {
  maxDurationMinutes: number | null;
  maxWaitingForDependenciesMinutes: number | null;
  maxWaitingForRetryMinutes: number | null;
  maxStepsInProcessMinutes: number | null;
  stalenessAction: StalenessAction;
  autoFailOnTimeout: boolean | null;
  autoDlqOnTimeout: boolean | null;
}

export interface TaskTemplate {
  name: string;
  namespace: string;
  version: string;
  description: string | null;
  /** A JSON Schema object the task context must satisfy at creation, or null. */
  inputSchema: Record<string, unknown> | null;
  identityStrategy: IdentityStrategy;
  lifecycle: TaskLifecycle | null;
  steps: StepDefinition[];
}

export const RETRY_DEFAULTS: Readonly<RetryPolicy> = Object.freeze({
  retryable: true,
  maxAttempts: 3,
  backoff: "exponential",
  backoffBaseMs: 1000,
  maxBackoffMs: 30_000,
});

/** Limits, chosen to fit the database columns (migrations/0005_core_tables.sql). */
export const TEMPLATE_LIMITS = Object.freeze({
  templateNameLength: 64,
  stepNameLength: 128,
  versionLength: 32,
  descriptionLength: 255,
  callableLength: 255,
  maxAttempts: 100,
  backoffMs: 3_600_000,
  timeoutSeconds: 86_400,
});
