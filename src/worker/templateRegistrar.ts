import type { Sql } from "postgres";
import type { TaskTemplate } from "../templates/taskTemplate.ts";
import { toTemplateConfiguration } from "../templates/templateConfiguration.ts";

/**
 * Upserts templates into the database by (namespace, name, version): the
 * orchestration reads templates only from there. Returns each template's
 * named_task_uuid by `name@version`.
 */
export async function registerTemplates(sql: Sql, templates: readonly TaskTemplate[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const template of templates) {
    const configuration = toTemplateConfiguration(template);
    const [row] = await sql<{ named_task_uuid: string }[]>`
      WITH ns AS (
        INSERT INTO tasker.task_namespaces (name, description)
        VALUES (${template.namespace}, ${`Namespace ${template.namespace}`})
        ON CONFLICT (name) DO UPDATE SET updated_at = tasker.task_namespaces.updated_at
        RETURNING task_namespace_uuid
      )
      INSERT INTO tasker.named_tasks (task_namespace_uuid, name, version, description, configuration, identity_strategy)
      SELECT ns.task_namespace_uuid, ${template.name}, ${template.version}, ${template.description?.slice(0, 255) ?? null},
             ${sql.json(configuration as never)}::jsonb, ${template.identityStrategy}
        FROM ns
      ON CONFLICT (task_namespace_uuid, name, version) DO UPDATE
        SET description = EXCLUDED.description,
            configuration = EXCLUDED.configuration,
            identity_strategy = EXCLUDED.identity_strategy,
            updated_at = clock_timestamp()
        WHERE tasker.named_tasks.configuration IS DISTINCT FROM EXCLUDED.configuration
           OR tasker.named_tasks.identity_strategy IS DISTINCT FROM EXCLUDED.identity_strategy
           OR tasker.named_tasks.description IS DISTINCT FROM EXCLUDED.description
      RETURNING named_task_uuid`;
    let id = row?.named_task_uuid;
    if (!id) {
      // Unchanged: the conditional upsert returned nothing.
      const [existing] = await sql<{ named_task_uuid: string }[]>`
        SELECT nt.named_task_uuid FROM tasker.named_tasks nt
          JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
         WHERE ns.name = ${template.namespace} AND nt.name = ${template.name} AND nt.version = ${template.version}`;
      id = existing?.named_task_uuid;
    }
    if (id) ids.set(`${template.name}@${template.version}`, id);
  }
  return ids;
}
