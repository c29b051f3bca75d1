import type { Sql } from "postgres";
import { TaskerError } from "../lib/errors.ts";
import type { Permission } from "../lib/permissions.ts";
import { findTemplate, listTemplates } from "../orchestration/templateQueries.ts";
import { defineRoute, type ApiRoute } from "./apiRoute.ts";
import {
  TemplateDetailSchema,
  TemplateListQuerySchema,
  TemplateListResponseSchema,
  TemplateParamsSchema,
} from "./schemas/templateSchemas.ts";

export interface TemplateRoutesDeps {
  sql: Sql;
  /** A worker lists only its own namespaces; undefined = every registered template. */
  namespaces: () => readonly string[] | undefined;
  /** `templates:read` on the orchestration, `worker:templates_read` on a worker. */
  permission: Permission;
}

/** /v1/templates: registered templates (tasker.named_tasks). */
export function createTemplateRoutes(deps: TemplateRoutesDeps): ApiRoute[] {
  const { sql } = deps;
  return [
    defineRoute(
      {
        method: "get",
        path: "/v1/templates",
        operationId: "listTemplates",
        summary: "Registered templates and their namespaces",
        tag: "templates",
        permission: deps.permission,
        query: TemplateListQuerySchema,
        responses: { 200: { description: "Templates", schema: TemplateListResponseSchema } },
      },
      async ({ query, c }) => c.json(await listTemplates(sql, { namespace: query.namespace, namespaces: deps.namespaces() })),
    ),
    defineRoute(
      {
        method: "get",
        path: "/v1/templates/{namespace}/{name}/{version}",
        operationId: "getTemplate",
        summary: "One template with its configuration and steps",
        tag: "templates",
        permission: deps.permission,
        params: TemplateParamsSchema,
        responses: { 200: { description: "The template", schema: TemplateDetailSchema }, 404: { description: "No such template" } },
      },
      async ({ params, c }) => {
        const detail = await findTemplate(sql, params.namespace, params.name, params.version, deps.namespaces());
        if (!detail) {
          throw new TaskerError("NOT_FOUND", `Task template not found: ${params.namespace}/${params.name}@${params.version}`);
        }
        return c.json(detail);
      },
    ),
  ];
}
