import type { Sql } from "postgres";

/**
 * A short text that changes whenever the task or any of its steps changes state, attempt or
 * checkpoint (and when steps are created): the dashboard's live view polls it. Undefined when
 * the task does not exist. One index scan of the task's steps.
 */
export async function taskChangeMark(sql: Sql, taskUuid: string): Promise<string | undefined> {
  const [row] = await sql<{ mark: string }[]>`
    SELECT t.state || '|' || t.transition_count || '|' || coalesce((
             SELECT string_agg(s.workflow_step_uuid::text || ':' || s.state || ':' || s.transition_count || ':' || s.attempts || ':' ||
                               coalesce(s.checkpoint ->> 'timestamp', ''), ',' ORDER BY s.workflow_step_uuid)
               FROM tasker.workflow_steps s WHERE s.task_uuid = t.task_uuid), '') AS mark
      FROM tasker.tasks t
     WHERE t.task_uuid = ${taskUuid}::uuid`;
  return row?.mark;
}
