import type { Sql } from "postgres";

/** tasker-core's StepResponse: the step, its stored result and its readiness fields. */
export interface StepResponse {
  step_uuid: string;
  task_uuid: string;
  name: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  results: unknown;
  current_state: string;
  dependencies_satisfied: boolean;
  retry_eligible: boolean;
  ready_for_execution: boolean;
  total_parents: number;
  completed_parents: number;
  attempts: number;
  max_attempts: number;
  retryable: boolean;
  last_failure_at: string | null;
  next_retry_at: string | null;
  last_attempted_at: string | null;
}

export interface StepAuditRecord {
  audit_uuid: string;
  workflow_step_uuid: string;
  transition_uuid: string;
  task_uuid: string;
  step_name: string;
  recorded_at: string;
  worker_uuid: string | null;
  correlation_id: string | null;
  attempt: number;
  success: boolean;
  execution_time_ms: number | null;
  from_state: string | null;
  to_state: string;
  result: unknown;
}

/** The steps of a task in template order, or undefined when the task does not exist. */
export async function listSteps(sql: Sql, taskUuid: string, stepUuid: string | null = null): Promise<StepResponse[] | undefined> {
  const rows = await sql<{ task_exists: boolean; step: StepResponse | null }[]>`
    SELECT true AS task_exists,
           CASE WHEN s.workflow_step_uuid IS NULL THEN NULL ELSE jsonb_build_object(
             'step_uuid', s.workflow_step_uuid, 'task_uuid', s.task_uuid, 'name', st.name,
             'created_at', s.created_at, 'updated_at', s.updated_at, 'completed_at', s.processed_at,
             'results', s.results, 'current_state', s.state,
             'dependencies_satisfied', s.remaining_dependencies = 0,
             'retry_eligible', s.attempts = 0 OR (s.retryable AND s.attempts < s.max_attempts),
             'ready_for_execution', tasker.step_is_ready(s.state, s.remaining_dependencies, s.attempts,
                                                         s.max_attempts, s.retryable, s.next_retry_at),
             'total_parents', p.total, 'completed_parents', p.total - s.remaining_dependencies,
             'attempts', s.attempts, 'max_attempts', s.max_attempts, 'retryable', s.retryable,
             'last_failure_at', (SELECT max(tr.created_at) FROM tasker.workflow_step_transitions tr
                                  WHERE tr.workflow_step_uuid = s.workflow_step_uuid
                                    AND tr.to_state = 'enqueued_as_error_for_orchestration'),
             'next_retry_at', s.next_retry_at, 'last_attempted_at', s.last_attempted_at) END AS step
      FROM tasker.tasks t
      LEFT JOIN tasker.workflow_steps s
             ON s.task_uuid = t.task_uuid AND (${stepUuid}::uuid IS NULL OR s.workflow_step_uuid = ${stepUuid}::uuid)
      LEFT JOIN tasker.named_steps st ON st.named_step_uuid = s.named_step_uuid
      LEFT JOIN LATERAL (SELECT count(*)::int AS total FROM tasker.workflow_step_edges e
                          WHERE e.to_step_uuid = s.workflow_step_uuid) p ON true
     WHERE t.task_uuid = ${taskUuid}::uuid
     ORDER BY s.position, s.workflow_step_uuid`;
  if (rows.length === 0) return undefined;
  return rows.flatMap((r) => (r.step ? [r.step] : []));
}

/** One step of a task: `task` when the task is unknown, `step` when the step is not in this task. */
export async function findStep(sql: Sql, taskUuid: string, stepUuid: string): Promise<StepResponse | "task" | "step"> {
  const steps = await listSteps(sql, taskUuid, stepUuid);
  if (!steps) return "task";
  return steps[0] ?? "step";
}

/** The result audit trail of a step, newest first. */
export async function stepAudit(sql: Sql, taskUuid: string, stepUuid: string): Promise<StepAuditRecord[]> {
  const rows = await sql<{ record: StepAuditRecord }[]>`
    SELECT jsonb_build_object(
             'audit_uuid', a.workflow_step_result_audit_uuid, 'workflow_step_uuid', a.workflow_step_uuid,
             'transition_uuid', a.workflow_step_transition_uuid, 'task_uuid', a.task_uuid, 'step_name', st.name,
             'recorded_at', a.recorded_at, 'worker_uuid', a.worker_uuid, 'correlation_id', a.correlation_id,
             'attempt', a.attempt, 'success', a.success, 'execution_time_ms', a.execution_time_ms,
             'from_state', tr.from_state, 'to_state', tr.to_state, 'result', tr.metadata) AS record
      FROM tasker.workflow_step_result_audit a
      JOIN tasker.workflow_steps s ON s.workflow_step_uuid = a.workflow_step_uuid
      JOIN tasker.named_steps st ON st.named_step_uuid = s.named_step_uuid
      JOIN tasker.workflow_step_transitions tr ON tr.workflow_step_transition_uuid = a.workflow_step_transition_uuid
     WHERE a.task_uuid = ${taskUuid}::uuid AND a.workflow_step_uuid = ${stepUuid}::uuid
     ORDER BY a.recorded_at DESC, a.workflow_step_result_audit_uuid DESC`;
  return rows.map((r) => r.record);
}
