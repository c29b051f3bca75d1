/**
 * The example handlers shipped in `handlers/`: every template validates, every callable
 * resolves, and each workflow computes the values its YAML description documents when its
 * steps run in dependency order (in-process; the engine itself is tested end to end).
 */
import { asNativeHandler } from "../../../src/sdk/compat/toNativeHandler.ts";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PermanentError, RetryableError, type StepContext, type StepHandler } from "../../../src/sdk/index.ts";
import { silentLogger } from "../../../src/telemetry/logger.ts";
import type { TaskTemplate } from "../../../src/templates/index.ts";
import { validateTaskContext } from "../../../src/templates/index.ts";
import { loadNamespaces, type LoadedNamespace } from "../../../src/worker/loadNamespaces.ts";

const HANDLERS_DIR = join(import.meta.dir, "../../../handlers");
const loaded = await loadNamespaces(HANDLERS_DIR);

function namespace(name: string): LoadedNamespace {
  const found = loaded.find((n) => n.namespace === name);
  if (!found) throw new Error(`namespace ${name} not shipped`);
  return found;
}

function templateOf(ns: LoadedNamespace, name: string): TaskTemplate {
  const found = ns.templates.find((t) => t.template.name === name);
  if (!found) throw new Error(`template ${name} not shipped`);
  return found.template;
}

function contextFor(
  template: TaskTemplate,
  stepName: string,
  context: Record<string, unknown>,
  results: Record<string, unknown>,
  attempt = 1,
  signal: AbortSignal = new AbortController().signal,
): StepContext {
  const noopSpan: StepContext["span"] = {
    setAttribute() {
      return this;
    },
    addEvent() {
      return this;
    },
    isRecording: () => false,
  };
  const step = template.steps.find((s) => s.name === stepName);
  if (!step) throw new Error(`no step ${stepName}`);
  return {
    task: { uuid: "t", namespace: template.namespace, name: template.name, version: template.version, context, correlationId: "c", parentCorrelationId: null },
    context,
    step: {
      uuid: "s",
      name: step.name,
      templateStepName: step.name,
      attempt,
      maxAttempts: step.retry.maxAttempts,
      inputs: step.handler.initialization,
      checkpoint: null,
    },
    dependencyResults: results,
    getDependencyResult<T>(name: string): T {
      if (!(name in results)) throw new Error(`${name} is not a completed ancestor`);
      return results[name] as T;
    },
    signal,
    log: silentLogger,
    span: noopSpan,
    trace: async (_name, fn) => fn(noopSpan),
    checkpoint: () => Promise.reject(new Error("no checkpoints in this test")),
    yield: () => {
      throw new Error("no yields in this test");
    },
  };
}

function handlerFor(ns: LoadedNamespace, template: TaskTemplate, stepName: string): StepHandler {
  const step = template.steps.find((s) => s.name === stepName);
  const handler = step && ns.handlers.get(step.handler.callable);
  if (!handler) throw new Error(`no handler for ${stepName}`);
  return asNativeHandler(handler, step.handler.method);
}

/** Runs every step in dependency order; each step sees only its transitive ancestors' results. */
async function runWorkflow(namespaceName: string, templateName: string, context: Record<string, unknown>) {
  const ns = namespace(namespaceName);
  const template = templateOf(ns, templateName);
  expect(validateTaskContext(template, context)).toEqual([]);
  const ancestors = new Map<string, Set<string>>();
  const results: Record<string, unknown> = {};
  const pending = [...template.steps];
  while (pending.length > 0) {
    const index = pending.findIndex((s) => s.dependencies.every((d) => d in results));
    const [step] = pending.splice(index, 1);
    if (!step || index < 0) throw new Error("no runnable step");
    const own = new Set(step.dependencies.flatMap((d) => [d, ...(ancestors.get(d) ?? [])]));
    ancestors.set(step.name, own);
    const visible = Object.fromEntries([...own].map((name) => [name, results[name]]));
    results[step.name] = await handlerFor(ns, template, step.name)(contextFor(template, step.name, context, visible));
  }
  return results;
}

