import * as v from "valibot";

const nullableText = v.nullable(v.string());

export const TemplateListQuerySchema = v.object({
  namespace: v.optional(v.pipe(v.string(), v.description("Only templates of this namespace"))),
});

export const TemplateListResponseSchema = v.object({
  namespaces: v.array(v.object({ name: v.string(), description: nullableText, template_count: v.number() })),
  templates: v.array(
    v.object({ name: v.string(), namespace: v.string(), version: v.string(), description: nullableText, step_count: v.number() }),
  ),
  total_count: v.number(),
});

const segment = (what: string) => v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.description(what));

export const TemplateParamsSchema = v.object({
  namespace: segment("Namespace"),
  name: segment("Template name"),
  version: segment("Version, e.g. 1.0.0"),
});

export const TemplateDetailSchema = v.object({
  name: v.string(),
  namespace: v.string(),
  version: v.string(),
  description: nullableText,
  configuration: v.record(v.string(), v.unknown()),
  steps: v.array(
    v.object({ name: v.string(), description: nullableText, default_retryable: v.boolean(), default_max_attempts: v.number() }),
  ),
});
