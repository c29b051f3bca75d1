import { describe, expect, test } from "bun:test";
import {
  parseTemplate,
  templateFromConfiguration,
  TemplateError,
  toTemplateConfiguration,
} from "../../../src/templates/index.ts";

const template = parseTemplate(
  {
    name: "process_order",
    version: "1.2.3",
    description: "orders",
    input_schema: { type: "object", required: ["order_id"] },
    identity_strategy: "always_unique",
    lifecycle: { max_steps_in_process_minutes: 30, staleness_action: "error" },
    steps: [
      { name: "validate", handler: { callable: "validate_order", initialization: { nested: { a: [1, 2] } } } },
      {
        name: "charge",
        handler: { callable: "charge_card" },
        depends_on: ["validate"],
        retry: { max_attempts: 5, backoff: "linear", backoff_base_ms: 200, max_backoff_ms: 2000 },
        timeout_seconds: 10,
        step_type: "deferred_convergence",
      },
    ],
  },
  { file: "handlers/payments/process_order.yaml", namespace: "payments" },
);

describe("templateConfiguration", () => {
  test("serializes_to_fully_defaulted_snake_case_json", () => {
    const configuration = toTemplateConfiguration(template);
    expect(configuration.namespace_name).toBe("payments");
    expect(configuration.identity_strategy).toBe("always_unique");
    expect(configuration.steps[1]).toEqual({
      name: "charge",
      description: null,
      handler: { callable: "charge_card", initialization: {} },
      dependencies: ["validate"],
      retry: { retryable: true, max_attempts: 5, backoff: "linear", backoff_base_ms: 200, max_backoff_ms: 2000 },
      timeout_seconds: 10,
      type: "deferred_convergence",
    });
    expect(configuration.lifecycle).toMatchObject({ max_steps_in_process_minutes: 30, staleness_action: "error" });
  });

  test("round_trips_through_json_text_unchanged", () => {
    const text = JSON.stringify(toTemplateConfiguration(template));
    expect(templateFromConfiguration(text)).toEqual(template);
    expect(templateFromConfiguration(JSON.parse(text))).toEqual(template);
  });

  test("validates_configuration_read_from_the_database", () => {
    const broken = { ...toTemplateConfiguration(template), steps: [] };
    let caught: unknown;
    try {
      templateFromConfiguration(broken);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect((caught as Error).message).toBe("named_tasks.configuration: a template needs at least one step");
  });

  test("reports_json_that_does_not_parse_as_a_template_error", () => {
    expect(() => templateFromConfiguration("{not json")).toThrow(TemplateError);
  });
});
