import type { Sql } from "postgres";

/** A durable domain event of a task, as its queue holds it. */
export interface TaskEvent {
  msg_id: number;
  enqueued_at: string;
  /** Read and archived by a consumer (false: still in the queue). */
  archived: boolean;
  envelope: Record<string, unknown>;
}

/**
 * The task's most recent durable domain events (at most `limit`, newest first), from its
 * namespace's `<namespace>_domain_events` queue and that queue's archive; undefined when there is
 * no such task. Events deleted by their consumers are gone.
 */
export async function findTaskEvents(sql: Sql, taskUuid: string, limit = 100): Promise<TaskEvent[] | undefined> {
  const [task] = await sql<{ namespace: string }[]>`
    SELECT ns.name AS namespace FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
     WHERE t.task_uuid = ${taskUuid}::uuid`;
  if (!task) return undefined;
  // The namespace is a validated name (a CHECK on task_namespaces), so the table names are safe.
  const queue = `${task.namespace}_domain_events`;
  const [exists] = await sql`SELECT 1 FROM pgmq.meta WHERE queue_name = ${queue}`;
  if (!exists) return [];
  return sql<TaskEvent[]>`
    SELECT * FROM (
      SELECT msg_id::float8 AS msg_id, enqueued_at, false AS archived, message AS envelope FROM ${sql("pgmq")}.${sql(`q_${queue}`)}
       WHERE message #>> '{metadata,task_uuid}' = ${taskUuid}
      UNION ALL
      SELECT msg_id::float8 AS msg_id, enqueued_at, true AS archived, message AS envelope FROM ${sql("pgmq")}.${sql(`a_${queue}`)}
       WHERE message #>> '{metadata,task_uuid}' = ${taskUuid}
    ) events
    ORDER BY msg_id DESC
    LIMIT ${limit}`;
}
