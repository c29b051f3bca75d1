import { parseTemplate } from "./parseTemplate.ts";
import type { StepDefinition, TaskTemplate } from "./taskTemplate.ts";
import { TemplateError } from "./templateError.ts";

/** The snake_case JSON stored in `named_tasks.configuration`: the YAML schema, fully defaulted. */
export interface TemplateConfiguration {
  name: string;
  namespace_name: string;
  version: string;
  description: string | null;
  input_schema: Record<string, unknown> | null;
  identity_strategy: string;
  lifecycle: Record<string, unknown> | null;
  steps: Array<Record<string, unknown>>;
}

function stepConfiguration(step: StepDefinition): Record<string, unknown> {
  return {
    name: step.name,
    description: step.description,
    handler: {
      callable: step.handler.callable,
      initialization: step.handler.initialization,
      ...(step.handler.method === null ? {} : { method: step.handler.method }),
      ...(step.handler.resolver === null ? {} : { resolver: step.handler.resolver }),
    },
    dependencies: step.dependencies,
    retry: {
      retryable: step.retry.retryable,
      max_attempts: step.retry.maxAttempts,
      backoff: step.retry.backoff,
      backoff_base_ms: step.retry.backoffBaseMs,
      max_backoff_ms: step.retry.maxBackoffMs,
    },
    timeout_seconds: step.timeoutSeconds,
    type: step.type,
    ...(step.batchConfig === null
      ? {}
      : {
          batch_config: {
            batch_size: step.batchConfig.batchSize,
            parallelism: step.batchConfig.parallelism,
            cursor_field: step.batchConfig.cursorField,
            worker_template: step.batchConfig.workerTemplate,
            failure_strategy: step.batchConfig.failureStrategy,
          },
        }),
    ...(step.publishesEvents.length === 0
      ? {}
      : {
          publishes_events: step.publishesEvents.map((e) => ({
            name: e.name,
            description: e.description,
            condition: e.condition,
            schema: e.schema,
            delivery_mode: e.deliveryMode,
            ...(e.publisher === null ? {} : { publisher: e.publisher }),
          })),
        }),
  };
}

/** Serializes a template for `named_tasks.configuration`. */
export function toTemplateConfiguration(template: TaskTemplate): TemplateConfiguration {
  const { lifecycle } = template;
  return {
    name: template.name,
    namespace_name: template.namespace,
    version: template.version,
    description: template.description,
    input_schema: template.inputSchema,
    identity_strategy: template.identityStrategy,
    lifecycle:
      lifecycle === null
        ? null
        : {
            max_duration_minutes: lifecycle.maxDurationMinutes,
            max_waiting_for_dependencies_minutes: lifecycle.maxWaitingForDependenciesMinutes,
            max_waiting_for_retry_minutes: lifecycle.maxWaitingForRetryMinutes,
            max_steps_in_process_minutes: lifecycle.maxStepsInProcessMinutes,
            staleness_action: lifecycle.stalenessAction,
            auto_fail_on_timeout: lifecycle.autoFailOnTimeout,
            auto_dlq_on_timeout: lifecycle.autoDlqOnTimeout,
          },
    steps: template.steps.map(stepConfiguration),
  };
}

/**
 * Reads `named_tasks.configuration` back into a template, with the same validation as a
 * YAML file (a row written by an older or foreign writer is checked, not trusted).
 * Accepts the JSON text or the already-decoded value. Throws `TemplateError`.
 */
export function templateFromConfiguration(configuration: unknown, label = "named_tasks.configuration"): TaskTemplate {
  let raw: unknown = configuration;
  if (typeof configuration === "string") {
    try {
      raw = JSON.parse(configuration);
    } catch (error) {
      throw new TemplateError([{ file: label, message: `is not valid JSON (${(error as Error).message})` }]);
    }
  }
  return parseTemplate(raw, { file: label, namespace: null });
}
