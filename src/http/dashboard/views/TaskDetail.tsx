import { TERMINAL_TASK_STATES, isTaskState } from "../../../orchestration/stateMachine.ts";
import type { TaskResponse } from "../../../orchestration/taskQueries.ts";
import type { DashboardAccess } from "../dashboardAccess.ts";
import { formatTime, stateLabel } from "./format.ts";
import { StateBadge } from "./StateBadge.tsx";
import { TaskDag } from "./TaskDag.tsx";

/** A task: its facts, its DAG, the template steps it does not have, and (when allowed) Cancel. */
export function TaskDetail(props: { task: TaskResponse; access: DashboardAccess; selectedStep?: string | undefined; traceUrl?: string }) {
  const { task } = props;
  const open = isTaskState(task.status) && !TERMINAL_TASK_STATES.has(task.status);
  return (
    <section aria-labelledby="task-heading" data-task-uuid={task.task_uuid} data-task-state={task.status}>
      <h2 id="task-heading">
        {task.namespace}/{task.name} <span class="muted">{task.version}</span> <StateBadge state={task.status} />
      </h2>
      <dl class="facts">
        <dt>Task uuid</dt>
        <dd class="mono">{task.task_uuid}</dd>
        <dt>Correlation id</dt>
        <dd class="mono">
          {props.traceUrl ? (
            <a href={props.traceUrl.replaceAll("{correlation_id}", encodeURIComponent(task.correlation_id))} rel="noopener" target="_blank" data-trace-link>
              {task.correlation_id}
            </a>
          ) : (
            task.correlation_id
          )}
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(task.created_at)}</dd>
        <dt>Completed</dt>
        <dd>{formatTime(task.completed_at)}</dd>
        <dt>Steps</dt>
        <dd>
          {task.completed_steps}/{task.total_steps} done, {task.in_progress_steps} running, {task.failed_steps} failed ({stateLabel(task.execution_status)})
        </dd>
        <dt>Tags</dt>
        <dd>{task.tags.length > 0 ? task.tags.join(", ") : "—"}</dd>
      </dl>
      {open && props.access.can("tasks:cancel") ? (
        <div class="actions">
          <button type="button" data-action="cancel-task" data-task-uuid={task.task_uuid}>
            Cancel task
          </button>
        </div>
      ) : null}
      <div class="dag-scroll">
        <TaskDag taskUuid={task.task_uuid} steps={task.steps} selected={props.selectedStep} />
      </div>
      <h3>Steps</h3>
      <ul class="step-list">
        {task.steps.map((step) => (
          <li data-step-row={step.name}>
            <a href={`/dashboard/tasks/${task.task_uuid}?step=${step.workflow_step_uuid}`} data-step-link={step.workflow_step_uuid}>
              {step.name}
            </a>{" "}
            <StateBadge state={step.current_state} />
            {step.created_by !== null ? <span class="muted"> created by {step.created_by}</span> : null}
          </li>
        ))}
      </ul>
      {task.absent_steps.length > 0 ? (
        <>
          <h3>Template steps not in this task</h3>
          <ul class="absent-steps">
            {task.absent_steps.map((absent) => (
              <li data-absent-step={absent.name}>
                {absent.name}: <span class="muted">{absent.reason}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
