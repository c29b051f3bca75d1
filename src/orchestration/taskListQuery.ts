import type { Sql } from "postgres";
import type { TaskResponse } from "./taskQueries.ts";

export interface TaskListFilter {
  page: number;
  perPage: number;
  namespace?: string | undefined;
  state?: string | undefined;
  initiator?: string | undefined;
  sourceSystem?: string | undefined;
}

export interface TaskListPage {
  tasks: TaskResponse[];
  totalCount: number;
}

/** One page of tasks, newest first, with their real states and step counts (`steps` is empty in lists). */
export async function listTasks(sql: Sql, filter: TaskListFilter): Promise<TaskListPage> {
  const namespace = filter.namespace ?? null;
  const state = filter.state ?? null;
  const initiator = filter.initiator ?? null;
  const sourceSystem = filter.sourceSystem ?? null;
  const offset = (filter.page - 1) * filter.perPage;
  const rows = await sql<{ task: TaskResponse; total_count: number }[]>`
    WITH matching AS (
      SELECT t.task_uuid, t.created_at, nt.name, nt.version, ns.name AS namespace, count(*) OVER () AS total_count
        FROM tasker.tasks t
        JOIN tasker.named_tasks nt USING (named_task_uuid)
        JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
       WHERE (${namespace}::text IS NULL OR ns.name = ${namespace}::text)
         AND (${state}::text IS NULL OR t.state = ${state}::text)
         AND (${initiator}::text IS NULL OR t.initiator = ${initiator}::text)
         AND (${sourceSystem}::text IS NULL OR t.source_system = ${sourceSystem}::text)
       ORDER BY t.created_at DESC, t.task_uuid DESC
       LIMIT ${filter.perPage}::int OFFSET ${offset}::int)
    SELECT jsonb_build_object(
             'task_uuid', t.task_uuid, 'name', m.name, 'namespace', m.namespace, 'version', m.version,
             'status', t.state, 'created_at', t.created_at, 'updated_at', t.updated_at,
             'completed_at', t.completed_at, 'context', t.context, 'initiator', t.initiator,
             'source_system', t.source_system, 'reason', t.reason, 'priority', t.priority, 'tags', t.tags,
             'correlation_id', t.correlation_id, 'parent_correlation_id', t.parent_correlation_id,
             'total_steps', c.total_steps, 'pending_steps', c.pending_steps,
             'in_progress_steps', c.in_progress_steps + c.enqueued_steps, 'completed_steps', c.completed_steps,
             'failed_steps', c.failed_steps, 'ready_steps', c.ready_steps,
             'execution_status', c.execution_status, 'recommended_action', c.recommended_action,
             'completion_percentage', c.completion_percentage, 'health_status', c.health_status,
             'steps', '[]'::jsonb) AS task,
           m.total_count::int AS total_count
      FROM matching m
      JOIN tasker.tasks t USING (task_uuid)
      CROSS JOIN LATERAL tasker.task_execution_context(t.task_uuid) c
     ORDER BY m.created_at DESC, m.task_uuid DESC`;
  if (rows.length > 0) return { tasks: rows.map((r) => r.task), totalCount: rows[0]!.total_count };
  if (offset === 0) return { tasks: [], totalCount: 0 };
  // A page past the end still reports the real total.
  const [count] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
     WHERE (${namespace}::text IS NULL OR ns.name = ${namespace}::text)
       AND (${state}::text IS NULL OR t.state = ${state}::text)
       AND (${initiator}::text IS NULL OR t.initiator = ${initiator}::text)
       AND (${sourceSystem}::text IS NULL OR t.source_system = ${sourceSystem}::text)`;
  return { tasks: [], totalCount: count?.n ?? 0 };
}
