import type { Sql } from "postgres";
import { toPascal } from "./dlq/dlqRepository.ts";

/** tasker-core's TaskSummaryResponse: the task, its template, its steps' errors, its DLQ status and links. */
export type TaskSummary = Record<string, unknown>;

export async function findTaskSummary(sql: Sql, taskUuid: string): Promise<TaskSummary | undefined> {
  const [row] = await sql<{ summary: TaskSummary }[]>`
    SELECT jsonb_build_object(
      'task', jsonb_build_object(
        'task_uuid', t.task_uuid, 'name', nt.name, 'namespace', ns.name, 'version', nt.version,
        'status', t.state, 'created_at', t.created_at, 'updated_at', t.updated_at, 'completed_at', t.completed_at,
        'initiator', t.initiator, 'source_system', t.source_system, 'reason', t.reason, 'priority', t.priority,
        'tags', t.tags, 'correlation_id', t.correlation_id, 'parent_correlation_id', t.parent_correlation_id,
        'total_steps', c.total_steps, 'pending_steps', c.pending_steps,
        'in_progress_steps', c.in_progress_steps + c.enqueued_steps, 'completed_steps', c.completed_steps,
        'failed_steps', c.failed_steps, 'ready_steps', c.ready_steps,
        'completion_percentage', c.completion_percentage, 'health_status', c.health_status,
        'execution_status', c.execution_status, 'recommended_action', c.recommended_action),
      'template', jsonb_build_object('name', nt.name, 'namespace', ns.name, 'version', nt.version,
                                     'description', nt.description),
      'steps', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                  'step_uuid', s.workflow_step_uuid, 'name', st.name, 'current_state', s.state,
                  'created_at', s.created_at, 'completed_at', s.processed_at, 'last_attempted_at', s.last_attempted_at,
                  'attempts', s.attempts, 'max_attempts', s.max_attempts,
                  'dependencies_satisfied', s.remaining_dependencies = 0,
                  'retry_eligible', s.attempts = 0 OR (s.retryable AND s.attempts < s.max_attempts),
                  'error', CASE WHEN s.results -> 'error' IS NULL OR jsonb_typeof(s.results -> 'error') <> 'object'
                                  OR s.state NOT IN ('error', 'waiting_for_retry', 'enqueued_as_error_for_orchestration')
                                THEN NULL
                                ELSE jsonb_build_object('error_type', s.results -> 'error' -> 'error_type',
                                                        'retryable', s.results -> 'error' -> 'retryable',
                                                        'message', s.results -> 'error' -> 'message') END)
                  ORDER BY s.position, s.workflow_step_uuid), '[]'::jsonb)
                  FROM tasker.workflow_steps s JOIN tasker.named_steps st USING (named_step_uuid)
                 WHERE s.task_uuid = t.task_uuid),
      'dlq', (SELECT jsonb_build_object('in_dlq', d.dlq_entry_uuid IS NOT NULL, 'dlq_reason', d.dlq_reason,
                                        'resolution_status', d.resolution_status)
                FROM (SELECT NULL) AS one
                LEFT JOIN LATERAL (SELECT * FROM tasker.tasks_dlq x WHERE x.task_uuid = t.task_uuid
                                    ORDER BY x.dlq_timestamp DESC LIMIT 1) d ON true),
      'links', jsonb_build_object('task', '/v1/tasks/' || t.task_uuid,
                                  'steps', '/v1/tasks/' || t.task_uuid || '/workflow_steps',
                                  'dlq', '/v1/dlq/task/' || t.task_uuid)) AS summary
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
      CROSS JOIN LATERAL tasker.task_execution_context(t.task_uuid) c
     WHERE t.task_uuid = ${taskUuid}::uuid`;
  if (!row) return undefined;
  const dlq = row.summary["dlq"] as { dlq_reason: string | null; resolution_status: string | null };
  return {
    ...row.summary,
    dlq: {
      ...dlq,
      dlq_reason: dlq.dlq_reason === null ? null : toPascal(dlq.dlq_reason),
      resolution_status: dlq.resolution_status === null ? null : toPascal(dlq.resolution_status),
    },
  };
}
