import type { Sql } from "postgres";
import { describeAbsentSteps, type AbsentStep } from "../templates/describeAbsentSteps.ts";
import { templateFromConfiguration } from "../templates/templateConfiguration.ts";
import type { TaskTemplate } from "../templates/taskTemplate.ts";

/** tasker-core's TaskResponse: the task, its execution context and its steps. */
export interface TaskResponse {
  task_uuid: string;
  name: string;
  namespace: string;
  version: string;
  status: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  context: Record<string, unknown>;
  initiator: string | null;
  source_system: string | null;
  reason: string | null;
  priority: number;
  tags: string[];
  correlation_id: string;
  parent_correlation_id: string | null;
  total_steps: number;
  pending_steps: number;
  in_progress_steps: number;
  completed_steps: number;
  failed_steps: number;
  ready_steps: number;
  execution_status: string;
  recommended_action: string;
  completion_percentage: number;
  health_status: string;
  steps: StepSummary[];
  /** Template steps that are not (or not yet) steps of this task, with why (decisions, batches). */
  absent_steps: AbsentStep[];
}

export interface StepSummary {
  workflow_step_uuid: string;
  name: string;
  current_state: string;
  attempts: number;
  max_attempts: number;
  retryable: boolean;
  dependencies_satisfied: boolean;
  total_parents: number;
  completed_parents: number;
  last_attempted_at: string | null;
  next_retry_at: string | null;
  processed_at: string | null;
  results: unknown;
  /** The template step it was made from (a batch step's `batch_worker` template; else its name). */
  template_step_name: string;
  /** The step whose result created it (a decision or batchable step), or null when created with the task. */
  created_by: string | null;
  /** Its parents in the task's graph, with the edge name (provides, batch_dependency, worker_to_convergence). */
  parents: Array<{ name: string; edge: string }>;
  /** The last saved checkpoint: cursor, items processed, when. Null when it never checkpointed. */
  checkpoint: { cursor: unknown; items_processed: number | null; saved_at: string; attempt: number } | null;
}

/**
 * The TaskResponse fields of a task as jsonb_build_object arguments, over the
 * aliases t (tasks), nt (named_tasks), ns (task_namespaces) and c
 * (task_execution_context): one list for the single task and the task list.
 */
export function taskResponseFields(sql: Sql) {
  return sql`
             'task_uuid', t.task_uuid, 'name', nt.name, 'namespace', ns.name, 'version', nt.version,
             'status', t.state, 'created_at', t.created_at, 'updated_at', t.updated_at,
             'completed_at', t.completed_at, 'context', t.context, 'initiator', t.initiator,
             'source_system', t.source_system, 'reason', t.reason, 'priority', t.priority, 'tags', t.tags,
             'correlation_id', t.correlation_id, 'parent_correlation_id', t.parent_correlation_id,
             'total_steps', c.total_steps, 'pending_steps', c.pending_steps,
             'in_progress_steps', c.in_progress_steps + c.enqueued_steps, 'completed_steps', c.completed_steps,
             'failed_steps', c.failed_steps, 'ready_steps', c.ready_steps,
             'execution_status', c.execution_status, 'recommended_action', c.recommended_action,
             'completion_percentage', c.completion_percentage, 'health_status', c.health_status`;
}

