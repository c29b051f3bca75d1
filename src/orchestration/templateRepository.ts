import type { Sql } from "postgres";
import { TaskerError } from "../lib/errors.ts";
import type { TaskTemplate } from "../templates/taskTemplate.ts";
import { templateFromConfiguration } from "../templates/templateConfiguration.ts";

export interface RegisteredTemplate {
  namedTaskUuid: string;
  template: TaskTemplate;
}

export class TemplateNotFoundError extends TaskerError {
  constructor(namespace: string, name: string, version: string) {
    super("NOT_FOUND", `Task template not found: ${namespace}/${name}@${version} (no worker has registered it)`, {
      details: { namespace, name, version },
    });
  }
}

/**
 * Templates as the orchestration sees them: read from named_tasks (workers
 * register them), parsed and validated, cached for `ttlMs` so task creation does
 * not re-parse the template each time. A miss is never cached.
 */
export function createTemplateRepository(sql: Sql, ttlMs: number) {
  const cache = new Map<string, { at: number; value: RegisteredTemplate }>();
  return {
    async find(namespace: string, name: string, version: string): Promise<RegisteredTemplate> {
      const key = `${namespace}/${name}@${version}`;
      const hit = cache.get(key);
      if (hit && performance.now() - hit.at < ttlMs) return hit.value;
      const [row] = await sql<{ named_task_uuid: string; configuration: unknown }[]>`
        SELECT nt.named_task_uuid, nt.configuration
          FROM tasker.named_tasks nt
          JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
         WHERE ns.name = ${namespace} AND nt.name = ${name} AND nt.version = ${version}`;
      if (!row) throw new TemplateNotFoundError(namespace, name, version);
      const value = {
        namedTaskUuid: row.named_task_uuid,
        template: templateFromConfiguration(row.configuration, `template ${key}`),
      };
      cache.set(key, { at: performance.now(), value });
      return value;
    },
  };
}

export type TemplateRepository = ReturnType<typeof createTemplateRepository>;
