import { describe, expect, test } from "bun:test";
import { parseTemplate, validateTaskContext } from "../../../src/templates/index.ts";

const withSchema = (inputSchema: Record<string, unknown> | undefined) =>
  parseTemplate(
    { name: "sequence", version: "1.0.0", input_schema: inputSchema, steps: [{ name: "a", handler: { callable: "a" } }] },
    { file: "t.yaml", namespace: "math" },
  );

const evenNumber = withSchema({
  type: "object",
  required: ["even_number"],
  properties: { even_number: { type: "integer", minimum: 2, maximum: 100 } },
});

describe("validateTaskContext", () => {
  test("accepts_a_context_that_satisfies_the_schema", () => {
    expect(validateTaskContext(evenNumber, { even_number: 6, extra: true })).toEqual([]);
  });

  test("names_a_missing_required_field", () => {
    expect(validateTaskContext(evenNumber, {})).toEqual([{ field: "even_number", message: "even_number is required" }]);
  });

  test("names_a_field_out_of_range_or_of_the_wrong_type", () => {
    expect(validateTaskContext(evenNumber, { even_number: 1 })).toEqual([
      { field: "even_number", message: "even_number must be >= 2" },
    ]);
    expect(validateTaskContext(evenNumber, { even_number: "six" })).toEqual([
      { field: "even_number", message: "even_number must be integer" },
    ]);
  });

  test("names_nested_fields_with_a_dotted_path_and_reports_all_of_them", () => {
    const template = withSchema({
      type: "object",
      additionalProperties: false,
      properties: {
        order: { type: "object", properties: { items: { type: "array", items: { type: "object", required: ["sku"] } } } },
        email: { type: "string", format: "email" },
      },
    });
    expect(validateTaskContext(template, { order: { items: [{ sku: "a" }, {}] }, email: "nope", stray: 1 })).toEqual([
      { field: "stray", message: "stray is not allowed" },
      { field: "order.items.1.sku", message: "order.items.1.sku is required" },
      { field: "email", message: 'email must match format "email"' },
    ]);
  });

  test("requires_the_context_to_be_a_json_object", () => {
    const error = [{ field: "context", message: "context must be a JSON object" }];
    expect(validateTaskContext(evenNumber, [6])).toEqual(error);
    expect(validateTaskContext(evenNumber, null)).toEqual(error);
    expect(validateTaskContext(withSchema(undefined), "text")).toEqual(error);
  });

  test("accepts_any_object_when_the_template_has_no_schema", () => {
    expect(validateTaskContext(withSchema(undefined), { anything: [1, 2] })).toEqual([]);
  });

  test("understands_draft_2020_12_schemas", () => {
    const template = withSchema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { tags: { type: "array", prefixItems: [{ type: "string" }] } },
    });
    expect(validateTaskContext(template, { tags: ["a"] })).toEqual([]);
    expect(validateTaskContext(template, { tags: [1] })).toEqual([{ field: "tags.0", message: "tags.0 must be string" }]);
  });
});
