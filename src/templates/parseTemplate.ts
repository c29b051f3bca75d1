import * as v from "valibot";
import { applyEnvironment } from "./applyEnvironment.ts";
import { foldStepAliases } from "./foldStepAliases.ts";
import type { StepDefinition, TaskLifecycle, TaskTemplate } from "./taskTemplate.ts";
import { TemplateError, type TemplateIssue } from "./templateError.ts";
import { rawTemplateSchema, type RawStep, type RawTemplate } from "./templateSchema.ts";
import { validateTemplate } from "./validateTemplate.ts";
import { compileInputSchema } from "./validateTaskContext.ts";

export interface TemplateSource {
  /** How errors name the input: a file path, or `named_tasks.configuration`. */
  file: string;
  /**
   * The namespace folder the file is in. `namespace_name` defaults to it and must match
   * it when given. Null when there is no folder (database JSON): `namespace_name` is required.
   */
  namespace: string | null;
  /** The running environment (`TASKER_ENV`): its `environments` overlay applies. None: no overlay. */
  environment?: string;
}

export interface TemplateCheck {
  template: TaskTemplate | null;
  issues: TemplateIssue[];
}

const NOT_A_MAP = "a template must be a map of keys (name, version, steps, ...)";

function stepLabel(raw: unknown, index: number): string {
  const steps = (raw as { steps?: unknown } | null)?.steps;
  const step: unknown = Array.isArray(steps) ? steps[index] : undefined;
  const name = (step as { name?: unknown } | null | undefined)?.name;
  return typeof name === "string" && name.length > 0 ? name : `#${index + 1}`;
}

function schemaIssue(issue: v.BaseIssue<unknown>, raw: unknown, file: string): TemplateIssue {
  const keys = (issue.path ?? []).map((item) => item.key as string | number);
  const missing = issue.received === "undefined";
  const problem = missing ? "is required" : issue.message;
  if (keys[0] === "steps" && typeof keys[1] === "number") {
    const field = keys.slice(2).join(".");
    return { file, step: stepLabel(raw, keys[1]), message: field ? `${field}: ${problem}` : problem };
  }
  const field = keys.join(".");
  return { file, message: field ? `${field}: ${problem}` : problem };
}

function toLifecycle(raw: NonNullable<RawTemplate["lifecycle"]>): TaskLifecycle {
  return {
    maxDurationMinutes: raw.max_duration_minutes,
    maxWaitingForDependenciesMinutes: raw.max_waiting_for_dependencies_minutes,
    maxWaitingForRetryMinutes: raw.max_waiting_for_retry_minutes,
    maxStepsInProcessMinutes: raw.max_steps_in_process_minutes,
    stalenessAction: raw.staleness_action,
    autoFailOnTimeout: raw.auto_fail_on_timeout,
    autoDlqOnTimeout: raw.auto_dlq_on_timeout,
  };
}

function toStep(raw: RawStep): StepDefinition {
  return {
    name: raw.name,
    description: raw.description,
    handler: {
      callable: raw.handler.callable,
      initialization: raw.handler.initialization,
      method: raw.handler.method,
      resolver: raw.handler.resolver,
    },
    dependencies: raw.dependencies,
    retry: {
      retryable: raw.retry.retryable,
      maxAttempts: raw.retry.max_attempts,
      backoff: raw.retry.backoff,
      backoffBaseMs: raw.retry.backoff_base_ms,
      maxBackoffMs: raw.retry.max_backoff_ms,
    },
    timeoutSeconds: raw.timeout_seconds,
    type: raw.type,
    batchConfig:
      raw.batch_config === null
        ? null
        : {
            batchSize: raw.batch_config.batch_size,
            parallelism: raw.batch_config.parallelism,
            cursorField: raw.batch_config.cursor_field,
            workerTemplate: raw.batch_config.worker_template,
            failureStrategy: raw.batch_config.failure_strategy,
          },
    publishesEvents: raw.publishes_events.map((event) => ({
      name: event.name,
      description: event.description,
      condition: event.condition,
      schema: event.schema,
      deliveryMode: event.delivery_mode,
      publisher: event.publisher,
    })),
  };
}

/** Validates one template document (already parsed from YAML or JSON) and returns every issue. */
export function checkTemplate(raw: unknown, source: TemplateSource): TemplateCheck {
  const { file } = source;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { template: null, issues: [{ file, message: NOT_A_MAP }] };
  }
  const issues: TemplateIssue[] = [];
  const folded = applyEnvironment(foldStepAliases(raw, file, issues), source.environment, file, issues);
  const parsed = v.safeParse(rawTemplateSchema, folded);
  if (!parsed.success) {
    issues.push(...parsed.issues.map((issue) => schemaIssue(issue, raw, file)));
    return { template: null, issues };
  }
  const doc = parsed.output;

  let namespace = doc.namespace_name ?? source.namespace;
  if (source.namespace !== null && doc.namespace_name !== null && doc.namespace_name !== source.namespace) {
    issues.push({
      file,
      message: `namespace_name "${doc.namespace_name}" does not match its folder "${source.namespace}"`,
    });
    namespace = source.namespace;
  }
  if (namespace === null) {
    issues.push({ file, message: "namespace_name: is required" });
    return { template: null, issues };
  }

  const template: TaskTemplate = {
    name: doc.name,
    namespace,
    version: doc.version,
    description: doc.description,
    inputSchema: doc.input_schema,
    identityStrategy: doc.identity_strategy,
    lifecycle: doc.lifecycle === null ? null : toLifecycle(doc.lifecycle),
    steps: doc.steps.map(toStep),
  };
  issues.push(...validateTemplate(template, file));
  if (template.inputSchema !== null) {
    const problem = compileInputSchema(template.inputSchema).problem;
    if (problem !== null) issues.push({ file, message: `input_schema: ${problem}` });
  }
  return { template: issues.length === 0 ? template : null, issues };
}

/** Like `checkTemplate`, but returns the template or throws a `TemplateError` with every issue. */
export function parseTemplate(raw: unknown, source: TemplateSource): TaskTemplate {
  const { template, issues } = checkTemplate(raw, source);
  if (template === null) throw new TemplateError(issues);
  return template;
}
