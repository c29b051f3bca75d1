import type { Sql } from "postgres";

export interface TemplateList {
  namespaces: Array<{ name: string; description: string | null; template_count: number }>;
  templates: Array<{ name: string; namespace: string; version: string; description: string | null; step_count: number }>;
  total_count: number;
}

export interface TemplateDetail {
  name: string;
  namespace: string;
  version: string;
  description: string | null;
  configuration: Record<string, unknown>;
  steps: Array<{ name: string; description: string | null; default_retryable: boolean; default_max_attempts: number }>;
}

/**
 * Registered templates (tasker.named_tasks) with their namespaces. `namespaces`
 * limits the listing (a worker shows only its own); `namespace` is the query filter.
 */
export async function listTemplates(sql: Sql, filter: { namespace?: string | undefined; namespaces?: readonly string[] | undefined }): Promise<TemplateList> {
  const namespace = filter.namespace ?? null;
  const allowed = filter.namespaces ? [...filter.namespaces] : null;
  const templates = await sql<TemplateList["templates"]>`
    SELECT nt.name, ns.name AS namespace, nt.version, nt.description,
           coalesce(jsonb_array_length(nt.configuration -> 'steps'), 0)::int AS step_count
      FROM tasker.named_tasks nt JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
     WHERE (${namespace}::text IS NULL OR ns.name = ${namespace}::text)
       AND (${allowed}::text[] IS NULL OR ns.name = ANY(${allowed}::text[]))
     ORDER BY ns.name, nt.name, nt.version`;
  const namespaces = await sql<TemplateList["namespaces"]>`
    SELECT ns.name, ns.description, count(nt.named_task_uuid)::int AS template_count
      FROM tasker.task_namespaces ns LEFT JOIN tasker.named_tasks nt USING (task_namespace_uuid)
     WHERE (${namespace}::text IS NULL OR ns.name = ${namespace}::text)
       AND (${allowed}::text[] IS NULL OR ns.name = ANY(${allowed}::text[]))
     GROUP BY ns.task_namespace_uuid, ns.name, ns.description
     ORDER BY ns.name`;
  return { namespaces: [...namespaces], templates: [...templates], total_count: templates.length };
}

/** One registered template with its stored configuration, or undefined. */
export async function findTemplate(
  sql: Sql,
  namespace: string,
  name: string,
  version: string,
  namespaces?: readonly string[],
): Promise<TemplateDetail | undefined> {
  if (namespaces && !namespaces.includes(namespace)) return undefined;
  const [row] = await sql<{ detail: TemplateDetail }[]>`
    SELECT jsonb_build_object(
             'name', nt.name, 'namespace', ns.name, 'version', nt.version, 'description', nt.description,
             'configuration', nt.configuration,
             'steps', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                'name', s ->> 'name', 'description', s -> 'description',
                                'default_retryable', coalesce((s -> 'retry' ->> 'retryable')::boolean, true),
                                'default_max_attempts', coalesce((s -> 'retry' ->> 'max_attempts')::int, 3))
                              ORDER BY ord), '[]'::jsonb)
                         FROM jsonb_array_elements(nt.configuration -> 'steps') WITH ORDINALITY AS e(s, ord))) AS detail
      FROM tasker.named_tasks nt JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
     WHERE ns.name = ${namespace} AND nt.name = ${name} AND nt.version = ${version}`;
  return row?.detail;
}
