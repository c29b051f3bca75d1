import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { TaskTemplate } from "./taskTemplate.ts";
import { TemplateError } from "./templateError.ts";

/** One reason a task context does not satisfy its template's `input_schema`, for a 400 naming the field. */
export interface ContextFieldError {
  /** Dotted path inside the context (`even_number`, `order.items.0.sku`), or `context` for the whole object. */
  field: string;
  message: string;
}

interface CompiledInputSchema {
  validate: ValidateFunction | null;
  problem: string | null;
}

type AjvKind = "draft07" | "draft2019" | "draft2020";
const validators = new Map<AjvKind, Ajv>();
const compiled = new Map<string, CompiledInputSchema>();
const MAX_CACHED_SCHEMAS = 256;

function ajvFor(schema: Record<string, unknown>): Ajv {
  const dialect = typeof schema["$schema"] === "string" ? schema["$schema"] : "";
  const kind: AjvKind = dialect.includes("2020-12") ? "draft2020" : dialect.includes("2019-09") ? "draft2019" : "draft07";
  let ajv = validators.get(kind);
  if (!ajv) {
    // strict: false tolerates the annotation keywords templates carry (examples, x-*); logger: false keeps stdout clean.
    const options = { allErrors: true, strict: false, logger: false as const };
    ajv = kind === "draft2020" ? new Ajv2020(options) : kind === "draft2019" ? new Ajv2019(options) : new Ajv(options);
    addFormats(ajv);
    validators.set(kind, ajv);
  }
  return ajv;
}

/** Compiles (and caches by content) a template's `input_schema`; `problem` explains a schema that is not valid. */
export function compileInputSchema(schema: Record<string, unknown>): CompiledInputSchema {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return cached;
  let result: CompiledInputSchema;
  try {
    result = { validate: ajvFor(schema).compile(schema), problem: null };
  } catch (error) {
    result = { validate: null, problem: error instanceof Error ? error.message : String(error) };
  }
  if (compiled.size >= MAX_CACHED_SCHEMAS) {
    const oldest = compiled.keys().next();
    if (!oldest.done) compiled.delete(oldest.value);
  }
  compiled.set(key, result);
  return result;
}

function pointerToField(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function toFieldError(error: ErrorObject): ContextFieldError {
  const path = pointerToField(error.instancePath);
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? "is invalid";
  if (error.keyword === "required" || error.keyword === "dependencies" || error.keyword === "dependentRequired") {
    path.push(String(params["missingProperty"]));
    message = "is required";
  } else if (error.keyword === "additionalProperties" || error.keyword === "unevaluatedProperties") {
    path.push(String(params["additionalProperty"] ?? params["unevaluatedProperty"]));
    message = "is not allowed";
  } else if (error.keyword === "propertyNames") {
    path.push(String(params["propertyName"]));
  }
  const field = path.length === 0 ? "context" : path.join(".");
  return { field, message: `${field} ${message}` };
}

/**
 * Checks a task context against the template's `input_schema` (JSON Schema; draft-07 by
 * default, 2019-09 / 2020-12 when `$schema` says so; formats from ajv-formats). Returns an
 * empty list when the context is acceptable. The context must be a JSON object either way.
 */
export function validateTaskContext(
  template: Pick<TaskTemplate, "inputSchema" | "namespace" | "name" | "version">,
  context: unknown,
): ContextFieldError[] {
  if (typeof context !== "object" || context === null || Array.isArray(context)) {
    return [{ field: "context", message: "context must be a JSON object" }];
  }
  if (template.inputSchema === null) return [];
  const { validate, problem } = compileInputSchema(template.inputSchema);
  if (!validate) {
    const file = `template ${template.namespace}/${template.name}@${template.version}`;
    throw new TemplateError([{ file, message: `input_schema: ${problem ?? "does not compile"}` }]);
  }
  if (validate(context)) return [];
  const seen = new Set<string>();
  const errors: ContextFieldError[] = [];
  for (const error of validate.errors ?? []) {
    const fieldError = toFieldError(error);
    const key = `${fieldError.field}\u0000${fieldError.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(fieldError);
  }
  return errors;
}
