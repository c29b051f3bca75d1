import { describe, expect, test } from "bun:test";
import { findDependencyCycle, parseTemplate, TemplateError } from "../../../src/templates/index.ts";

const FILE = "handlers/payments/process_order.yaml";

type RawStep = Record<string, unknown>;
const step = (name: string, dependencies: string[] = [], extra: RawStep = {}): RawStep => ({
  name,
  handler: { callable: name },
  dependencies,
  ...extra,
});

function messagesOf(steps: RawStep[], top: Record<string, unknown> = {}): string[] {
  try {
    parseTemplate({ name: "process_order", version: "1.0.0", steps, ...top }, { file: FILE, namespace: "payments" });
  } catch (error) {
    if (error instanceof TemplateError) return error.message.split("\n").map((l) => l.trim()).filter((l) => !l.endsWith("problems:"));
    throw error;
  }
  throw new Error("template was accepted");
}

describe("validateTemplate", () => {
  test("names_file_step_and_unknown_dependency", () => {
    expect(messagesOf([step("charge_card", ["validate"])])).toEqual([
      `${FILE}: step "charge_card": depends on unknown step "validate"`,
    ]);
  });

  test("rejects_a_step_that_depends_on_itself", () => {
    expect(messagesOf([step("a", ["a"])])).toEqual([`${FILE}: step "a": depends on itself`]);
  });

  test("rejects_duplicate_step_names", () => {
    expect(messagesOf([step("a"), step("a")])).toEqual([`${FILE}: step "a": step name is used by 2 steps`]);
  });

  test("rejects_a_dependency_listed_twice", () => {
    expect(messagesOf([step("a"), step("b", ["a", "a"])])).toEqual([
      `${FILE}: step "b": lists dependency "a" more than once`,
    ]);
  });

  test("names_the_path_of_a_dependency_cycle", () => {
    expect(messagesOf([step("start"), step("a", ["start", "c"]), step("b", ["a"]), step("c", ["b"])])).toEqual([
      `${FILE}: step "a": dependency cycle: a -> c -> b -> a`,
    ]);
  });

  test("requires_at_least_one_step", () => {
    expect(messagesOf([])).toEqual([`${FILE}: a template needs at least one step`]);
  });

  test("rejects_names_that_are_not_lowercase_identifiers", () => {
    const messages = messagesOf([step("Charge-Card")], { name: "ProcessOrder" });
    expect(messages).toHaveLength(2);
    expect(messages[0]).toStartWith(`${FILE}: template name "ProcessOrder" must match ^[a-z_][a-z0-9_]*$`);
    expect(messages[1]).toStartWith(`${FILE}: step "Charge-Card": step name "Charge-Card" must match ^[a-z_][a-z0-9_]*$`);
  });

  test("limits_template_names_to_64_and_step_names_to_128_characters", () => {
    expect(messagesOf([step("a")], { name: "t".repeat(65) })[0]).toContain("longer than 64 characters");
    expect(messagesOf([step("s".repeat(129))])[0]).toContain("longer than 128 characters");
    expect(() =>
      parseTemplate({ name: "t".repeat(64), version: "1.0.0", steps: [step("s".repeat(128))] }, { file: FILE, namespace: "payments" }),
    ).not.toThrow();
  });

  test("requires_a_major_minor_patch_version", () => {
    expect(messagesOf([step("a")], { version: "1.0" })).toEqual([
      `${FILE}: version "1.0" must look like 1.0.0 (major.minor.patch)`,
    ]);
  });

  test("rejects_a_callable_that_is_an_absolute_or_bare_path", () => {
    for (const callable of ["/etc/evil", "handlers/evil", "a b", ".hidden/x"]) {
      const messages = messagesOf([{ name: "a", handler: { callable } }]);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toStartWith(`${FILE}: step "a": handler.callable "${callable}" must be a file, export or handler name`);
    }
    // tasker-core's class_lookup module paths (./x.js, ../x.js) pass here; the resolver keeps them
    // inside the handlers folder (test/unit/worker/handlerResolver.test.ts).
  });

  test("requires_a_dependency_on_a_decision_step", () => {
    expect(messagesOf([step("route", [], { type: "decision" })])).toEqual([
      `${FILE}: step "route": a decision step needs at least one dependency`,
    ]);
  });

  test("requires_batch_config_and_an_analyzer_on_a_batch_worker_step", () => {
    expect(messagesOf([step("rows", [], { type: "batch_worker" })])).toEqual([
      `${FILE}: step "rows": a batch_worker step needs batch_config`,
      `${FILE}: step "rows": a batch_worker step must depend on the batchable step that analyzes its batches`,
    ]);
    const template = parseTemplate(
      {
        name: "process_order",
        version: "1.0.0",
        steps: [
          step("analyze", [], { type: "batchable" }),
          step("rows", ["analyze"], { type: "batch_worker", batch_config: { cursor_field: "row", failure_strategy: "fail_fast" } }),
        ],
      },
      { file: FILE, namespace: "payments" },
    );
    expect(template.steps[1]?.batchConfig).toEqual({
      batchSize: 1000,
      parallelism: 10,
      cursorField: "row",
      workerTemplate: null,
      failureStrategy: "fail_fast",
    });
  });

  test("rejects_a_max_backoff_below_the_base", () => {
    expect(messagesOf([step("a", [], { retry: { backoff_base_ms: 5000, max_backoff_ms: 1000 } })])).toEqual([
      `${FILE}: step "a": retry.max_backoff_ms (1000) is less than retry.backoff_base_ms (5000)`,
    ]);
  });

  test("reports_every_problem_of_a_file_at_once", () => {
    const messages = messagesOf([step("a", ["missing"]), step("b", ["b"])], { version: "x" });
    expect(messages).toEqual([
      `${FILE}: version "x" must look like 1.0.0 (major.minor.patch)`,
      `${FILE}: step "a": depends on unknown step "missing"`,
      `${FILE}: step "b": depends on itself`,
    ]);
  });
});

describe("findDependencyCycle", () => {
  test("returns_null_for_a_diamond", () => {
    const steps = [
      { name: "start", dependencies: [] },
      { name: "b", dependencies: ["start"] },
      { name: "c", dependencies: ["start"] },
      { name: "end", dependencies: ["b", "c"] },
    ];
    expect(findDependencyCycle(steps)).toBeNull();
  });

  test("returns_a_closed_path_for_a_two_step_cycle", () => {
    expect(findDependencyCycle([{ name: "a", dependencies: ["b"] }, { name: "b", dependencies: ["a"] }])).toEqual(["a", "b", "a"]);
  });
});
