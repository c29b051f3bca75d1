import type { Sql } from "postgres";

export interface StepTransition {
  from_state: string | null;
  to_state: string;
  created_at: string;
  metadata: unknown;
}

/** What an operator inspects on one step: its inputs, result, retry policy, checkpoint and full history. */
export interface StepDetail {
  step_uuid: string;
  task_uuid: string;
  name: string;
  state: string;
  state_entered_at: string;
  attempts: number;
  max_attempts: number;
  retryable: boolean;
  backoff: string;
  backoff_base_ms: number;
  max_backoff_ms: number;
  timeout_seconds: number | null;
  next_retry_at: string | null;
  last_attempted_at: string | null;
  processed_at: string | null;
  inputs: unknown;
  results: unknown;
  checkpoint: unknown;
  created_by: string | null;
  /** Oldest first. */
  transitions: StepTransition[];
}

/** One step of a task with its transition history; undefined when the step is not in that task. */
export async function findStepDetail(sql: Sql, taskUuid: string, stepUuid: string): Promise<StepDetail | undefined> {
  const [row] = await sql<{ detail: StepDetail }[]>`
    SELECT jsonb_build_object(
             'step_uuid', s.workflow_step_uuid, 'task_uuid', s.task_uuid, 'name', st.name, 'state', s.state,
             'state_entered_at', s.state_entered_at, 'attempts', s.attempts, 'max_attempts', s.max_attempts,
             'retryable', s.retryable, 'backoff', s.backoff, 'backoff_base_ms', s.backoff_base_ms,
             'max_backoff_ms', s.max_backoff_ms, 'timeout_seconds', s.timeout_seconds,
             'next_retry_at', s.next_retry_at, 'last_attempted_at', s.last_attempted_at, 'processed_at', s.processed_at,
             'inputs', s.inputs, 'results', s.results, 'checkpoint', s.checkpoint,
             'created_by', (SELECT cst.name FROM tasker.workflow_steps cs
                              JOIN tasker.named_steps cst ON cst.named_step_uuid = cs.named_step_uuid
                             WHERE cs.workflow_step_uuid = s.created_by_step_uuid),
             'transitions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                      'from_state', tr.from_state, 'to_state', tr.to_state,
                                      'created_at', tr.created_at, 'metadata', tr.metadata) ORDER BY tr.sort_key), '[]')
                               FROM tasker.workflow_step_transitions tr
                              WHERE tr.workflow_step_uuid = s.workflow_step_uuid)) AS detail
      FROM tasker.workflow_steps s
      JOIN tasker.named_steps st ON st.named_step_uuid = s.named_step_uuid
     WHERE s.task_uuid = ${taskUuid}::uuid AND s.workflow_step_uuid = ${stepUuid}::uuid`;
  return row?.detail;
}
