import type { Sql } from "postgres";
import { taskResponseFields, type TaskResponse } from "./taskQueries.ts";

export interface TaskListFilter {
  page: number;
  perPage: number;
  namespace?: string | undefined;
  state?: string | undefined;
  initiator?: string | undefined;
  sourceSystem?: string | undefined;
  /** The template's name. */
  name?: string | undefined;
  /** Tasks whose `tags` include this one. */
  tag?: string | undefined;
  /** Created at or after / before this instant. */
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  /** A task uuid or a correlation id. */
  uuid?: string | undefined;
}

export interface TaskListPage {
  tasks: TaskResponse[];
  totalCount: number;
}

/** The filter's conditions over t (tasks), nt (named_tasks) and ns (task_namespaces); an absent field matches every task. */
function matches(sql: Sql, filter: TaskListFilter) {
  const namespace = filter.namespace ?? null;
  const state = filter.state ?? null;
  const initiator = filter.initiator ?? null;
  const sourceSystem = filter.sourceSystem ?? null;
  const name = filter.name ?? null;
  const tag = filter.tag ?? null;
  const createdAfter = filter.createdAfter ?? null;
  const createdBefore = filter.createdBefore ?? null;
  const uuid = filter.uuid ?? null;
  return sql`(${namespace}::text IS NULL OR ns.name = ${namespace}::text)
         AND (${state}::text IS NULL OR t.state = ${state}::text)
         AND (${initiator}::text IS NULL OR t.initiator = ${initiator}::text)
         AND (${sourceSystem}::text IS NULL OR t.source_system = ${sourceSystem}::text)
         AND (${name}::text IS NULL OR nt.name = ${name}::text)
         AND (${tag}::text IS NULL OR t.tags @> jsonb_build_array(${tag}::text))
         AND (${createdAfter}::timestamptz IS NULL OR t.created_at >= ${createdAfter}::timestamptz)
         AND (${createdBefore}::timestamptz IS NULL OR t.created_at < ${createdBefore}::timestamptz)
         AND (${uuid}::uuid IS NULL OR t.task_uuid = ${uuid}::uuid OR t.correlation_id = ${uuid}::uuid)`;
}

/** One page of tasks, newest first, with their real states and step counts (`steps` is empty in lists). */
export async function listTasks(sql: Sql, filter: TaskListFilter): Promise<TaskListPage> {
  const offset = (filter.page - 1) * filter.perPage;
  const rows = await sql<{ task: TaskResponse; total_count: number }[]>`
    WITH matching AS (
      SELECT t.task_uuid, t.created_at, count(*) OVER () AS total_count
        FROM tasker.tasks t
        JOIN tasker.named_tasks nt USING (named_task_uuid)
        JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
       WHERE ${matches(sql, filter)}
       ORDER BY t.created_at DESC, t.task_uuid DESC
       LIMIT ${filter.perPage}::int OFFSET ${offset}::int)
    SELECT jsonb_build_object(${taskResponseFields(sql)}, 'steps', '[]'::jsonb) AS task,
           m.total_count::int AS total_count
      FROM matching m
      JOIN tasker.tasks t USING (task_uuid)
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
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
     WHERE ${matches(sql, filter)}`;
  return { tasks: [], totalCount: count?.n ?? 0 };
}