/** One query: the task, its execution context and every step (with results). */
export async function findTask(sql: Sql, taskUuid: string): Promise<TaskResponse | undefined> {
  const [row] = await sql<{ task: TaskResponse | null }[]>`
    SELECT jsonb_build_object(${taskResponseFields(sql)},
             'steps', (
               SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'workflow_step_uuid', s.workflow_step_uuid, 'name', st.name, 'current_state', s.state,
                        'attempts', s.attempts, 'max_attempts', s.max_attempts, 'retryable', s.retryable,
                        'dependencies_satisfied', s.remaining_dependencies = 0,
                        'total_parents', (SELECT count(*) FROM tasker.workflow_step_edges e
                                           WHERE e.to_step_uuid = s.workflow_step_uuid),
                        'completed_parents', (SELECT count(*) FROM tasker.workflow_step_edges e
                                               WHERE e.to_step_uuid = s.workflow_step_uuid) - s.remaining_dependencies,
                        'last_attempted_at', s.last_attempted_at, 'next_retry_at', s.next_retry_at,
                        'processed_at', s.processed_at, 'results', s.results,
                        'template_step_name', coalesce(s.template_step_name, st.name),
                        'created_by', (SELECT cst.name FROM tasker.workflow_steps cs
                                         JOIN tasker.named_steps cst ON cst.named_step_uuid = cs.named_step_uuid
                                        WHERE cs.workflow_step_uuid = s.created_by_step_uuid),
                        'parents', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', pst.name, 'edge', e.name)
                                                              ORDER BY p.position, pst.name), '[]')
                                      FROM tasker.workflow_step_edges e
                                      JOIN tasker.workflow_steps p ON p.workflow_step_uuid = e.from_step_uuid
                                      JOIN tasker.named_steps pst ON pst.named_step_uuid = p.named_step_uuid
                                     WHERE e.to_step_uuid = s.workflow_step_uuid),
                        'checkpoint', CASE WHEN s.checkpoint IS NULL THEN NULL ELSE jsonb_build_object(
                                        'cursor', s.checkpoint -> 'cursor', 'items_processed', s.checkpoint -> 'items_processed',
                                        'saved_at', s.checkpoint -> 'timestamp', 'attempt', s.checkpoint -> 'attempt') END)
                      ORDER BY s.position, s.workflow_step_uuid), '[]')
                 FROM tasker.workflow_steps s JOIN tasker.named_steps st USING (named_step_uuid)
                WHERE s.task_uuid = t.task_uuid),
             'configuration', nt.configuration,
             'template_key', nt.named_task_uuid::text || '@' || nt.updated_at::text) AS task
      FROM tasker.tasks t
      JOIN tasker.named_tasks nt USING (named_task_uuid)
      JOIN tasker.task_namespaces ns USING (task_namespace_uuid)
      CROSS JOIN LATERAL tasker.task_execution_context(t.task_uuid) c
     WHERE t.task_uuid = ${taskUuid}::uuid`;
  const found = row?.task as (Omit<TaskResponse, "absent_steps"> & { configuration: unknown; template_key: string }) | null | undefined;
  if (!found) return undefined;
  const { configuration, template_key: templateKey, ...task } = found;
  return { ...task, absent_steps: absentStepsOf(templateKey, configuration, task.steps) };
}

const DYNAMIC_TYPES = new Set(["decision", "batchable", "batch_worker", "deferred_convergence"]);
/** Templates read back from named_tasks, by named_task_uuid@updated_at (a template is a few KiB; a few hundred at most). */
const parsedTemplates = new Map<string, TaskTemplate | null>();

/** The template steps missing from a task and why; none for a template without dynamic steps or one that cannot be read. */
function absentStepsOf(templateKey: string, configuration: unknown, steps: readonly StepSummary[]): AbsentStep[] {
  const rawSteps = (configuration as { steps?: Array<{ type?: unknown }> } | null)?.steps ?? [];
  if (!rawSteps.some((step) => DYNAMIC_TYPES.has(String(step.type)))) return [];
  let template = parsedTemplates.get(templateKey);
  if (template === undefined) {
    try {
      template = templateFromConfiguration(configuration);
    } catch {
      template = null;
    }
    if (parsedTemplates.size >= 500) parsedTemplates.delete(parsedTemplates.keys().next().value!);
    parsedTemplates.set(templateKey, template);
  }
  if (template === null) return [];
  return describeAbsentSteps(
    template,
    steps.map((s) => ({ name: s.name, templateStepName: s.template_step_name, state: s.current_state })),
  );
}