describe("shipped handlers", () => {
  test("load_cleanly_with_every_callable_resolved", () => {
    expect(loaded.map((n) => n.namespace)).toEqual([
      "conditional_approval",
      "csv_batch",
      "diamond_workflow",
      "linear_workflow",
      "mixed_dag_workflow",
      "retry_examples",
      "tree_workflow",
    ]);
    for (const ns of loaded) {
      for (const { template } of ns.templates) {
        for (const step of template.steps) expect(ns.handlers.has(step.handler.callable)).toBe(true);
      }
    }
  });

  test("linear_workflow_computes_6_36_46_138_69", async () => {
    const results = await runWorkflow("linear_workflow", "mathematical_sequence", { even_number: 6 });
    expect(results).toEqual({
      linear_step_1: { value: 36 },
      linear_step_2: { value: 46 },
      linear_step_3: { value: 138 },
      linear_step_4: { value: 69 },
    });
  });

  test("math_templates_reject_an_odd_or_missing_even_number_naming_the_field", () => {
    const template = templateOf(namespace("linear_workflow"), "mathematical_sequence");
    expect(validateTaskContext(template, { even_number: 7 }).map((e) => e.field)).toEqual(["even_number"]);
    expect(validateTaskContext(template, {}).map((e) => e.field)).toEqual(["even_number"]);
    expect(validateTaskContext(template, { even_number: 102 }).map((e) => e.field)).toEqual(["even_number"]);
  });

  test("diamond_workflow_ends_with_the_average_66_5", async () => {
    const results = await runWorkflow("diamond_workflow", "parallel_computation", { even_number: 6 });
    expect(results).toEqual({
      diamond_start: { value: 36 },
      diamond_branch_b: { value: 61 },
      diamond_branch_c: { value: 72 },
      diamond_end: { value: 66.5 },
    });
  });

  test("tree_workflow_converges_to_329", async () => {
    const results = await runWorkflow("tree_workflow", "hierarchical_tree", { even_number: 6 });
    expect(results).toEqual({
      root: { value: 36 },
      branch_left: { value: 72 },
      branch_right: { value: 40 },
      leaf_d: { value: 73 },
      leaf_e: { value: 216 },
      leaf_f: { value: 30 },
      leaf_g: { value: 10 },
      final_convergence: { value: 329 },
    });
  });

  test("mixed_dag_workflow_finalizes_to_292", async () => {
    const results = await runWorkflow("mixed_dag_workflow", "complex_dag", { even_number: 6 });
    expect(results).toEqual({
      init: { value: 36 },
      process_left: { value: 46 },
      process_right: { value: 72 },
      validate: { value: 118 },
      transform: { value: 138 },
      analyze: { value: 36 },
      finalize: { value: 292 },
    });
  });

  test("fail_twice_then_succeed_fails_retryably_until_attempt_3", async () => {
    const ns = namespace("retry_examples");
    const template = templateOf(ns, "fail_twice_then_succeed");
    expect(template.steps[0]?.retry).toMatchObject({ maxAttempts: 5, backoffBaseMs: 50 });
    const handler = handlerFor(ns, template, "fail_twice_then_succeed");
    for (const attempt of [1, 2]) {
      expect(() => handler(contextFor(template, "fail_twice_then_succeed", {}, {}, attempt))).toThrow(RetryableError);
    }
    expect(await handler(contextFor(template, "fail_twice_then_succeed", {}, {}, 3))).toEqual({ attempts: 3 });
  });

  test("always_fail_throws_a_retryable_error_with_three_attempts_allowed", () => {
    const ns = namespace("retry_examples");
    const template = templateOf(ns, "always_fail");
    expect(template.steps[0]?.retry.maxAttempts).toBe(3);
    const handler = handlerFor(ns, template, "always_fail");
    expect(() => handler(contextFor(template, "always_fail", {}, {}, 3))).toThrow(RetryableError);
  });

  test("permanent_failure_throws_a_permanent_error_before_its_dependent", () => {
    const ns = namespace("retry_examples");
    const template = templateOf(ns, "permanent_failure");
    expect(template.steps.map((s) => [s.name, s.dependencies])).toEqual([
      ["reject_order", []],
      ["ship_order", ["reject_order"]],
    ]);
    let thrown: unknown;
    try {
      void handlerFor(ns, template, "reject_order")(contextFor(template, "reject_order", {}, {}));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as PermanentError).retryable).toBe(false);
  });

  test("slow_step_hangs_until_aborted_on_attempt_1_and_returns_at_once_on_attempt_2", async () => {
    const ns = namespace("retry_examples");
    const template = templateOf(ns, "slow_step");
    expect(template.steps[0]?.timeoutSeconds).toBe(1);
    const handler = handlerFor(ns, template, "slow_step");
    const controller = new AbortController();
    const first = Promise.resolve(handler(contextFor(template, "slow_step", {}, {}, 1, controller.signal)));
    let settled = false;
    void first.then(() => (settled = true), () => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    controller.abort(new Error("step timed out"));
    expect(await first.then(() => "resolved", (error: Error) => error.message)).toBe("step timed out");
    expect(await handler(contextFor(template, "slow_step", {}, {}, 2))).toEqual({ attempts: 2 });
  });
});
