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
  /** Count at most this many matching tasks (`countCapped` says when there are more); none: count them all. */
  countCap?: number | undefined;
}

export interface TaskListPage {
  tasks: TaskResponse[];
  totalCount: number;
  /** More than `countCap` tasks match; `totalCount` is the cap. */
  countCapped: boolean;
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

/**
 * One page of tasks, newest first, with their real states and step counts (`steps` is empty in
 * lists). The page walks `tasks_created_at_idx` and stops at the page; the count is a query of
 * its own, capped by `countCap` when given (the dashboard's "10,000+"), so a page stays cheap
 * however many tasks match.
 */
export async function listTasks(sql: Sql, filter: TaskListFilter): Promise<TaskListPage> {
  const offset = (filter.page - 1) * filter.perPage;
  const page = sql<{ task: TaskResponse }[]>`
    WITH matching AS (
      SELECT t.task_uuid, t.created_at
        FROM tasker.tasks t
        JOIN tasker.named_tasks nt USING (named_task_uuid)
        JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
       WHERE ${matches(sql, filter)}
       ORDER BY t.created_at DESC, t.task_uuid DESC
       LIMIT ${filter.perPage}::int OFFSET ${offset}::int)
    SELECT jsonb_build_object(${taskResponseFields(sql)}, 'steps', '[]'::jsonb) AS task
      FROM matching m
      JOIN tasker.tasks t USING (task_uuid)
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
      CROSS JOIN LATERAL tasker.task_execution_context(t.task_uuid) c
     ORDER BY m.created_at DESC, m.task_uuid DESC`;
  const cap = filter.countCap ?? null;
  const count = sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT 1
        FROM tasker.tasks t
        JOIN tasker.named_tasks nt USING (named_task_uuid)
        JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
       WHERE ${matches(sql, filter)}
       LIMIT ${cap === null ? null : cap + 1}::bigint) matching`;
  const [rows, [counted]] = await Promise.all([page, count]);
  const n = counted?.n ?? 0;
  const countCapped = cap !== null && n > cap;
  return { tasks: rows.map((r) => r.task), totalCount: countCapped ? cap : n, countCapped };
}
