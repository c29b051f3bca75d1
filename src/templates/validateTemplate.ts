import { ValidationError } from "../lib/errors.ts";
import { assertName, MAX_NAMESPACE_LENGTH } from "../lib/names.ts";
import { findDependencyCycle } from "./findDependencyCycle.ts";
import { compileInputSchema } from "./validateTaskContext.ts";
import { TEMPLATE_LIMITS, type StepDefinition, type TaskTemplate } from "./taskTemplate.ts";
import type { TemplateIssue } from "./templateError.ts";

/** A domain event's name: `payment.processed`. */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
export const VERSION_PATTERN = /^\d+\.\d+\.\d+$/;
/**
 * A callable names a file (without extension), an export or a handler class's `handlerName` in the
 * namespace folder, or (tasker-core's `class_lookup`) a module path relative to it: `./x.js`, `../x.js`.
 */
export const CALLABLE_PATTERN = /^([A-Za-z0-9_$][A-Za-z0-9_$.-]*|(\.\.?\/|@[\w-]+\/)[A-Za-z0-9_$./@-]+)$/;

function nameProblem(kind: string, value: string, maxLength: number): string | null {
  try {
    assertName(kind, value, maxLength);
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
}

function stepIssues(
  step: StepDefinition,
  known: ReadonlySet<string>,
  batchables: ReadonlySet<string>,
  file: string,
): TemplateIssue[] {
  const problems: string[] = [];
  const name = nameProblem("step name", step.name, TEMPLATE_LIMITS.stepNameLength);
  if (name) problems.push(name);
  if (step.description !== null && step.description.length > TEMPLATE_LIMITS.descriptionLength) {
    problems.push(`description is longer than ${TEMPLATE_LIMITS.descriptionLength} characters`);
  }
  const { callable } = step.handler;
  if (callable.length === 0 || callable.length > TEMPLATE_LIMITS.callableLength || !CALLABLE_PATTERN.test(callable)) {
    problems.push(
      `handler.callable "${callable.slice(0, 80)}" must be a file, export or handler name (letters, digits, _ $ . -) or a module path starting ./ or ../ (up to ${TEMPLATE_LIMITS.callableLength} characters)`,
    );
  }
  const seen = new Set<string>();
  for (const dependency of step.dependencies) {
    if (seen.has(dependency)) problems.push(`lists dependency "${dependency}" more than once`);
    seen.add(dependency);
    if (dependency === step.name) problems.push("depends on itself");
    else if (!known.has(dependency)) problems.push(`depends on unknown step "${dependency}"`);
  }
  if (step.type === "decision" && step.dependencies.length === 0) {
    problems.push("a decision step needs at least one dependency");
  }
  if (step.type === "batch_worker") {
    if (step.batchConfig === null) problems.push("a batch_worker step needs batch_config");
    if (!step.dependencies.some((name) => batchables.has(name))) {
      problems.push("a batch_worker step must depend on the batchable step that analyzes its batches");
    }
  }
  for (const event of step.publishesEvents) {
    if (!EVENT_NAME_PATTERN.test(event.name)) {
      problems.push(`publishes_events: "${event.name.slice(0, 80)}" is not an event name (letters, digits, _ and -, dot-separated, e.g. payment.processed)`);
    }
    if (event.schema !== null) {
      const problem = compileInputSchema(event.schema).problem;
      if (problem !== null) problems.push(`publishes_events: "${event.name}" schema: ${problem}`);
    }
  }
  if (step.retry.maxBackoffMs < step.retry.backoffBaseMs) {
    problems.push(
      `retry.max_backoff_ms (${step.retry.maxBackoffMs}) is less than retry.backoff_base_ms (${step.retry.backoffBaseMs})`,
    );
  }
  return problems.map((message) => ({ file, step: step.name, message }));
}

/** The checks valibot cannot express: names, version, unique steps, dependencies, cycles. */
export function validateTemplate(template: TaskTemplate, file: string): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const add = (message: string): void => {
    issues.push({ file, message });
  };

  const name = nameProblem("template name", template.name, TEMPLATE_LIMITS.templateNameLength);
  if (name) add(name);
  const namespace = nameProblem("namespace", template.namespace, MAX_NAMESPACE_LENGTH);
  if (namespace) add(namespace);
  if (!VERSION_PATTERN.test(template.version) || template.version.length > TEMPLATE_LIMITS.versionLength) {
    add(`version "${template.version.slice(0, 40)}" must look like 1.0.0 (major.minor.patch)`);
  }
  if (template.description !== null && template.description.length > TEMPLATE_LIMITS.descriptionLength) {
    add(`description is longer than ${TEMPLATE_LIMITS.descriptionLength} characters`);
  }
  if (template.steps.length === 0) add("a template needs at least one step");

  const counts = new Map<string, number>();
  for (const step of template.steps) counts.set(step.name, (counts.get(step.name) ?? 0) + 1);
  const known = new Set(counts.keys());
  for (const [stepName, count] of counts) {
    if (count > 1) issues.push({ file, step: stepName, message: `step name is used by ${count} steps` });
  }
  const batchables = new Set(template.steps.filter((s) => s.type === "batchable").map((s) => s.name));
  for (const step of template.steps) issues.push(...stepIssues(step, known, batchables, file));

  const cycle = findDependencyCycle(template.steps);
  if (cycle && cycle.length > 2) {
    // A self-dependency (length 2) is already reported as "depends on itself".
    issues.push({ file, step: cycle[0], message: `dependency cycle: ${cycle.join(" -> ")}` });
  }
  return issues;
}
