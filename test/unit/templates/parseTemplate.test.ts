import { describe, expect, test } from "bun:test";
import { parseTemplate, TemplateError, type TaskTemplate } from "../../../src/templates/index.ts";

const FILE = "handlers/payments/process_order.yaml";
const parse = (raw: unknown, namespace: string | null = "payments"): TaskTemplate =>
  parseTemplate(raw, { file: FILE, namespace });

function issuesOf(raw: unknown, namespace: string | null = "payments"): string[] {
  try {
    parse(raw, namespace);
  } catch (error) {
    if (error instanceof TemplateError) {
      return error.issues.map((i) => (i.step === undefined ? `${i.file}: ${i.message}` : `${i.file}: step "${i.step}": ${i.message}`));
    }
    throw error;
  }
  throw new Error("template was accepted");
}

const minimal = { name: "process_order", version: "1.0.0", steps: [{ name: "charge_card", handler: { callable: "charge_card" } }] };

describe("parseTemplate", () => {
  test("fills_every_default_for_a_minimal_template", () => {
    expect(parse(minimal)).toEqual({
      name: "process_order",
      namespace: "payments",
      version: "1.0.0",
      description: null,
      inputSchema: null,
      identityStrategy: "strict",
      lifecycle: null,
      steps: [
        {
          name: "charge_card",
          description: null,
          handler: { callable: "charge_card", initialization: {}, method: null, resolver: null },
          dependencies: [],
          retry: { retryable: true, maxAttempts: 3, backoff: "exponential", backoffBaseMs: 1000, maxBackoffMs: 30_000 },
          timeoutSeconds: null,
          type: "standard",
          batchConfig: null,
          publishesEvents: [],
        },
      ],
    });
  });

  test("reads_every_documented_key_in_camel_case", () => {
    const template = parse({
      name: "process_order",
      namespace_name: "payments",
      version: "2.10.3",
      description: "charge and ship",
      input_schema: { type: "object" },
      identity_strategy: "caller_provided",
      lifecycle: { max_duration_minutes: 60, max_waiting_for_retry_minutes: 5, auto_fail_on_timeout: true },
      steps: [
        { name: "validate", handler: { callable: "validate_order", initialization: { strict: true } } },
        {
          name: "charge_card",
          description: "charges",
          handler: { callable: "charge_card" },
          dependencies: ["validate"],
          retry: { retryable: false, max_attempts: 0, backoff: "fibonacci", backoff_base_ms: 50, max_backoff_ms: 500 },
          timeout_seconds: 5,
          type: "batchable",
        },
      ],
    });
    expect(template.description).toBe("charge and ship");
    expect(template.inputSchema).toEqual({ type: "object" });
    expect(template.identityStrategy).toBe("caller_provided");
    expect(template.lifecycle).toEqual({
      maxDurationMinutes: 60,
      maxWaitingForDependenciesMinutes: null,
      maxWaitingForRetryMinutes: 5,
      maxStepsInProcessMinutes: null,
      stalenessAction: "dlq",
      autoFailOnTimeout: true,
      autoDlqOnTimeout: null,
    });
    expect(template.steps[0]?.handler.initialization).toEqual({ strict: true });
    expect(template.steps[1]).toEqual({
      name: "charge_card",
      description: "charges",
      handler: { callable: "charge_card", initialization: {}, method: null, resolver: null },
      dependencies: ["validate"],
      retry: { retryable: false, maxAttempts: 0, backoff: "fibonacci", backoffBaseMs: 50, maxBackoffMs: 500 },
      timeoutSeconds: 5,
      type: "batchable",
      batchConfig: null,
      publishesEvents: [],
    });
  });

  test("defaults_each_missing_retry_key_separately", () => {
    const template = parse({ ...minimal, steps: [{ name: "a", handler: { callable: "a" }, retry: { max_attempts: 5 } }] });
    expect(template.steps[0]?.retry).toEqual({
      retryable: true,
      maxAttempts: 5,
      backoff: "exponential",
      backoffBaseMs: 1000,
      maxBackoffMs: 30_000,
    });
  });

  test("accepts_depends_on_and_step_type_as_aliases", () => {
    const template = parse({
      ...minimal,
      steps: [
        { name: "a", handler: { callable: "a" } },
        { name: "b", handler: { callable: "b" }, depends_on: ["a"], step_type: "decision" },
      ],
    });
    expect(template.steps[1]?.dependencies).toEqual(["a"]);
    expect(template.steps[1]?.type).toBe("decision");
  });

  test("rejects_a_step_that_gives_both_an_alias_and_its_key", () => {
    const raw = {
      ...minimal,
      steps: [
        { name: "a", handler: { callable: "a" } },
        { name: "b", handler: { callable: "b" }, depends_on: ["a"], dependencies: ["a"] },
      ],
    };
    expect(issuesOf(raw)).toEqual([`${FILE}: step "b": give either dependencies or depends_on, not both`]);
  });

  test("ignores_unknown_keys_at_every_level", () => {
    const template = parse({
      ...minimal,
      metadata: { author: "x" },
      environments: { test: {} },
      steps: [
        { name: "charge_card", handler: { callable: "charge_card", extra: "x" }, publishes_events: [], retry: { jitter: true } },
      ],
    });
    expect(template).toEqual(parse(minimal));
    // tasker-core's handler.method and handler.resolver are kept (method dispatch, resolver hints).
    const dispatched = parse({ ...minimal, steps: [{ name: "a", handler: { callable: "A.Handler", method: "validate", resolver: "explicit_mapping" } }] });
    expect(dispatched.steps[0]?.handler).toEqual({ callable: "A.Handler", initialization: {}, method: "validate", resolver: "explicit_mapping" });
    expect(Object.keys(template)).not.toContain("metadata");
  });

  test("treats_null_values_as_absent", () => {
    const template = parse({
      ...minimal,
      description: null,
      steps: [{ name: "a", handler: { callable: "a", initialization: null }, dependencies: null, retry: null }],
    });
    expect(template.steps[0]?.handler.initialization).toEqual({});
    expect(template.steps[0]?.dependencies).toEqual([]);
    expect(template.steps[0]?.retry.maxAttempts).toBe(3);
  });

  test("defaults_the_namespace_to_the_folder_and_accepts_a_matching_namespace_name", () => {
    expect(parse(minimal).namespace).toBe("payments");
    expect(parse({ ...minimal, namespace_name: "payments" }).namespace).toBe("payments");
  });

  test("rejects_a_namespace_name_that_differs_from_the_folder", () => {
    expect(issuesOf({ ...minimal, namespace_name: "billing" })).toEqual([
      `${FILE}: namespace_name "billing" does not match its folder "payments"`,
    ]);
  });

  test("requires_namespace_name_when_there_is_no_folder", () => {
    expect(issuesOf(minimal, null)).toEqual([`${FILE}: namespace_name: is required`]);
    expect(parse({ ...minimal, namespace_name: "billing" }, null).namespace).toBe("billing");
  });

  test("names_the_file_step_and_field_of_a_wrong_type_or_range", () => {
    const raw = {
      ...minimal,
      steps: [
        { name: "charge_card", handler: { callable: "charge_card" }, retry: { max_attempts: 101, backoff: "random" } },
        { name: "ship", handler: { callable: "ship", initialization: [1] }, timeout_seconds: 0, type: "fancy" },
      ],
    };
    expect(issuesOf(raw)).toEqual([
      `${FILE}: step "charge_card": retry.max_attempts: must be an integer from 0 to 100`,
      `${FILE}: step "charge_card": retry.backoff: must be one of none, linear, exponential, fibonacci`,
      `${FILE}: step "ship": handler.initialization: must be a map`,
      `${FILE}: step "ship": timeout_seconds: must be an integer from 1 to 86400`,
      `${FILE}: step "ship": type: must be one of standard, decision, deferred_convergence, batchable, batch_worker`,
    ]);
  });

  test("reports_missing_required_keys", () => {
    expect(issuesOf({ steps: [{ name: "a" }] })).toEqual([
      `${FILE}: name: is required`,
      `${FILE}: version: is required`,
      `${FILE}: step "a": handler: is required`,
    ]);
  });

  test("labels_an_unnamed_step_by_its_position", () => {
    expect(issuesOf({ ...minimal, steps: [{ handler: { callable: "a" } }] })).toEqual([`${FILE}: step "#1": name: is required`]);
  });

  test("rejects_a_document_that_is_not_a_map", () => {
    expect(issuesOf(["a"])).toEqual([`${FILE}: a template must be a map of keys (name, version, steps, ...)`]);
    expect(issuesOf(null)).toHaveLength(1);
  });

  test("rejects_an_unquoted_numeric_version", () => {
    expect(issuesOf({ ...minimal, version: 1.5 })).toEqual([`${FILE}: version: must be a string like "1.0.0" (quote it in YAML)`]);
  });

  test("rejects_an_input_schema_that_is_not_valid_json_schema", () => {
    const issues = issuesOf({ ...minimal, input_schema: { type: "nope" } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toStartWith(`${FILE}: input_schema: schema is invalid`);
  });

  test("throws_a_template_error_with_code_template_invalid", () => {
    let caught: unknown;
    try {
      parse({ ...minimal, steps: [] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect((caught as TemplateError).code).toBe("TEMPLATE_INVALID");
    expect((caught as TemplateError).message).toBe(`${FILE}: a template needs at least one step`);
  });
});

describe("environments overlays (tasker-core)", () => {
  const withOverlays = {
    name: "process_order",
    version: "1.0.0",
    steps: [
      { name: "charge_card", handler: { callable: "charge_card", initialization: { gateway: "live", retries: 1 } }, retry: { max_attempts: 5, backoff_base_ms: 50 } },
      { name: "email", dependencies: ["charge_card"], handler: { callable: "email" }, timeout_seconds: 300 },
    ],
    environments: {
      test: {
        steps: [
          { name: "ALL", timeout_seconds: 10, retry: { max_attempts: 2 } },
          { name: "charge_card", handler: { initialization: { gateway: "sandbox" } }, retry: { retryable: false } },
        ],
      },
      production: { steps: [{ name: "email", timeout_seconds: 60 }] },
    },
  };
  const inEnv = (environment: string | undefined, raw: unknown = withOverlays) =>
    parseTemplate(raw, { file: FILE, namespace: "payments", ...(environment ? { environment } : {}) });

  test("the_running_environment_overlays_timeouts_retry_and_initialization_in_order", () => {
    const [charge, email] = inEnv("test").steps;
    expect(charge!.timeoutSeconds).toBe(10);
    expect(charge!.retry).toMatchObject({ maxAttempts: 2, backoffBaseMs: 50, retryable: false });
    expect(charge!.handler.initialization).toEqual({ gateway: "sandbox", retries: 1 });
    expect(email!.timeoutSeconds).toBe(10);
    expect(email!.retry.maxAttempts).toBe(2);
  });

  test("another_environment_or_none_leaves_the_steps_as_written_except_its_own_overlay", () => {
    const [charge, email] = inEnv(undefined).steps;
    expect(charge!.retry.maxAttempts).toBe(5);
    expect(charge!.handler.initialization).toEqual({ gateway: "live", retries: 1 });
    expect(email!.timeoutSeconds).toBe(300);
    expect(inEnv("production").steps[1]!.timeoutSeconds).toBe(60);
    expect(inEnv("development").steps[1]!.timeoutSeconds).toBe(300);
  });

  test("an_overlay_naming_no_step_or_of_the_wrong_shape_is_an_issue_in_any_environment", () => {
    const broken = {
      ...minimal,
      environments: { production: { steps: [{ name: "charge_crad", timeout_seconds: 5 }, { timeout_seconds: 5 }, { name: "ALL", retry: 3 }] }, staging: "x" },
    };
    expect(issuesOf(broken)).toEqual([
      `${FILE}: environments.production.steps[0]: no step is named "charge_crad"`,
      `${FILE}: environments.production.steps[1]: must be a map with a step name (or ALL)`,
      `${FILE}: environments.production.steps[2].retry: must be a map`,
      `${FILE}: environments.staging: must be a map with steps`,
    ]);
  });

  test("an_overlaid_value_out_of_range_is_reported_like_the_step_s_own", () => {
    const bad = { ...minimal, environments: { test: { steps: [{ name: "ALL", retry: { max_attempts: 1000 } }] } } };
    expect(() => inEnv("test", bad)).toThrow("max_attempts");
  });
});
