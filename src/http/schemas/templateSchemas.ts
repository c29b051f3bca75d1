import * as v from "valibot";
import { name, namespaceName, semanticVersion } from "./commonSchemas.ts";

const nullableText = v.nullable(v.string());

export const TemplateListQuerySchema = v.object({
  namespace: v.optional(namespaceName("Only templates of this namespace")),
});

export const TemplateListResponseSchema = v.object({
  namespaces: v.array(v.object({ name: v.string(), description: nullableText, template_count: v.number() })),
  templates: v.array(
    v.object({ name: v.string(), namespace: v.string(), version: v.string(), description: nullableText, step_count: v.number() }),
  ),
  total_count: v.number(),
});

export const TemplateParamsSchema = v.object({
  namespace: namespaceName(),
  name: name("Template name"),
  version: semanticVersion,
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
